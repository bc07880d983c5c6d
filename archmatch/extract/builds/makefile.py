"""Docker builds in Makefile recipes (`Makefile`, `makefile`, `GNUmakefile`, `*.mk`).

Each recipe line runs in its own shell started in the Makefile's folder, so relative paths
resolve against that folder (a `cd x &&` on the same line moves it); files that a line copies
(`cp`, `rsync`) are there for the later lines of the same recipe. `$$` is the shell's `$`.
Make variables are evaluated statically, as make would with no command-line overrides: `:=`/`::=`
expand when defined, `=` when used, `?=` defines only an undefined variable, `+=` appends; target-
specific assignments (`build: IMAGE = x`) apply to that target's recipe, and `include`d files
inside the repository add their assignments where they are included. `$(shell ...)`, `!=` and
other make functions stay unknown (written as they are, which the linker treats as a wildcard).
`$@` is the target. `export DOCKER_DEFAULT_PLATFORM = ...` (or the variable plus a bare `export` /
`.EXPORT_ALL_VARIABLES:`) applies to every recipe. Expansion is budgeted (`MakeValues`).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from archmatch import lazyre
from archmatch.extract.budget import Budget
from archmatch.extract.builds import _cfncli, _tfcli
from archmatch.extract.builds._awscli import Push
from archmatch.extract.builds._awsdeploy import add_facts, mentions_deploy, pushed_builds
from archmatch.extract.builds._common import (
    DEFAULT_PLATFORM_VAR,
    EnvValue,
    HostContext,
    LineMap,
    join,
)
from archmatch.extract.builds._copies import CopyLog
from archmatch.extract.builds._shellscan import (
    ShellState,
    record_command_values,
    scanned_builds,
    script_dir_of,
)
from archmatch.extract.builds._shellvalues import MAX_VALUE_CHARS
from archmatch.isolation import isolated
from archmatch.model import ImageBuild, Location, RepoFacts
from archmatch.repo import RepoView

_NAMES = frozenset(["Makefile", "makefile", "GNUmakefile"])
_COPIES = lazyre.compile(r"(?:^|[\s;&|])(?:cp|rsync|mkdir)\s")
_ASSIGN = lazyre.compile(
    r"^(export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(\?|:::|::|:|\+|!)?=\s*(.*)$"
)
_EXPORT = lazyre.compile(r"^export\s+([A-Za-z_][A-Za-z0-9_ .-]*)$")
_TARGET_ASSIGN = lazyre.compile(
    r"^([^\t#=:\s]+(?:[ \t]+[^\t#=:\s]+)*)[ \t]*:[ \t]*(?:export[ \t]+|override[ \t]+)?"
    r"([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*(\?|:::|::|:|\+|!)?=[ \t]*(.*)$"
)
_INCLUDE = lazyre.compile(r"^(?:-|s)?include\s+(.+)$")
_FLAVOUR = lazyre.compile(r"(\?|:::|::|:|\+|!)?=")
MAX_INCLUDE_DEPTH = 8
_RULE = lazyre.compile(r"^([^\t#=:][^=:]*)::?(?!=)")  # the target (group 1) is stripped by the caller


def _logical_lines(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, physical lines) for each line, joining backslash continuations."""
    out: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), 1):
        if not current:
            start = number
        current.append(line)
        if not line.endswith("\\"):
            out.append((start, current))
            current = []
    if current:
        out.append((start, current))
    return out


