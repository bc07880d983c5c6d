"""ARCH302: the build's platform is unpinned while the workload needs a specific architecture."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.fixrender import request_platform
from archmatch.link.effective import Verdict
from archmatch.model import Finding, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.crossfile._common import (
    LAMBDA_SERVICES,
    confidence_note,
    how_declared,
    lam,
    link_properties,
    related_for,
    verdicts,
)


def check(facts: RepoFacts) -> Iterator[Finding]:
    for link, img, arch, why in verdicts(facts, Verdict.HOST):
        build, w = link.build, link.workload
        yield make(
            "ARCH302",
            build.platform_location or build.location,
            build.name,
            build=build.name,
            workload=w.name,
            workload_file=str(w.arch_location or w.location),
            workload_arch=lam(arch),
            how=how_declared(w),
            why=why,
            confidence=confidence_note(link),
            evidence=link.evidence,
            related=[
                Related(w.arch_location or w.location, f"{w.name} runs {lam(arch)} ({how_declared(w)})"),
                *related_for(link, img),
            ],
            fixes=[request_platform(build, arch, lambda_target=w.service in LAMBDA_SERVICES, facts=facts)],
            properties=link_properties(link),
            subject=w.location,
        )
