"""EKS semantics shared by every IaC format and by the rules."""

from __future__ import annotations

from archmatch.model import Capacity, ClusterRef, Location

# a value deploy tooling fills in: `$X`, `${X}`, `$(cmd)`, `{{X}}`
_PLACEHOLDER_MARKS = ("$", "{{")


def cluster_ref(value: str | None, written: str, scope: str, basis: str, location: Location) -> ClusterRef:
    """The cluster a node group names: `value` when the files give it, else the reference as
    `written`, scoped to the file or module instance that writes it (`scope`), so that node groups
    naming one cluster resource compare equal and two modules' `var.cluster_name` do not."""
    if value and not any(mark in value for mark in _PLACEHOLDER_MARKS):
        return ClusterRef(value, basis, location)
    return ClusterRef(f"{scope}:{written}", f"{basis} (value not known: {written})", location, known=False)


def is_node_group(capacity: Capacity) -> bool:
    """An EKS node group (managed, self-managed or a module's), whatever the format spells it."""
    kind = capacity.kind.lower().replace("_", "").replace(":", "")
    return "nodegroup" in kind or capacity.node_group is not None


def node_archs(capacity: Capacity) -> set[str]:
    """Architectures a node group's nodes have: its instance types', else its AMI's (empty: unknown)."""
    archs = {i.arch for i in capacity.instance_types if i.arch}
    if not archs and capacity.ami_arch.archs:
        archs = set(capacity.ami_arch.archs)
    return archs


def is_fully_typed(capacity: Capacity) -> bool:
    """Every instance type of the node group has a known architecture (or it lists none)."""
    return all(i.arch for i in capacity.instance_types)


# The EKS API writes taint effects in upper snake case (`NO_SCHEDULE`), Kubernetes in camel case.
_TAINT_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


def taint_effect(written: str) -> str | None:
    """A taint effect as Kubernetes spells it (`NoSchedule`), from either spelling; None if unknown."""
    if written in _TAINT_EFFECTS.values():
        return written
    return _TAINT_EFFECTS.get(written.upper())


def automation_may_set(key: str) -> bool:
    """A label key that something other than the node group's labels may put on its nodes: any key
    with a prefix. Kubernetes reserves unprefixed keys to the user and requires automation (the
    kubelet, EKS, Karpenter, GPU feature discovery's `nvidia.com/gpu.present`, the EBS CSI driver's
    `topology.ebs.csi.aws.com/zone`) to prefix the labels it adds."""
    return "/" in key
