"""Where Kubernetes pods run when the repository says so: EKS Fargate profiles, and node groups
that all have one architecture.

A pod whose namespace and labels match a Fargate profile's selector runs on Fargate, which is
x86_64 only. Without an architecture constraint the pod's architecture is derived from that;
with an explicit arm64 constraint the workload is marked `eks-fargate`, which ARCH204 reports.

A pod without an architecture constraint and outside Fargate runs on the node groups of its
cluster; when every node group (any format: Terraform, CloudFormation, CDK, eksctl, Karpenter) of
the nearest projects has the same single architecture, the pod's architecture is derived from
them. Nothing says the manifests deploy to that cluster but proximity, so `PodFacts.sole_capacity`
records it and findings resting on it are low confidence. A node group of unknown architecture, or
of two, leaves the pod unknown.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace

from archmatch.aws.eks import is_fully_typed, is_node_group, node_archs
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
    _place_on_fargate(facts)
    _place_on_sole_arch(facts)


def _place_on_fargate(facts: RepoFacts) -> None:
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


def _unconstrained(workload: Workload) -> bool:
    """A Kubernetes pod outside Fargate whose manifest constrains no architecture."""
    return (
        workload.service == "k8s"
        and workload.arch.how is How.UNKNOWN
        and not workload.arch.archs
        and workload.arch_location is None
        and workload.os_family in (None, "linux")
    )


def sole_arch(groups: list[Capacity]) -> str | None:
    """The one architecture every node group has, None when any is unknown or they differ."""
    archs: set[str] = set()
    for group in groups:
        found = node_archs(group)
        if not found or not is_fully_typed(group):
            return None
        archs |= found
    return next(iter(archs)) if len(archs) == 1 else None


def _place_on_sole_arch(facts: RepoFacts) -> None:
    node_groups = [c for c in facts.capacities if is_node_group(c) and not c.fargate]
    if not node_groups:
        return
    for workload in facts.workloads:
        if not _unconstrained(workload):
            continue
        groups = nearest(node_groups, workload.project)
        arch = sole_arch(groups)
        if arch is None:
            continue
        names = ", ".join(sorted(f"{c.kind} {c.name}" for c in groups))
        basis = f"{arch} ({names})"
        workload.arch = ArchFact.derived(arch, note=f"the project's only capacity, {basis}")
        workload.arch_location = min(groups, key=lambda c: c.location).location
        workload.pod = replace(workload.pod or PodFacts("default"), sole_capacity=basis)
