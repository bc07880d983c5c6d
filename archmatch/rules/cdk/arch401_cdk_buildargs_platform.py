"""ARCH401: `buildArgs: {"--platform": ...}` (or a PLATFORM-like key) used to choose a CDK asset's platform.

Judged with the Dockerfile and the linked workloads: when the Dockerfile pins the final stage, that
pin (not the build argument, not the deploy machine) decides the image, and the fix keeps every
linked workload right."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.fixrender.cdk import platform_option
from archmatch.model import ArchEvidence, CdkBuildArgPlatform, Finding, Fix, Related, RepoFacts, Workload
from archmatch.platforms import ARM64
from archmatch.rules import make
from archmatch.rules._linked import consumers, names, workload_archs


def _reported(fact: CdkBuildArgPlatform) -> bool:
    if not fact.dashed and (not fact.dockerfile_read or fact.arg_used_in_from_platform):
        return False
    # redundant but consistent with the platform the asset really gets: not misleading
    return not (fact.effective_arch is not None and fact.effective_arch == fact.arch)


def _pin(facts: RepoFacts, fact: CdkBuildArgPlatform) -> ArchEvidence | None:
    df = facts.dockerfiles.get(fact.dockerfile) if fact.dockerfile else None
    image = df.image_facts(fact.target) if df is not None else None
    return image.pinned if image is not None and image.pinned is not None and image.pinned.certain else None


def _linked(facts: RepoFacts, fact: CdkBuildArgPlatform) -> list[Workload]:
    if not fact.dockerfile:
        return []
    group = consumers(facts, fact.dockerfile)
    ids = {b.id for b in group.builds if b.location == fact.asset_location}
    return [link.workload for link in group.links if link.build.id in ids]


def _effect(fact: CdkBuildArgPlatform, pin: ArchEvidence | None) -> str:
    if fact.effective_arch is not None:
        return f"the image is built for linux/{fact.effective_arch}, not {fact.value}"
    if pin is not None:
        return f"the image is {pin.arch} only because the Dockerfile pins it ({pin.reason}, {pin.location})"
    return "the image is built for whatever machine runs cdk deploy"


def _option(fact: CdkBuildArgPlatform, arch: str | None) -> tuple[str, str]:
    """The build argument as written and the platform option replacing it (no architecture
    known: the arm64 spelling, as an example to adapt)."""
    return platform_option(fact.syntax, fact.key, fact.value, arch or ARM64)


def _fix(fact: CdkBuildArgPlatform, pin: ArchEvidence | None, linked: list[Workload]) -> Fix:
    if fact.effective_arch is not None:  # the platform is already set elsewhere: drop the no-op
        return Fix(
            f"remove the {fact.key} build argument: the asset is built for linux/{fact.effective_arch}",
            diff=f"- {fact.key}: {fact.value}",
        )
    if pin is None:
        old, new = _option(fact, fact.arch)
        return Fix(
            f"set the asset's platform option instead of the {fact.key} build argument",
            diff=f"- {old}\n+ {new}",
        )
    needing_pin = [w for w in linked if pin.arch in workload_archs(w)]
    if fact.arch in (None, pin.arch) or needing_pin:
        old, new = _option(fact, pin.arch)
        why = f" ({names(needing_pin)} run{'s' if len(needing_pin) == 1 else ''} it)" if needing_pin else ""
        return Fix(
            f"set the asset's platform option to linux/{pin.arch}, the platform the Dockerfile pin at {pin.location} "
            f"already gives it{why}, instead of the {fact.key} build argument",
            diff=f"- {old}\n+ {new}",
        )
    old, new = _option(fact, pin.arch)
    return Fix(
        f"set the asset's platform option to linux/{pin.arch}, which keeps today's image (the Dockerfile pin at "
        f"{pin.location} makes it {pin.arch}), instead of the {fact.key} build argument; if the image is meant "
        f"to be {fact.value}, set that platform instead and remove the pin",
        diff=f"- {old}\n+ {new}",
    )


def check(facts: RepoFacts) -> Iterator[Finding]:
    for fact in facts.extra.cdk_buildarg_platforms:
        if not _reported(fact):
            continue
        pin = _pin(facts, fact)
        related = [Related(fact.asset_location, f"{fact.asset} (image asset expression)")]
        if pin is not None and fact.effective_arch is None:
            related.append(Related(pin.location, f"{pin.reason}: this pin decides the image's architecture"))
        yield make(
            "ARCH401",
            fact.location,
            f"{fact.asset}@{fact.asset_location}:{fact.key}",
            asset=fact.asset,
            key=fact.key,
            value=fact.value,
            effect=_effect(fact, pin),
            related=related,
            fixes=[_fix(fact, pin, _linked(facts, fact))],
        )
