"""ARCH206: an ECS task definition whose CPU architecture contradicts the EC2 capacity running it.

Facts read: Workload.service == "ecs", Workload.arch (known), Workload.arch_location,
details["capacity_arch"] (ArchFact of the hosts: service -> capacity provider -> ASG -> launch
template instance types / AMI), details["capacity_location"], details["capacity_name"].
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, Related, RepoFacts
from archmatch.platforms import ArchFact, How
from archmatch.rules import make
from archmatch.rules.iac._common import KNOWN_HOW, archs_text, where


def check(facts: RepoFacts) -> Iterator[Finding]:
    for w in facts.workloads:
        hosts = w.details.get("capacity_arch")
        if (
            w.service != "ecs"
            or not isinstance(hosts, ArchFact)
            or not hosts.known
            or hosts.how not in KNOWN_HOW
        ):
            continue
        if not w.arch.known or w.arch.how not in KNOWN_HOW or w.arch.archs & hosts.archs:
            continue
        declared = "declares" if w.arch.how is How.EXPLICIT else "defaults to"
        related = []
        if w.details.get("capacity_location"):
            related.append(
                Related(
                    w.details["capacity_location"],
                    f"{w.details.get('capacity_name', 'capacity')}: {hosts.describe()}",
                )
            )
        yield make(
            "ARCH206",
            where(w.arch_location, w.location),
            w.name,
            workload=w.name,
            declared=declared,
            task_arch=archs_text(w.arch.archs).upper(),
            capacity=w.details.get("capacity_name", "its EC2 capacity"),
            host_arch=archs_text(hosts.archs),
            note=hosts.note,
            related=related,
        )
