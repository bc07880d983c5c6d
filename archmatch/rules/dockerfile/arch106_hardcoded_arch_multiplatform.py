"""ARCH106: a stage that is not pinned hard-codes one architecture."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, RepoFacts
from archmatch.rules import make
from archmatch.rules._linked import consumers
from archmatch.rules.dockerfile._common import describe_arch, entity
from archmatch.rules.dockerfile._hardcoded import Hit, follow_target_fix, hits

_PLATFORM = {
    "none": "the stage has no --platform, so it is built for whatever platform the build requests",
    "target": "the stage follows the requested target platform",
    "build": "the stage runs on the build host ($BUILDPLATFORM), whatever its architecture",
    "unknown": "the stage's platform is not known statically",
}


def _platform(hit: Hit) -> str:
    if hit.stage_arch is not None and hit.stage_arch.certain and hit.item.keyword != "ARG":
        return f"the stage is {hit.stage_arch.arch} ({hit.stage_arch.reason}, line {hit.stage_arch.location.line}), so its output is {hit.item.found.arch} whatever platform the build requests"
    if hit.item.keyword == "ARG":
        return "it is the default of a build arg, and the stage follows whatever platform the build requests"
    if hit.stage_arch is not None:
        reason = hit.stage_arch.reason
        tail = "" if "--build-arg can change" in reason else ", which a --build-arg can change"
        return f"the stage is {hit.stage_arch.arch} only by {reason} (line {hit.stage_arch.location.line}){tail}"
    decider = hit.df.platform_stage(hit.stage)
    return _PLATFORM[decider.platform.kind if decider else "none"]


def _only_ever_built_for(facts: RepoFacts, hit: Hit) -> bool:
    """Every build of the Dockerfile requests exactly the hard-coded architecture, the stage follows
    that request, and every linked workload runs it: the image is only ever built for one
    architecture, so the hard-coded one is right."""
    decider = hit.df.platform_stage(hit.stage)
    if decider is not None and decider.platform.kind not in ("none", "target"):
        return False
    return consumers(facts, hit.df.path).agree_on(hit.item.found.arch)


def check(facts: RepoFacts) -> Iterator[Finding]:
    for hit in hits(facts):
        if hit.certain_conflict or _only_ever_built_for(facts, hit):
            continue
        found = hit.item.found
        yield make(
            "ARCH106",
            hit.df.loc(found.line),
            entity(hit.stage),
            stage=hit.stage.label,
            arch=describe_arch(found.arch),
            token=found.token,
            keyword=hit.item.keyword,
            line=found.line,
            platform=_platform(hit),
            fixes=[follow_target_fix(hit)],
        )
