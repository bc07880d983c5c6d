"""Walk shell text command by command, tracking what changes a later docker build: the working
directory (`cd`, `pushd`; `cd $ROOT/src` after `ROOT=$PWD` or `$(pwd)` goes under the folder the
script was in then), variables (`_shellvalues`: assignments, exports, defaults, positional
parameters) and exported `DOCKER_DEFAULT_PLATFORM`. Control flow is mostly ignored: commands are
taken in the order written, which is what a reader of the script assumes too, except that a
function runs where the script calls it (with its arguments as `$1`...; one never called runs once
where it is defined), `docker tag SRC DST` adds DST to the build that made SRC, and an `if`/`case`
that tests the host marks the values assigned inside it as set on some hosts only.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from archmatch import dockercli, lazyre
from archmatch.dockercli import BuildCommand, Word
from archmatch.extract.budget import Budget
from archmatch.extract.builds import _awscli as awscli
from archmatch.extract.builds import _cfncli as cfncli
from archmatch.extract.builds import _clones as clonelog
from archmatch.extract.builds import _copies as copies
from archmatch.extract.builds import _imagelog as imagelog
from archmatch.extract.builds import _tfcli as tfcli
from archmatch.extract.builds._awscli import AwsCommand
from archmatch.extract.builds._common import (
    DEFAULT_PLATFORM_VAR,
    CliSite,
    EnvValue,
    HostContext,
    cli_build,
    has_unresolved,
    join,
)
from archmatch.extract.builds._kubeapply import KubeTarget, kube_apply, kube_target
from archmatch.extract.builds._shelldirs import folder_of_expression
from archmatch.extract.builds._shellvalues import MAX_VALUE_CHARS, ShellValues
from archmatch.model import (
    BuildSource,
    CfnParametersUse,
    ImageBuild,
    Location,
    ManifestDeploy,
    RepoFacts,
    TerraformVarsUse,
)
from archmatch.repo import RepoView

# terraform commands giving variables remembered per shell text and per repository; later ones are
# ignored (each is compared with those remembered, and each root module is evaluated per command)
MAX_TERRAFORM_COMMANDS = 200  # (and as many template deploy commands)
MAX_TERRAFORM_USES = 2_000
T = TypeVar("T", TerraformVarsUse, CfnParametersUse)
_ASSIGN = lazyre.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
# $PWD, ${PWD}, $(pwd), `pwd`: the folder the script is in at that point
_WORKING_DIR = lazyre.compile(r"^(?:\$PWD\b|\$\{PWD\}|\$\(\s*pwd\s*\)|`\s*pwd\s*`)")
_RESERVED = frozenset(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "done"])
MAX_SHELL_STEPS = 50_000  # commands and expansions of one script run
MAX_CALL_DEPTH = 16  # nested shell function calls
MAX_FUNCTION_COMMANDS = 5_000  # commands of one function body
# `$X`, `${X}`, `${X:-default}` unquoted: split into words, dropped when empty
_LONE_VARIABLE = lazyre.compile(
    r"^\$(?:\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=+][^{}$`'\"\\]*)?\}|[A-Za-z_][A-Za-z0-9_]*)$"
)
# `${X:-}` unquoted: nothing, unless whoever runs the script sets X (to options, in a command line)
_OPTIONAL = lazyre.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*):?[-=]\}$")
_ALL_ARGUMENTS = lazyre.compile(r'^"?\$(?:@|\{@\})"?$')  # "$@": each argument of the call
_VAR = lazyre.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class ShellState:
    """What earlier commands of a script set. `cwd` is root-relative, None once unknown."""

    path: str  # file holding the text, for locations
    script_dir: str  # folder that `$(dirname "$0")` means
    cwd: str | None = "."
    exported: dict[str, EnvValue] = field(default_factory=dict)
    assigned: dict[str, EnvValue] = field(default_factory=dict)
    dir_vars: dict[str, str | None] = field(default_factory=dict)  # SCRIPT_DIR=$(dirname "$0") etc.
    # variables holding the working folder (`SOURCE=$PWD`): the relative `cd`s (`walk`) at that point
    pwd_walks: dict[str, str | None] = field(default_factory=dict)
    root_vars: frozenset[str] = frozenset()  # variables that name the repository root (CI_PROJECT_DIR)
    stack: list[str | None] = field(default_factory=list)
    values: ShellValues | None = None  # variables of the script run, created by the first `scan`
    aws: list[AwsCommand] = field(default_factory=list)  # AWS CLI deploy commands (`_awscli`)
    # terraform commands giving variables on their command line (`_tfcli`)
    terraform: list[TerraformVarsUse] = field(default_factory=list)
    # commands deploying a CloudFormation template with parameter values (`_cfncli`)
    cloudformation: list[CfnParametersUse] = field(default_factory=list)
    packaged: dict[str, str] = field(default_factory=dict)  # template copies `package` wrote -> template
    files: dict[str, str] = field(default_factory=dict)  # files the script writes from heredocs
    # the relative `cd`s taken from the start (None once a `cd` goes somewhere absolute or unknown),
    # so that paths can also be computed as if the script started in its own folder (`_copies`)
    walk: str | None = "."
    walk_stack: list[str | None] = field(default_factory=list)
    copies: copies.CopyLog = field(default_factory=copies.CopyLog)
    failures_ignored: bool = False  # a failing command does not stop the run (make's `-cp a b`)
    kube_target: KubeTarget | None = None  # the cluster kubectl was last pointed at
    images: imagelog.ImageLog = field(default_factory=imagelog.ImageLog)  # names built, retagged, pushed
    manifest_deploys: list[ManifestDeploy] = field(default_factory=list)  # kubectl applies to it
    pushes: list[awscli.Push] = field(default_factory=list)  # images of its builds pushed so far
    # builds of earlier shells of the same run whose images docker still holds (the lines before
    # in a Makefile recipe, each run by a shell of its own): `docker tag` and `docker push` see them
    earlier_builds: list[ImageBuild] = field(default_factory=list)
    clones: list[clonelog.Clone] = field(default_factory=list)  # `git clone`s of the run (`_clones`)

    @property
    def default_platform(self) -> EnvValue | None:
        return self.exported.get(DEFAULT_PLATFORM_VAR)

    @property
    def cwds(self) -> tuple[str | None, str | None]:
        """The working directory from the start, and from the script's own folder."""
        own = join(self.script_dir, self.walk) if self.walk is not None else self.cwd
        return self.cwd, own


