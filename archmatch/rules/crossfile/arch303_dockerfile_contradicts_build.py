"""ARCH303: a pinned Dockerfile contradicts the platform its build requests (mislabelled image)."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, Fix, Related, RepoFacts
from archmatch.platforms import How
from archmatch.rules import make


def check(facts: RepoFacts) -> Iterator[Finding]:
    for build in facts.builds:
        if build.platforms.how is not How.EXPLICIT or not build.dockerfile:
            continue
        df = facts.dockerfiles.get(build.dockerfile)
        image = df.image_facts(build.target) if df is not None else None
        if image is None:
            continue
        for evidence in (image.pinned, image.base_arch):
            if evidence is None or not evidence.certain:
                continue
            missing = sorted(build.platforms.archs - {evidence.arch})
            if not missing:
                continue
            yield make(
                "ARCH303",
                build.platform_location or build.location,
                build.name,
                build=build.name,
                requested="/".join(f"linux/{a}" for a in sorted(build.platforms.archs)),
                dockerfile=str(evidence.location),
                reason=evidence.reason,
                content=evidence.arch,
                missing=", ".join(missing),
                related=[Related(evidence.location, f"{evidence.reason}: content is {evidence.arch}")],
                fixes=[
                    Fix(
                        f"remove the constant platform from {evidence.location} so the requested platform applies",
                        diff=f"- {evidence.reason}\n+ FROM <image> (no --platform; multi-arch base image)",
                    )
                ],
            )
            break

