"""Where Kubernetes pods run when the repository says so: EKS Fargate profiles, and node groups
that all have one architecture.

A pod whose namespace and labels match a Fargate profile's selector runs on Fargate, which is
x86_64 only. Without an architecture constraint the pod's architecture is derived from that;
with an explicit arm64 constraint the workload is marked `eks-fargate`, which ARCH204 reports.

A pod without an architecture constraint and outside Fargate runs on the node groups of its
cluster (`pod_node_groups`). Its cluster is the one a deploy script applies its manifest to
(`PodFacts.cluster`), else the only cluster the nearest projects' node groups (any format:
Terraform, CloudFormation, CDK, eksctl, Karpenter) belong to. When those node groups belong to
several clusters and nothing places the pod, it is not pooled onto all of them: it is left
unplaced, except where every one of those clusters offers the same architectures (then any of
them gives the same answer). A pod whose namespace is not known (a Terraform variable, a
placeholder) and that a Fargate profile may select is left unplaced too. Node groups whose labels or taints the pod's nodeSelector, required
node affinity or tolerations rule out are left out first: a label written with another value, an
unprefixed label missing from a group whose labels are all known (`NodeGroupFacts.labels_complete`;
a prefixed one such as `nvidia.com/gpu.present` may come from automation on the node), a
`NoSchedule` / `NoExecute` taint the pod does not tolerate.

When every node group left has the same single architecture, the pod's architecture is derived
from them. Nothing says the manifests deploy to that capacity but proximity, so
`PodFacts.sole_capacity` records it and findings resting on it are low confidence. A node group of
unknown architecture, or of two, leaves the pod unknown.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace

from archmatch.aws.eks import automation_may_set, is_fully_typed, is_node_group, node_archs
from archmatch.link.projects import nearest
from archmatch.model import (
    Capacity,
    ClusterRef,
    FargateSelector,
    ManifestDeploy,
    NodeGroupFacts,
    PodFacts,
    PodScheduling,
    RepoFacts,
    Workload,
)
from archmatch.platforms import AMD64, ArchFact, How

_BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


def fargate_profiles(facts: RepoFacts) -> list[Capacity]:
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
    _place_on_deployed_clusters(facts)
    _place_on_fargate(facts)
    _place_on_sole_arch(facts)


def _covers(folder_or_file: str, path: str) -> bool:
    return folder_or_file in (path, ".") or path.startswith(folder_or_file.rstrip("/") + "/")


def _deploy_cluster(deploy: ManifestDeploy, facts: RepoFacts) -> str | None:
    """The cluster a deploy names, directly or through the eksctl config file it created."""
    if deploy.cluster is not None:
        return deploy.cluster
    names = {
        c.cluster.name
        for c in facts.capacities
        if c.cluster is not None and c.cluster.known and c.location.path == deploy.cluster_file
    }
    return next(iter(names)) if len(names) == 1 else None


def _place_on_deployed_clusters(facts: RepoFacts) -> None:
    """A pod whose manifest a script applies to a named cluster (and to no other) runs there."""
    deploys: list[tuple[ManifestDeploy, str]] = []
    for deploy in facts.extra.manifest_deploys:
        name = _deploy_cluster(deploy, facts)
        if name is not None:
            deploys.append((deploy, name))
    if not deploys:
        return
    for workload in facts.workloads:
        if workload.service != "k8s":
            continue
        found = [(d, n) for d, n in deploys if any(_covers(p, workload.location.path) for p in d.paths)]
        if len({name for _, name in found}) != 1:
            continue
        deploy, name = min(found, key=lambda item: item[0].location)
        ref = ClusterRef(name, deploy.how, deploy.location)
        workload.pod = replace(workload.pod or PodFacts("default"), cluster=ref)


def _place_on_fargate(facts: RepoFacts) -> None:
    profiles = fargate_profiles(facts)
    if not profiles:
        return
    eks = [c for c in facts.capacities if is_node_group(c) or c.fargate_profile is not None]
    for workload in facts.workloads:
        if workload.service != "k8s":
            continue
        profile = matching_profile(workload, _cluster_profiles(workload, profiles, eks))
        if profile is None:
            continue
        workload.service = "eks-fargate"
        workload.pod = replace(workload.pod or PodFacts("default"), fargate_profile=profile.name)
        if workload.arch.how in (How.UNKNOWN, How.HOST) and not workload.arch.archs:
            workload.arch = ArchFact.derived(AMD64, note=f"EKS Fargate profile {profile.name} (x86_64 only)")
            workload.arch_location = profile.location


def _cluster_profiles(workload: Workload, profiles: list[Capacity], eks: list[Capacity]) -> list[Capacity]:
    """The Fargate profiles of the pod's cluster: the one a deploy script names, else the nearest
    projects' when their EKS capacity belongs to one cluster (none when to several)."""
    pod = workload.pod
    if pod is not None and pod.cluster is not None:
        return [
            p
            for p in nearest(profiles, workload.project)
            if p.cluster is not None and p.cluster.name == pod.cluster.name
        ]
    if len({cluster_key(c) for c in nearest(eks, workload.project)}) > 1:
        return []
    return nearest(profiles, workload.project)


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