@dataclass
class Found:
    """A build command found in a script, with its working directory and default platform."""

    cmd: BuildCommand
    cwd: str | None
    default_platform: EnvValue | None
    host_note: str = ""  # the host test under which the build's platform was set, "" if none
    own_cwd: str | None = None  # the working directory if the script started in its own folder
    copies: tuple[int, int] = (0, 0)  # copies recorded before it, in each frame (`_copies.CopyLog`)


def _dir_value(state: ShellState, text: str) -> tuple[str | None, bool]:
    """A directory expression's root-relative folder, and whether it was recognised at all."""
    return folder_of_expression(text, state.script_dir, lambda word: _folder_variable(state, word), state.cwd)


def _folder_variable(state: ShellState, word: str) -> tuple[bool, str | None]:
    """Whether `$NAME` / `${NAME}` holds a folder (the repository root, `SCRIPT_DIR=...`, `$PWD`), and which."""
    if word in ("$PWD", "${PWD}"):
        return True, state.cwd
    name = word.strip("${}")
    if name in state.root_vars:
        return True, "."
    if name in state.dir_vars:
        return True, state.dir_vars[name]
    return False, None


def _resolved_path(state: ShellState, text: str | None) -> str | None:
    """A docker build's `-f`/context argument that starts with a folder variable or idiom
    (`$DIR/../Dockerfile`, `"$(dirname "$0")"/..`), written relative to the working folder; any
    other argument as it is."""
    if text is None or not text.startswith("$") or state.cwd is None:
        return text
    folder, recognised = _dir_value(state, text)
    if not recognised or folder is None:
        return text
    return posixpath.relpath(folder, state.cwd)


def _from_working_dir(state: ShellState, text: str) -> tuple[str | None, str | None] | None:
    """A path under the working folder (`$PWD/src`, `$(pwd)/src`, `$SOURCE/src` after
    `SOURCE=$PWD`): that folder root-relative, and as relative `cd`s from the script's start
    (`ShellState.walk`); None for any other text."""
    m = _WORKING_DIR.match(text)
    if m:
        folder, walk = state.cwd, state.walk
    else:
        v = _VAR.match(text)
        name = (v.group(1) or v.group(2)) if v else None
        if v is None or name not in state.pwd_walks:
            return None
        folder, walk = state.dir_vars.get(name), state.pwd_walks[name]
        m = v
    rest = "./" + text[m.end() :].strip("\"'").lstrip("/")
    return join(folder, rest), (join(walk, rest) if walk is not None else None)


def _cd(state: ShellState, words: list[Word]) -> None:
    target = next((w.text for w in words[1:] if not w.text.startswith("-")), None)
    under_working_dir = _from_working_dir(state, target) if target is not None else None
    if under_working_dir is not None:
        state.cwd, state.walk = under_working_dir
        copies.entered(state.copies, state.cwds)
        return
    walk, state.walk = state.walk, None
    if target is None or target in ("~", "-") or target.startswith("~"):
        state.cwd = None
        return
    folder, recognised = _dir_value(state, target)
    if recognised:
        state.cwd = folder
    elif has_unresolved(target) or target.startswith("/"):
        state.cwd = None
    else:
        state.cwd = join(state.cwd, target)
        state.walk = posixpath.join(walk, target) if walk is not None else None
    copies.entered(state.copies, state.cwds)


def _assign(state: ShellState, text: str, line: int, export: bool) -> None:
    m = _ASSIGN.match(text)
    if not m:
        if export and text in state.assigned:
            state.exported[text] = state.assigned[text]
        return
    name, value = m.group(1), m.group(2)
    env = EnvValue(value, Location(state.path, line))
    state.assigned[name] = env
    if export or name in state.exported:
        state.exported[name] = env
    state.pwd_walks.pop(name, None)
    under_working_dir = _from_working_dir(state, value)
    if under_working_dir is not None:
        state.dir_vars[name], state.pwd_walks[name] = under_working_dir
        return
    folder, recognised = _dir_value(state, value)
    if recognised:
        state.dir_vars[name] = folder
    elif (value and not has_unresolved(value) and "/" in value) or value in (".", ".."):
        state.dir_vars[name] = join(state.cwd, value)


@dataclass(frozen=True)
class Heredoc:
    """`cat > FILE <<EOF ... EOF` (or `tee FILE <<EOF`): a file the script writes."""

    target: str  # the file as written
    body: str
    expands: bool  # an unquoted delimiter: variables in the body are expanded


