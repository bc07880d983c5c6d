"""ARCH204: arm64 declared where the service cannot run it.

Facts read: Workload.service ("apprunner", "eks-fargate": x86_64-only services), Workload.arch
(only EXPLICIT arm64 counts), Workload.arch_location, Workload.os_family ("windows": arm64 is
Linux-only on ECS and Batch), Workload.ecs.os_family_location (optional, for the related
location) and .ecs.fargate.
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, Related, RepoFacts
from archmatch.platforms import ARM64, How
from archmatch.rules import make
from archmatch.rules.iac._common import where

_X86_ONLY = {
    "apprunner": "App Runner runs x86_64 only (there is no architecture setting and no Graviton option)",
    "eks-fargate": 'EKS on Fargate runs x86_64 only ("Can run workloads that require Arm processors: No")',
}


def check(facts: RepoFacts) -> Iterator[Finding]:
    for w in facts.workloads:
        if w.arch.how is not How.EXPLICIT or ARM64 not in w.arch.archs:
            continue
        location = where(w.arch_location, w.location)
        if w.service in _X86_ONLY:
            yield make("ARCH204", location, w.name, workload=w.name, reason=_X86_ONLY[w.service])
        elif w.os_family == "windows":
            os_loc = w.ecs.os_family_location if w.ecs else None
            related = [Related(os_loc, "Windows operating system family")] if os_loc else []
            reason = "ARM64 task definitions can only use the Linux operating system family, and this one is Windows"
            if w.ecs and w.ecs.fargate:
                reason += " on Fargate"
            yield make("ARCH204", location, w.name, workload=w.name, reason=reason, related=related)
