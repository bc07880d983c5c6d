"""Workloads and capacities from AWS CLI deploy commands (`_awscli`), wherever shell text runs:
scripts, Makefile recipes, CI `run:` steps and `script:` items, Terraform `local-exec` commands.

Each is located at the `aws` command; its architecture where the option that decides it is
written. `aws lambda update-function-code` without `--architectures` keeps the architecture of the
function it updates: the workload is recorded with an unknown architecture and its target name, and
linking (`archmatch/link/deploys.py`) gives it the architecture of that function when a template
of the repository declares it. `aws ecs update-service` with `--force-new-deployment` or
`--task-definition` names no image: it redeploys what the service's task definition runs, so its
images are those the same run pushed before it (one per push of a build), and linking finds the
service, its task definition and that definition's architecture the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from archmatch import lazyre
from archmatch.aws import compute as aws_arch
from archmatch.aws.defaults import (
    BATCH_FARGATE_DEFAULT_ARCH,
    ECS_DEFAULT_ARCH,
    EKS_DEFAULT_INSTANCE_TYPE,
    LAMBDA_DEFAULT_ARCH,
)
from archmatch.aws.ecs import os_family_of, runs_on_fargate
from archmatch.aws.eks import cluster_ref
from archmatch.extract.builds._awscli import AwsCommand, Push, field_values, file_reference, list_values
from archmatch.extract.builds._common import has_unresolved, join
from archmatch.model import (
    Capacity,
    CliCommand,
    ClusterRef,
    EcsFacts,
    ImageBuild,
    ImageRef,
    InstanceChoice,
    LambdaFacts,
    Location,
    NodeGroupFacts,
    RepoFacts,
    Workload,
)
from archmatch.platforms import AMD64, ArchFact, normalize_arch
from archmatch.repo import RepoView

_RELEVANT = lazyre.compile(r"\baws\b[\s\S]{0,200}?\b(?:lambda|ecs|batch|apprunner|eks)\b")
_FUNCTION_ARN = lazyre.compile(r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$")


def mentions_deploy(text: str) -> bool:
    """Cheap test: the text may hold an AWS CLI deploy command, or a kubectl deploy."""
    return ("aws" in text and _RELEVANT.search(text) is not None) or "kubectl" in text


def add_facts(
    repo: RepoView,
    facts: RepoFacts,
    path: str,
    commands: list[AwsCommand],
    builds: list[ImageBuild],
    run: str = "",
    earlier: Sequence[tuple[ImageBuild, Push]] = (),
) -> None:
    """The facts of the commands of one shell run (`run` names it: a script, a CI job); `builds`
    are the docker builds of the same run: an image a command deploys that is written exactly as a
    tag one of them builds (`$IMAGE` in both) is that build's image, a direct reference even when
    the value is not known. `earlier`: builds that earlier steps of the same CI job pushed."""
    for command in commands:
        convert = _CONVERTERS.get((command.service, command.command))
        made = convert(repo, path, command) if convert is not None else None
        if isinstance(made, Workload):
            made.images = [_same_run(image, builds, path) for image in made.images]
            if made.cli is not None and made.cli.command == "ecs update-service":
                made.images = _pushed_images(path, command, builds, earlier, run)
                if not made.images:
                    continue  # nothing of this run reaches the service: its image is built elsewhere
            if made.cli is not None and run:
                made.cli = replace(made.cli, run=run)
            facts.workloads.append(made)
        elif isinstance(made, Capacity):
            facts.capacities.append(made)


def pushed_builds(pushes: Sequence[Push], builds: list[ImageBuild]) -> list[tuple[ImageBuild, Push]]:
    """Each push with the build of the run it pushes."""
    out: list[tuple[ImageBuild, Push]] = []
    for push in pushes:
        made = [
            b
            for b in builds
            if (b.location.path, b.location.line) == (push.path, push.build_line)
            and (push.ref in b.tags or f"{push.ref}:latest" in b.tags)
        ]
        out.extend((build, push) for build in made[-1:])
    return out


def _pushed_images(
    path: str,
    command: AwsCommand,
    builds: list[ImageBuild],
    earlier: Sequence[tuple[ImageBuild, Push]],
    run: str,
) -> list[ImageRef]:
    """One image per push, before the command, of a build of the same run (`earlier`: the builds
    pushed by earlier steps of the same CI job), keyed to that build (`pushed-here:<file>:<line>`)."""
    same, before = _run_units(run)
    pushed = [(build, push, before) for build, push in earlier]
    pushed += [(build, push, same) for build, push in pushed_builds(command.pushed, builds)]
    out = []
    here = _at(path, command)
    for build, push, unit in pushed:
        key = f"pushed-here:{build.location.path}:{build.location.line}"
        build.link_keys = build.link_keys | {key}
        how = f"{unit} pushes this image ({push.ref} at {push.path}:{push.line})"
        ref = ImageRef(push.ref, here, frozenset({key}), not has_unresolved(push.ref), pushed_by=how)
        if ref not in out:
            out.append(ref)
    return out


def _run_units(run: str) -> tuple[str, str]:
    """How the messages name the shell run of a command, and an earlier step of the same CI job."""
    if run.startswith("workflow "):
        return "the same step", "an earlier step of the same job"
    for prefix, unit in (("script ", "script"), ("Makefile ", "recipe"), ("GitLab job ", "job")):
        if run.startswith(prefix):
            return f"the same {unit}", f"the same {unit}"
    return "the same run", "the same run"


def _same_run(image: ImageRef, builds: list[ImageBuild], path: str) -> ImageRef:
    keys = {f"built-here:{path}:{b.location.line}" for b in builds if image.ref and image.ref in b.tags}
    for build in builds:
        build.link_keys = build.link_keys | (keys & {f"built-here:{path}:{build.location.line}"})
    return replace(image, link_keys=image.link_keys | keys) if keys else image


def _at(path: str, command: AwsCommand, option: str | None = None) -> Location:
    line = command.lines.get(option, 0) if option else 0
    return Location(path, line or command.line)


def _known(text: str | None) -> str | None:
    return text if text and not has_unresolved(text) else None


_NOUNS = {"lambda": "function", "ecs": "task definition", "batch": "job definition", "apprunner": "service"}


def _label(command: AwsCommand, name: str | None) -> str:
    noun = _NOUNS.get(command.service, "node group")
    return f"{name or f'{noun} at line {command.line}'} (aws {command.service} {command.command})"


def _option_text(repo: RepoView, path: str, command: AwsCommand, option: str) -> tuple[str, str] | None:
    """An option's value, or the text of the repository file a `file://` value names, with the
    path its lines are in."""
    value = command.value(option)
    if value is None:
        return None
    ref = file_reference(value)
    if ref is None:
        return value, path
    if ref in command.files:  # written by the script itself (`cat > file <<EOF`)
        return command.files[ref], path
    rel = join(command.cwd, ref) if command.cwd is not None else None
    text = repo.read_text(rel) if rel is not None and repo.exists(rel) else None
    return (text, rel) if text is not None and rel is not None else None


def _images(text: str, where: Location, key: str) -> list[ImageRef]:
    return [ImageRef(v, where, frozenset(), not has_unresolved(v)) for v in field_values(text, key)]


# --- Lambda -------------------------------------------------------------------------------------
def function_name(value: str | None) -> str | None:
    """The function name of `--function-name` (a name or an ARN), None when not known."""
    known = _known(value)
    if known is None:
        return None
    m = _FUNCTION_ARN.match(known)
    return m.group(1) if m else known


def _lambda(repo: RepoView, path: str, command: AwsCommand) -> Workload | None:
    image = command.value("--image-uri") or ""
    if not image and command.value("--code"):
        image = next(iter(field_values(command.value("--code") or "", "ImageUri")), "")
    if not image:
        return None
    here = _at(path, command)
    arch_value = command.value("--architectures")
    name = function_name(command.value("--function-name"))
    keeps = command.command == "update-function-code" and arch_value is None
    if arch_value is not None:
        written = normalize_arch(arch_value) if not has_unresolved(arch_value) else None
        arch = (
            ArchFact.explicit(written, note="--architectures")
            if written
            else ArchFact.unknown(f"--architectures {arch_value}")
        )
        arch_location: Location | None = _at(path, command, "--architectures")
    elif keeps:
        arch = ArchFact.unknown("update-function-code keeps the function's architecture")
        arch_location = None
    else:
        arch = ArchFact.default(LAMBDA_DEFAULT_ARCH, note="create-function without --architectures")
        arch_location = here
    return Workload(
        kind=f"aws lambda {command.command}",
        name=_label(command, name),
        service="lambda",
        location=here,
        arch=arch,
        arch_location=arch_location,
        images=[ImageRef(image, here, frozenset(), not has_unresolved(image))],
        lambda_=LambdaFacts(package_type="Image"),
        cli=CliCommand(f"lambda {command.command}", name, keeps_arch=keeps),
    )


# --- ECS and Batch ------------------------------------------------------------------------------
def _cpu_arch(
    text: str | None, where: Location, default: str | None, note: str
) -> tuple[ArchFact, Location | None]:
    values = field_values(text, "cpuArchitecture") if text else []
    if not values:
        return (ArchFact.default(default, note=note) if default else ArchFact.unknown(note)), None
    arch = normalize_arch(values[0]) if not has_unresolved(values[0]) else None
    return (ArchFact.explicit(arch) if arch else ArchFact.unknown(f"cpuArchitecture {values[0]}")), where


def _ecs(repo: RepoView, path: str, command: AwsCommand) -> Workload | None:
    whole = _option_text(repo, path, command, "--cli-input-json")
    if file_reference(command.value("--cli-input-json")) and whole is not None and whole[1] != path:
        return None  # a task-definition file of the repository: that file is the workload
    here = _at(path, command)
    platform = _option_text(repo, path, command, "--runtime-platform") or whole
    containers = _option_text(repo, path, command, "--container-definitions") or whole
    arch, arch_location = _cpu_arch(
        platform[0] if platform else None,
        _at(path, command, "--runtime-platform" if "--runtime-platform" in command.options else None),
        ECS_DEFAULT_ARCH,
        "no --runtime-platform cpuArchitecture",
    )
    requires = tuple(s.upper() for s in list_values(command.options.get("--requires-compatibilities")))
    if not requires and whole is not None:
        requires = tuple(s.upper() for s in re.findall(r"\b(FARGATE|EC2|EXTERNAL)\b", _compat(whole[0])))
    os_values = field_values(platform[0], "operatingSystemFamily") if platform else []
    images = (
        _images(
            containers[0],
            _at(path, command, "--container-definitions")
            if containers[1] == path
            else Location(containers[1]),
            "image",
        )
        if containers
        else []
    )
    family = _known(command.value("--family")) or _known(
        next(iter(field_values(whole[0], "family")), None) if whole else None
    )
    return Workload(
        kind="aws ecs register-task-definition",
        name=_label(command, family),
        service="ecs",
        location=here,
        arch=arch,
        arch_location=arch_location,
        images=images,
        os_family=os_family_of(os_values[0] if os_values else None),
        arch_syntax="ecs-json",
        ecs=EcsFacts(
            fargate=runs_on_fargate(None, None, requires or None), requires_compatibilities=requires or None
        ),
        cli=CliCommand("ecs register-task-definition", family),
    )


def _compat(text: str) -> str:
    m = re.search(r'"(?:requiresCompatibilities|platformCapabilities)"\s*:\s*\[([^\]]*)\]', text)
    return m.group(1) if m else ""


def _batch(repo: RepoView, path: str, command: AwsCommand) -> Workload | None:
    whole = _option_text(repo, path, command, "--cli-input-json")
    props = _option_text(repo, path, command, "--container-properties") or whole
    if props is None:
        return None
    here = _at(path, command)
    caps = tuple(s.upper() for s in list_values(command.options.get("--platform-capabilities")))
    if not caps and whole is not None:
        caps = tuple(s.upper() for s in re.findall(r"\b(FARGATE|EC2)\b", _compat(whole[0]).upper()))
    fargate = "FARGATE" in caps
    where = _at(path, command, "--container-properties") if props[1] == path else Location(props[1])
    arch, arch_location = _cpu_arch(
        props[0],
        where,
        BATCH_FARGATE_DEFAULT_ARCH if fargate else None,
        "runtimePlatform.cpuArchitecture not set (Fargate default X86_64)"
        if fargate
        else "EC2 Batch jobs run on the compute environment's instances",
    )
    name = _known(command.value("--job-definition-name")) or _known(
        next(iter(field_values(whole[0], "jobDefinitionName")), None) if whole else None
    )
    return Workload(
        kind="aws batch register-job-definition",
        name=_label(command, name),
        service="batch",
        location=here,
        arch=arch,
        arch_location=arch_location,
        images=_images(props[0], where, "image"),
        arch_syntax="ecs-json",
        ecs=EcsFacts(fargate=fargate, platform_capabilities=caps or None),
        cli=CliCommand("batch register-job-definition", name),
    )


def _ecs_update_service(repo: RepoView, path: str, command: AwsCommand) -> Workload | None:
    """`aws ecs update-service` that starts new tasks (`--force-new-deployment`, or a new
    `--task-definition`): they run what the task definition names, so the image the run pushed
    before it under that name. Its architecture is the task definition's (found by linking)."""
    if "--force-new-deployment" not in command.options and "--task-definition" not in command.options:
        return None  # a scaling or configuration change: the running tasks stay
    service = _known(command.value("--service"))
    return Workload(
        kind="aws ecs update-service",
        name=f"{service or f'service at line {command.line}'} (aws ecs update-service)",
        service="ecs",
        location=_at(path, command),
        arch=ArchFact.unknown("update-service keeps the task definition's architecture"),
        cli=CliCommand(
            "ecs update-service",
            service,
            keeps_arch=True,
            cluster=command.value("--cluster"),
            task_definition=command.value("--task-definition"),
        ),
    )


