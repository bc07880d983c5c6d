"""Where Kubernetes pods run when the repository says so: EKS Fargate profiles.

A pod whose namespace and labels match a Fargate profile's selector runs on Fargate, which is
x86_64 only. Without an architecture constraint the pod's architecture is derived from that;
with an explicit arm64 constraint the workload is marked `eks-fargate`, which ARCH204 reports.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from archmatch.link.projects import nearest
from archmatch.model import Capacity, RepoFacts, Workload
from archmatch.platforms import AMD64, ArchFact, How


def _fargate_profiles(facts: RepoFacts) -> list[Capacity]:
    return [
        c
        for c in facts.capacities
        if c.details.get("fargate") and isinstance(c.details.get("selectors"), list)
    ]


def _selector_matches(selector: Any, namespace: str, labels: dict[str, Any]) -> bool:
    if not isinstance(selector, dict):
        return False
    pattern = selector.get("namespace")
    if not isinstance(pattern, str) or not fnmatch.fnmatchcase(namespace, pattern):
        return False  # an unresolved namespace proves nothing
    wanted = selector.get("labels") or {}
    if not isinstance(wanted, dict):
        return False
    return all(isinstance(v, str) and labels.get(k) == v for k, v in wanted.items())


def matching_profile(workload: Workload, profiles: list[Capacity]) -> Capacity | None:
    namespace = str(workload.details.get("namespace", "default"))
    labels = workload.details.get("pod_labels") or {}
    for profile in profiles:
        if any(_selector_matches(s, namespace, labels) for s in profile.details["selectors"]):
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
        workload.details["fargate_profile"] = profile.name
        if workload.arch.how in (How.UNKNOWN, How.HOST) and not workload.arch.archs:
            workload.arch = ArchFact.derived(AMD64, note=f"EKS Fargate profile {profile.name} (x86_64 only)")
            workload.arch_location = profile.location
