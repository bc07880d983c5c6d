"""CDK enum members and factories that name an architecture (docs/aws-facts.md: architecture-spellings, cdk-assets).

Each reader returns an `Arch`: the canonical arch (or None), how it was decided, and whether it
came from the deploy machine. Unresolvable values are UNKNOWN, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archmatch.aws.compute import eks_ami_type_arch, instance_type_arch, ssm_ami_parameter_arch
from archmatch.aws.ecs import os_family_of
from archmatch.extract.cdk_source.values import Arr, Call, Choice, Host, Null, Num, Ref, Str, Val, get
from archmatch.model import InstanceChoice, Location
from archmatch.platforms import AMD64, ARM64, ArchFact, arch_of, normalize_arch


@dataclass(frozen=True)
class Arch:
    arch: str | None  # canonical arch when known
    text: str  # as written, for messages
    host: Host | None = None  # computed from the deploy machine
    docker_platform: str | None = None  # Lambda Architecture: the platform DockerImageCode builds for

    @property
    def known(self) -> bool:
        return self.arch is not None


def _unknown(value: Val) -> Arch:
    return Arch(None, value.describe(), value if isinstance(value, Host) else None)


def _over_choice(value: Choice, read: Callable[[Val], Arch]) -> Arch:
    """A value chosen by a condition (or by different callers) names one architecture only when
    every alternative names the same one; a host-derived alternative makes it host-derived;
    otherwise, or when an alternative leaves it out, it is unknown (never guessed)."""
    parsed = [read(o) for o in value.options if not isinstance(o, Null)]
    host = next((p.host for p in parsed if p.host is not None), None)
    if host is not None:
        return Arch(None, value.describe(), host)
    archs = {p.arch for p in parsed}
    if len(parsed) == len(value.options) and len(archs) == 1 and None not in archs:
        platforms = {p.docker_platform for p in parsed}
        return Arch(
            parsed[0].arch, value.describe(), docker_platform=platforms.pop() if len(platforms) == 1 else None
        )
    return _unknown(value)


def lambda_architecture(value: Val) -> Arch:
    """`Architecture.ARM_64` / `X86_64` / `Architecture.custom(name, dockerPlatform='linux/amd64')`."""
    if isinstance(value, Choice):
        return _over_choice(value, lambda_architecture)
    if isinstance(value, Ref) and value.qual.startswith("aws_lambda.Architecture."):
        member = value.qual.rsplit(".", 1)[1]
        arch = {"ARM_64": ARM64, "X86_64": AMD64}.get(member)
        return Arch(arch, f"Architecture.{member}", docker_platform=arch)
    if isinstance(value, Call) and value.callee == "aws_lambda.Architecture.custom":
        name, platform = value.arg(0, "name"), value.arg(1, "dockerPlatform")
        if isinstance(name, Str):
            if platform is None:
                docker: str | None = AMD64  # the documented default of Architecture.custom
            else:
                docker = arch_of(platform.value) if isinstance(platform, Str) else None
            return Arch(normalize_arch(name.value), value.describe(), docker_platform=docker)
        return _unknown(name or value)
    return _unknown(value)


def ecs_cpu_architecture(value: Val) -> Arch:
    """`CpuArchitecture.ARM64` / `X86_64` / `CpuArchitecture.of('ARM64')`."""
    if isinstance(value, Choice):
        return _over_choice(value, ecs_cpu_architecture)
    if isinstance(value, Ref) and value.qual.startswith("aws_ecs.CpuArchitecture."):
        member = value.qual.rsplit(".", 1)[1]
        return Arch({"ARM64": ARM64, "X86_64": AMD64}.get(member), f"CpuArchitecture.{member}")
    if isinstance(value, Call) and value.callee == "aws_ecs.CpuArchitecture.of":
        arg = value.arg(0, "cpuArchitecture")
        if isinstance(arg, Str):
            return Arch(normalize_arch(arg.value), value.describe())
        return _unknown(arg or value)
    return _unknown(value)


def docker_platform(value: Val) -> Arch:
    """`Platform.LINUX_ARM64` / `LINUX_AMD64` / `Platform.custom('linux/arm64')`."""
    if isinstance(value, Choice):
        return _over_choice(value, docker_platform)
    if isinstance(value, Ref) and value.qual.startswith("aws_ecr_assets.Platform."):
        member = value.qual.rsplit(".", 1)[1]
        return Arch({"LINUX_ARM64": ARM64, "LINUX_AMD64": AMD64}.get(member), f"Platform.{member}")
    if isinstance(value, Call) and value.callee == "aws_ecr_assets.Platform.custom":
        arg = value.arg(0, "platform")
        if isinstance(arg, Str):
            return Arch(arch_of(arg.value), value.describe())
        return _unknown(arg or value)
    if isinstance(value, Str):  # plain JavaScript passing a string
        return Arch(arch_of(value.value), value.value)
    return _unknown(value)


def os_family(value: Val | None) -> str:
    """`runtimePlatform.operatingSystemFamily` as `aws.ecs.os_family_of` reads it in every format:
    `ecs.OperatingSystemFamily.<NAME>` is its name, `OperatingSystemFamily.of('...')` or a string
    its text, anything computed unknown."""
    if value is None or isinstance(value, Null):
        return os_family_of(None)
    if isinstance(value, Ref) and value.qual.startswith("aws_ecs.OperatingSystemFamily."):
        return os_family_of(value.qual.rsplit(".", 1)[1])
    if isinstance(value, Call) and value.callee == "aws_ecs.OperatingSystemFamily.of":
        value = value.arg(0, "family")
    return os_family_of(value.value) if isinstance(value, Str) else "unknown"


def _instance_class(member: str) -> tuple[str, str | None]:
    family = member.lower()
    arch = instance_type_arch(family)
    if arch is None and "GRAVITON" in member:
        arch = ARM64
    return family, arch


def instance_type(value: Val, location: Location) -> InstanceChoice | None:
    """`new InstanceType('c7g.large')`, `InstanceType.of(InstanceClass.C7G, InstanceSize.LARGE)`."""
    if isinstance(value, Call) and value.callee == "aws_ec2.InstanceType":
        arg = value.arg(0, "instanceTypeIdentifier")
        if isinstance(arg, Str):
            return InstanceChoice(arg.value, instance_type_arch(arg.value), location)
        return InstanceChoice(value.describe(), None, location)
    if isinstance(value, Call) and value.callee == "aws_ec2.InstanceType.of":
        cls, size = value.arg(0, "instanceClass"), value.arg(1, "instanceSize")
        if isinstance(cls, Ref) and cls.qual.startswith("aws_ec2.InstanceClass."):
            family, arch = _instance_class(cls.qual.rsplit(".", 1)[1])
            size_text = size.qual.rsplit(".", 1)[1].lower() if isinstance(size, Ref) else "?"
            return InstanceChoice(f"{family}.{size_text}", arch, location)
        return InstanceChoice(value.describe(), None, location)
    if isinstance(value, Ref) and value.qual.startswith("aws_ec2.InstanceClass."):  # Batch instanceClasses
        family, arch = _instance_class(value.qual.rsplit(".", 1)[1])
        return InstanceChoice(family, arch, location)
    if isinstance(value, Str):
        return InstanceChoice(value.value, instance_type_arch(value.value), location)
    return None


def instance_types(value: Val | None, path: str) -> list[InstanceChoice]:
    items = value.items if isinstance(value, Arr) else [value] if value is not None else []
    out = []
    for item in items:
        choice = instance_type(item, Location(item.path or path, item.line))
        if choice is not None:
            out.append(choice)
    return out


_ECS_HARDWARE = {"STANDARD": AMD64, "ARM": ARM64, "GPU": AMD64, "NEURON": AMD64}
_ECS_IMAGE_FACTORIES = ("amazonLinux2023", "amazonLinux2", "amazonLinux", "windows")


def machine_image(value: Val | None) -> ArchFact:
    """Architecture of an ECS/EC2 machine image expression (ECS-optimized, Amazon Linux, SSM)."""
    if value is None:
        return ArchFact.unknown("no machine image given")
    if isinstance(value, Host):
        return ArchFact.host(f"machine image computed from {value.source}")
    if not isinstance(value, Call) or value.callee is None:
        return ArchFact.unknown(value.describe())
    callee, text = value.callee, value.describe()
    if callee.startswith("aws_ecs.EcsOptimizedImage.") or callee == "aws_ecs.EcsOptimizedAmi":
        factory = callee.rsplit(".", 1)[1]
        if factory in ("amazonLinux", "windows"):
            return ArchFact.derived(AMD64, note=text)
        if factory in _ECS_IMAGE_FACTORIES or callee == "aws_ecs.EcsOptimizedAmi":
            hw = (
                value.arg(0, "hardwareType")
                if factory != "EcsOptimizedAmi"
                else get(value.props(0), "hardwareType")
            )
            if hw is None:
                return ArchFact.derived(AMD64, note=f"{text} (standard hardware type)")
            if isinstance(hw, Ref) and hw.qual.startswith("aws_ecs.AmiHardwareType."):
                arch = _ECS_HARDWARE.get(hw.qual.rsplit(".", 1)[1])
                if arch:
                    return ArchFact.derived(arch, note=text)
        return ArchFact.unknown(text)
    if callee.startswith("aws_ec2.MachineImage.latestAmazonLinux") or callee in (
        "aws_ec2.AmazonLinuxImage",
        "aws_ec2.AmazonLinux2023Image",
        "aws_ec2.AmazonLinux2Image",
    ):
        cpu = get(value.props(0), "cpuType")
        if cpu is None:
            return ArchFact.derived(AMD64, note=f"{text} (default cpuType X86_64)")
        if isinstance(cpu, Ref) and cpu.qual.startswith("aws_ec2.AmazonLinuxCpuType."):
            return ArchFact.derived(ARM64 if cpu.qual.endswith("ARM_64") else AMD64, note=text)
        return ArchFact.unknown(text)
    if callee in (
        "aws_ec2.MachineImage.fromSsmParameter",
        "aws_ec2.MachineImage.resolveSsmParameterAtLaunch",
    ):
        name = value.arg(0, "parameterName")
        arch = ssm_ami_parameter_arch(name.value) if isinstance(name, Str) else None
        return ArchFact.derived(arch, note=text) if arch else ArchFact.unknown(text)
    if callee in ("aws_ecs.BottleRocketImage", "aws_eks.EksOptimizedImage"):
        key = "architecture" if callee.endswith("BottleRocketImage") else "cpuArch"
        member = get(value.props(0), key)
        if member is None:
            return ArchFact.derived(AMD64, note=f"{text} (default x86_64)")
        if isinstance(member, Ref) and member.qual.rsplit(".", 1)[1] in ("ARM_64", "X86_64"):
            return ArchFact.derived(ARM64 if member.qual.endswith("ARM_64") else AMD64, note=text)
        return ArchFact.unknown(text)
    return ArchFact.unknown(text)


def eks_ami_type(value: Val) -> ArchFact:
    if isinstance(value, Ref) and value.qual.startswith("aws_eks.NodegroupAmiType."):
        member = value.qual.rsplit(".", 1)[1]
        arch = eks_ami_type_arch(member)
        return (
            ArchFact.explicit(arch, note=f"amiType {member}")
            if arch
            else ArchFact.unknown(f"amiType {member}")
        )
    if isinstance(value, Str):
        arch = eks_ami_type_arch(value.value)
        return (
            ArchFact.explicit(arch, note=f"amiType {value.value}") if arch else ArchFact.unknown(value.value)
        )
    if isinstance(value, Host):
        return ArchFact.host(f"amiType computed from {value.source}")
    return ArchFact.unknown(value.describe())


def is_false(value: Val | None) -> bool:
    return isinstance(value, Num) and value.value == 0