def written_heredocs(text: str) -> tuple[str, dict[int, Heredoc]]:
    """The heredocs that write a file, by the offset of their line, and the text with their bodies
    blanked (same offsets), so that a JSON body is not read as commands."""
    out: dict[int, Heredoc] = {}
    chars = list(text)
    lines = text.split("\n")
    offset, index = 0, 0
    while index < len(lines):
        line = lines[index]
        found = _heredoc_head(line)
        start = offset
        offset += len(line) + 1
        index += 1
        if found is None:
            continue
        target, delimiter, expands = found
        body_start, body = offset, []
        while index < len(lines) and lines[index].strip() != delimiter:
            body.append(lines[index])
            offset += len(lines[index]) + 1
            index += 1
        for i in range(body_start, min(offset, len(chars))):
            if chars[i] != "\n":
                chars[i] = " "
        out[start] = Heredoc(target, "\n".join(body), expands)
    return "".join(chars), out


def _heredoc_head(line: str) -> tuple[str, str, bool] | None:
    """(target file, delimiter, expands) of `cat > f <<EOF` / `cat <<'EOF' > f` / `tee f <<EOF`."""
    words = line.strip().split()
    if "<<" not in line or not words or words[0] not in ("cat", "tee"):
        return None
    marker = next((i for i, w in enumerate(words) if w.startswith("<<")), None)
    if marker is None:
        return None
    raw = words[marker][2:].lstrip("-") or (words[marker + 1] if marker + 1 < len(words) else "")
    delimiter = raw.strip("'\"")
    rest = [w for i, w in enumerate(words[1:], 1) if i != marker and w != raw]
    if words[0] == "tee":
        targets = [w for w in rest if not w.startswith("-") and not w.startswith(">")]
    else:
        targets = [
            w.lstrip(">") or (rest[i + 1] if i + 1 < len(rest) else "")
            for i, w in enumerate(rest)
            if w.startswith(">")
        ]
    if not delimiter or not targets or not targets[0]:
        return None
    return targets[0].strip("'\""), delimiter, raw == delimiter


def scan(
    text: str, state: ShellState, line_at: Callable[[int], int], expand: Callable[[str], str] | None = None
) -> list[Found]:
    """Every docker build in the text, with the state in force where it runs; updates `state`."""
    if state.values is None:
        state.values = ShellValues(Budget(state.path or "<shell>", steps=MAX_SHELL_STEPS), external=expand)
    text, heredocs = written_heredocs(text)
    commands = dockercli.split_commands(text)
    functions, inside = _functions(text, commands)
    walker = _Walker(text, state, state.values, line_at, functions, expand)
    walker.heredocs = heredocs
    walker.and_or = _and_or_lists(text, commands)
    for index, words in enumerate(commands):
        if index not in inside:
            walker.command(words, 0)
    for name, body in functions.items():  # a function never called here may be called by its user
        if name not in walker.called:
            for words in body:
                walker.command(words, 0)
    state.aws.extend(walker.aws)
    return walker.found


# commands run to test something, whose failure is expected (a `&&` after one is a condition); a
# `&&` after any other (`./mvnw package && cp ...`) only stops the list when a step breaks
_TESTS = frozenset(
    ["test", "[", "[[", "grep", "egrep", "fgrep", "command", "which", "type", "hash", "ls", "stat"]
    + ["diff", "cmp", "pgrep", "false"]
)
_NAME = lazyre.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NONZERO = lazyre.compile(r"-?[0-9]*[1-9][0-9]*")
_BLANKS = lazyre.compile(r"(?:[ \t)]|\\\n)*")  # and the ends of subshells and ((...))


@dataclass(frozen=True)
class AndOr:
    """Where a command stands in an and-or list (`a && b || c`): the operators around it and the
    commands before it in the list (by the offset of their first word, which is `at` for itself)."""

    at: int
    before: str  # "&&", "||" or "" (it starts the list)
    after: str
    earlier: tuple[int, ...]
    failure_tolerated: bool = False  # `X || true`, `{ ...; X; } || true`; not `X || exit 1`


def _and_or_lists(text: str, commands: list[list[Word]]) -> dict[int, AndOr]:
    """The place in its and-or list of every command that is in one, by the offset of each of its
    words (a function body drops the braces, and so may the first word). A command inside a
    `{ ...; } || true` group is in the group's list as far as its failure goes."""
    out: dict[int, AndOr] = {}
    earlier: list[int] = []
    before = ""
    groups: list[int] = []  # the index of the first command of each open `{ ...; }` group
    for index, words in enumerate(commands):
        after = _operator_after(text, words[-1].end)
        if before not in ("&&", "||"):
            earlier = []
        if words[0].text == "{":
            groups.append(index)
        tolerated = after == "||" and not _stops_the_script(commands, index + 1)
        if before or after:
            place = AndOr(words[0].start, before, after, tuple(earlier), tolerated)
            out.update((w.start, place) for w in words)
        if words[0].text == "}" and groups:
            first = groups.pop()
            if tolerated:
                _tolerate(out, commands[first:index])
        earlier.append(words[0].start)
        before = after
    return out


def _tolerate(out: dict[int, AndOr], commands: list[list[Word]]) -> None:
    """Mark the commands of a group whose failure the list tolerates."""
    for words in commands:
        place = out.get(words[0].start) or AndOr(words[0].start, "", "", ())
        place = replace(place, failure_tolerated=True)
        out.update((w.start, place) for w in words)


_STOPS = frozenset(["exit", "return"])
MAX_GROUP_LOOKAHEAD = 16  # commands of a `|| { ...; exit 1; }` group read to find its exit


def _stops_the_script(commands: list[list[Word]], index: int) -> bool:
    """Whether the alternative after `||` (the command at `index`) ends the script or function:
    `exit 1`, `return 1`, or a `{ ...; exit 1; }` group that does."""
    if index >= len(commands):
        return False
    if commands[index][0].text != "{":
        return _head(commands[index]) in _STOPS
    for words in commands[index : index + MAX_GROUP_LOOKAHEAD]:
        if _head(words) in _STOPS:
            return True
        if words[0].text == "}":
            return False
    return False


