"""ARCH201: an image workload with no declared architecture runs x86_64 only because the service
defaults to it.

Only where the service itself picks x86_64 when nothing is written: image-packaged Lambda
functions, ECS task definitions that run on Fargate (`requiresCompatibilities` FARGATE, a FARGATE
launch type or Fargate capacity providers) and Fargate Batch jobs. Not EC2 launch types (the
container instances decide: ARCH206 judges them), not task definitions whose compatibility is
unknown, not App Runner (it has no architecture to declare; it runs x86_64, which ARCH301/ARCH302
judge against the build), not SAM functions built from `Metadata: Dockerfile` (`sam build` derives
the platform from the function, so the two cannot disagree). Only for images this repository builds or whose origin is unknown: a
workload that runs only third-party images (`public.ecr.aws/nginx/nginx:1.27`) has nothing of its
own to mismatch.

Facts read: Workload.service, .arch.how == DEFAULT, .arch_syntax, .deploys_to, .lambda_.package_type
(Lambda), .ecs.fargate (ECS, Batch: `aws.ecs.runs_on_fargate` for task definitions),
RepoFacts.links and RepoFacts.builds (what builds the image, and for which platform). A build
linked to the workload that cannot match is ARCH301's, an unpinned one ARCH302's (one root cause,
one finding); builds whose image certainly holds x86_64 agree with the default (nothing to say).
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.fixrender import declaration
from archmatch.link.effective import Verdict, image_arch, supports
from archmatch.model import Finding, ImageBuild, RepoFacts, Workload
from archmatch.platforms import How
from archmatch.rules import make
from archmatch.rules.iac._common import THIRD_PARTY, builds_of, display_name, image_origin

_SERVICE = {"lambda": "Lambda", "ecs": "ECS on Fargate", "batch": "AWS Batch on Fargate"}


def _on_fargate(w: Workload) -> bool:
    """`ecs.fargate` only (`aws.ecs.runs_on_fargate` for every format): a launch type that says
    FARGATE is not enough, a capacity provider strategy or EC2-only compatibilities override it."""
    return w.ecs is not None and w.ecs.fargate


def _applies(w: Workload) -> bool:
    if w.arch.how is not How.DEFAULT or w.service not in _SERVICE or w.deploys_to is not None:
        return False  # a CLI command deploying to a template's function: the function is judged
    if w.service == "lambda":
        return w.lambda_ is not None and w.lambda_.package_type.lower() == "image"
    return _on_fargate(w)


def _built_arch(builds: list[ImageBuild]) -> tuple[str, ImageBuild] | None:
    """The one architecture every build of the image pins, with a build that says so."""
    archs = {a for b in builds for a in b.platforms.archs}
    if not builds or len(archs) != 1 or any(b.platforms.how is not How.EXPLICIT for b in builds):
        return None
    return next(iter(archs)), builds[0]


def _verdict(facts: RepoFacts, w: Workload, build: ImageBuild) -> Verdict:
    found = {supports(image_arch(build, facts), arch)[0] for arch in w.arch.archs}
    for verdict in (Verdict.NO, Verdict.HOST, Verdict.UNKNOWN):
        if verdict in found:
            return verdict
    return Verdict.YES


def _said_elsewhere_or_agrees(facts: RepoFacts, w: Workload, builds: list[ImageBuild]) -> bool:
    """A linked build that cannot match (ARCH301) or depends on the build host (ARCH302) is
    reported there, with its fix: one root cause, one finding. Builds whose image certainly holds
    x86_64 agree with the default: nothing to act on. When the image is linked to its builds (by
    reference, or repository and tag), those are the ones it runs: another build pushing another
    tag of the repository (`:$TAG.arm64` for an arm64 worker) says nothing about this workload."""
    if not builds:
        return False
    linked = {id(link.build) for link in facts.links if link.workload is w}
    verdicts = [_verdict(facts, w, b) for b in builds]
    if any(
        id(b) in linked and v in (Verdict.NO, Verdict.HOST) for b, v in zip(builds, verdicts, strict=True)
    ):
        return True
    judged = [v for b, v in zip(builds, verdicts, strict=True) if id(b) in linked] or verdicts
    return all(v is Verdict.YES for v in judged)


def advice(w: Workload, builds: list[ImageBuild]) -> str:
    built = _built_arch(builds)
    if built is not None:
        arch, build = built
        return f"its image is built for linux/{arch} ({build.name}): state it with {declaration(w, arch)}"
    return (
        "state the architecture its image is built for: "
        f"{declaration(w, 'amd64')} or {declaration(w, 'arm64')} (and pin the build to the same)"
    )


def check(facts: RepoFacts) -> Iterator[Finding]:
    for w in facts.workloads:
        if not _applies(w):
            continue
        origins = [image_origin(facts, w, image) for image in w.images]
        if origins and all(o == THIRD_PARTY for o in origins):
            continue  # only third-party images: nothing of this repository's to mismatch
        builds = [b for image in w.images for b in builds_of(facts, w, image)]
        if builds and all(b.source == "sam" for b in builds):
            continue  # `sam build` derives the platform from the function: they cannot disagree
        if _said_elsewhere_or_agrees(facts, w, builds):
            continue
        yield make(
            "ARCH201",
            w.location,
            w.name,
            workload=display_name(w),
            service=_SERVICE[w.service],
            advice=advice(w, builds),
        )