# --- which node groups a pod may land on -------------------------------------------------------------
@dataclass
class NodePlacement:
    """The node groups a pod may land on and how its cluster was decided. `groups` is empty when the
    pod is left unplaced (its project's capacity spans clusters that disagree and nothing says which
    one runs it, or no node group accepts it)."""

    groups: list[Capacity]
    # the pod's cluster and how it was decided, as a noun phrase for messages ("cluster shop (the
    # project's only one)"); "" when the node groups name no cluster
    cluster: str
    clusters: int = 1  # how many clusters the groups stand for (several only when they all agree)


def cluster_key(capacity: Capacity) -> str:
    """Node groups with the same key belong to one cluster ("" when the files do not say)."""
    return capacity.cluster.name if capacity.cluster is not None else ""


def cluster_label(ref: ClusterRef | None) -> str:
    if ref is None:
        return "a cluster the files do not name"
    return ref.name if ref.known else ref.basis


def pod_node_groups(
    workload: Workload, node_groups: list[Capacity], profiles: list[Capacity] | None = None
) -> NodePlacement:
    """The node groups of `node_groups` (EKS node groups of the scan root) a pod may land on; none
    when its namespace is not known and one of the Fargate `profiles` may select it."""
    pod = workload.pod or PodFacts("default")
    maybe_fargate = _may_select(workload, profiles or [])
    if maybe_fargate is not None:
        return NodePlacement(
            [], f"not known: its namespace is not known and EKS Fargate profile {maybe_fargate} may select it"
        )
    near = [c for c in nearest(node_groups, workload.project) if accepts(pod.scheduling, c)]
    if pod.cluster is not None:  # with the node groups that may belong to it (cluster not known)
        own = [
            c for c in near if c.cluster is None or not c.cluster.known or c.cluster.name == pod.cluster.name
        ]
        return NodePlacement(own, f"cluster {cluster_label(pod.cluster)} ({pod.cluster.basis})")
    by_cluster: dict[str, list[Capacity]] = {}
    for capacity in near:
        by_cluster.setdefault(cluster_key(capacity), []).append(capacity)
    if len(by_cluster) <= 1:
        ref = near[0].cluster if near else None
        how = f"cluster {cluster_label(ref)} (the project's only one)" if ref is not None else ""
        return NodePlacement(near, how)
    offered = {frozenset().union(*(node_archs(c) for c in groups)) for groups in by_cluster.values()}
    names = ", ".join(sorted(cluster_label(groups[0].cluster) for groups in by_cluster.values()))
    if len(offered) == 1 and all(is_fully_typed(c) and node_archs(c) for c in near):
        return NodePlacement(
            near, f"clusters {names} (each of the project's clusters offers the same)", len(by_cluster)
        )
    return NodePlacement(
        [], f"not known: the project's node groups belong to {len(by_cluster)} clusters ({names})"
    )


def _may_select(workload: Workload, profiles: list[Capacity]) -> str | None:
    """A Fargate profile of the nearest projects that may select a pod whose namespace is not known
    (a variable, a placeholder): its selector's labels, if any, match the pod's."""
    pod = workload.pod or PodFacts("default")
    if not any(mark in pod.namespace for mark in ("$", "{", "<")):
        return None
    for profile in nearest(profiles, workload.project):
        selectors = profile.fargate_profile.selectors if profile.fargate_profile is not None else ()
        if any(
            s.labels is None or all(pod.labels.get(k) == v for k, v in s.labels.items()) for s in selectors
        ):
            return profile.name
    return None


def accepts(scheduling: PodScheduling, capacity: Capacity) -> bool:
    """False when the node group's known labels or taints certainly keep the pod off it."""
    nodes = capacity.node_group
    if nodes is None:
        return True
    if not _tolerated(scheduling, nodes):
        return False
    if any(not _label_allows(nodes, key, {value}) for key, value in scheduling.node_selector.items()):
        return False
    terms = scheduling.affinity_terms
    return not terms or any(
        all(values is None or _label_allows(nodes, key, values) for key, values in term) for term in terms
    )


