"""ARCH206: an ECS task definition whose CPU architecture contradicts the EC2 capacity running it.

Facts read: Workload.service == "ecs", Workload.arch (known), Workload.arch_location,
Workload.ecs.hosts (the hosts' ArchFact: service -> capacity provider -> ASG -> launch template
instance types / AMI, with the location and name of the ASG).
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, Related, RepoFacts
from archmatch.platforms import How
from archmatch.rules import make
from archmatch.rules.iac._common import KNOWN_HOW, archs_text, where


def check(facts: RepoFacts) -> Iterator[Finding]:
    for w in facts.workloads:
        capacity = w.ecs.hosts if w.ecs else None
        if w.service != "ecs" or capacity is None:
            continue
        hosts = capacity.arch
        if not hosts.known or hosts.how not in KNOWN_HOW:
            continue
        if not w.arch.known or w.arch.how not in KNOWN_HOW or w.arch.archs & hosts.archs:
            continue
        declared = "declares" if w.arch.how is How.EXPLICIT else "defaults to"
        related = [Related(capacity.location, f"{capacity.name}: {hosts.describe()}")]
        yield make(
            "ARCH206",
            where(w.arch_location, w.location),
            w.name,
            workload=w.name,
            declared=declared,
            task_arch=archs_text(w.arch.archs).upper(),
            capacity=capacity.name,
            host_arch=archs_text(hosts.archs),
            note=hosts.note,
            related=related,
        )
