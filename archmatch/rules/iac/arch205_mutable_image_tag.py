"""ARCH205: a workload runs an image that this repository builds by a mutable tag (`:latest` or
no tag, no digest), and a build here could overwrite it with another architecture.

Facts read: Workload.images[].ref / .link_keys, RepoFacts.links and RepoFacts.builds (which
builds produce the image's repository), RepoFacts.extra.kustomize_images (kustomization
`images:` entries that replace the tag). Not reported:
- images nobody here builds (nginx, busybox, registry.k8s.io/pause, vendor images): their tags are
  the vendor's business, and a vendor's `latest` is a multi-arch index;
- SAM functions built from `Metadata: Dockerfile` (`sam deploy` pushes a content-addressed tag);
- images whose tag a kustomization's `images:` entry replaces (newTag or digest);
- placeholders (`REPLACE_ME_...`, `IMAGE_URI`, `<account>`, `{{ .Values.image }}`) and references
  ending in an unresolved `${...}` (the real value may carry a tag or a digest);
- images whose every build here pins its platform, in the build or in its Dockerfile (a final stage
  `FROM --platform=linux/amd64 ...`, an architecture-specific base image): a push from any machine
  gives the same arch;
- images whose every unpinned build ARCH302 already reports for this workload: one root cause, one
  finding, and ARCH302's fix (request the workload's platform in the build) removes this one's cause.
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.link.effective import Verdict, image_arch
from archmatch.link.imageref import parse_ref
from archmatch.model import Finding, ImageBuild, ImageRef, KustomizeImage, Related, RepoFacts
from archmatch.platforms import How
from archmatch.rules import make
from archmatch.rules.crossfile._common import verdicts
from archmatch.rules.iac._common import builds_of, is_placeholder

_REPOSITORY_URL = ".repository_url}"


# String tests rather than the regexes `\$\{[^}]*\}$|\$\{\{.*\}\}$` and
# `\$\{[^}]*\.repository_url\}$`, which `search` tries from every `${` of a long run (quadratic).
def _ends(ref: str) -> list[str]:
    """The texts whose end `$` may mark: the whole ref, and the ref without one final newline."""
    return [ref, ref[:-1]] if ref.endswith("\n") else [ref]


def _ends_with_placeholder(ref: str) -> bool:
    """`${...}` (no `}` inside) or `${{ ... }}` (on the last line) at the end of the ref."""
    for s in _ends(ref):
        inner_close = s.rfind("}", 0, len(s) - 1)
        if s.endswith("}") and "${" in s[inner_close + 1 : -1]:
            return True
        line = s[s.rfind("\n") + 1 :]
        if line.endswith("}}") and "${{" in line[:-2]:
            return True
    return False


def _ends_with_bare_repository(ref: str) -> bool:
    """`${<anything without }>.repository_url}` at the end: the repository alone, no tag."""
    for s in _ends(ref):
        inner_close = s.rfind("}", 0, len(s) - 1)
        if s.endswith(_REPOSITORY_URL) and "${" in s[inner_close + 1 : len(s) - len(_REPOSITORY_URL)]:
            return True
    return False


def _mutable(ref: str) -> str | None:
    parts = parse_ref(ref)
    if parts is None or not parts.mutable or is_placeholder(ref):
        return None
    if parts.tag == "latest":
        return "the tag latest"
    if _ends_with_placeholder(ref) and not _ends_with_bare_repository(ref):
        return None  # `${var.image}` may hold a tag or digest
    return "no tag (so latest)"


def _kustomized(image: ImageRef, overrides: list[KustomizeImage]) -> bool:
    """A kustomization `images:` entry that sets a tag or digest for this image name."""
    parts = parse_ref(image.ref)
    if parts is None:
        return False
    written = image.ref.split("@", 1)[0].rsplit(":", 1)[0] if parts.tag else image.ref.split("@", 1)[0]
    names = {written.lower(), parts.repository}
    return any(o.name.lower() in names and (o.new_tag or o.digest) for o in overrides)


def _rewritten_or_pinned(builds: list[ImageBuild], facts: RepoFacts) -> bool:
    if any(b.source == "sam" for b in builds):
        return True  # sam deploy replaces the local tag with a content-addressed one
    return not any(_unpinned(b, facts) for b in builds)


def _unpinned(build: ImageBuild, facts: RepoFacts) -> bool:
    """A build whose pushes may hold another architecture next time; one that only a machine of a
    known architecture runs (a hosted CI runner, a CodeBuild environment type) pushes that one, and
    so does one whose Dockerfile fixes the content (a pinned final stage, an arch-specific base)."""
    if build.platforms.settled_host is not None:
        return False
    if build.platforms.how is How.HOST:
        img = image_arch(build, facts)
        if img.content and img.host_content is None:
            return False
    return build.platforms.how is not How.EXPLICIT or not build.platforms.known


def check(facts: RepoFacts) -> Iterator[Finding]:
    overrides = facts.extra.kustomize_images
    # (workload, image, build) that ARCH302 reports: the build follows its host, the workload needs an arch
    host_links = {(id(lk.workload), id(lk.image), id(lk.build)) for lk, *_ in verdicts(facts, Verdict.HOST)}
    for w in facts.workloads:
        for image in w.images:
            reason = _mutable(image.ref) if image.ref else None
            if reason is None or _kustomized(image, overrides):
                continue
            builds = builds_of(facts, w, image)
            if not builds or _rewritten_or_pinned(builds, facts):
                continue
            uncovered = [
                b for b in builds if _unpinned(b, facts) and (id(w), id(image), id(b)) not in host_links
            ]
            if not uncovered:
                continue
            build = uncovered[0]
            related = [
                Related(build.location, f"{build.name} pushes this repository without pinning a platform")
            ]
            yield make(
                "ARCH205",
                image.location,
                w.name,
                workload=w.name,
                ref=image.ref,
                reason=reason,
                build=build.name,
                related=related,
            )
