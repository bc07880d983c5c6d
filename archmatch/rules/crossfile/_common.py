"""Shared by the cross-file rules: the workload arches to check and the related locations."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from archmatch.link.effective import ImageArch, Verdict, image_arch, supports
from archmatch.model import (
    PROXIMITY_SUBJECT,
    BatchEnvironments,
    ImageBuild,
    Link,
    Location,
    Related,
    RepoFacts,
    Workload,
)
from archmatch.platforms import How, aws_name

LAMBDA_SERVICES = frozenset({"lambda"})


def required_archs(workload: Workload) -> list[str]:
    """Arches the workload certainly runs on (explicit, service default, or derived)."""
    if workload.arch.how in (How.EXPLICIT, How.DEFAULT, How.DERIVED):
        return sorted(workload.arch.archs)
    return []


def primary_location(workload: Workload) -> Location:
    return workload.arch_location or workload.location


def how_declared(workload: Workload) -> str:
    if workload.arch.how is How.DEFAULT:
        return "by default (nothing declared)"
    if workload.arch.how is How.DERIVED:
        return f"derived from {workload.arch.note}" if workload.arch.note else "derived"
    return "declared"


def via_related(link: Link) -> list[Related]:
    """The lines that only pass a value on (`architectures = var.architectures` in a module)."""
    out = []
    w, build = link.workload, link.build
    if w.arch_via is not None:
        out.append(
            Related(
                w.arch_via,
                f"{w.name} takes its architecture here from {w.arch_location} (the value is written there)",
            )
        )
    if build.platform_via is not None:
        out.append(
            Related(
                build.platform_via,
                f"{build.name} takes its platform here from {build.platform_location} (the value is written there)",
            )
        )
    return out


def environments_related(workload: Workload) -> list[Related]:
    """The compute environments an EC2 Batch job's architecture was derived from."""
    placed = workload.batch.environments if workload.batch is not None else None
    if placed is None:
        return []
    arch = "/".join(lam(a) for a in sorted(workload.arch.archs))
    return [
        Related(where, f"{described}: {arch}, a compute environment {workload.name} may run on")
        for described, where in placed.environments
    ]


def related_for(link: Link, img: ImageArch) -> list[Related]:
    build = link.build
    out = [Related(build.platform_location or build.location, f"{build.name}: {build.platforms.describe()}")]
    out.extend(via_related(link))
    out.extend(environments_related(link.workload))
    values = link.workload.values
    if values is not None and values.where is not None:
        out.append(Related(values.where, f"{link.workload.name} as evaluated with {values.describe()}"))
    out.extend(img.evidence)
    deploy = link.image.deploy
    where = "the deploy command that redeploys the image" if deploy is not None else "image reference"
    out.append(
        Related(link.image.location, f"{where}, linked by {link.evidence} ({link.confidence} confidence)")
    )
    if deploy is not None:
        out.extend(deploy.related)
    seen: set[tuple[Location, str]] = set()
    unique = []
    for r in out:
        if (r.location, r.message) not in seen:
            seen.add((r.location, r.message))
            unique.append(r)
    return unique


def confidence_note(link: Link, placement: bool = True) -> str:
    """The link's confidence as the message says it; `placement` False for the rules that place pods
    on node groups themselves (ARCH305/306), which do not rest on the pod's derived architecture."""
    placed = sole_capacity(link) if placement else None
    if placed is not None:
        return f" [low confidence: {placed}]"
    environments = batch_environments(link)
    if environments is not None and environments.confidence == "low":
        return f" [low confidence: {environments.basis}]"
    if link.confidence != "low":
        return ""
    if link.kind in PROXIMITY_SUBJECT:
        return f" [low confidence: {PROXIMITY_SUBJECT[link.kind]} {link.scope}, nothing names the image]"
    if link.image.deploy is not None and link.image.deploy.confidence == "low":
        return " [low confidence: which service, task definition or container runs the pushed image is not certain]"
    target = link.workload.deploys_to
    if target is not None and target.confidence == "low":
        return " [low confidence: the function the command deploys to is inferred, not named]"
    if link.kind == "naming-local-tag":
        return " [low confidence: linked by name only; where the build is pushed the files do not say]"
    if link.build.clone_of and link.kind != "naming":
        return " [low confidence: the build reads a clone of this repository, perhaps of another branch or commit]"
    return " [low confidence: linked only by naming]"


