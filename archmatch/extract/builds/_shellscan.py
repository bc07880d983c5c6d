"""Walk shell text command by command, tracking what changes a later docker build: the working
directory (`cd`, `pushd`) and exported `DOCKER_DEFAULT_PLATFORM`. Control flow is ignored:
commands are taken in the order written, which is what a reader of the script assumes too.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from archmatch import dockercli
from archmatch.dockercli import BuildCommand, Word
from archmatch.extract.builds._common import DEFAULT_PLATFORM_VAR, EnvValue, has_unresolved, join
from archmatch.model import Location

_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
# $(dirname "$0"), $(dirname "${BASH_SOURCE[0]}"), $(cd "$(dirname "$0")" && pwd): the script's folder
_SCRIPT_DIR = re.compile(r"^\$\((?:cd\s+)?[\"']?\$?\(?\s*dirname\s+[\"']?\$(?:0|\{0\}|\{?BASH_SOURCE)[^)]*\)(?:[\"']?\s*&&\s*pwd\s*\))?")
_TOPLEVEL = re.compile(r"^\$\(\s*git\s+rev-parse\s+--show-toplevel\s*\)")
_VAR = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class ShellState:
    """What earlier commands of a script set. `cwd` is root-relative, None once unknown."""

    path: str  # file holding the text, for locations
    script_dir: str  # folder that `$(dirname "$0")` means
    cwd: str | None = "."
    exported: dict[str, EnvValue] = field(default_factory=dict)
    assigned: dict[str, EnvValue] = field(default_factory=dict)
    dir_vars: dict[str, str | None] = field(default_factory=dict)  # SCRIPT_DIR=$(dirname "$0") etc.
    root_vars: frozenset[str] = frozenset()  # variables that name the repository root (CI_PROJECT_DIR)
    stack: list[str | None] = field(default_factory=list)

    @property
    def default_platform(self) -> EnvValue | None:
        return self.exported.get(DEFAULT_PLATFORM_VAR)


@dataclass
class Found:
    cmd: BuildCommand
    cwd: str | None
    default_platform: EnvValue | None


def _dir_value(state: ShellState, text: str) -> tuple[str | None, bool]:
    """A directory expression's root-relative folder, and whether it was recognised at all."""
    m = _SCRIPT_DIR.match(text) or _TOPLEVEL.match(text)
    if m:
        base = state.script_dir if m.re is _SCRIPT_DIR else "."
        return join(base, "./" + text[m.end() :].strip("\"'").lstrip("/")), True
    v = _VAR.match(text)
    if v:
        name = v.group(1) or v.group(2)
        if name in state.root_vars:
            return join(".", "./" + text[v.end() :].lstrip("/")), True
        if name in state.dir_vars:
            return join(state.dir_vars[name], "./" + text[v.end() :].lstrip("/")), True
    return None, False


def _cd(state: ShellState, words: list[Word]) -> None:
    target = next((w.text for w in words[1:] if not w.text.startswith("-")), None)
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
    folder, recognised = _dir_value(state, value)
    if recognised:
        state.dir_vars[name] = folder
    elif (value and not has_unresolved(value) and "/" in value) or value in (".", ".."):
        state.dir_vars[name] = join(state.cwd, value)


def scan(
    text: str, state: ShellState, line_at: Callable[[int], int], expand: Callable[[str], str] | None = None
) -> list[Found]:
    """Every docker build in the text, with the state in force where it runs; updates `state`."""
    found: list[Found] = []
    for words in dockercli.split_commands(text):
        while words and words[0].text in ("if", "then", "else", "elif", "do", "while", "until", "!", "{", "}"):
            words = words[1:]
        if not words:
            continue
        head = words[0].text
        line = line_at(words[0].start)
        if head in ("cd", "pushd"):
            if head == "pushd":
                state.stack.append(state.cwd)
            _cd(state, words)
        elif head == "popd":
            state.cwd = state.stack.pop() if state.stack else None
        elif head in ("export", "declare", "typeset") and len(words) > 1:
            for w in words[1:]:
                if not w.text.startswith("-"):
                    _assign(state, w.text, line, export=head == "export" or any(x.text == "-x" for x in words))
        elif head == "unset":
            for w in words[1:]:
                state.exported.pop(w.text, None)
                state.assigned.pop(w.text, None)
        elif all(_ASSIGN.match(w.text) for w in words):
            for w in words:
                _assign(state, w.text, line, export=False)
        else:
            cmd = dockercli.parse_words(words, expand)
            if cmd is not None:
                found.append(Found(cmd, state.cwd, state.default_platform))
    return found


def script_dir_of(path: str) -> str:
    return posixpath.dirname(path) or "."
