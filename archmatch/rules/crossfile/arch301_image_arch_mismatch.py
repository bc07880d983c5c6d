"""ARCH301: the image's architecture set cannot include the workload's architecture."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.link.effective import Verdict
from archmatch.model import Finding, RepoFacts
from archmatch.rules import make
from archmatch.rules.crossfile._common import (
    LAMBDA_SERVICES,
    confidence_note,
    how_declared,
    lam,
    link_properties,
    primary_location,
    related_for,
    verdicts,
)
from archmatch.rules.crossfile._fixes import build_fix, workload_fix


def check(facts: RepoFacts) -> Iterator[Finding]:
    for link, img, arch, why in verdicts(facts, Verdict.NO):
        w = link.workload
        other = sorted(img.content or img.build.platforms.host_hint or img.build.platforms.archs)
        fixes = [build_fix(link.build, arch, lambda_target=w.service in LAMBDA_SERVICES)]
        if len(other) == 1:
            fixes.append(workload_fix(w, other[0], current=arch))
        yield make(
            "ARCH301",
            primary_location(w),
            w.name,
            workload=w.name,
            workload_arch=lam(arch),
            how=how_declared(w),
            build=link.build.name,
            build_file=str(link.build.location),
            why=why,
            confidence=confidence_note(link),
            evidence=link.evidence,
            related=related_for(link, img),
            fixes=fixes,
            properties=link_properties(link),
        )
