"""ARCH306: a pod without an arch constraint whose image runs on only some of the node groups."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from archmatch.fixrender import set_architecture
from archmatch.model import Finding, Fix, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.crossfile._common import confidence_note, link_properties, related_for
from archmatch.rules.crossfile._nodes import unconstrained_pods


def check(facts: RepoFacts) -> Iterator[Finding]:
    for pod in unconstrained_pods(facts):
        offered = set(pod.groups)
        good = pod.image.content & offered
        bad = offered - pod.image.content
        if not good or not bad:
            continue
        w, link = pod.link.workload, pod.link
        bad_groups = sorted({c.name for a in bad for c in pod.groups[a]})
        related = related_for(link, pod.image) + [
            Related(c.location, f"node group {c.name}: {a}") for a in sorted(bad) for c in pod.groups[a]
        ]
        yield make(
            "ARCH306",
            w.location,
            w.name,
            workload=w.name,
            image=pod.image.describe(),
            bad=", ".join(sorted(bad)),
            groups=("node group " if len(bad_groups) == 1 else "node groups ")
            + ", ".join(bad_groups)
            + (f" of {pod.cluster}" if pod.cluster else ""),
            are="is" if len(bad_groups) == 1 else "are",
            confidence=confidence_note(link, placement=False),
            evidence=link.evidence,
            related=related,
            fixes=[_sole(set_architecture(w, sorted(good)[0]))],
            properties=link_properties(link, placement=False),
        )


def _sole(fix: Fix) -> Fix:
    """The workload fix is worded as an alternative ("or run ..."); here it is the only one."""
    return dataclasses.replace(fix, description=fix.description.removeprefix("or "))
