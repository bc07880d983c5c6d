"""ARCH305: a pod without an arch constraint whose image runs on none of the repo's node groups."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.fixrender import request_platform
from archmatch.model import Finding, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.crossfile._common import confidence_note, link_properties, related_for
from archmatch.rules.crossfile._nodes import unconstrained_pods


def check(facts: RepoFacts) -> Iterator[Finding]:
    for pod in unconstrained_pods(facts):
        if pod.image.content & set(pod.groups):
            continue
        w, link = pod.link.workload, pod.link
        node_arch = sorted(pod.groups)[0]
        groups = sorted({c.name for cs in pod.groups.values() for c in cs})
        related = related_for(link, pod.image) + [
            Related(c.location, f"node group {c.name}: {arch}")
            for arch, cs in sorted(pod.groups.items())
            for c in cs
        ]
        yield make(
            "ARCH305",
            w.location,
            w.name,
            workload=w.name,
            image=pod.image.describe(),
            nodes=", ".join(sorted(pod.groups)),
            groups=", ".join(groups) + (f" of {pod.cluster}" if pod.cluster else ""),
            confidence=confidence_note(link, placement=False),
            evidence=link.evidence,
            related=related,
            fixes=[request_platform(link.build, node_arch, facts=facts)],
            properties=link_properties(link, placement=False),
        )
