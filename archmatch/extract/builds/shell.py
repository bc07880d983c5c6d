"""Docker builds in shell scripts (`*.sh`, `*.bash`, extension-less files with a sh/bash shebang).

Relative paths resolve against the repository root, since scripts are usually run from there
(`./scripts/build.sh`), unless the script changes directory first: `cd "$(dirname "$0")"` makes
them relative to the script's folder, `cd api` to `api/`, and an unresolvable `cd $DIR` makes
them unknown.
"""

from __future__ import annotations

import posixpath
import re

from archmatch.aws.defaults import LAMBDA_DEFAULT_ARCH
from archmatch.extract.builds._common import (
    CliSite,
    HostContext,
    LineMap,
    cli_build,
    has_unresolved,
    platform_fact,
)
from archmatch.extract.builds._shellscan import CliWorkload, ShellState, scan, script_dir_of
from archmatch.isolation import isolated
from archmatch.model import ImageRef, Location, RepoFacts, Workload
from archmatch.platforms import ArchFact
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
        if text is None or ("docker" not in text and "aws lambda" not in text):
            continue
        with isolated(repo, facts, path):
            _extract_script(repo, facts, path, text)


def _extract_script(repo: RepoView, facts: RepoFacts, path: str, text: str) -> None:
    state = ShellState(path=path, script_dir=script_dir_of(path))
    line_at = LineMap(text)
    for found in scan(text, state, line_at):
        site = CliSite(
            source="shell",
            path=path,
            where=f"script {path}",
            line_at=line_at,
            cwd=found.cwd,
            host=HostContext("no --platform: the machine that runs the script decides"),
            default_platform=found.default_platform,
            host_test=found.host_note,
        )
        facts.builds.append(cli_build(repo, site, found.cmd, text))
    for cli in state.workloads:
        facts.workloads.append(_lambda_workload(path, line_at, cli))
    if state.values is not None:
        state.values.budget.report(repo)


def _lambda_workload(path: str, line_at: LineMap, cli: CliWorkload) -> Workload:
    """The Lambda function an `aws lambda` command deploys: `--architectures` as written, else
    x86_64, the default of create-function."""
    location = Location(path, line_at(cli.start))
    arch_location = Location(path, line_at(cli.arch_offset)) if cli.arch_offset is not None else location
    if cli.architectures is None:
        arch = ArchFact.default(LAMBDA_DEFAULT_ARCH, note="create-function without --architectures")
    else:
        arch = platform_fact([cli.architectures.replace("x86_64", "amd64")], "--architectures")
    name = (
        cli.function
        if cli.function and not has_unresolved(cli.function)
        else f"function at line {location.line}"
    )
    return Workload(
        kind=f"aws lambda {cli.command}",
        name=f"{name} (aws lambda {cli.command})",
        service="lambda",
        location=location,
        arch=arch,
        arch_location=arch_location,
        images=[ImageRef(cli.image, location, frozenset(), not has_unresolved(cli.image))],
    )
