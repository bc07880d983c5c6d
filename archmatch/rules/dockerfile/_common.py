"""Helpers shared by the Dockerfile rules: which stages are final, and mechanical edits."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archmatch.dockerfile_model import PLATFORM_FLAG, DockerfileAnalysis, Stage
from archmatch.model import Edit, Location, RepoFacts


def analyses(facts: RepoFacts) -> Iterator[DockerfileAnalysis]:
    for path in sorted(facts.dockerfiles):
        df = facts.dockerfiles[path]
        if isinstance(df, DockerfileAnalysis) and df.stages:
            yield df


def final_stages(facts: RepoFacts, df: DockerfileAnalysis) -> list[Stage]:
    """The last stage, and every stage a build in the repository names as its `--target`."""
    found = [df.stages[-1]]
    for build in facts.builds:
        if build.dockerfile == df.path and build.target:
            stage = df.stage_for(build.target)
            if stage is not None and stage not in found:
                found.append(stage)
    return found


def entity(stage: Stage) -> str:
    return f"stage:{stage.name or stage.index}"


def describe_arch(arch: str) -> str:
    return {"amd64": "amd64 (x86_64)", "arm64": "arm64 (aarch64)"}.get(arch, arch)


def find(df: DockerfileAnalysis, first: int, last: int, pattern: re.Pattern[str] | str) -> Location | None:
    """The first match on lines first..last, as a region with an inclusive end column."""
    regex = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
    for line in range(first, min(last, len(df.lexed.lines)) + 1):
        m = regex.search(df.lexed.lines[line - 1])
        if m:
            return Location(df.path, line, m.start() + 1, line, m.end())
    return None


def remove_platform_flag(df: DockerfileAnalysis, stage: Stage) -> tuple[Edit | None, str]:
    """An edit deleting `--platform=... ` from the stage's FROM, and a one-line diff."""
    region = find(df, stage.from_instr.start, stage.from_instr.end, PLATFORM_FLAG)
    if region is None:
        return None, ""
    text = df.lexed.lines[region.line - 1]
    after = text[: region.column - 1] + text[region.end_column :]
    return Edit(region, ""), f"- {text.strip()}\n+ {after.strip()}"


def insert_after_from(df: DockerfileAnalysis, stage: Stage, text: str) -> tuple[Edit, str]:
    """An edit adding a line right after the stage's FROM instruction, and a diff."""
    edit = Edit(Location(df.path, stage.from_instr.end + 1), text + "\n")
    return edit, f"  {df.lexed.lines[stage.from_instr.end - 1].strip()}\n+ {text}"
