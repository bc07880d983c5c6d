"""Effective image architecture: the requested platforms, overridden or contradicted by what
the Dockerfile bakes in (final-stage pin, arch-specific base image, hard-coded binaries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from archmatch.model import ArchEvidence, DockerImageFacts, ImageBuild, Location, Related, RepoFacts
from archmatch.platforms import HOST_BRANCH_NOTE, HOST_TEST_NOTE, How


class Verdict(str, Enum):
    YES = "yes"  # the image holds the architecture
    NO = "no"  # it certainly does not
    HOST = "host"  # it depends on the machine that runs the build
    UNKNOWN = "unknown"


@dataclass
class ImageArch:
    """What architectures the image a build produces is for, and why."""

    build: ImageBuild
    dockerfile: DockerImageFacts | None
    content: frozenset[str]  # archs the content is certainly for (empty: not known)
    content_reason: str
    content_location: Location | None
    host_content: Location | None  # content is build-host arch whatever is requested
    evidence: list[Related] = field(default_factory=list)

    def describe(self) -> str:
        if self.content:
            return f"{'/'.join(sorted(self.content))} ({self.content_reason})"
        return self.build.platforms.describe()


def _certain(e: ArchEvidence | None) -> ArchEvidence | None:
    return e if e is not None and e.certain else None


def image_arch(build: ImageBuild, facts: RepoFacts) -> ImageArch:
    df = facts.dockerfiles.get(build.dockerfile) if build.dockerfile else None
    image = df.image_facts(build.target) if df is not None else None
    evidence: list[Related] = []
    content: frozenset[str] = frozenset()
    reason, where = "", None
    host_content = None
    evidence.extend(build.dockerfile_evidence())
    if image is not None:
        decisive = _certain(image.pinned) or _certain(image.base_arch)
        if decisive is not None:
            content, reason, where = frozenset({decisive.arch}), decisive.reason, decisive.location
            evidence.append(Related(decisive.location, f"{decisive.reason}: content is {decisive.arch}"))
        for hard in image.hardcoded:
            if hard.certain:
                evidence.append(Related(hard.location, f"{hard.reason}: hard-codes {hard.arch}"))
        host_content = image.from_buildplatform or (image.host_binaries[0] if image.host_binaries else None)
        if host_content is not None:
            evidence.append(
                Related(host_content, "built on $BUILDPLATFORM: binaries are the build host's architecture")
            )
    if (
        not content
        and build.platforms.how in (How.EXPLICIT, How.DERIVED, How.DEFAULT)
        and build.platforms.archs
    ):
        content, reason = (
            build.platforms.archs,
            f"{build.name} requests {', '.join('linux/' + a for a in sorted(build.platforms.archs))}",
        )
        where = build.platform_location or build.location
    return ImageArch(build, image, content, reason, where, host_content, evidence)


def supports(img: ImageArch, arch: str) -> tuple[Verdict, str]:
    """Can this image run on `arch`? With the reason in words."""
    hard = [e for e in (img.dockerfile.hardcoded if img.dockerfile else []) if e.certain and e.arch != arch]
    if img.content:
        if arch not in img.content:
            return Verdict.NO, f"the image is {img.describe()}"
        if hard:
            return Verdict.NO, f"{hard[0].reason} hard-codes {hard[0].arch} binaries"
        if img.host_content is not None:
            return Verdict.HOST, "the final stage is built on $BUILDPLATFORM"
        return Verdict.YES, ""
    if hard:
        return Verdict.NO, f"{hard[0].reason} hard-codes {hard[0].arch} binaries"
    platforms = img.build.platforms
    if platforms.how is How.HOST and img.build.dockerfile_unread:
        return Verdict.UNKNOWN, f"its Dockerfile is not read ({img.build.dockerfile_unread})"
    if platforms.how is How.HOST:
        if platforms.host_hint and arch not in platforms.host_hint:
            return (
                Verdict.NO,
                f"the build has no platform, so it builds for its {'/'.join(sorted(platforms.host_hint))} host ({platforms.note})",
            )
        if platforms.note.startswith((HOST_TEST_NOTE, HOST_BRANCH_NOTE)):
            return Verdict.HOST, f"its {platforms.note}: the machine that runs it decides"
        if platforms.settled_host == arch:  # only ever built on a machine of this architecture
            return Verdict.YES, ""
        return Verdict.HOST, "the build has no platform: the machine that runs it decides"
    return Verdict.UNKNOWN, platforms.describe()
