"""EKS semantics shared by every IaC format and by the rules."""

from __future__ import annotations

from archmatch.model import Capacity


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