def _head(words: list[Word]) -> str:
    return next((w.text for w in words if w.text not in _RESERVED), "")


def _arithmetic(text: str, start: int) -> bool:
    """Whether the command starting at `start` is an arithmetic test (`((COPY))`, read as `COPY`)."""
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return text[max(start - 2, 0) : start] == "(("


def _operator_after(text: str, end: int) -> str:
    """`&&` or `||` when one follows offset `end` (after blanks, closing parentheses and line
    continuations), else ""."""
    at = _BLANKS.match(text, end)
    i = at.end() if at is not None else end
    operator = text[i : i + 2]
    return operator if operator in ("&&", "||") else ""


_FUNCTION_HEAD = lazyre.compile(r"^([A-Za-z_][A-Za-z0-9_:.-]*)\($")
_EMPTY_PARENS = lazyre.compile(r"[ \t]*\([ \t]*\)")  # match(text, pos): no `^`, which holds only at 0


def _function_name(text: str, words: list[Word]) -> str | None:
    """The name a command defines (`name() {`, `function name {`, `name () {`), or None."""
    if words[0].text == "function" and len(words) > 1:
        return words[1].text.split("(", 1)[0] or None
    m = _FUNCTION_HEAD.match(words[-1].text)
    if m and len(words) == 1:
        return m.group(1)
    if (
        len(words) == 1
        and _EMPTY_PARENS.match(text, words[0].end)
        and re.match(r"^[A-Za-z_][\w:.-]*$", words[0].text)
    ):
        return words[0].text
    return None


def _is_brace(text: str, word: Word, brace: str) -> bool:
    return word.text == brace and text[word.start : word.end] == brace


def _functions(text: str, commands: list[list[Word]]) -> tuple[dict[str, list[list[Word]]], set[int]]:
    """Function bodies by name (their commands, the braces left out) and the indices of every
    command that belongs to a definition. A definition whose braces do not balance is ignored."""
    functions: dict[str, list[list[Word]]] = {}
    inside: set[int] = set()
    index = 0
    while index < len(commands):
        name = _function_name(text, commands[index])
        span = _body(text, commands, index) if name else None
        if name is None or span is None:
            index += 1
            continue
        first, last = span
        head = commands[first]  # `name () {`, `name() { cmd`, `function name {`: what follows the `{`
        brace = next((k for k, w in enumerate(head) if _is_brace(text, w, "{")), None)
        body = [list(head[brace + 1 :]) if brace is not None else []]
        body += [list(commands[i]) for i in range(first + 1, last + 1)]
        body = [
            [w for w in words if not (_is_brace(text, w, "{") or _is_brace(text, w, "}"))] for words in body
        ]
        functions[name] = [words for words in body if words]
        inside.update(range(index, last + 1))
        index = last + 1
    return functions, inside


def _body(text: str, commands: list[list[Word]], index: int) -> tuple[int, int] | None:
    """(first, last) command indices of the brace group that opens at or right after `index`."""
    depth = 0
    opened = False
    for i in range(index, min(len(commands), index + MAX_FUNCTION_COMMANDS)):
        for word in commands[i]:
            if _is_brace(text, word, "{"):
                depth += 1
                opened = True
            elif _is_brace(text, word, "}"):
                depth -= 1
                if opened and depth == 0:
                    return index, i
        if not opened and i > index + 1:
            return None
    return None


