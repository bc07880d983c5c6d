"""The folders a script names through its own location: `$(dirname "$0")`,
`$(cd "$(dirname "${BASH_SOURCE[0]}")" &> /dev/null && pwd)`, `$(dirname "$(readlink -f "$0")")`,
`$(realpath "$(dirname "$0")/..")`, `$(cd "$DIR/.." && pwd)` and the like, read without running
anything. The script's path (`$0`, `${BASH_SOURCE[0]}`) is its file under the scan root, so these
are root-relative folders; a path that leaves the root, or a part that is not one of these forms,
is not a folder this module knows.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from archmatch import lazyre

MAX_NESTING = 8  # nested `$(...)` looked into; deeper is not a folder this module knows
_SELF = frozenset(["$0", "${0}", "$BASH_SOURCE", "${BASH_SOURCE}", "${BASH_SOURCE[0]}", "${BASH_SOURCE[@]}"])
_RESOLVERS = frozenset(["realpath", "grealpath", "readlink", "greadlink"])
_CANONICAL = frozenset(
    ["-f", "-e", "-m", "--canonicalize", "--canonicalize-existing", "--canonicalize-missing"]
)
_REDIRECT = lazyre.compile(r"^(?:[0-9]*>>?|&>>?|[0-9]*>&[0-9-]|>&|[0-9]*<)")
_SCRIPT = "\0script"  # stands for the script's own file until `dirname` takes its folder
# the folder a leading `$VAR` / `${VAR}` names: (is it a folder variable, its folder or None if unknown)
Lookup = Callable[[str], tuple[bool, str | None]]


def canonical(text: str) -> str:
    """The text without quotes, its blanks folded to one space (paths with blanks are not handled)."""
    return " ".join(text.replace('"', "").replace("'", "").split()).replace("$( ", "$(").replace(" )", ")")


def folder_of_expression(
    text: str, script_dir: str, lookup: Lookup, cwd: str | None
) -> tuple[str | None, bool]:
    """The root-relative folder (or file) that `text` names, and whether its form was recognised at
    all. `lookup(word)` tells whether a leading `$VAR` names a folder, and which."""
    value = _path(canonical(text), script_dir, lookup, cwd, 0)
    if value is _UNRECOGNISED:
        return None, False
    return (None if value is None or value.startswith(_SCRIPT) else value), True


class _Unrecognised(str):
    pass


_UNRECOGNISED = _Unrecognised("")


def _path(text: str, script_dir: str, lookup: Lookup, cwd: str | None, depth: int) -> str | None:
    if depth > MAX_NESTING or not text:
        return _UNRECOGNISED
    head, rest = _leading(text)
    if head is None:
        return _UNRECOGNISED
    if head in _SELF:
        base: str | None = _SCRIPT + "/" + script_dir
    elif head.startswith("$("):
        base = _substitution(head[2:-1].strip(), script_dir, lookup, cwd, depth + 1)
    else:
        known, base = lookup(head)
        if not known:
            return _UNRECOGNISED
    if base is _UNRECOGNISED or base is None or not rest:
        return base
    return _under(base, rest)


def _leading(text: str) -> tuple[str | None, str]:
    """The first expansion of `text` (`$0`, `${X}`, `$X`, `$(...)`) and what follows it."""
    if text.startswith("$("):
        depth = 0
        for i, char in enumerate(text):
            depth += (char == "(") - (char == ")")
            if depth == 0 and char == ")":
                return text[: i + 1], text[i + 1 :]
        return None, ""
    if text.startswith("${"):
        end = text.find("}")
        return (text[: end + 1], text[end + 1 :]) if end > 0 else (None, "")
    if text.startswith("$"):
        end = 1
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        return (text[:end], text[end:]) if end > 1 else (None, "")
    return None, ""


def _under(base: str, rest: str) -> str | None:
    """`base` followed by `rest` (`/..`, `/sub`): None when the result leaves the scan root."""
    if not rest.startswith("/"):
        return _UNRECOGNISED  # `$DIR-suffix`: another name
    if base.startswith(_SCRIPT + "/"):
        return None  # a path below the script's own file
    path = posixpath.normpath(posixpath.join(base, "./" + rest.lstrip("/")))
    return None if path == ".." or path.startswith("../") else path


def _substitution(inner: str, script_dir: str, lookup: Lookup, cwd: str | None, depth: int) -> str | None:
    """What `$(inner)` prints, when it is one of the folder idioms."""
    commands = [[w for w in c if not _REDIRECT.match(w) and w != "/dev/null"] for c in _commands(inner)]
    commands = [c for c in commands if c]
    if len(commands) == 2 and commands[0][0] == "cd" and commands[1][0] == "pwd":
        operand = _operand(commands[0][1:])
        return (
            _UNRECOGNISED if operand is None else _path_or_relative(operand, script_dir, lookup, cwd, depth)
        )
    if len(commands) != 1:
        return _UNRECOGNISED
    name, *args = commands[0]
    if name == "git" and args == ["rev-parse", "--show-toplevel"]:
        return "."
    operand = _operand(args)
    if operand is None:
        return _UNRECOGNISED
    if name == "dirname":
        value = _path_or_relative(operand, script_dir, lookup, cwd, depth)
        if value is _UNRECOGNISED or value is None:
            return value
        if value.startswith(_SCRIPT + "/"):
            return value[len(_SCRIPT) + 1 :]
        return _UNRECOGNISED if value == "." else (posixpath.dirname(value) or ".")
    if name in _RESOLVERS and (name.endswith("realpath") or any(a in _CANONICAL for a in args)):
        return _path_or_relative(operand, script_dir, lookup, cwd, depth)
    return _UNRECOGNISED


def _commands(inner: str) -> list[list[str]]:
    """The words of each command of `inner` (`a b && c; d`), a nested `$(...)` being one word."""
    words: list[str] = []
    word: list[str] = []
    depth = 0
    for char in inner + " ":
        depth += (char == "(") - (char == ")")
        if depth > 0 or char not in " ;":
            word.append(char)
            continue
        if word:
            words.append("".join(word))
            word = []
        if char == ";":
            words.append(";")
    commands: list[list[str]] = [[]]
    for w in words:
        if w in (";", "&&"):
            commands.append([])
        else:
            commands[-1].append(w)
    return commands


def _operand(args: list[str]) -> str | None:
    """The one operand of a command (options and `--` skipped), None when there is not exactly one."""
    operands = [a for a in args if a != "--" and not (a.startswith("-") and len(a) > 1)]
    return operands[0] if len(operands) == 1 else None


def _path_or_relative(text: str, script_dir: str, lookup: Lookup, cwd: str | None, depth: int) -> str | None:
    if text.startswith("$"):
        return _path(text, script_dir, lookup, cwd, depth)
    if text.startswith(("/", "~")) or "$" in text or "`" in text or cwd is None:
        return _UNRECOGNISED if cwd is not None else None
    path = posixpath.normpath(posixpath.join(cwd, text))
    return None if path == ".." or path.startswith("../") else path
