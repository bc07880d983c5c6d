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