class _Walker:
    """Takes commands in the order written, calling functions where the script calls them."""

    def __init__(
        self,
        text: str,
        state: ShellState,
        values: ShellValues,
        line_at: Callable[[int], int],
        functions: dict[str, list[list[Word]]],
        expand: Callable[[str], str] | None,
    ):
        self.text, self.state, self.values, self.line_at = text, state, values, line_at
        self.functions = functions
        self.expand = expand
        self.called: set[str] = set()
        self.found: list[Found] = []
        self._found_keys: set[tuple[Any, ...]] = set()
        self.aws: list[AwsCommand] = []
        self.heredocs: dict[int, Heredoc] = {}
        self.and_or: dict[int, AndOr] = {}  # commands in and-or lists (`_and_or_lists`)
        self.tests: set[int] = set()  # those of them that tested something (`_tests_something`)
        self.conditions: list[str] = []  # host test of each open if/case ("" when it tests something else)
        # per open if/case, the values each of its branches assigned (a case is one branch)
        self.branches: list[list[dict[str, str | None]]] = []

    @property
    def host_note(self) -> str:
        return next((c for c in self.conditions if c), "")

    def command(self, words: list[Word], depth: int) -> None:
        if not self.values.budget.step():
            return
        self._record_test(words)
        words = self._conditions(words)
        if not words:
            return
        head = words[0].text
        line = self.line_at(words[0].start)
        if head in ("cat", "tee"):
            self._writes_file(words)
        if head in self.functions:
            self._call(head, words, depth)
        elif head in ("cd", "pushd"):
            if head == "pushd":
                self.state.stack.append(self.state.cwd)
                self.state.walk_stack.append(self.state.walk)
            _cd(self.state, self._expanded_words(words))
        elif head == "popd":
            self.state.cwd = self.state.stack.pop() if self.state.stack else None
            self.state.walk = self.state.walk_stack.pop() if self.state.walk_stack else None
        elif head in ("export", "declare", "typeset", "local", "readonly") and len(words) > 1:
            export = head == "export" or any(x.text == "-x" for x in words)
            for w in words[1:]:
                if not w.text.startswith("-"):
                    self._assign(w.text, line, export)
        elif head == "unset":
            for w in words[1:]:
                self.state.exported.pop(w.text, None)
                self.state.assigned.pop(w.text, None)
                self.values.forget(w.text)
        elif head in ("read", "mapfile", "readarray", "getopts"):
            for w in words[1:]:
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", w.text):
                    self.values.forget(w.text)
        elif head in ("for", "select") and len(words) > 1:
            self.values.forget(words[1].text)
        elif head in ("source", "."):
            self.values.sourced = True
        elif head == "shift" and self.values.positional:
            self.values.positional = self.values.positional[1:]
        elif all(_ASSIGN.match(w.text) for w in words):
            for w in words:
                self._assign(w.text, line, export=False)
        elif not self._copy(words, line):
            self._docker(words)

    def _copy(self, words: list[Word], line: int) -> bool:
        """`cp`, `rsync`, `mkdir`, `rm`: recorded for the builds that read what they copy."""
        head = copies.command_words([w.text for w in words])
        if not head or head[0] not in copies.FILE_COMMANDS:
            return False  # checked before expanding: other commands cost no expansion here
        texts = copies.command_words(_operands(self._expanded_words(words)))
        conditional = bool(self.conditions) or self._may_not_run(words) or self.state.failures_ignored
        copies.record(self.state.copies, texts, self.state.cwds, line, self.state.path, conditional)
        return True

    def _may_not_run(self, words: list[Word]) -> bool:
        """A command after `||`, or after `&&` that follows a test in its list (`[ -f X ] && cp X
        Y`, `grep -q ...`, `((USE_ARM))`), or whose failure the list tolerates (`cp X Y || true`,
        `{ cp X Y; } || true`). `cd work && cp ../Dockerfile .`, `./mvnw package && cp ...` and
        `cp X Y || exit 1` (the script goes on only if it ran) run the copy."""
        place = self.and_or.get(words[0].start)
        if place is None:
            return False
        tested = any(at in self.tests for at in place.earlier)
        return place.before == "||" or place.failure_tolerated or (place.before == "&&" and tested)

    def _record_test(self, words: list[Word]) -> None:
        """Remember a command of an and-or list that tests something (its failure is expected)."""
        place = self.and_or.get(words[0].start) if words else None
        if place is None:
            return
        head = next((w.text for w in words if w.text not in _RESERVED and not _ASSIGN.match(w.text)), "")
        if head in _TESTS or (_arithmetic(self.text, place.at) and not self._always_true(words)):
            self.tests.add(place.at)
        else:
            self.tests.discard(place.at)

    def _always_true(self, words: list[Word]) -> bool:
        """`((COPY))` where the script set COPY to a number other than 0 (a bare name is a variable)."""
        if len(words) != 1:
            return False
        text = words[0].text
        value = self.values.expand("${" + text + "}" if _NAME.fullmatch(text) else text)[0]
        return bool(_NONZERO.fullmatch(value))

    def _conditions(self, words: list[Word]) -> list[Word]:
        """Track if/case blocks that test the host; the words left once reserved words are dropped."""
        while words and words[0].text in _RESERVED:
            head = words[0].text
            if head in ("if", "elif"):
                condition = " ".join(self.text[w.start : w.end] for w in words[1:])
                note = f"`{dockercli.one_line(condition)[:120]}`" if self.values.tests_host(condition) else ""
                if head == "if":
                    self.conditions.append(note)
                    self.branches.append([{}])
                else:
                    if self.conditions and note:
                        self.conditions[-1] = note
                    self._next_branch()
                return []
            if head == "else":
                self._next_branch()
            words = words[1:]
        if words and words[0].text == "case":
            subject = " ".join(self.text[w.start : w.end] for w in words[1:])
            self.conditions.append(f"`case {subject[:120]}`" if self.values.tests_host(subject) else "")
            self.branches.append([{}])
            return []
        if words and words[0].text in ("fi", "esac"):
            note = self.conditions.pop() if self.conditions else ""
            if self.branches:
                self._close_branches(self.branches.pop(), note)
            return []
        return words

    def _next_branch(self) -> None:
        if self.branches:
            self.branches[-1].append({})

    def _close_branches(self, branches: list[dict[str, str | None]], host_note: str) -> None:
        """After an if whose branches assign a variable different values (`read` input chooses
        `PLATFORM=linux/amd64` or `PLATFORM=linux/arm64`), the variable is unknown: no branch is
        the one that runs. A host test keeps the last value with its note (set on some hosts)."""
        if host_note:
            return
        names = {name for branch in branches for name in branch}
        for name in sorted(names):
            written = {branch[name] for branch in branches if name in branch}
            if len(written) > 1 or None in written:
                self._forget(name)

    def _forget(self, name: str) -> None:
        self.values.forget(name)
        for block in self.branches:  # an enclosing branch no longer knows it either
            block[-1][name] = None
        if name in self.state.exported:
            self.state.exported[name] = EnvValue("${" + name + "}", self.state.exported[name].location)
        if name in self.state.dir_vars:
            self.state.dir_vars[name] = None
        self.state.pwd_walks.pop(name, None)

    def _call(self, name: str, words: list[Word], depth: int) -> None:
        self.called.add(name)
        if depth >= MAX_CALL_DEPTH:
            self.values.budget.refuse(f"shell functions calling each other more than {MAX_CALL_DEPTH} deep")
            return
        saved = self.values.positional
        self.values.positional = [w.text for w in self._expanded_words(words)[1:] if not w.redirect]
        try:
            for body_words in self.functions[name]:
                self.command(body_words, depth + 1)
        finally:
            self.values.positional = saved

    def _assign(self, text: str, line: int, export: bool) -> None:
        _assign(self.state, text, line, export)
        m = _ASSIGN.match(text)
        if not m:
            return
        name = m.group(1)
        if name == "KUBECONFIG":  # kubectl now reads another file: the cluster named before is not known
            self.state.kube_target = None
        self.values.assign(name, m.group(2), self.host_note)
        if name in self.state.pwd_walks:  # kept as `$NAME`, so that `cd $NAME/sub` finds the folder
            self.values.forget(name)
        value = self.values.values[name]
        for block in self.branches:
            block[-1][name] = value.text
        if name in self.state.exported and value.text is not None:
            self.state.exported[name] = EnvValue(value.text, self.state.exported[name].location)

    def _expanded_words(self, words: list[Word]) -> list[Word]:
        return [w for w, _ in self._expand_words(words)]

    def _expand_words(self, words: list[Word]) -> list[tuple[Word, str]]:
        """Each word with its variables expanded (an unquoted one split on blanks, dropped when
        empty), with the host test a value it used was assigned under."""
        out: list[tuple[Word, str]] = []
        for w in words:
            arguments = self._all_arguments(w) if w.text in ("$@", "${@}") else None
            if arguments is not None:  # "$@" in a function the script calls: its arguments, one word each
                out.extend((Word(arg, w.start, w.end), "") for arg in arguments)
                continue
            if "$" not in w.text or w.redirect:
                out.append((w, ""))
                continue
            raw = self.text[w.start : w.end]
            optional = _OPTIONAL.match(raw)
            if optional is not None and not self.values.is_set(optional.group(1)):
                out.append((w, ""))  # kept as written: what the caller may put there is not known
                continue
            value, note = self.values.expand(w.text)
            if not _LONE_VARIABLE.match(raw):  # only `$X` unquoted is split into words
                out.append((Word(value, w.start, w.end), note))
            else:
                out.extend((Word(part, w.start, w.end), note) for part in value.split())
        return out

    def _all_arguments(self, word: Word) -> list[str] | None:
        """The arguments of the function call that `"$@"` stands for, None outside a call."""
        if _ALL_ARGUMENTS.match(self.text[word.start : word.end]):
            return self.values.positional
        return None

    def _docker(self, words: list[Word]) -> None:
        expanded = self._expand_words(words)
        plain = [w for w, _ in expanded]
        if (
            self._kubectl(plain)
            or self._retag(plain)
            or self._push_or_pull(plain)
            or self._aws(plain)
            or self._terraform(plain)
            or self._cloudformation(plain)
            or self._clone(plain)
        ):
            return
        cmd = dockercli.parse_words(plain, self.expand)
        if cmd is None:
            self.state.images.mentioned(self._image_words(plain), self.line_at(words[0].start))
            return
        cmd = replace(
            cmd, file=_resolved_path(self.state, cmd.file), context=_resolved_path(self.state, cmd.context)
        )
        note = next((n for w, n in expanded if n and _overlaps(w, cmd.platform_spans)), "")
        default = self.state.default_platform
        if not cmd.platform_spans and default is not None and DEFAULT_PLATFORM_VAR not in cmd.env:
            known = self.values.values.get(DEFAULT_PLATFORM_VAR)
            note = known.host_note if known is not None else ""
        log = self.state.copies
        counts = (len(log.start.copies), len(log.own.copies) if log.own is not None else 0)
        found = Found(cmd, self.state.cwd, default, note, self.state.cwds[1], counts)
        key = _build_key(found)
        if key not in self._found_keys:  # a set: comparing with every build was quadratic
            self._found_keys.add(key)
            self.found.append(found)
            self.state.images.built(cmd)
        if cmd.pushes:  # `--push`, `--output type=registry`: every tag is pushed as it is built
            line = self.line_at(cmd.start)
            self.state.pushes.extend(awscli.Push(self.state.path, line, tag, line) for tag in cmd.tags)

    def _clone(self, words: list[Word]) -> bool:
        """`git clone URL [DIR]`: the folder a later `cd` and build may read (`_clones`)."""
        texts = imagelog.command_texts([w.text for w in words if not w.redirect])
        if texts[:2] != ["git", "clone"]:
            return False
        found = clonelog.parse(texts, self.state.cwd, self.state.path, self.line_at(words[0].start))
        if found is not None and len(self.state.clones) < clonelog.MAX_CLONES:
            self.state.clones.append(found)
        return True

    def _kubectl(self, words: list[Word]) -> bool:
        """`aws eks update-kubeconfig` and its kin point kubectl at a cluster; `kubectl apply -f`
        then deploys to it (recorded only when the cluster is named)."""
        line = self.line_at(words[0].start) if words else 0
        target = kube_target(words, line)
        if target is not None:
            self.state.kube_target = target
            return True
        applied = kube_apply(words, line)
        if applied is None:
            return False
        cluster = applied.context or self.state.kube_target
        paths = tuple(p for p in (join(self.state.cwd, path) for path in applied.paths) if p is not None)
        if cluster is not None and paths and (cluster.name or cluster.config_file):
            via = f" at line {cluster.line}" if cluster.line != line else ""
            how = f"the kubectl apply at {self.state.path}:{line} after `{cluster.how}`{via}"
            self.state.manifest_deploys.append(
                ManifestDeploy(
                    Location(self.state.path, line),
                    paths,
                    cluster.name,
                    how,
                    join(self.state.cwd, cluster.config_file) if cluster.config_file else None,
                )
            )
        return True

    def _writes_file(self, words: list[Word]) -> None:
        line_start = self.text.rfind("\n", 0, words[0].start) + 1
        heredoc = self.heredocs.get(line_start)
        if heredoc is not None:
            short = len(heredoc.body) <= MAX_VALUE_CHARS  # a longer one is kept as written, not expanded
            body = self.values.expand(heredoc.body)[0] if heredoc.expands and short else heredoc.body
            self.state.files[self.values.expand(heredoc.target)[0]] = body

    def _aws(self, words: list[Word]) -> bool:
        command = awscli.parse(words)
        if command is None:
            return False
        command.files = dict(self.state.files)
        command.pushed = tuple(self.state.pushes)
        command.cwd, command.line = self.state.cwd, self.line_at(command.start)
        command.lines = {name: self.line_at(option.offset) for name, option in command.options.items()}
        if not any(_same_command(command, other) for other in self.aws):  # a function called twice alike
            self.aws.append(command)
        return True

    def _terraform(self, words: list[Word]) -> bool:
        command = tfcli.parse([w.text for w in words if not w.redirect])
        if command is None:
            return False
        found = tfcli.use(command, self.state.cwd, Location(self.state.path, self.line_at(words[0].start)))
        if len(self.state.terraform) < MAX_TERRAFORM_COMMANDS and found not in self.state.terraform:
            self.state.terraform.append(found)
        return True

    def _cloudformation(self, words: list[Word]) -> bool:
        texts = [w.text for w in words if not w.redirect]
        copied = cfncli.packaged(texts)
        if copied is not None:
            template, copy = (join(self.state.cwd, path) for path in copied)
            source = cfncli.source_template(template, self.state.packaged)
            if copy is not None and source is not None:
                self.state.packaged[copy] = source
            return True
        command = cfncli.parse(texts)
        if command is None:
            return False
        where = Location(self.state.path, self.line_at(words[0].start))
        found = cfncli.use(command, self.state.cwds, where, self.state.packaged)
        known = self.state.cloudformation
        if found is not None and len(known) < MAX_TERRAFORM_COMMANDS and found not in known:
            known.append(found)
        return True

    def _push(self, words: list[Word]) -> bool:
        """`docker push REF` / `docker image push REF`: the last build of this run tagged REF is
        pushed (a push of anything else, a pulled image, is not one of its builds)."""
        texts = _docker_subcommand([w.text for w in words if not w.redirect])
        if texts is None or texts[:1] not in (["push"], ["image"]):
            return False
        rest = texts[1:] if texts[0] == "push" else texts[2:] if texts[1:2] == ["push"] else None
        if rest is None:
            return False
        refs = [t for t in rest if not t.startswith("-")]
        if len(refs) != 1:
            return True
        line = self.line_at(words[0].start)
        made = [f for f in self.found if _same_image(refs[0], f.cmd.tags)]
        before = [b for b in self.state.earlier_builds if _same_image(refs[0], b.tags)]
        if made:
            build_line = self.line_at(made[-1].cmd.start)
            self.state.pushes.append(awscli.Push(self.state.path, build_line, refs[0], line))
        elif before:
            where = before[-1].location
            self.state.pushes.append(awscli.Push(where.path, where.line, refs[0], line))
        return True

    def _image_words(self, words: list[Word]) -> list[str]:
        """The command's words from its command name on, expanded as a build's tags are."""
        texts = imagelog.command_words(words)
        return [self.expand(t) for t in texts] if self.expand is not None else texts

    def _retag(self, words: list[Word]) -> bool:
        """`docker tag SRC DST` / `docker image tag`: DST names what a build of this run made (and,
        its words expanded, what `_imagelog` follows: a buildspec's `post_build` tag of what `build`
        made, an image from elsewhere)."""
        texts = _docker_subcommand([w.text for w in words if not w.redirect])
        args = _tag_operands(texts) if texts is not None and len(texts) >= 3 else None
        if args is None:
            return False
        if len(args) == 2:
            for found in self.found:
                if _same_image(args[0], found.cmd.tags) and args[1] not in found.cmd.tags:
                    found.cmd.tags.append(args[1])
            for build in self.state.earlier_builds:
                if _same_image(args[0], build.tags) and args[1] not in build.tags:
                    build.tags.append(args[1])
            expanded = _tag_operands(_docker_subcommand(self._image_words(words)))
            if expanded is not None and len(expanded) == 2:
                self.state.images.retag(expanded[0], expanded[1])
        return True

    def _push_or_pull(self, words: list[Word]) -> bool:
        """`docker push NAME` / `docker pull NAME`: the push of a build of this run (`_push`, for
        redeploy links) and, its words expanded, `_imagelog`'s record of pushes and pulls."""
        pushed = self._push(words)
        found = imagelog.parse_push_or_pull(self._image_words(words))
        if found is None:
            return pushed
        verb, name, all_tags = found
        if verb == "pull":
            self.state.images.pull(name)
        else:
            self.state.images.push(name, self.line_at(words[0].start), all_tags)
        return True


