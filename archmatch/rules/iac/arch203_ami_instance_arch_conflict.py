"""ARCH203: a launch template, instance or ASG override whose AMI and instance type architectures
disagree.

Facts read: Capacity (not node groups) with .instance_types[].arch / .location, .ami_arch
(EXPLICIT/DERIVED/DEFAULT and known), .ami_location, .ami_verified (False: the AMI arch comes from an
UNVERIFIED SSM path pattern, e.g. the ECS-optimized one; not reported), .fargate (skipped).
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.iac._common import ami_is_certain, archs_text, is_node_group, where


def check(facts: RepoFacts) -> Iterator[Finding]:
    for c in facts.capacities:
        if is_node_group(c) or c.fargate or not ami_is_certain(c):
            continue
        for choice in c.instance_types:
            if choice.arch is None or choice.arch in c.ami_arch.archs:
                continue
            related = [Related(c.ami_location, f"AMI: {c.ami_arch.describe()}")] if c.ami_location else []
            yield make(
                "ARCH203",
                where(choice.location, c.location),
                c.name,
                capacity=c.name,
                instance_type=choice.instance_type,
                instance_arch=archs_text({choice.arch}),
                ami_arch=archs_text(c.ami_arch.archs),
                ami=c.ami_arch.note or "the AMI",
                related=related,
            )
