"""ARCH303: a pinned Dockerfile contradicts the platform its build requests (mislabelled image).

When the same pin is why a linked workload cannot run the image, ARCH301 reports the error and
names this build as related (one root cause, one error)."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.fixrender import request_platform
from archmatch.model import (
    Applicability,
    ArchEvidence,
    DockerImageFacts,
    Finding,
    Fix,
    ImageBuild,
    Related,
    RepoFacts,
)
from archmatch.platforms import How
from archmatch.rules import make
from archmatch.rules._linked import consumers, folded_builds, names, pin_removal_safe, remove_pin_edit


def _fixes(facts: RepoFacts, build: ImageBuild, image: DockerImageFacts, evidence: ArchEvidence) -> list[Fix]:
    group = consumers(facts, image.path, image.final_stage)
    needing_pin = group.workloads_needing(evidence.arch)
    keep = request_platform(build, evidence.arch, facts=facts)
    keep_fix = Fix(
        f"request linux/{evidence.arch}, the platform the Dockerfile builds: {keep.description}",
        keep.edits,
        keep.diff,
        keep.applicability,
    )
    if evidence is not image.pinned:  # an architecture-specific base image
        move = Fix(
            f"replace the architecture-specific base image at {evidence.location} with its multi-architecture name "
            "(drop the arm64v8/ or amd64/ prefix, the -arm64/-x86_64 tag suffix) so the requested platform applies",
        )
        return [keep_fix, move] if needing_pin else [move, keep_fix]
    edit = remove_pin_edit(image)
    safe = edit is not None and pin_removal_safe(facts, image)
    remove = Fix(
        f"remove `{image.pin_flag.strip()}` from {evidence.location} so the requested platform applies",
        (edit,) if safe and edit is not None else (),
        diff=f"- {evidence.reason}\n+ {evidence.reason.replace(image.pin_flag, '', 1)}"
        if image.pin_flag
        else "",
        applicability=Applicability.SAFE,  # only when no linked workload needs the pin
    )
    if needing_pin:  # the pin keeps these workloads right: fix the request, not the Dockerfile
        keep_fix = Fix(
            keep_fix.description + f" ({names(needing_pin)} run{'s' if len(needing_pin) == 1 else ''} it)",
            keep_fix.edits,
            keep_fix.diff,
            keep_fix.applicability,
        )
        return [keep_fix]
    return [remove, keep_fix]


def check(facts: RepoFacts) -> Iterator[Finding]:
    folded = folded_builds(facts)
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
            if (build.id, evidence.location) in folded:
                break  # ARCH301 reports this contradiction as the root cause of a workload's failure
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
                related=[
                    Related(
                        evidence.location,
                        f"{evidence.reason}: content is {evidence.arch} (the pin ARCH104 would report)",
                    ),
                    *build.dockerfile_evidence(),
                ],
                fixes=_fixes(facts, build, image, evidence),
            )
            break