# --- App Runner and EKS -------------------------------------------------------------------------
def _apprunner(repo: RepoView, path: str, command: AwsCommand) -> Workload | None:
    source = _option_text(repo, path, command, "--source-configuration")
    if source is None:
        return None
    where = _at(path, command, "--source-configuration") if source[1] == path else Location(source[1])
    images = _images(source[0], where, "ImageIdentifier")
    if not images:
        return None
    name = _known(command.value("--service-name"))
    return Workload(
        kind=f"aws apprunner {command.command}",
        name=_label(command, name),
        service="apprunner",
        location=_at(path, command),
        arch=ArchFact.derived(AMD64, note="App Runner runs x86_64 only"),
        images=images,
        cli=CliCommand(f"apprunner {command.command}", name),
    )


def _nodegroup(repo: RepoView, path: str, command: AwsCommand) -> Capacity:
    here = _at(path, command)
    ami_type = _known(command.value("--ami-type"))
    ami_arch = aws_arch.eks_ami_type_arch(ami_type) if ami_type else None
    types_at = _at(path, command, "--instance-types")
    choices = [
        InstanceChoice(t, aws_arch.instance_type_arch(t) if not has_unresolved(t) else None, types_at)
        for t in list_values(command.options.get("--instance-types"))
    ]
    defaulted = not choices and "--launch-template" not in command.options
    if defaulted:
        choices = [InstanceChoice(EKS_DEFAULT_INSTANCE_TYPE, AMD64, here)]
    name = _known(command.value("--nodegroup-name"))
    return Capacity(
        kind="aws eks create-nodegroup",
        name=_label(command, name),
        location=here,
        instance_types=choices,
        ami_arch=ArchFact.derived(ami_arch, note=f"ami-type {ami_type}")
        if ami_arch
        else ArchFact.unknown(
            f"--ami-type {ami_type}" if ami_type else "no --ami-type: EKS picks the AMI type"
        ),
        ami_location=_at(path, command, "--ami-type") if ami_type else None,
        ami_evidence=f"eks-ami-type:{ami_type}" if ami_arch else "",
        node_group=NodeGroupFacts(instance_types_default=defaulted),
        cluster=_cli_cluster(path, command, "--cluster-name"),
    )


def _cli_cluster(path: str, command: AwsCommand, option: str) -> ClusterRef | None:
    written = command.value(option)
    if written is None:
        return None
    return cluster_ref(
        _known(written), written, path, f"{option} of aws eks {command.command}", _at(path, command, option)
    )


_CONVERTERS = {
    ("lambda", "create-function"): _lambda,
    ("lambda", "update-function-code"): _lambda,
    ("ecs", "register-task-definition"): _ecs,
    ("batch", "register-job-definition"): _batch,
    ("apprunner", "create-service"): _apprunner,
    ("apprunner", "update-service"): _apprunner,
    ("eks", "create-nodegroup"): _nodegroup,
    ("ecs", "update-service"): _ecs_update_service,
}
