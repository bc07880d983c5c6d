"""What the builds and workloads linked to a Dockerfile say about it.

The Dockerfile rules (ARCH104, ARCH106) and the CDK rule (ARCH401) judge a pin or a hard-coded
architecture against the rest of the repository: the builds that name the Dockerfile and the
workloads linked to those builds. Advice never breaks a linked workload, and a pin that every
build and workload already agrees with is not reported.

It also holds the root-cause grouping (docs/ARCHITECTURE.md, "One root cause, one error"): when a
Dockerfile's pin or architecture-specific base image is why a linked workload cannot run the image
(ARCH301), ARCH301 is the one error; the pin (ARCH104) and the build that requests another
platform (ARCH303) become its related locations instead of findings of their own. A pin that a
build contradicts without breaking a linked workload is reported by ARCH303 (the error), not also by
ARCH104.
"""

from __future__ import annotations

from dataclasses import dataclass

from archmatch.model import (
    ArchEvidence,
    DockerImageFacts,
    Edit,
    ImageBuild,
    Link,
    Location,
    RepoFacts,
    Workload,
)
from archmatch.platforms import How, aws_name


def workload_archs(workload: Workload) -> set[str]:
    """Arches the workload certainly runs on (explicit, service default, or derived)."""
    if workload.arch.how in (How.EXPLICIT, How.DEFAULT, How.DERIVED):
        return set(workload.arch.archs)
    return set()


def image_of(facts: RepoFacts, build: ImageBuild) -> DockerImageFacts | None:
    df = facts.dockerfiles.get(build.dockerfile) if build.dockerfile else None
    return df.image_facts(build.target) if df is not None else None


def builds_exactly(build: ImageBuild, arch: str) -> bool:
    return build.platforms.how is How.EXPLICIT and build.platforms.archs == {arch}


@dataclass
class Consumers:
    """The builds of one Dockerfile (target) and the workloads linked to them."""

    builds: list[ImageBuild]
    links: list[Link]

    def workloads_needing(self, arch: str) -> list[Workload]:
        return _unique([link.workload for link in self.links if arch in workload_archs(link.workload)])

    def workloads_not_running(self, arch: str) -> list[Workload]:
        return _unique([link.workload for link in self.links if workload_archs(link.workload) - {arch}])

    def agree_on(self, arch: str) -> bool:
        """Something builds it, every build requests exactly `arch`, every linked workload runs it."""
        return (
            bool(self.builds)
            and all(builds_exactly(b, arch) for b in self.builds)
            and not self.workloads_not_running(arch)
        )

    def not_requesting(self, arch: str) -> list[ImageBuild]:
        """Builds that would not certainly produce `arch` if the Dockerfile did not pin it."""
        return [b for b in self.builds if not builds_exactly(b, arch)]


def _unique(workloads: list[Workload]) -> list[Workload]:
    seen: dict[str, Workload] = {}
    for w in workloads:
        seen.setdefault(w.id, w)
    return list(seen.values())


def consumers(facts: RepoFacts, path: str, final_stage: str | None = None) -> Consumers:
    """Builds of the Dockerfile at `path` (only those whose image is `final_stage`, when given)."""
    builds = []
    for build in facts.builds:
        if build.dockerfile != path:
            continue
        if final_stage is not None:
            image = image_of(facts, build)
            if image is None or image.final_stage != final_stage:
                continue
        builds.append(build)
    ids = {b.id for b in builds}
    return Consumers(builds, [link for link in facts.links if link.build.id in ids])


def names(workloads: list[Workload]) -> str:
    shown = [f"{w.name} ({'/'.join(aws_name(a) for a in sorted(workload_archs(w)))})" for w in workloads[:3]]
    more = f" and {len(workloads) - 3} more" if len(workloads) > 3 else ""
    return ", ".join(shown) + more


def build_names(builds: list[ImageBuild]) -> str:
    shown = [b.name for b in builds[:3]]
    more = f" and {len(builds) - 3} more" if len(builds) > 3 else ""
    return ", ".join(shown) + more


# --- root cause: a Dockerfile decides the content a linked workload cannot run ---------------------


@dataclass(frozen=True)
class DockerfileCause:
    """Why a linked workload's image lacks its architecture: the Dockerfile's evidence."""

    link: Link
    arch: str  # the architecture the workload runs and the image lacks
    evidence: ArchEvidence  # the final-stage pin or the architecture-specific base image
    image: DockerImageFacts

    @property
    def is_pin(self) -> bool:
        return self.image.pinned is not None and self.image.pinned.location == self.evidence.location


def dockerfile_cause(facts: RepoFacts, link: Link, arch: str) -> DockerfileCause | None:
    """Why the image lacks `arch`, when a Dockerfile pin or base image decides it."""
    # imported on use: a Dockerfile linted alone (`archmatch dockerfile`) has no links (start-up time)
    from archmatch.link.effective import image_arch

    img = image_arch(link.build, facts)
    image = img.dockerfile
    if image is None:
        return None
    for evidence in (image.pinned, image.base_arch):
        if evidence is not None and evidence.certain:
            return DockerfileCause(link, arch, evidence, image) if evidence.arch != arch else None
    return None


def dockerfile_causes(facts: RepoFacts) -> list[DockerfileCause]:
    """Every (link, arch) that ARCH301 reports because of a Dockerfile pin or base image."""
    out = []
    for link in facts.links:
        for arch in sorted(workload_archs(link.workload)):
            cause = dockerfile_cause(facts, link, arch)
            if cause is not None:
                out.append(cause)
    return out


def folded_pins(facts: RepoFacts) -> set[Location]:
    """Dockerfile pins that are the root cause of an ARCH301 error (reported there, not by ARCH104)."""
    return {c.evidence.location for c in dockerfile_causes(facts) if c.is_pin}


def contradicted_pins(facts: RepoFacts) -> set[Location]:
    """Final-stage pins that a build explicitly contradicts (ARCH303 reports them, naming the pin)."""
    out: set[Location] = set()
    for build in facts.builds:
        image = image_of(facts, build) if build.platforms.how is How.EXPLICIT else None
        pin = image.pinned if image is not None else None
        if pin is not None and pin.certain and build.platforms.archs - {pin.arch}:
            out.add(pin.location)
    return out


def folded_builds(facts: RepoFacts) -> set[tuple[str, Location]]:
    """(build id, Dockerfile evidence) pairs whose contradiction ARCH301 already reports (ARCH303)."""
    return {(c.link.build.id, c.evidence.location) for c in dockerfile_causes(facts)}


def remove_pin_edit(image: DockerImageFacts) -> Edit | None:
    if image.pinned is None or not image.pin_flag:
        return None
    return Edit(Location(image.path, image.pinned.location.line), "", find=image.pin_flag)


def pin_removal_safe(
    facts: RepoFacts, image: DockerImageFacts, extra: dict[str, set[str]] | None = None
) -> bool:
    """Would every linked workload of this Dockerfile target still run its image without the pin?

    `extra` maps build ids to the platforms they will request after the same fix (a fix that also
    pins a build)."""
    group = consumers(facts, image.path, image.final_stage)
    planned = extra or {}
    base = image.base_arch.arch if image.base_arch is not None and image.base_arch.certain else None
    for link in group.links:
        build = link.build
        requested = planned.get(build.id) or (
            set(build.platforms.archs) if build.platforms.how is How.EXPLICIT else set()
        )
        for arch in workload_archs(link.workload):
            if arch not in requested or (base is not None and base != arch):
                return False
    return True
