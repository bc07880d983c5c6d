"""Concrete changes on each side of a mismatch, in the syntax of the file that needs them."""

from __future__ import annotations

from archmatch.model import Edit, Fix, ImageBuild, RepoFacts, Workload
from archmatch.platforms import How, aws_name


def _plat(arch: str) -> str:
    return f"linux/{arch}"


def build_fix(
    build: ImageBuild, arch: str, lambda_target: bool = False, facts: RepoFacts | None = None
) -> Fix:
    """Pin the build to `arch`. With `facts`, a platform written once for several builds (a shared
    tfvars entry or variable) gets no mechanical edit: changing it would move the others too."""
    plat = _plat(arch)
    extra = " --provenance=false" if lambda_target else ""
    snippets = {
        "compose": f'build:\n  platforms: ["{plat}"]',
        "bake": f'platforms = ["{plat}"]',
        "gha": f"platforms: {plat}" + ("\nprovenance: false" if lambda_target else ""),
        "tf-docker": f'platform = "{plat}"',
        "serverless": f"platform: {plat}",
        "cdk-ts": f"platform: Platform.{'LINUX_ARM64' if arch == 'arm64' else 'LINUX_AMD64'}",
        "cdk-py": f"platform=Platform.{'LINUX_ARM64' if arch == 'arm64' else 'LINUX_AMD64'}",
        "sam": f"Architectures: [{aws_name(arch)}]  # sam build derives --platform {plat} from it",
        "config": f"platforms: [{plat}]",
    }
    if build.fix_syntax == "docker-cli" or build.fix_syntax not in snippets:
        if build.command:
            fixed = fix_command(build.command, arch, lambda_target)
            return Fix(f"build with --platform {plat}{extra}", diff=f"- {build.command}\n+ {fixed}")
        return Fix(
            f"add --platform {plat}{extra} to the docker build at {build.location}",
            diff=f"+ --platform {plat}{extra}",
        )
    snippet = snippets[build.fix_syntax]
    edits: tuple[Edit, ...] = ()
    if (
        build.platforms.how is How.EXPLICIT
        and len(build.platforms.archs) == 1
        and build.platform_location
        and not lambda_target
    ):
        (old,) = build.platforms.archs
        edits = (Edit(build.platform_location, plat, find=f"linux/{old}"),)
    elif (
        build.platforms.how is How.HOST
        and build.fix_syntax == "tf-docker"
        and build.platform_location
        and not lambda_target
    ):
        # the block that requests no platform (`build {`, `module "image" {`): add it as its first line
        edits = (Edit(build.platform_location, f'{{\n  platform = "{plat}"', find="{"),)
    sharing = _sharing(build, facts) if edits else []
    note = (
        f" (the platform at {build.platform_location} is shared with {', '.join(sharing)}: give this build its own)"
        if sharing
        else ""
    )
    return Fix(
        f"pin the build ({build.name}) to {plat}" + (" without attestations" if lambda_target else "") + note,
        edits=() if sharing else edits,
        diff="\n".join("+ " + line for line in snippet.splitlines()),
    )


def _sharing(build: ImageBuild, facts: RepoFacts | None) -> list[str]:
    if facts is None or build.platform_location is None or build.platform_via is None:
        return []
    return sorted(
        b.name for b in facts.builds if b is not build and b.platform_location == build.platform_location
    )


def _arch_token(workload: Workload, arch: str) -> str | None:
    """How `arch` is spelled where this workload declares it."""
    syntax = workload.arch_syntax
    if syntax in ("tf-lambda", "cfn-lambda", "sam", "serverless"):
        return aws_name(arch)
    if syntax in ("tf-ecs", "tf-ecs-module", "tf-batch", "cfn-ecs", "cfn-batch", "ecs-json"):
        return aws_name(arch, "ecs")
    if syntax == "k8s":
        return arch
    if syntax in ("cdk-ts", "cdk-py"):
        if workload.service == "lambda":
            return "ARM_64" if arch == "arm64" else "X86_64"
        return aws_name(arch, "ecs")
    return None


def workload_fix(workload: Workload, arch: str, current: str | None = None) -> Fix:
    """Run the workload on `arch` instead (an exact edit when the current value is written)."""
    lam, ecs = aws_name(arch), aws_name(arch, "ecs")
    snippets = {
        "tf-lambda": f'architectures = ["{lam}"]',
        "tf-ecs": f'runtime_platform {{\n  cpu_architecture        = "{ecs}"\n  operating_system_family = "LINUX"\n}}',
        "tf-ecs-module": f'runtime_platform = {{\n  cpu_architecture        = "{ecs}"\n  operating_system_family = "LINUX"\n}}',
        "tf-batch": f'runtimePlatform = {{ cpuArchitecture = "{ecs}" }}',
        "cfn-lambda": f"Architectures: [{lam}]",
        "sam": f"Architectures: [{lam}]",
        "cfn-ecs": f"RuntimePlatform:\n  CpuArchitecture: {ecs}\n  OperatingSystemFamily: LINUX",
        "ecs-json": f'"runtimePlatform": {{"cpuArchitecture": "{ecs}", "operatingSystemFamily": "LINUX"}}',
        "cfn-batch": f"ContainerProperties:\n  RuntimePlatform:\n    CpuArchitecture: {ecs}\n    OperatingSystemFamily: LINUX",
        "serverless": f"architecture: {lam}",
        "k8s": f"nodeSelector:\n  kubernetes.io/arch: {arch}",
        "cdk-ts": f"architecture: lambda.Architecture.{'ARM_64' if arch == 'arm64' else 'X86_64'}"
        if workload.service == "lambda"
        else f"runtimePlatform: {{ cpuArchitecture: ecs.CpuArchitecture.{ecs} }}",
        "cdk-py": f"architecture=lambda_.Architecture.{'ARM_64' if arch == 'arm64' else 'X86_64'}"
        if workload.service == "lambda"
        else f"runtime_platform=ecs.RuntimePlatform(cpu_architecture=ecs.CpuArchitecture.{ecs})",
    }
    snippet = snippets.get(workload.arch_syntax or "", f"declare the architecture {lam}")
    edits: tuple[Edit, ...] = ()
    old, new = (_arch_token(workload, current) if current else None), _arch_token(workload, arch)
    if workload.arch.how is How.EXPLICIT and workload.arch_location and old and new:
        edits = (Edit(workload.arch_location, new, find=old),)
    return Fix(
        f"or run {workload.name} on {lam}",
        edits=edits,
        diff="\n".join("+ " + line for line in snippet.splitlines()),
    )


def fix_command(command: str, arch: str, lambda_target: bool = False) -> str:
    """The same docker build command line, pinned to one platform (and single-manifest for Lambda)."""
    from archmatch.dockercli import with_platform

    return with_platform(command, f"linux/{arch}", single_manifest=lambda_target)