def lam(arch: str) -> str:
    return aws_name(arch)


def link_properties(link: Link, placement: bool = True) -> dict[str, str]:
    properties = {
        "linkEvidence": link.evidence,
        "linkConfidence": link.confidence,
        "build": link.build.name,
        "buildProject": link.build.project or ".",
        "workloadProject": link.workload.project or ".",
    }
    if link.image.candidate:
        properties["linkCandidate"] = link.image.candidate
    if link.build.clone_of:  # the build reads a clone of this repository: maybe not these files
        properties["buildClone"] = link.build.clone_of
    placed = sole_capacity(link) if placement else None
    if placed is not None:  # the pod's architecture rests on proximity to the project's capacity
        properties["workloadArchConfidence"] = "low"
        properties["workloadArchBasis"] = placed
    environments = batch_environments(link)
    if environments is not None:  # a Batch job's architecture rests on its compute environments
        properties["workloadArchConfidence"] = environments.confidence
        properties["workloadArchBasis"] = environments.basis
    return properties


def batch_environments(link: Link) -> BatchEnvironments | None:
    """The compute environments an EC2 Batch job's architecture was derived from, if it was."""
    batch = link.workload.batch
    return batch.environments if batch is not None else None


def sole_capacity(link: Link) -> str | None:
    """What a pod's architecture rests on when only its project's node groups decided it."""
    pod = link.workload.pod
    return pod.sole_capacity if pod is not None else None


def verdicts(facts: RepoFacts, wanted: Verdict) -> Iterator[tuple[Link, ImageArch, str, str]]:
    """(link, image, workload arch, reason) for every linked arch whose verdict is `wanted`."""
    for link in facts.links:
        img = image_arch(link.build, facts)
        for arch in required_archs(link.workload):
            verdict, why = supports(img, arch)
            if verdict is wanted:
                yield link, img, arch, why


SameCall = tuple[Location, Location | None, int, str]


def same_call(link: Link, arch: str) -> SameCall:
    """Links that only differ by the candidate build of one call (a CDK asset whose folder a
    condition chooses) and share one verdict have one root cause, fixed by one edit of that call."""
    return (link.build.location, link.build.platform_location, id(link.workload), arch)


def same_call_groups(links: list[tuple[Link, str]]) -> dict[SameCall, list[ImageBuild]]:
    """The candidate builds of each call, in the links' order: the first reports for all."""
    out: dict[SameCall, list[ImageBuild]] = {}
    for link, arch in links:
        out.setdefault(same_call(link, arch), []).append(link.build)
    return out


def other_candidates(builds: list[ImageBuild]) -> list[Related]:
    """The other candidate builds of the same call, as related locations of the one finding."""
    return [
        Related(Location(b.dockerfile or b.location.path), f"{b.name}: the same build call, the same verdict")
        for b in builds[1:]
    ]


_STRENGTH = {"low": 0, "medium": 1, "high": 2}


def folded_into_commands(links: list[Link]) -> Callable[[Link], bool]:
    """Whether a link of a template's workload is reported by a CLI command's finding instead: the
    command (`update-function-code`, `ecs update-service`) deploys the same build to that workload
    with a link at least as strong, and its finding names the workload and lands on its declaration."""
    strongest: dict[tuple[str, str, str], int] = {}
    for link in links:
        target = link.workload.deploys_to
        if target is not None:
            key = (target.name, str(target.location), link.build.id)
            strongest[key] = max(strongest.get(key, 0), _STRENGTH[link.confidence])

    def folded(link: Link) -> bool:
        w = link.workload
        key = (w.name, str(w.location), link.build.id)
        return w.cli is None and strongest.get(key, -1) >= _STRENGTH[link.confidence]

    return folded