def _same_image(source: str, tags: list[str]) -> bool:
    return any(
        source == tag or (":" not in source.rsplit("/", 1)[-1] and tag == f"{source}:latest") for tag in tags
    )


def _tag_operands(texts: list[str] | None) -> list[str] | None:
    """The operands of `tag SRC DST` / `image tag SRC DST` (the words after `docker`), None for
    another subcommand."""
    if texts is None:
        return None
    rest = texts[1:] if texts[:1] == ["tag"] else texts[2:] if texts[:2] == ["image", "tag"] else None
    return [t for t in rest if not t.startswith("-")] if rest is not None else None


def _docker_subcommand(texts: list[str]) -> list[str] | None:
    """The words after `docker` (wrappers and `VAR=value` prefixes skipped), None for another command."""
    texts = imagelog.command_texts(texts)
    if len(texts) < 2 or not (texts[0] == "docker" or texts[0].endswith("/docker")):
        return None
    return texts[1:]


def _operands(words: list[Word]) -> list[str]:
    """The words of a command without its redirections (`2>/dev/null`: the operator and its file)."""
    out: list[str] = []
    target = False
    for w in words:
        if not w.redirect and not target:
            out.append(w.text)
        target = w.redirect
    return out


def _same_command(a: AwsCommand, b: AwsCommand) -> bool:
    return (a.start, a.options, a.cwd) == (b.start, b.options, b.cwd)


