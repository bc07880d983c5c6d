"""ARCH304: a Lambda function linked to a build that produces an image index."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.fixrender import request_platform
from archmatch.model import Finding, RepoFacts
from archmatch.platforms import How
from archmatch.rules import make
from archmatch.rules.crossfile._common import (
    confidence_note,
    lam,
    link_properties,
    primary_location,
    required_archs,
)


def check(facts: RepoFacts) -> Iterator[Finding]:
    for link in facts.links:
        w, build = link.workload, link.build
        if w.service != "lambda":
            continue
        reasons = []
        if build.platforms.how is How.EXPLICIT and len(build.platforms.archs) > 1:
            reasons.append(
                f"it builds several platforms ({', '.join(sorted(build.platforms.archs))}) into one image index"
            )
        if build.attestations:
            reasons.append("it adds provenance/SBOM attestations, which turn the image into an index")
        if not reasons:
            continue
        archs = required_archs(w) or sorted(build.platforms.archs)[:1] or ["amd64"]
        yield make(
            "ARCH304",
            primary_location(w),
            w.name,
            workload=w.name,
            build=build.name,
            build_file=str(build.platform_location or build.location),
            reasons="; ".join(reasons),
            confidence=confidence_note(link),
            evidence=link.evidence,
            related=[],
            fixes=[request_platform(build, archs[0], lambda_target=True)],
            properties={**link_properties(link), "workloadArch": lam(archs[0])},
        )
