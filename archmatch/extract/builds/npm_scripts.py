"""Docker builds in `package.json` `scripts` (run by npm/yarn/pnpm from the package's folder,
so relative paths resolve against it). `cross-env VAR=x` prefixes count as environment. A script
is shell text like any other (`_shellscan.scanned_builds`): a platform set only under a `uname` /
Darwin test leaves the build to its host, as in a script file or a Makefile recipe."""

from __future__ import annotations

import posixpath

from archmatch.extract import json_doc
from archmatch.extract.builds._common import HostContext, LineMap, key_line
from archmatch.extract.builds._shellscan import ShellState, scanned_builds, script_dir_of
from archmatch.isolation import isolated
from archmatch.model import RepoFacts
from archmatch.repo import RepoView


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for path in repo.matching(lambda p: posixpath.basename(p) == "package.json"):
        text = repo.read_text(path)
        if text is None or "docker" not in text:
            continue
        with isolated(repo, facts, path):
            _extract_package(repo, facts, path)


def _extract_package(repo: RepoView, facts: RepoFacts, path: str) -> None:
    doc = json_doc(repo, path)
    scripts = doc.get("scripts") if isinstance(doc, dict) else None
    if scripts is None:
        return
    if not isinstance(scripts, dict):
        repo.diag(path, "package.json `scripts` is not an object; skipped", line=key_line(doc, "scripts"))
        return
    folder = script_dir_of(path)
    for name, command in scripts.items():
        if not isinstance(command, str) or "docker" not in command:
            continue
        line = key_line(scripts, name)
        state = ShellState(path=path, script_dir=folder, cwd=folder)
        builds = scanned_builds(
            repo,
            command,
            state,
            LineMap(command, line),
            source="npm-script",
            where=f"npm script {name} ({path})",
            host=HostContext("no --platform: the machine that runs the script decides"),
        )
        facts.builds.extend(builds)
