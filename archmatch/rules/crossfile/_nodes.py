"""Kubernetes pods without an architecture constraint, and the EKS node groups they may land on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from archmatch.aws.eks import is_node_group, node_archs
from archmatch.link.effective import ImageArch, image_arch
from archmatch.link.placement import fargate_profiles, pod_node_groups
from archmatch.model import Capacity, Link, RepoFacts
from archmatch.platforms import How


@dataclass
class PodPlacement:
    """A linked pod, its image's architectures and the node groups by architecture."""

    link: Link
    image: ImageArch
    groups: dict[str, list[Capacity]]  # arch -> node groups offering it
    cluster: str = ""  # how the pod's cluster was decided ("" when the project names none)


def _by_arch(node_groups: list[Capacity]) -> dict[str, list[Capacity]]:
    groups: dict[str, list[Capacity]] = {}
    for c in node_groups:
        for arch in node_archs(c):
            groups.setdefault(arch, []).append(c)
    return groups


def unconstrained_pods(facts: RepoFacts) -> Iterator[PodPlacement]:
    """Pods without an arch constraint, with the node groups they may land on: those of their
    cluster among the nearest projects' (`link.placement.pod_node_groups`); a pod whose cluster is
    not known among several that differ is skipped."""
    node_groups = [c for c in facts.capacities if is_node_group(c) and node_archs(c)]
    if not node_groups:
        return
    profiles = fargate_profiles(facts)
    for link in facts.links:
        w = link.workload
        placed = w.pod is not None and w.pod.sole_capacity is not None
        if w.service != "k8s" or (w.arch.how in (How.EXPLICIT, How.DERIVED) and not placed):
            continue
        img = image_arch(link.build, facts)
        if not img.content:
            continue
        placement = pod_node_groups(w, node_groups, profiles)
        if placement.groups:
            yield PodPlacement(link, img, _by_arch(placement.groups), placement.cluster)
