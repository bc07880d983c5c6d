"""Where Kubernetes pods run when the repository says so: EKS Fargate profiles.

A pod whose namespace and labels match a Fargate profile's selector runs on Fargate, which is
x86_64 only. Without an architecture constraint the pod's architecture is derived from that;
with an explicit arm64 constraint the workload is marked `eks-fargate`, which ARCH204 reports.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace

from archmatch.link.projects import nearest
from archmatch.model import Capacity, FargateSelector, PodFacts, RepoFacts, Workload
from archmatch.platforms import AMD64, ArchFact, How


def _fargate_profiles(facts: RepoFacts) -> list[Capacity]:
    return [c for c in facts.capacities if c.fargate and c.fargate_profile is not None]


def _selector_matches(selector: FargateSelector, pod: PodFacts) -> bool:
    pattern = selector.namespace
    if pattern is None or not fnmatch.fnmatchcase(pod.namespace, pattern):
        return False  # an unresolved namespace proves nothing
    if selector.labels is None:
        return False  # an unresolved label proves nothing either
    return all(pod.labels.get(k) == v for k, v in selector.labels.items())


def matching_profile(workload: Workload, profiles: list[Capacity]) -> Capacity | None:
    pod = workload.pod or PodFacts("default")
    for profile in profiles:
        assert profile.fargate_profile is not None
        if any(_selector_matches(s, pod) for s in profile.fargate_profile.selectors):
            return profile
    return None


def place_pods(facts: RepoFacts) -> None:
    profiles = _fargate_profiles(facts)
    if not profiles:
        return
    for workload in facts.workloads:
        if workload.service != "k8s":
            continue
        profile = matching_profile(workload, nearest(profiles, workload.project))
        if profile is None:
            continue
        workload.service = "eks-fargate"
        workload.pod = replace(workload.pod or PodFacts("default"), fargate_profile=profile.name)
        if workload.arch.how in (How.UNKNOWN, How.HOST) and not workload.arch.archs:
            workload.arch = ArchFact.derived(AMD64, note=f"EKS Fargate profile {profile.name} (x86_64 only)")
            workload.arch_location = profile.location
