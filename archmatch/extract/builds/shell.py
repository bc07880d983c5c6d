"""Docker builds in shell scripts (`*.sh`, `*.bash`, extension-less files with a sh/bash shebang).

Relative paths resolve against the repository root, since scripts are usually run from there
(`./scripts/build.sh`), unless the script changes directory first: `cd "$(dirname "$0")"` makes
them relative to the script's folder, `cd api` to `api/`, and an unresolvable `cd $DIR` makes
them unknown.
"""

from __future__ import annotations

import posixpath
import re

from archmatch.extract.builds import _cfncli, _tfcli
from archmatch.extract.builds._awsdeploy import add_facts, mentions_deploy
from archmatch.extract.builds._common import (
    HostContext,
    LineMap,
)
from archmatch.extract.builds._copies import Frame
from archmatch.extract.builds._shellscan import (
    ShellState,
    record_command_values,
    scanned_builds,
    script_dir_of,
)
from archmatch.isolation import isolated
from archmatch.model import RepoFacts
from archmatch.repo import RepoView

_SHEBANG = re.compile(rb"^#!\s*(?:/usr)?(?:/local)?/bin/(?:env\s+(?:-\S+\s+)*)?(?:ba|da|z|k)?sh\b")


def is_shell_script(repo: RepoView, path: str) -> bool:
    name = posixpath.basename(path)
    if name.endswith((".sh", ".bash")):
        return True
    if "." in name:
        return False
    return bool(_SHEBANG.match(repo.read_bytes_head(path, 128)))


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for path in repo.matching(lambda p: is_shell_script(repo, p)):
        text = repo.read_text(path)
        if text is None or not (
            "docker" in text or mentions_deploy(text) or _tfcli.mentions(text) or _cfncli.mentions(text)
        ):
            continue
        with isolated(repo, facts, path):
            _extract_script(repo, facts, path, text)


def _extract_script(repo: RepoView, facts: RepoFacts, path: str, text: str) -> None:
    state = ShellState(path=path, script_dir=script_dir_of(path))
    if state.script_dir != ".":  # a script meant to run from its own folder copies from there
        state.copies.own = Frame()
    line_at = LineMap(text)
    builds = scanned_builds(
        repo,
        text,
        state,
        line_at,
        source="shell",
        where=f"script {path}",
        host=HostContext("no --platform: the machine that runs the script decides"),
    )
    facts.builds.extend(builds)
    add_facts(repo, facts, path, state.aws, builds, run=f"script {path}")
    facts.extra.manifest_deploys.extend(state.manifest_deploys)
    record_command_values(facts, state, f"script {path}")
    if state.values is not None:
        state.values.budget.report(repo)
