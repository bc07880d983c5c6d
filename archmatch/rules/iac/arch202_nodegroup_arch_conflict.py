"""ARCH202: an EKS node group whose AMI type and instance types disagree, or whose instance types
mix architectures.

Facts read: Capacity node groups (kind contains "nodegroup", or Capacity.node_group is set),
Capacity.instance_types[].arch / .location, Capacity.ami_arch / .ami_location,
Capacity.ami_verified (False: UNVERIFIED evidence, ignored), node_group.instance_types_default
(True when the t3.medium default stands in for unwritten instance types).
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.iac._common import ami_is_certain, archs_text, is_node_group, where


def check(facts: RepoFacts) -> Iterator[Finding]:
    for c in facts.capacities:
        if not is_node_group(c):
            continue
        typed = [i for i in c.instance_types if i.arch]
        archs = {i.arch for i in typed if i.arch}
        default = (
            " (the EKS default, no instance types written)"
            if c.node_group and c.node_group.instance_types_default
            else ""
        )
        if len(archs) > 1:
            first = next(i for i in typed if i.arch != typed[0].arch)
            types = ", ".join(f"{i.instance_type} ({archs_text({i.arch})})" for i in typed if i.arch)
            yield make(
                "ARCH202",
                where(first.location, c.location),
                c.name,
                group=c.name,
                problem=f"mixes instance architectures: {types}; a node group runs one AMI, so part of its nodes cannot boot it",
            )
            continue
        if not archs or not ami_is_certain(c) or archs <= c.ami_arch.archs:
            continue
        wrong = typed[0]
        related = [Related(c.ami_location, f"AMI: {c.ami_arch.describe()}")] if c.ami_location else []
        yield make(
            "ARCH202",
            where(c.ami_location, c.location),
            c.name,
            group=c.name,
            problem=f"uses an {archs_text(c.ami_arch.archs)} AMI ({c.ami_arch.note}) on {archs_text(archs)} instance types {', '.join(i.instance_type for i in typed)}{default}",
            related=related + [Related(wrong.location, f"instance type {wrong.instance_type}")],
        )
