"""ARCH105: a stage hard-codes an architecture other than the one it is pinned to."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, Fix, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.dockerfile._common import describe_arch, entity
from archmatch.rules.dockerfile._hardcoded import follow_target_fix, hits


def check(facts: RepoFacts) -> Iterator[Finding]:
    for hit in hits(facts):
        if not hit.certain_conflict or hit.stage_arch is None:
            continue
        found = hit.item.found
        yield make(
            "ARCH105",
            hit.df.loc(found.line),
            entity(hit.stage),
            stage=hit.stage.label,
            arch=describe_arch(found.arch),
            token=found.token,
            keyword=hit.item.keyword,
            line=found.line,
            stage_arch=describe_arch(hit.stage_arch.arch),
            decided_by=hit.stage_arch.reason,
            decided_line=hit.stage_arch.location.line,
            related=[
                Related(
                    hit.stage_arch.location, f"{hit.stage_arch.reason}: the stage is {hit.stage_arch.arch}"
                )
            ],
            fixes=[
                Fix(
                    f"use the {hit.stage_arch.arch} build of what line {found.line} names (or build it for $TARGETARCH and drop the pin)"
                ),
                follow_target_fix(hit),
            ],
        )
