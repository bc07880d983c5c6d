"""Incremental scans: keep the findings of a full scan that touch what a change set affects.

Linking needs the whole tree (a workload in one file runs an image built in another), so the
scan itself stays complete; only the report is narrowed. The affected set is the changed files,
plus every workload, capacity and image build declared in them, plus everything `RepoFacts.links`
connects to those, with all the files they live in. A finding is kept when its location or one
of its related locations is in an affected file.

`git` is the only program run, and only to list the files changed since a base revision, with
every configurable hook that could run code from the scanned repository turned off.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from archmatch.model import Finding, Location, RepoFacts
from archmatch.results import ScanResult

# Options that make `git diff` run programs named in the repository's own config.
_GIT_SAFE = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "diff.external=",
    "-c",
    "core.pager=cat",
    "-c",
    "core.hooksPath=/dev/null",
    "--no-pager",
)


class ChangedFilesError(Exception):
    pass


def git_changed_files(repo: Path, base: str, timeout: float = 60.0) -> list[str]:
    """Files changed between the merge base of `base` and HEAD, relative to `repo` (a directory)."""
    if not base or base.startswith("-") or any(c in base for c in "\0\n"):
        raise ChangedFilesError(f"not a revision: {base!r}")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "GIT_EXTERNAL_DIFF": ""}
    cmd = [
        "git",
        *_GIT_SAFE,
        "diff",
        "--no-ext-diff",
        "--no-textconv",
        "--name-only",
        "--relative",
        "-z",
        f"{base}...HEAD",
        "--",
    ]
    try:
        proc = subprocess.run(
            cmd,
            cwd=repo,
            capture_output=True,
            env=env,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ChangedFilesError(f"git diff failed: {exc}") from None
    if proc.returncode != 0:
        raise ChangedFilesError(
            f"git diff {base}...HEAD failed: {proc.stderr.decode(errors='replace').strip()}"
        )
    return sorted({os.fsdecode(p) for p in proc.stdout.split(b"\0") if p})


def _paths(*locations: Location | None) -> set[str]:
    return {loc.path for loc in locations if loc is not None and loc.path}


def affected_files(facts: RepoFacts, changed: Iterable[str]) -> set[str]:
    """Root-relative files whose findings a change to `changed` (root-relative paths) can alter."""
    touched = {p.removeprefix("./") for p in changed}
    workloads = [
        w
        for w in facts.workloads
        if _paths(w.location, w.arch_location, *(i.location for i in w.images)) & touched
    ]
    builds = [
        b for b in facts.builds if (_paths(b.location, b.platform_location) | {b.dockerfile or ""}) & touched
    ]
    capacities = [c for c in facts.capacities if _paths(c.location, c.ami_location) & touched]
    workload_ids = {w.id for w in workloads}
    build_ids = {b.id for b in builds}
    for link in facts.links:
        if link.workload.id in workload_ids or link.build.id in build_ids:
            workloads.append(link.workload)
            builds.append(link.build)
            workload_ids.add(link.workload.id)
            build_ids.add(link.build.id)
    affected = set(touched)
    for w in workloads:
        affected |= _paths(w.location, w.arch_location, *(i.location for i in w.images))
    for b in builds:
        affected |= _paths(b.location, b.platform_location)
        if b.dockerfile:
            affected.add(b.dockerfile)
    for c in capacities:
        affected |= _paths(c.location, c.ami_location)
    return affected


def touches(finding: Finding, files: set[str]) -> bool:
    return finding.location.path in files or any(r.location.path in files for r in finding.related)


def filter_result(result: ScanResult, changed: Iterable[str]) -> ScanResult:
    """The findings (and diagnostics) of a full scan that concern the change set, and every
    internal error (a file left out of the analysis may hide findings in any changed file).

    `changed` paths are relative to the current directory, as the report's paths are when the
    scan root is inside it; each root's facts are keyed relative to that root.
    """
    changed = [os.path.normpath(p).replace(os.sep, "/") for p in changed]
    wanted: set[str] = set()
    for facts, prefix in zip(result.facts, result.prefixes, strict=True):
        local = [p[len(prefix) :] for p in changed if p.startswith(prefix)] if prefix else changed
        wanted |= {prefix + p for p in affected_files(facts, local)}
    return dataclasses.replace(
        result,
        findings=[f for f in result.findings if touches(f, wanted)],
        # an internal error may hide findings anywhere: it is reported whatever changed
        diagnostics=[d for d in result.diagnostics if d.location.path in wanted or d.code == "internal"],
    )


def git_report_paths(result: ScanResult, base: str) -> list[str]:
    """Files changed since `base` in each scanned root, spelt as the report spells paths."""
    found: set[str] = set()
    for facts, prefix in zip(result.facts, result.prefixes, strict=True):
        found |= {prefix + p for p in git_changed_files(facts.root, base)}
    return sorted(found)
