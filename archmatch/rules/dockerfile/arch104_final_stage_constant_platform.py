"""ARCH104: the final stage is pinned to a constant platform.

Judged against the builds of the Dockerfile and the workloads linked to them: a pin that every
build and workload agrees with is not reported, and neither is a pin that keeps every linked
workload right while the builds request no platform (BuildKit then takes the image's platform from
the pinned final stage, so the image is right on any build host). A Dockerfile nothing here
builds (built by hand) is judged against the workloads of its project whose image is named like its
folder (`link/byhand.py`): a pin they all run is what keeps them right, whoever builds it. A pin
that is the root cause of an ARCH301 error is reported there, one that a build contradicts by
ARCH303.
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.dockerfile_model import DockerfileAnalysis, Stage
from archmatch.model import Applicability, Finding, Fix, Related, RepoFacts
from archmatch.platforms import How
from archmatch.rules import make
from archmatch.rules._linked import (
    Consumers,
    build_names,
    builds_exactly,
    consumers,
    contradicted_pins,
    folded_pins,
    names,
    workload_archs,
)
from archmatch.rules.dockerfile._common import (
    analyses,
    describe_arch,
    entity,
    final_stages,
    remove_platform_flag,
)


def _keeps_linked_workloads_right(group: Consumers, arch: str) -> bool:
    """Some workload is linked, every linked workload runs `arch`, and every build requests either
    nothing (the pinned final stage then decides the image's platform, on any host) or `arch`."""
    return (
        bool(group.links)
        and not group.workloads_not_running(arch)
        and all(b.platforms.how is How.HOST or builds_exactly(b, arch) for b in group.builds)
    )


def _keeps_hand_built_workloads_right(facts: RepoFacts, path: str, group: Consumers, arch: str) -> bool:
    """Nothing builds the Dockerfile, and the workloads named like its folder all run `arch`."""
    if group.builds or not facts.workloads:
        return False
    # imported on use, like `request_platform` below: a Dockerfile linted alone (`archmatch
    # dockerfile`) has no builds or workloads, so it loads neither linking nor the fix writers
    from archmatch.link.byhand import hand_built_workloads

    workloads = hand_built_workloads(facts, path)
    return bool(workloads) and all(workload_archs(w) == {arch} for w in workloads)


def _judgement(group: Consumers, arch: str) -> str:
    needing = group.workloads_needing(arch)
    unpinned = group.not_requesting(arch)
    if needing and unpinned:
        return (
            f"it is what keeps {names(needing)} right, because {build_names(unpinned)} does not request "
            f"linux/{arch}: removing it alone would break {'them' if len(needing) > 1 else 'it'}"
        )
    if unpinned:
        return f"{build_names(unpinned)} does not request linux/{arch}, so the pin alone decides the platform"
    return "a build that requests another platform gets a mislabelled image (amd64 content labelled arm64 or the reverse)"


def _fix(df: DockerfileAnalysis, decider: Stage, arch: str, group: Consumers) -> Fix:
    flag = f"--platform={decider.platform.raw}"
    edit, diff = remove_platform_flag(df, decider)
    unpinned = group.not_requesting(arch)
    if unpinned:  # the build must request the platform first: no mechanical edit of the Dockerfile alone
        from archmatch.fixrender import request_platform

        first = [request_platform(b, arch) for b in unpinned]
        mechanical = edit is not None and all(f.edits for f in first)
        return Fix(
            "; ".join(f.description for f in first) + f"; then remove `{flag}` from line {decider.line}",
            (*(e for f in first for e in f.edits), edit) if mechanical and edit is not None else (),
            "\n".join([*(f.diff for f in first), diff]),
            Applicability.UNSAFE.weakest(*(f.applicability for f in first)),
        )
    return Fix(
        f"remove `{flag}` from line {decider.line} and pass the platform to the build instead "
        f"(docker buildx build --platform linux/{arch}, `platforms:` in Compose/Bake/CI)",
        (edit,) if edit else (),
        diff,
        # every known build requests the platform already; with none known, whoever builds the
        # Dockerfile gets their own host's architecture afterwards
        Applicability.SAFE if group.builds else Applicability.UNSAFE,
    )


def check(facts: RepoFacts) -> Iterator[Finding]:
    folded = folded_pins(facts) | contradicted_pins(facts)
    for df in analyses(facts):
        for final in final_stages(facts, df):
            decider = df.platform_stage(final)
            if decider is None or decider.platform.kind != "const":
                continue
            if df.loc(decider.line) in folded:
                continue  # the root cause of an ARCH301 or ARCH303 error: reported there, with this line related
            platform = decider.platform
            arch = platform.arch
            if arch is None:
                continue
            group = consumers(facts, df.path, final.name or str(final.index))
            if group.agree_on(arch) or (not platform.args and _keeps_linked_workloads_right(group, arch)):
                continue
            if not platform.args and _keeps_hand_built_workloads_right(facts, df.path, group, arch):
                continue
            how = f"--platform={platform.raw}"
            if platform.args:
                how += f", the default of ARG {', '.join(platform.args)} (a --build-arg can change it)"
            via = "" if decider is final else f" through stage {decider.label}, which it is built FROM"
            related = [] if decider is final else [Related(df.loc(final.line), f"final stage {final.label}")]
            related += [
                r
                for b in group.builds
                for r in (
                    Related(b.platform_location or b.location, f"{b.name}: {b.platforms.describe()}"),
                    *b.dockerfile_evidence(),
                )
            ]
            yield make(
                "ARCH104",
                df.loc(decider.line),
                entity(final),
                stage=final.label,
                how=how,
                via=via,
                line=decider.line,
                arch=describe_arch(arch),
                judgement=_judgement(group, arch),
                related=related,
                fixes=[_fix(df, decider, arch, group)],
            )
