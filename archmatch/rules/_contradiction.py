"""Builds that request a platform their Dockerfile's content cannot be for (ARCH307), shared with
ARCH106 so that the hard-coded architecture it would warn about is reported once, as the error.

The content is decided whatever platform the build requests when what reaches the final image
(the final stage's chain, or a stage it copies from) is built or fetched for one architecture:

* a constant architecture (`GOARCH=amd64`, a compiler target, a file named `…linux-amd64…` in the
  final stage) that `DockerImageFacts.hardcoded` marks certain;
* an ARG default that decides it (`ARG GOARCH=amd64` read by `go build`, a stage's
  `ARG TARGETARCH=amd64`: BuildKit keeps a stage ARG's default unless the build passes that build
  arg), when the build's build args are known and do not name it;
* for a build of several platforms, a download chosen by the build host's architecture
  (`$BUILDPLATFORM`, `$BUILDARCH`): one build host, so every other variant holds its file.

Left to other rules: final-stage pins and architecture-specific base images (ARCH303/ARCH301,
ARCH105 for a hard-coded architecture that contradicts them), a final stage on $BUILDPLATFORM
(ARCH101), host compiles (ARCH103), and a constant architecture that breaks a linked workload
(ARCH301 reports it on the workload).
"""

from __future__ import annotations

from dataclasses import dataclass

from archmatch.model import ArchEvidence, DockerImageFacts, ImageBuild, Location, Related, RepoFacts
from archmatch.platforms import How
from archmatch.rules._linked import image_of, workload_archs


@dataclass(frozen=True)
class Contradiction:
    """A build that requests architectures its image content is not for."""

    build: ImageBuild
    image: DockerImageFacts
    missing: tuple[str, ...]  # requested architectures the content is not for
    hardcoded: ArchEvidence | None  # the constant architecture, or
    host_download: Related | None  # the build host's download (several platforms requested)

    @property
    def location(self) -> Location:
        evidence = self.hardcoded.location if self.hardcoded else self.host_download.location  # type: ignore[union-attr]
        return evidence


def _decides(build: ImageBuild, evidence: ArchEvidence) -> bool:
    if evidence.certain:
        return True
    return bool(evidence.arg) and build.build_args is not None and evidence.arg not in build.build_args


def _certain(evidence: ArchEvidence | None) -> bool:
    return evidence is not None and evidence.certain


def _reported_by_arch301(
    facts: RepoFacts, build: ImageBuild, evidence: ArchEvidence, missing: set[str]
) -> bool:
    """ARCH301 reports a certain hard-coded architecture on each linked workload it breaks."""
    if not evidence.certain:
        return False
    return any(link.build is build and workload_archs(link.workload) & missing for link in facts.links)


def contradiction(facts: RepoFacts, build: ImageBuild) -> Contradiction | None:
    if build.platforms.how is not How.EXPLICIT or not build.platforms.archs:
        return None
    image = image_of(facts, build)
    if image is None or _certain(image.pinned) or _certain(image.base_arch) or image.from_buildplatform:
        return None
    requested = build.platforms.archs
    for evidence in image.hardcoded:
        missing = set(requested) - {evidence.arch}
        if missing and _decides(build, evidence):
            if _reported_by_arch301(facts, build, evidence, missing):
                return None
            return Contradiction(build, image, tuple(sorted(missing)), evidence, None)
    if len(requested) > 1 and image.host_downloads:
        return Contradiction(build, image, tuple(sorted(requested)), None, image.host_downloads[0])
    return None


def contradictions(facts: RepoFacts) -> list[Contradiction]:
    found = (contradiction(facts, build) for build in facts.builds)
    return [c for c in found if c is not None]


def contradicted_locations(facts: RepoFacts) -> set[Location]:
    """Dockerfile lines that ARCH307 reports as the cause of an error."""
    return {c.location for c in contradictions(facts)}
