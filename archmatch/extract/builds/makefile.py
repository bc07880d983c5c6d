"""Docker builds in Makefile recipes (`Makefile`, `makefile`, `GNUmakefile`, `*.mk`).

Each recipe line runs in its own shell started in the Makefile's folder, so relative paths
resolve against that folder (a `cd x &&` on the same line moves it). `$$` is the shell's `$`;
make variables (`$(IMAGE)`) stay unresolved. `export DOCKER_DEFAULT_PLATFORM = ...` (or the
variable plus a bare `export` / `.EXPORT_ALL_VARIABLES:`) applies to every recipe.
"""

from __future__ import annotations

import posixpath
import re

from archmatch.extract.builds._common import (
    DEFAULT_PLATFORM_VAR,
    CliSite,
    EnvValue,
    HostContext,
    LineMap,
    cli_build,
)
from archmatch.extract.builds._shellscan import ShellState, scan, script_dir_of
from archmatch.isolation import isolated
from archmatch.model import Location, RepoFacts
from archmatch.repo import RepoView

_NAMES = frozenset(["Makefile", "makefile", "GNUmakefile"])
_ASSIGN = re.compile(r"^(export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\?|:|::|:::|\+|!)?=\s*(.*)$")
_EXPORT = re.compile(r"^export\s+([A-Za-z_][A-Za-z0-9_ .-]*)$")
_RULE = re.compile(r"^([^\t#=:][^=:]*)::?(?!=)")  # the target (group 1) is stripped by the caller


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


def _recipe_text(lines: list[str]) -> str:
    """The shell text make hands over: recipe prefix and @/-/+ modifiers dropped, $$ -> $."""
    parts = [lines[0][1:].lstrip(" ").lstrip("@-+ ")] + [ln[1:] if ln.startswith("\t") else ln for ln in lines[1:]]
    return "\n".join(parts).replace("$$", "$")


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for path in repo.matching(lambda p: posixpath.basename(p) in _NAMES or p.endswith(".mk")):
        text = repo.read_text(path)
        if text is None or "docker" not in text:
            continue
        with isolated(repo, facts, path):
            _extract_file(repo, facts, path, text)


def _extract_file(repo: RepoView, facts: RepoFacts, path: str, text: str) -> None:
    assignments: dict[str, EnvValue] = {}
    exported: set[str] = set()
    export_all = False
    recipes: list[tuple[str, int, str]] = []  # (target, first line, shell text)
    target = ""
    for first, lines in _logical_lines(text):
        line = lines[0]
        if line.startswith("\t"):
            if target and "docker" in "".join(lines):
                recipes.append((target, first, _recipe_text(lines)))
            continue
        stripped = " ".join(ln.rstrip("\\").strip() for ln in lines).strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ASSIGN.match(stripped)
        if m:
            assignments[m.group(2)] = EnvValue(m.group(3).strip(), Location(path, first))
            if m.group(1) and m.group(1).strip() == "export":
                exported.add(m.group(2))
            continue
        e = _EXPORT.match(stripped)
        if e:
            exported.update(e.group(1).split())
            continue
        if stripped == "export":
            export_all = True
            continue
        r = _RULE.match(stripped)
        if r:
            target = r.group(1).strip()
            export_all |= target == ".EXPORT_ALL_VARIABLES"
    default = assignments.get(DEFAULT_PLATFORM_VAR) if export_all or DEFAULT_PLATFORM_VAR in exported else None
    folder = script_dir_of(path)
    for target_name, first, shell in recipes:
        state = ShellState(path=path, script_dir=folder, cwd=folder)
        if default is not None:
            state.exported[DEFAULT_PLATFORM_VAR] = default
        line_at = LineMap(shell, first)
        for found in scan(shell, state, line_at):
            site = CliSite(
                source="makefile",
                path=path,
                where=f"make target {target_name} ({path})",
                line_at=line_at,
                cwd=found.cwd,
                host=HostContext("no --platform: the machine that runs make decides"),
                default_platform=found.default_platform,
            )
            facts.builds.append(cli_build(repo, site, found.cmd, shell))