def _label_allows(nodes: NodeGroupFacts, key: str, wanted: set[str] | frozenset[str]) -> bool:
    """The node group's nodes may carry `key` with one of the `wanted` values (True when unknown): a
    group whose labels are all known lacks any unprefixed label it does not list."""
    if nodes.labels is not None and key in nodes.labels:
        return nodes.labels[key] in wanted
    if key in nodes.label_values:
        allowed = nodes.label_values[key]
        return allowed is None or bool(allowed & wanted)
    return not (nodes.labels_complete and nodes.labels is not None and not automation_may_set(key))


def _tolerated(scheduling: PodScheduling, nodes: NodeGroupFacts) -> bool:
    if nodes.taints is None or scheduling.tolerates_all:
        return True
    return all(
        effect not in _BLOCKING_EFFECTS or _tolerates(scheduling, key, value, effect)
        for key, value, effect in nodes.taints
    )


def _tolerates(scheduling: PodScheduling, key: str, value: str | None, effect: str) -> bool:
    """A toleration is (key, value, effect); value None stands for `operator: Exists`."""
    return any(
        t_key == key and (t_value is None or t_value == (value or "")) and t_effect in (None, effect)
        for t_key, t_value, t_effect in scheduling.tolerations
    )


def _place_on_sole_arch(facts: RepoFacts) -> None:
    node_groups = [c for c in facts.capacities if is_node_group(c) and not c.fargate]
    if not node_groups:
        return
    for workload in facts.workloads:
        if not _unconstrained(workload):
            continue
        placement = pod_node_groups(workload, node_groups, fargate_profiles(facts))
        groups = placement.groups
        arch = sole_arch(groups) if groups else None
        if arch is None:
            continue
        note, basis = _placement_basis(workload, placement, arch)
        ruled_out = _ruled_out(workload, node_groups)
        if ruled_out:
            note, basis = f"{note}; {ruled_out}", f"{basis}; {ruled_out}"
        workload.arch = ArchFact.derived(arch, note=note)
        workload.arch_location = min(groups, key=lambda c: c.location).location
        workload.pod = replace(workload.pod or PodFacts("default"), sole_capacity=basis)


def _ruled_out(workload: Workload, node_groups: list[Capacity]) -> str:
    """The nearest node groups the pod's own constraints keep it off, as a clause ("" when none)."""
    scheduling = (workload.pod or PodFacts("default")).scheduling
    names = sorted(c.name for c in nearest(node_groups, workload.project) if not accepts(scheduling, c))
    if not names:
        return ""
    return f"its nodeSelector, node affinity or tolerations rule out {', '.join(names)}"


def _deployer(workload: Workload) -> str:
    """What sends the pod to a cluster: its manifest, or the kubernetes provider of the Terraform
    configuration that declares it (whose cluster the files may not tie to these node groups)."""
    return "the manifest" if workload.kind.startswith("k8s:") else "the configuration's kubernetes provider"


def _placement_basis(workload: Workload, placement: NodePlacement, arch: str) -> tuple[str, str]:
    """Why the pod runs `arch`: as the derived architecture's note (a noun phrase) and as the
    low-confidence note of a finding (a clause)."""
    groups = placement.groups
    names = ", ".join(sorted(f"{c.kind} {c.name}" for c in groups))
    cluster = workload.pod.cluster if workload.pod is not None else None
    if cluster is not None:
        return (
            f"cluster {cluster.name}, where {cluster.basis} sends it: its only capacity here is {arch} ({names})",
            f"{cluster.basis} deploys to cluster {cluster.name}, whose only capacity in these files is {arch} ({names})",
        )
    if placement.clusters > 1:
        clusters = ", ".join(sorted({cluster_label(c.cluster) for c in groups}))
        return (
            f"the capacity of each of the project's clusters ({clusters}), {arch} ({names})",
            f"each of the project's clusters ({clusters}) has only {arch} capacity ({names}), "
            f"nothing says which one {_deployer(workload)} deploys to",
        )
    known = {c.cluster.name for c in groups if c.cluster is not None and c.cluster.known}
    of = f", cluster {next(iter(known))}" if len(known) == 1 else ""
    return (
        f"the project's only capacity, {arch} ({names}{of})",
        f"the project's only capacity is {arch} ({names}{of}), nothing says {_deployer(workload)} deploys there",
    )
