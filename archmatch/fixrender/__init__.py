"""How a fix is written in each input format.

Rules say what to change: run workload W on architecture X (`set_architecture`), make build B
request platform P (`request_platform`), how to declare an architecture (`declaration`). The
modules of this package say how that is written in the file that declares W or B, one module per
format (Terraform, CloudFormation/SAM, ECS task-definition JSON, Serverless, Kubernetes, CDK, the
build definitions, docker command lines), chosen by the syntax tag the extractor recorded
(`Workload.arch_syntax`, `ImageBuild.fix_syntax`). The dispatch is exhaustive over those `Literal`
tags: mypy fails when an extractor's tag has no writer here. Every fix says how far it may be
applied (`Applicability`)."""

from __future__ import annotations

from typing import NoReturn, Protocol

from archmatch.fixrender import (
    builds,
    cdk,
    cloudformation,
    dagger,
    docker_cli,
    docker_sdk,
    ecs_json,
    kubernetes,
    serverless,
    terraform,
)
from archmatch.model import (
    Applicability,
    ArchSyntax,
    Edit,
    Fix,
    FixSyntax,
    ImageBuild,
    PlatformInsertion,
    RepoFacts,
    Service,
    Workload,
)
from archmatch.platforms import How, aws_name


class ArchWriter(Protocol):
    """How one format declares the architecture a workload runs on."""

    def token(self, service: Service, arch: str) -> str:
        """The architecture as this format spells the value (`arm64`, `ARM64`, `ARM_64`)."""
        ...

    def block(self, service: Service, arch: str) -> str:
        """The declaration to add, in the file's layout (shown as a diff)."""
        ...

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        """The declaration on one line, for a message."""
        ...


class PlatformWriter(Protocol):
    """How one format makes a build request a platform."""

    def block(self, arch: str, lambda_target: bool) -> str:
        """The setting to add (shown as a diff); for Lambda, one platform and no attestations."""
        ...

    def insertion(self, arch: str) -> tuple[str, str] | None:
        """(text to find on the line `platform_location` names, its replacement) that adds the
        platform where the build requests none; None when that edit cannot be placed blindly."""
        ...


def _unreachable(value: NoReturn) -> NoReturn:
    raise AssertionError(f"no writer for {value!r}")


def arch_writer(syntax: ArchSyntax) -> ArchWriter:
    match syntax:
        case "tf-lambda" | "tf-ecs" | "tf-ecs-module" | "tf-batch":
            return terraform.Workloads(syntax)
        case "cfn-lambda" | "cfn-ecs" | "cfn-batch" | "sam":
            return cloudformation.Workloads(syntax)
        case "ecs-json":
            return ecs_json.Workloads()
        case "serverless":
            return serverless.Workloads()
        case "k8s":
            return kubernetes.Workloads()
        case "tf-k8s":
            return kubernetes.TerraformWorkloads()
        case "tf-helm":
            return kubernetes.HelmRelease()
        case "tf-manifest":
            return kubernetes.TerraformManifest()
        case "cdk-ts" | "cdk-py":
            return cdk.Workloads(syntax)
        case _:
            _unreachable(syntax)


def platform_writer(syntax: FixSyntax) -> PlatformWriter | None:
    """None for docker command lines: the whole command is rewritten instead (`docker_cli`)."""
    match syntax:
        case "compose" | "bake" | "gha" | "config":
            return builds.PlatformList(syntax)
        case "tf-docker":
            return terraform.DockerBuild()
        case "serverless":
            return serverless.ImageBuild()
        case "sam":
            return cloudformation.SamBuild()
        case "cdk-ts" | "cdk-py":
            return cdk.ImageAsset(syntax)
        case "dagger-go":
            return dagger.GoContainer()
        case "dagger-py":
            return dagger.PyContainer()
        case "docker-sdk-py":
            return docker_sdk.BuildCall()
        case "docker-cli":
            return None
        case _:
            _unreachable(syntax)


def _diff(snippet: str) -> str:
    return "\n".join("+ " + line for line in snippet.splitlines())


def declaration(workload: Workload, arch: str) -> str:
    """How to write `arch` for this workload, on one line, in the syntax of its file."""
    json_file = workload.location.path.endswith(".json")
    if workload.arch_syntax is None:
        return cloudformation.declaration(workload.service, arch, json_file)
    return arch_writer(workload.arch_syntax).declaration(workload.service, arch, json_file)


def set_architecture(workload: Workload, arch: str, current: str | None = None) -> Fix:
    """Run the workload on `arch` instead: an exact edit of the written value when there is one.
    Unsafe: it changes the hardware the workload runs on, which every image and library of the
    workload must support, beyond the finding's image."""
    lam = aws_name(arch)
    if workload.arch_syntax is None:
        return Fix(f"or run {workload.name} on {lam}", diff=_diff(f"declare the architecture {lam}"))
    writer = arch_writer(workload.arch_syntax)
    edits: tuple[Edit, ...] = ()
    if workload.arch.how is How.EXPLICIT and workload.arch_location and current:
        old, new = writer.token(workload.service, current), writer.token(workload.service, arch)
        edits = (Edit(workload.arch_location, new, find=old),)
    return Fix(
        f"or run {workload.name} on {lam}",
        edits=edits,
        diff=_diff(writer.block(workload.service, arch)),
        applicability=Applicability.UNSAFE,
    )


