"""ARCH301: the image's architecture set cannot include the workload's architecture.

A function that an `aws lambda update-function-code` of the repository deploys the same build to,
with a link at least as strong, is reported once, by the command's finding (which names the
function and lands on its declaration).

When a Dockerfile pin or architecture-specific base image decides the content, this is the one
error for that root cause: the pin (ARCH104) and a build that requests another platform (ARCH303)
become related locations, and the fix edits the Dockerfile."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.fixrender import request_platform, set_architecture
from archmatch.link.effective import ImageArch, Verdict, image_arch, supports
from archmatch.model import Applicability, Finding, Fix, ImageBuild, Link, Related, RepoFacts, Workload
from archmatch.platforms import How
from archmatch.rules import make
from archmatch.rules._linked import DockerfileCause, dockerfile_cause, pin_removal_safe, remove_pin_edit
from archmatch.rules.crossfile._common import (
    LAMBDA_SERVICES,
    confidence_note,
    folded_into_commands,
    how_declared,
    lam,
    link_properties,
    other_candidates,
    primary_location,
    related_for,
    same_call,
    same_call_groups,
    verdicts,
)


def _requests(build: ImageBuild, arch: str) -> bool:
    return build.platforms.how is How.EXPLICIT and arch in build.platforms.archs


def _cause_fix(facts: RepoFacts, cause: DockerfileCause, lambda_target: bool) -> Fix:
    """Make the Dockerfile follow the requested platform (and request the workload's arch)."""
    build, arch, evidence, image = cause.link.build, cause.arch, cause.evidence, cause.image
    plat = f"linux/{arch}"
    pin_build = (
        None
        if _requests(build, arch)
        else request_platform(build, arch, lambda_target=lambda_target, facts=facts)
    )
    if not cause.is_pin:
        text = (
            f"replace the architecture-specific base image at {evidence.location} ({evidence.reason}) with its "
            "multi-architecture name (drop the arm64v8/ or amd64/ prefix, the -arm64/-x86_64 tag suffix)"
        )
        return Fix(
            text + (f", and {pin_build.description}" if pin_build else ""),
            diff=pin_build.diff if pin_build else "",
        )
    flag = image.pin_flag.strip() or "--platform"
    edit = remove_pin_edit(image)
    diff = (
        f"- {evidence.reason}\n+ {evidence.reason.replace(image.pin_flag, '', 1)}" if image.pin_flag else ""
    )
    if pin_build is None:
        description = f"remove `{flag}` from {evidence.location}: {build.name} already requests {plat}"
        edits = (edit,) if edit is not None and pin_removal_safe(facts, image) else ()
        return Fix(description, edits, diff, Applicability.SAFE)
    planned = {build.id: {arch}}
    mechanical = edit is not None and bool(pin_build.edits) and pin_removal_safe(facts, image, planned)
    return Fix(
        f"remove `{flag}` from {evidence.location} and {pin_build.description}",
        (edit, *pin_build.edits) if mechanical and edit is not None else (),
        "\n".join(x for x in (diff, pin_build.diff) if x),
        Applicability.SAFE.weakest(pin_build.applicability),
    )


def _workload_alternative(
    facts: RepoFacts, link: Link, img: ImageArch, arch: str, cause: DockerfileCause | None
) -> Fix | None:
    """Run the workload on the image's architecture instead, unless that leaves a mislabelled build."""
    other = sorted(img.content or img.build.platforms.host_hint or img.build.platforms.archs)
    if len(other) != 1 or link.workload.service == "apprunner":
        return None  # App Runner has no architecture to change: it runs x86_64
    build = link.build
    derived_from_workload = build.fix_syntax == "sam"  # sam build derives --platform from Architectures
    if (
        cause is not None
        and build.platforms.how is How.EXPLICIT
        and build.platforms.archs != {other[0]}
        and not derived_from_workload
    ):
        return None  # the build would still request another platform than the Dockerfile builds (ARCH303)
    w = link.workload
    if w.batch is not None and w.batch.environments is not None:
        return Fix(  # an EC2 job runs on its environments' instances: they change, not the job
            f"or run {w.name} on {lam(other[0])} compute environments: its architecture comes from "
            f"{w.batch.environments.basis}"
        )
    fix = set_architecture(link.workload, other[0], current=arch)
    sharing = sorted(
        o.name
        for o in facts.workloads
        if o is not w
        and o.arch_location is not None
        and o.arch_location == w.arch_location
        and not _same_function(o, w)
    )
    if sharing:  # a shared parameter/variable: editing it would move the other workloads too
        note = f" (the value at {w.arch_location} is shared with {', '.join(sharing)}: give {w.name} its own)"
        return Fix(fix.description + note, (), fix.diff)
    stranded = _stranded_builds(facts, link, other[0])
    if stranded:  # another build of the same image would then be the one that cannot run
        return Fix(
            f"{fix.description} (then {', '.join(stranded)}, also linked to this image, cannot run there)"
        )
    return fix


def _stranded_builds(facts: RepoFacts, link: Link, arch: str) -> list[str]:
    """The other builds linked to the link's image whose image certainly cannot run on `arch`."""
    return sorted(
        {
            other.build.name
            for other in facts.links
            if other.workload is link.workload
            and other.image is link.image
            and other.build is not link.build
            and supports(image_arch(other.build, facts), arch)[0] is Verdict.NO
        }
    )


def _same_function(a: Workload, b: Workload) -> bool:
    """A CLI command that deploys to a template's function, and that function: one architecture."""
    return (a.deploys_to is not None and a.deploys_to.location == b.location) or (
        b.deploys_to is not None and b.deploys_to.location == a.location
    )


def _cause_related(link: Link, img: ImageArch, cause: DockerfileCause) -> list[Related]:
    build, evidence = link.build, cause.evidence
    note = (
        "reported here instead of ARCH104"
        if cause.is_pin
        else "ARCH107 gives the multi-architecture image name"
    )
    out = [
        Related(
            evidence.location, f"root cause: {evidence.reason} fixes the content to {evidence.arch} ({note})"
        )
    ]
    if build.platforms.how is How.EXPLICIT and build.platforms.archs - {evidence.arch}:
        requested = "/".join(sorted(build.platforms.archs))
        out.append(
            Related(
                build.platform_location or build.location,
                f"{build.name} requests {requested} but gets {evidence.arch} content: a mislabelled image (reported here instead of ARCH303)",
            )
        )
    covered = {r.location for r in out}
    build_line = build.platform_location or build.location
    out += [
        r
        for r in related_for(link, img)
        if r.location not in covered or r.location != build_line and r.location != evidence.location
    ]
    return out


def check(facts: RepoFacts) -> Iterator[Finding]:
    found = list(verdicts(facts, Verdict.NO))
    reported_by_command = folded_into_commands([link for link, _, _, _ in found])
    # one root cause, one error: the deploy command's finding reports the workload it deploys to
    found = [f for f in found if not reported_by_command(f[0])]
    causes = [dockerfile_cause(facts, link, arch) for link, _, arch, _ in found]
    # candidate builds of one call that the platform request alone decides: one finding
    undecided = [(link, arch) for (link, _, arch, _), c in zip(found, causes, strict=True) if c is None]
    groups = same_call_groups(undecided)
    for (link, img, arch, why), cause in zip(found, causes, strict=True):
        w = link.workload
        candidates = groups.get(same_call(link, arch), []) if cause is None else []
        if candidates and candidates[0] is not link.build:
            continue  # another candidate folder of the same call: reported with the first
        if w.pod is not None and w.pod.sole_capacity is not None:
            continue  # placed only by its project's node groups: ARCH305 reports that pod
        lambda_target = w.service in LAMBDA_SERVICES
        if cause is not None:
            fixes = [_cause_fix(facts, cause, lambda_target)]
            related = _cause_related(link, img, cause)
            why = f"{why} in {cause.evidence.location}"
        else:
            fixes = [request_platform(link.build, arch, lambda_target=lambda_target, facts=facts)]
            related = [*related_for(link, img), *other_candidates(candidates)]
        alternative = _workload_alternative(facts, link, img, arch, cause)
        if alternative is not None:
            fixes.append(alternative)
        yield make(
            "ARCH301",
            primary_location(w),
            w.name,
            workload=w.name,
            workload_arch=lam(arch),
            how=how_declared(w),
            build=link.build.name,
            build_file=str(link.build.location),
            why=why,
            confidence=confidence_note(link),
            evidence=link.evidence,
            related=related,
            fixes=fixes,
            properties=link_properties(link),
        )
