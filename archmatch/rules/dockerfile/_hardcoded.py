"""Hard-coded architectures per stage, split into certain conflicts (ARCH105) and hazards (ARCH106)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from archmatch import lazyre
from archmatch.dockerfile_model import DockerfileAnalysis, Stage, StageHardcoded
from archmatch.model import Applicability, ArchEvidence, Edit, Fix, RepoFacts
from archmatch.rules.dockerfile._common import analyses, find, insert_after_from

_GOARCH_LITERAL = lazyre.compile(r"\bGOARCH=[\"']?[A-Za-z0-9_]+[\"']?")


@dataclass(frozen=True)
class Hit:
    """A hard-coded architecture in a stage, with the stage's own architecture."""

    df: DockerfileAnalysis
    stage: Stage
    item: StageHardcoded
    stage_arch: ArchEvidence | None  # the stage's own architecture, when it has one
    in_final: bool  # the stage is (or is inherited by) the last stage

    @property
    def certain_conflict(self) -> bool:
        """Certain unless an ARG default decides either side, or a build stage pinned to one
        architecture cross-compiles for another (legitimate when the output is meant for it)."""
        if self.stage_arch is None or not self.stage_arch.certain or self.item.keyword == "ARG":
            return False
        return self.in_final or not self.item.found.decides_output


def hits(facts: RepoFacts) -> Iterator[Hit]:
    for df in analyses(facts):
        final_chain = df.chain(df.stages[-1])
        for stage in df.stages:
            stage_arch = df.pin(stage) or df.base_arch(stage)
            for item in df.hardcoded(stage):
                if stage_arch is None or stage_arch.arch != item.found.arch:
                    yield Hit(df, stage, item, stage_arch, stage in final_chain)


def follow_target_fix(hit: Hit) -> Fix:
    """Derive the architecture from TARGETARCH instead of writing it."""
    df, stage, found = hit.df, hit.stage, hit.item.found
    region = find(df, found.line, found.line, _GOARCH_LITERAL)
    if region is None:
        return Fix(
            f"derive the architecture from the target: declare `ARG TARGETARCH` in stage {stage.label} and build "
            f"`{found.token}` from ${{TARGETARCH}} (map amd64/arm64 to x86_64/aarch64 with a case statement where the name needs it)"
        )
    edits = [Edit(region, "GOARCH=$TARGETARCH")]
    diff = ""
    if not any(a.name == "TARGETARCH" for a in stage.args):
        arg, diff = insert_after_from(df, stage, "ARG TARGETARCH")
        edits.insert(0, arg)
    line = df.lexed.lines[found.line - 1]
    new_line = line[: region.column - 1] + "GOARCH=$TARGETARCH" + line[region.end_column :]
    diff = (diff + "\n" if diff else "") + f"- {line.strip()}\n+ {new_line.strip()}"
    return Fix(
        f"build for the target: GOARCH=$TARGETARCH with `ARG TARGETARCH` in stage {stage.label}",
        tuple(edits),
        diff,
        Applicability.SAFE,  # the content follows the platform each build requests
    )
