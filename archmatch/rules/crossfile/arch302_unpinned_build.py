"""ARCH302: the build's platform is unpinned while the workload needs a specific architecture.

A template's workload that a CLI deploy command of the repository deploys the same build to, with a
link at least as strong, is reported once, by the command's finding (as in ARCH301)."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.fixrender import request_platform
from archmatch.link.effective import Verdict
from archmatch.model import Finding, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.crossfile._common import (
    LAMBDA_SERVICES,
    confidence_note,
    folded_into_commands,
    how_declared,
    lam,
    link_properties,
    other_candidates,
    related_for,
    same_call,
    same_call_groups,
    verdicts,
)


def check(facts: RepoFacts) -> Iterator[Finding]:
    found = list(verdicts(facts, Verdict.HOST))
    reported_by_command = folded_into_commands([link for link, _, _, _ in found])
    # one root cause, one finding: the deploy command's finding names the workload it deploys to
    found = [f for f in found if not reported_by_command(f[0])]
    # candidate builds of one call (a CDK asset whose folder a condition chooses) that a workload runs
    # unpinned: one root cause, which one edit of that call fixes, so one finding
    groups = same_call_groups([(link, arch) for link, _, arch, _ in found])
    for link, img, arch, why in found:
        build, w = link.build, link.workload
        candidates = groups[same_call(link, arch)]
        if candidates[0] is not build:
            continue  # another candidate folder of the same call: reported with the first
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
                *other_candidates(candidates),
            ],
            fixes=[request_platform(build, arch, lambda_target=w.service in LAMBDA_SERVICES, facts=facts)],
            properties=link_properties(link),
            subject=w.location,
        )