def request_platform(
    build: ImageBuild, arch: str, lambda_target: bool = False, facts: RepoFacts | None = None
) -> Fix:
    """Pin the build to `arch`. With `facts`, a platform written once for several builds (a shared
    tfvars entry or variable) gets no mechanical edit: changing it would move the others too."""
    plat = f"linux/{arch}"
    writer = platform_writer(build.fix_syntax) if build.fix_syntax is not None else None
    if writer is None:
        return _command_fix(build, arch, lambda_target)
    edits, applicability = _platform_edits(build, writer, arch, lambda_target, facts)
    sharing = _sharing(build, facts) if edits else []
    note = (
        f" (the platform at {build.platform_location} is shared with {', '.join(sharing)}: give this build its own)"
        if sharing
        else ""
    )
    if build.platform_insertion is not None and not build.platform_insertion.imported and not edits:
        note += f" ({cdk.PLATFORM_IMPORT[build.fix_syntax == 'cdk-py']})"
    return Fix(
        f"pin the build ({build.name}) to {plat}" + (" without attestations" if lambda_target else "") + note,
        edits=() if sharing else edits,
        diff=_diff(writer.block(arch, lambda_target)),
        applicability=applicability,
    )


def _platform_edits(
    build: ImageBuild, writer: PlatformWriter, arch: str, lambda_target: bool, facts: RepoFacts | None
) -> tuple[tuple[Edit, ...], Applicability]:
    """The exact edit, and how far it may be applied: replacing the one requested platform is safe
    when every workload linked to the build runs `arch` (nothing else uses the image); adding a
    platform to a build that followed its host is unsafe (other hosts then build another image)."""
    if build.platform_insertion is not None and build.platforms.how is How.HOST and not lambda_target:
        return _inserted(build.platform_insertion, arch)
    if lambda_target or build.platform_location is None:
        return (), Applicability.DISPLAY_ONLY
    if build.platforms.how is How.EXPLICIT and len(build.platforms.archs) == 1:
        (old,) = build.platforms.archs
        edit = (
            Edit(build.platform_location, cdk.platform_member(arch), find=build.platform_member)
            if build.platform_member
            else Edit(build.platform_location, f"linux/{arch}", find=f"linux/{old}")
        )
        return (edit,), Applicability.SAFE if _only_for(build, arch, facts) else Applicability.UNSAFE
    insertion = writer.insertion(arch) if build.platforms.how is How.HOST else None
    if insertion is None:
        return (), Applicability.DISPLAY_ONLY
    find, text = insertion
    return (Edit(build.platform_location, text, find=find),), Applicability.UNSAFE


def _inserted(insertion: PlatformInsertion, arch: str) -> tuple[tuple[Edit, ...], Applicability]:
    """A CDK asset's new `platform` option: unsafe like any platform added to a build that followed
    its host; display-only when the file does not import `Platform`, since applying the option
    alone would leave an app that no longer compiles or synthesizes (a person adds the import)."""
    if not insertion.imported:
        return (), Applicability.DISPLAY_ONLY
    text = insertion.head + cdk.platform_member(arch) + insertion.tail
    return (Edit(insertion.location, text, find=insertion.find),), Applicability.UNSAFE


def _only_for(build: ImageBuild, arch: str, facts: RepoFacts | None) -> bool:
    """Every workload that runs this build's image runs `arch` only (unknown without facts); a pod
    whose architecture only its project's node groups suggest (proximity) does not count as certain."""
    if facts is None:
        return False
    linked = [link.workload for link in facts.links if link.build is build]
    return bool(linked) and all(w.arch.archs == {arch} and not _placed_by_proximity(w) for w in linked)


def _placed_by_proximity(workload: Workload) -> bool:
    """A pod placed on its project's only node groups, or a Batch job whose architecture its
    compute environments suggest (no job definition is bound to a queue)."""
    placed_job = workload.batch is not None and workload.batch.environments is not None
    return placed_job or (workload.pod is not None and workload.pod.sole_capacity is not None)


def _command_fix(build: ImageBuild, arch: str, lambda_target: bool) -> Fix:
    """A docker build command line: the whole edited command, for a person to apply."""
    plat = f"linux/{arch}"
    extra = " --provenance=false" if lambda_target else ""
    if build.command:
        fixed = docker_cli.pinned_command(build.command, build.command_flags, plat, lambda_target)
        return Fix(f"build with --platform {plat}{extra}", diff=f"- {build.command}\n+ {fixed}")
    return Fix(
        f"add --platform {plat}{extra} to the docker build at {build.location}",
        diff=f"+ --platform {plat}{extra}",
    )


def _sharing(build: ImageBuild, facts: RepoFacts | None) -> list[str]:
    if facts is None or build.platform_location is None or build.platform_via is None:
        return []
    return sorted(
        b.name for b in facts.builds if b is not build and b.platform_location == build.platform_location
    )
