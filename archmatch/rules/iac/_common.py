"""Shared by the IaC rules (ARCH2xx). They read only facts, so they work for Terraform and
CloudFormation/SAM/Serverless alike; the facts each rule reads are listed at the top of its
module."""

from __future__ import annotations

import re
from dataclasses import dataclass

from archmatch import lazyre
from archmatch.aws.eks import is_node_group as is_node_group
from archmatch.link.imageref import RefParts, parse_ref
from archmatch.model import Capacity, ImageBuild, ImageRef, Location, RepoFacts, Workload
from archmatch.platforms import How, aws_name

KNOWN_HOW = (How.EXPLICIT, How.DEFAULT, How.DERIVED)


def archs_text(archs: set[str] | frozenset[str]) -> str:
    return "/".join(aws_name(a) for a in sorted(archs))


def ami_is_certain(capacity: Capacity) -> bool:
    """AMI arch known from verified evidence (an UNVERIFIED SSM path pattern does not count)."""
    return capacity.ami_arch.how in KNOWN_HOW and capacity.ami_arch.known and capacity.ami_verified


def where(location: Location | None, fallback: Location) -> Location:
    return location if location is not None and location.line else fallback


# --- where a workload's image comes from ----------------------------------------------------------
# "built": this repository builds or pushes the image's repository (a link to a build, a shared
# direct or ECR key, or a build tag naming the same repository path); "third-party": a fully
# written reference outside a private ECR registry that nothing here builds (nginx, busybox,
# registry.k8s.io/pause, vendor images); "unknown": anything else (unresolved, placeholders, a
# private ECR repository filled by another repository's pipeline).
BUILT, THIRD_PARTY, UNKNOWN = "built", "third-party", "unknown"
_PLACEHOLDER = lazyre.compile(
    r"\{\{|<[^<>]*>|REPLACE[_-]?ME|CHANGE[_-]?ME|IMAGE_URI", re.I
)  # `<[^<>]*>`: linear on `<<<...`
_INTERPOLATION = lazyre.compile(r"\$\{|\$\(|\$[A-Za-z_]")


def is_placeholder(ref: str) -> bool:
    """A reference that is a placeholder to be filled in by hand or by a tool (`REPLACE_ME_IMAGE`,
    `IMAGE_URI`, `<account>.dkr.ecr...`, `{{ .Values.image }}`)."""
    return bool(_PLACEHOLDER.search(ref))


def _same_repository(a: RefParts, b: RefParts) -> bool:
    if "*" in a.repository or "*" in b.repository or a.repository != b.repository:
        return False
    return not (a.registry and b.registry and "*" not in a.registry + b.registry and a.registry != b.registry)


@dataclass
class _BuildIndex:
    """The builds of one RepoFacts by link key and by tagged repository, each build's tags parsed
    once: `builds_of` runs for every image of every workload, and scanning every build for each was
    quadratic (at 1,000 services it was half the scan)."""

    facts: RepoFacts
    shape: tuple[int, int, int, int]
    tags: list[list[RefParts]]
    by_key: dict[str, list[int]]
    by_repository: dict[str, list[int]]
    linked: dict[tuple[int, int], list[ImageBuild]]


_INDEX: list[_BuildIndex] = []  # one entry: the facts being evaluated


def _shape(facts: RepoFacts) -> tuple[int, int, int, int]:
    return (id(facts.builds), len(facts.builds), id(facts.links), len(facts.links))


def _build_index(facts: RepoFacts) -> _BuildIndex:
    if _INDEX and _INDEX[0].facts is facts and _INDEX[0].shape == _shape(facts):
        return _INDEX[0]
    tags = [[p for p in (parse_ref(t) for t in build.tags) if p is not None] for build in facts.builds]
    by_key: dict[str, list[int]] = {}
    by_repository: dict[str, list[int]] = {}
    for number, build in enumerate(facts.builds):
        for key in build.link_keys:
            by_key.setdefault(key, []).append(number)
        for repository in {p.repository for p in tags[number]}:
            by_repository.setdefault(repository, []).append(number)
    linked: dict[tuple[int, int], list[ImageBuild]] = {}
    for link in facts.links:
        if link.confidence != "low":
            linked.setdefault((id(link.workload), id(link.image)), []).append(link.build)
    _INDEX[:] = [_BuildIndex(facts, _shape(facts), tags, by_key, by_repository, linked)]
    return _INDEX[0]


def builds_of(facts: RepoFacts, workload: Workload, image: ImageRef) -> list[ImageBuild]:
    """The builds of this repository that produce `image`'s repository (not guessed by naming)."""
    index = _build_index(facts)
    found = list(index.linked.get((id(workload), id(image)), []))
    parts = parse_ref(image.ref) if image.ref else None
    ecr_names = {k.removeprefix("ecr:").lower() for k in image.link_keys if k.startswith("ecr:")}
    candidates: set[int] = set()
    for key in image.link_keys:
        candidates.update(index.by_key.get(key, ()))
    for repository in ecr_names | ({parts.repository} if parts is not None else set()):
        candidates.update(index.by_repository.get(repository, ()))
    for number in sorted(candidates):
        build, tags = facts.builds[number], index.tags[number]
        if build in found:
            continue
        if (
            image.link_keys & build.link_keys
            or (parts is not None and any(_same_repository(parts, p) for p in tags))
            or any(p.repository in ecr_names and (p.is_ecr or not p.registry) for p in tags)
        ):
            found.append(build)
    return found


def image_origin(facts: RepoFacts, workload: Workload, image: ImageRef) -> str:
    if builds_of(facts, workload, image):
        return BUILT
    if not image.resolved or not image.ref or is_placeholder(image.ref) or _INTERPOLATION.search(image.ref):
        return UNKNOWN
    parts = parse_ref(image.ref)
    if parts is None or "*" in parts.registry + parts.repository or parts.is_ecr:
        return UNKNOWN
    return THIRD_PARTY


def display_name(workload: Workload) -> str:
    """The workload as a reader finds it: its address, logical id or construct id; a construct
    whose id is computed is named by its class and line (`FargateTaskDefinition at stack.ts:35`)."""
    base, at, line = workload.name.rpartition("@")
    if at and line.isdigit() and workload.kind.startswith("cdk:"):
        construct = workload.kind.rsplit(".", 1)[-1].removeprefix("cdk:")
        label = base if base and base != construct else ""
        return f"{construct} {label} at {workload.location.path}:{line}".replace("  ", " ")
    return workload.name