@dataclass
class MakeValues:
    """Make variables: `raw` holds what was written, `simple` the names whose value is already
    expanded (`:=`); `None` is unknown (`!=`). `$(NAME)` expands here, anything else stays."""

    budget: Budget
    raw: dict[str, str | None] = field(default_factory=dict)
    simple: set[str] = field(default_factory=set)

    def define(self, name: str, op: str, value: str) -> None:
        if op == "!":
            self.raw[name] = None
            self.simple.discard(name)
        elif op == "?":
            if name not in self.raw:
                self.raw[name] = value
        elif op == "+":
            if name not in self.raw:
                self.raw[name] = value
            elif self.raw[name] is not None:
                added = self.expand(value) if name in self.simple else value
                self.raw[name] = f"{self.raw[name]} {added}".strip()
        elif op in (":", "::", ":::"):
            self.raw[name] = self.expand(value)
            self.simple.add(name)
        else:
            self.raw[name] = value
            self.simple.discard(name)

    def copy(self) -> MakeValues:
        return MakeValues(self.budget, dict(self.raw), set(self.simple))

    def expand(self, text: str, target: str = "", depth: int = 0) -> str:
        """The text with the make variables it names expanded; `$$` is kept for the shell."""
        if "$" not in text:
            return text
        if not self.budget.depth_ok(depth) or not self.budget.step():
            return text
        out: list[str] = []
        i = 0
        while i < len(text):
            j = text.find("$", i)
            if j < 0 or j + 1 >= len(text):
                out.append(text[i:])
                break
            out.append(text[i:j])
            piece, i = self._reference(text, j, target, depth)
            out.append(piece)
            if sum(len(p) for p in out) > MAX_VALUE_CHARS:
                self.budget.refuse(f"a make value longer than {MAX_VALUE_CHARS} characters")
                return text
        return "".join(out)

    def _reference(self, text: str, at: int, target: str, depth: int) -> tuple[str, int]:
        nxt = text[at + 1]
        if nxt == "$":
            return "$$", at + 2
        if nxt in "({":
            end = _closing(text, at + 1, nxt, ")" if nxt == "(" else "}")
            inner = text[at + 2 : end - 1]
            value = self.raw.get(inner, "") if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", inner) else None
            if value is None or inner not in self.raw:
                return text[at:end], end  # a function, a substitution or an unknown variable
            return (value if inner in self.simple else self.expand(value, target, depth + 1)), end
        if nxt == "@" and target:
            return target, at + 2
        return text[at : at + 2], at + 2


def _closing(text: str, at: int, opener: str, closer: str) -> int:
    depth = 0
    for i in range(at, len(text)):
        if text[i] == opener:
            depth += 1
        elif text[i] == closer:
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _recipe_text(lines: list[str], values: MakeValues, target: str) -> str:
    """The shell text make hands over: recipe prefix and @/-/+ modifiers dropped, make variables
    expanded, $$ -> $."""
    parts = [lines[0][1:].lstrip(" \t").lstrip("@-+ ")] + [
        ln[1:] if ln.startswith("\t") else ln for ln in lines[1:]
    ]
    return values.expand("\n".join(parts), target).replace("$$", "$")


def _ignores_errors(first_line: str) -> bool:
    """A recipe line whose `-` prefix makes make go on when it fails (`-cp a b`)."""
    prefix = first_line[1:].lstrip(" \t")
    return "-" in prefix[: len(prefix) - len(prefix.lstrip("@-+ "))]


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for path in repo.matching(lambda p: posixpath.basename(p) in _NAMES or p.endswith(".mk")):
        text = repo.read_text(path)
        if text is None or not _relevant(text):
            continue
        with isolated(repo, facts, path):
            _extract_file(repo, facts, path, text)


def _relevant(text: str) -> bool:
    """May run a docker build, an AWS deploy command, or terraform or a template deploy with
    command-line values."""
    return "docker" in text or mentions_deploy(text) or _tfcli.mentions(text) or _cfncli.mentions(text)


@dataclass
class _Makefile:
    """What the reading of one Makefile (and the files it includes) has gathered."""

    values: MakeValues
    assignments: dict[str, EnvValue] = field(default_factory=dict)
    exported: set[str] = field(default_factory=set)
    export_all: bool = False
    recipes: list[tuple[str, int, list[str], MakeValues]] = field(default_factory=list)
    per_target: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    read: set[str] = field(default_factory=set)  # files read so far: each is included once


def _worth_reading(recipe: str) -> bool:
    """A recipe line that builds, deploys or runs terraform with command-line variables, or copies
    files a later line of its recipe may build."""
    return _relevant(recipe) or bool(_COPIES.search(recipe))


