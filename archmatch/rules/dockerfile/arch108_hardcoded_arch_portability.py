"""ARCH108: a stage that is not pinned hard-codes one architecture, and nothing in this repository
builds or runs the image for another yet: a portability hint (see _hazard.py)."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, RepoFacts
from archmatch.rules import make
from archmatch.rules.dockerfile._common import describe_arch, entity
from archmatch.rules.dockerfile._hardcoded import follow_target_fix
from archmatch.rules.dockerfile._hazard import hazards
from archmatch.rules.dockerfile.arch106_hardcoded_arch_multiplatform import stage_platform


def check(facts: RepoFacts) -> Iterator[Finding]:
    for hazard in hazards(facts):
        if hazard.evidence is not None:
            continue  # ARCH106's
        hit, found = hazard.hit, hazard.hit.item.found
        yield make(
            "ARCH108",
            hit.df.loc(found.line),
            entity(hit.stage),
            stage=hit.stage.label,
            arch=describe_arch(found.arch),
            token=found.token,
            keyword=hit.item.keyword,
            line=found.line,
            platform=stage_platform(hit),
            related=hazard.related(),
            fixes=[follow_target_fix(hit)],
        )