def _build_key(found: Found) -> tuple[Any, ...]:
    """What makes two builds the same (a function called twice alike gives one build)."""
    cmd = found.cmd
    return (
        cmd.start,
        tuple(cmd.tags),
        tuple(cmd.platforms),
        cmd.context,
        cmd.file,
        found.cwd,
        found.host_note,
    )


def _overlaps(word: Word, spans: list[dockercli.Span]) -> bool:
    return any(s.start <= word.start < s.end or word.start <= s.start < word.end for s in spans)


def record_command_values(facts: RepoFacts, state: ShellState, run: str) -> None:
    """The commands of a shell run (`run` names it) that give Terraform variables or CloudFormation
    parameters on their command line (each once; at most `MAX_TERRAFORM_USES` of each kind in the
    repository)."""
    _record(facts.extra.terraform_vars, [replace(u, run=run) for u in state.terraform])
    _record(facts.extra.cfn_parameters, [replace(u, run=run) for u in state.cloudformation])


def _record(known: list[T], found: list[T]) -> None:
    seen = set(known)
    for use in found:
        if len(known) >= MAX_TERRAFORM_USES:
            return
        if use not in seen:
            seen.add(use)
            known.append(use)


def follow_images(
    state: ShellState, made: list[tuple[BuildCommand, ImageBuild]], repo: RepoView | None
) -> None:
    """After the last command of a shell run: the names later commands gave each build's image
    (`docker tag` in another command or buildspec phase), whether it stays on the building
    machine (`_imagelog`), and the builds that read a clone of this repository (`_clones`)."""
    for cmd, build in made:
        build.tags.extend(tag for tag in cmd.tags if tag not in build.tags)
        build.stays_local = state.images.stays_local(cmd)
    if repo is not None:
        clonelog.place_builds(repo, state.clones, [build for _, build in made])