def _read(repo: RepoView, path: str, text: str, state: _Makefile, depth: int) -> None:
    state.read.add(path)
    target = ""
    for first, lines in _logical_lines(text):
        line = lines[0]
        if line.startswith("\t"):
            if target and _worth_reading("".join(lines)):
                state.recipes.append((target, first, lines, state.values))
            continue
        stripped = " ".join(ln.rstrip("\\").strip() for ln in lines).strip()
        if not stripped or stripped.startswith("#"):
            continue
        _statement(repo, path, first, stripped, state, depth)
        r = None if _ASSIGN.match(stripped) or _TARGET_ASSIGN.match(stripped) else _RULE.match(stripped)
        if r:
            target = r.group(1).strip()
            state.export_all |= target == ".EXPORT_ALL_VARIABLES"


def _statement(repo: RepoView, path: str, first: int, stripped: str, state: _Makefile, depth: int) -> None:
    m = _ASSIGN.match(stripped)
    if m:
        name, op, value = m.group(2), m.group(3) or "", m.group(4).strip()
        state.values = state.values.copy()  # recipes read before keep the values of their time
        state.values.define(name, op, value)
        state.assignments[name] = EnvValue(state.values.expand(value), Location(path, first))
        if m.group(1) and m.group(1).strip() == "export":
            state.exported.add(name)
        return
    t = _TARGET_ASSIGN.match(stripped)
    if t:
        for name in t.group(1).split():
            state.per_target.setdefault(name, []).append((t.group(2), t.group(3) or "", t.group(4).strip()))
        return
    e = _EXPORT.match(stripped)
    if e:
        state.exported.update(e.group(1).split())
    elif stripped == "export":
        state.export_all = True
    else:
        i = _INCLUDE.match(stripped)
        if i and depth < MAX_INCLUDE_DEPTH:
            for name in state.values.expand(i.group(1)).split():
                _include(repo, path, name, state, depth)


def _include(repo: RepoView, path: str, name: str, state: _Makefile, depth: int) -> None:
    included = join(script_dir_of(path), name)
    if included is None or included in state.read or not repo.exists(included):
        return
    text = repo.read_text(included)
    if text is not None:
        _read(repo, included, text, state, depth + 1)


def _extract_file(repo: RepoView, facts: RepoFacts, path: str, text: str) -> None:
    state = _Makefile(MakeValues(Budget(path, steps=50_000)))
    _read(repo, path, text, state, 0)
    default = state.assignments.get(DEFAULT_PLATFORM_VAR)
    if not (state.export_all or DEFAULT_PLATFORM_VAR in state.exported):
        default = None
    folder = script_dir_of(path)
    copied: dict[str, CopyLog] = {}  # each line has its own shell, but the files a line copies stay
    pushed: dict[str, list[tuple[ImageBuild, Push]]] = {}  # and so do the images a line pushes
    made: dict[str, list[ImageBuild]] = {}  # and the images docker holds for the next lines
    for target_name, first, lines, values in state.recipes:
        values = _with_target(values, state.per_target.get(target_name, []))
        shell = _recipe_text(lines, values, target_name)
        shell_state = ShellState(path=path, script_dir=folder, cwd=folder)
        shell_state.failures_ignored = _ignores_errors(lines[0])
        shell_state.copies = copied.setdefault(target_name, CopyLog())
        shell_state.earlier_builds = made.setdefault(target_name, [])
        if default is not None:
            shell_state.exported[DEFAULT_PLATFORM_VAR] = default
        line_at = LineMap(shell, first)
        builds = scanned_builds(
            repo,
            shell,
            shell_state,
            line_at,
            source="makefile",
            where=f"make target {target_name} ({path})",
            host=HostContext("no --platform: the machine that runs make decides"),
        )
        facts.builds.extend(builds)
        earlier = pushed.setdefault(target_name, [])
        add_facts(repo, facts, path, shell_state.aws, builds, run=f"Makefile {path}", earlier=earlier)
        earlier.extend(pushed_builds(shell_state.pushes, builds + made[target_name]))
        made[target_name].extend(builds)
        facts.extra.manifest_deploys.extend(shell_state.manifest_deploys)
        record_command_values(facts, shell_state, f"Makefile {path}")
    state.values.budget.report(repo)


def _with_target(values: MakeValues, assignments: list[tuple[str, str, str]]) -> MakeValues:
    if not assignments:
        return values
    values = values.copy()
    for name, op, value in assignments:
        values.define(name, op, value)
    return values
