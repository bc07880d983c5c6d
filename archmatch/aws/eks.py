"""EKS semantics shared by every IaC format and by the rules."""

from __future__ import annotations

from archmatch.model import Capacity


def is_node_group(capacity: Capacity) -> bool:
    """An EKS node group (managed, self-managed or a module's), whatever the format spells it."""
    kind = capacity.kind.lower().replace("_", "").replace(":", "")
    return "nodegroup" in kind or capacity.node_group is not None