def script_dir_of(path: str) -> str:
    return posixpath.dirname(path) or "."


def scanned_builds(
    repo: RepoView,
    text: str,
    state: ShellState,
    line_at: Callable[[int], int],
    *,
    source: BuildSource,
    where: str,
    host: HostContext,
) -> list[ImageBuild]:
    """The ImageBuilds of every docker build a shell text runs (a script, a recipe, an npm script, a
    script run by local-exec): one place that turns what `scan` found into builds."""
    builds = []
    made: list[tuple[BuildCommand, ImageBuild]] = []
    for found in scan(text, state, line_at):
        site = CliSite(
            source=source,
            path=state.path,
            where=where,
            line_at=line_at,
            cwd=found.cwd,
            host=host,
            default_platform=found.default_platform,
            host_test=found.host_note,
        )
        build = cli_build(repo, site, found.cmd, text)
        _follow_copies(repo, build, found, state.copies)
        _from_own_folder(repo, build, found)
        builds.append(build)
        made.append((found.cmd, build))
    follow_images(state, made, repo)
    return builds


def _from_own_folder(repo: RepoView, build: ImageBuild, found: Found) -> None:
    """A build whose Dockerfile does not exist from the repository root but does from the script's
    own folder: the script can only work when run from there (`cd service && ./deploy.sh`), so the
    build reads that file."""
    if build.dockerfile is None or repo.exists(build.dockerfile) or found.own_cwd in (None, found.cwd):
        return
    context = join(found.own_cwd, found.cmd.context)
    dockerfile = (
        join(found.own_cwd, found.cmd.file) if found.cmd.file is not None else join(context, "Dockerfile")
    )
    if dockerfile is not None and repo.exists(dockerfile):
        from_root = build.dockerfile
        build.dockerfile, build.context = dockerfile, context
        build.dockerfile_origin = f"from the script's own folder; {from_root} does not exist"


def _follow_copies(repo: RepoView, build: ImageBuild, found: Found, log: copies.CopyLog) -> None:
    """A build that reads a Dockerfile the text copied before reads the file it was copied from."""
    if build.dockerfile is None or repo.exists(build.dockerfile):
        return
    frames = [(log.start, found.cwd, found.copies[0])]
    if log.own is not None:
        frames.append((log.own, found.own_cwd, found.copies[1]))
    for frame, cwd, count in frames:
        context = join(cwd, found.cmd.context)
        written = join(cwd, found.cmd.file) if found.cmd.file is not None else join(context, "Dockerfile")
        source = copies.origin(written, frame.copies[:count], repo_folder(repo)) if written else None
        if source is not None and repo.exists(source.source):
            build.dockerfile, build.context = source.source, context
            build.dockerfile_origin = source.evidence()
            build.dockerfile_via = Location(source.copy.path, source.copy.line)
            return


def repo_folder(repo: RepoView) -> Callable[[str], bool]:
    """Whether a root-relative path is a folder of the repository (holds a file)."""
    folders: set[str] = repo.cached("folders", ".", lambda _: _all_folders(repo.files))
    return folders.__contains__


def _all_folders(files: list[str]) -> set[str]:
    out = {"."}
    for path in files:
        folder = posixpath.dirname(path)
        while folder and folder not in out:
            out.add(folder)
            folder = posixpath.dirname(folder)
    return out
