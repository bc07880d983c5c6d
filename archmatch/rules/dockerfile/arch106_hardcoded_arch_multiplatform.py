"""ARCH106: a stage that is not pinned hard-codes one architecture, and this repository builds or
runs the image for another (see _hazard.py for how ARCH106 and ARCH108 divide the hazard)."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, RepoFacts
from archmatch.rules import make
from archmatch.rules.dockerfile._common import describe_arch, entity
from archmatch.rules.dockerfile._hardcoded import Hit, follow_target_fix
from archmatch.rules.dockerfile._hazard import hazards

_PLATFORM = {
    "none": "the stage has no --platform, so it is built for whatever platform the build requests",
    "target": "the stage follows the requested target platform",
    "build": "the stage runs on the build host ($BUILDPLATFORM), whatever its architecture",
    "unknown": "the stage's platform is not known statically",
}


def stage_platform(hit: Hit) -> str:
    if hit.stage_arch is not None and hit.stage_arch.certain and hit.item.keyword != "ARG":
        return f"the stage is {hit.stage_arch.arch} ({hit.stage_arch.reason}, line {hit.stage_arch.location.line}), so its output is {hit.item.found.arch} whatever platform the build requests"
    if hit.item.keyword == "ARG":
        return "it is the default of a build arg, and the stage follows whatever platform the build requests"
    if hit.stage_arch is not None:
        reason = hit.stage_arch.reason
        tail = "" if "--build-arg can change" in reason else ", which a --build-arg can change"
        return (
            f"the stage is {hit.stage_arch.arch} only by {reason} (line {hit.stage_arch.location.line}){tail}"
        )
    decider = hit.df.platform_stage(hit.stage)
    return _PLATFORM[decider.platform.kind if decider else "none"]


def check(facts: RepoFacts) -> Iterator[Finding]:
    for hazard in hazards(facts):
        if hazard.evidence is None:
            continue  # ARCH108's
        hit, found = hazard.hit, hazard.hit.item.found
        yield make(
            "ARCH106",
            hit.df.loc(found.line),
            entity(hit.stage),
            stage=hit.stage.label,
            arch=describe_arch(found.arch),
            token=found.token,
            keyword=hit.item.keyword,
            line=found.line,
            platform=stage_platform(hit),
            evidence=hazard.evidence,
            related=hazard.related(),
            fixes=[follow_target_fix(hit)],
        )
