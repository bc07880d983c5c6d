"""AWS Batch semantics shared by every IaC format (docs/aws-facts.md#service-defaults,
#batch-instance-types, #batch-jobs): Fargate jobs and environments, a job definition's default,
GPU requests and the compute environments an EC2 job may run on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from archmatch import lazyre
from archmatch.aws import compute
from archmatch.aws.compute import BATCH_KEYWORDS
from archmatch.aws.defaults import BATCH_FARGATE_DEFAULT_ARCH
from archmatch.model import Capacity, InstanceChoice
from archmatch.platforms import ArchFact


def job_runs_on_fargate(platform_capabilities: Iterable[object] | None) -> bool:
    """A job definition whose `platformCapabilities` name FARGATE runs on Fargate."""
    return any(str(c).upper() == "FARGATE" for c in platform_capabilities or ())


def environment_is_fargate(compute_type: object) -> bool:
    """A compute environment of type FARGATE or FARGATE_SPOT."""
    return isinstance(compute_type, str) and compute_type.upper().startswith("FARGATE")


def job_arch_when_omitted(fargate: bool) -> ArchFact:
    """A job definition without `runtimePlatform.cpuArchitecture`: X86_64 on Fargate; on EC2 the
    compute environment's instances decide."""
    if fargate:
        return ArchFact.default(
            BATCH_FARGATE_DEFAULT_ARCH, note="Fargate Batch jobs run X86_64 when runtimePlatform is omitted"
        )
    return ArchFact.unknown("EC2 Batch jobs run on the compute environment's instances")


# docs/aws-facts.md#batch-jobs: the resource requirement a GPU job writes, and the accelerated
# families that have NVIDIA GPUs (P and G; Inferentia and Trainium devices are not GPUs).
_GPU_CATEGORIES = frozenset({"p", "g", "gr"})
_FAMILY = lazyre.compile(r"(?P<cat>[a-z]+)\d")


def job_gpu_request(requirements: object) -> bool | None:
    """Whether a job definition's `resourceRequirements` ask for a GPU: a `GPU` entry whose value is
    not zero (None when that value is not known). Keys are matched without case, as CloudFormation
    writes `Type`/`Value` and the JSON of the API `type`/`value`."""
    found: bool | None = False
    for item in requirements if isinstance(requirements, list) else ():
        if not isinstance(item, Mapping):
            continue
        fields = {str(k).lower(): v for k, v in item.items()}
        if str(fields.get("type", "")).upper() != "GPU":
            continue
        value = fields.get("value")
        count = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else None
        if count is None or not count.isdigit():
            found = None if found is False else found
        elif int(count) > 0:
            return True
    return found


def instance_has_gpu(value: str) -> bool | None:
    """Whether one Batch `instanceTypes` entry (keyword, family or type) has NVIDIA GPUs; None when
    the entry is not recognised. The keywords pick general-purpose families only."""
    key = value.strip().lower()
    if key in BATCH_KEYWORDS:
        return False
    if compute.instance_type_arch(key) is None:
        return None
    m = _FAMILY.match(key)
    return m is not None and m["cat"] in _GPU_CATEGORIES


def is_compute_environment(capacity: Capacity) -> bool:
    return capacity.batch_type is not None or capacity.kind in _ENVIRONMENT_KINDS


_ENVIRONMENT_KINDS = frozenset(
    {
        "AWS::Batch::ComputeEnvironment",
        "aws_batch_compute_environment",
        "cdk:aws_batch.ManagedEc2EcsComputeEnvironment",
        "cdk:aws_batch.ComputeEnvironment",
    }
)


@dataclass(frozen=True)
class EnvironmentChoice:
    """The instance types of one compute environment an EC2 job may run on."""

    environment: Capacity
    types: tuple[InstanceChoice, ...]

    def describe(self) -> str:
        return f"{self.environment.name} ({', '.join(t.instance_type for t in self.types)})"


def _usable_types(environment: Capacity, gpu: bool | None) -> tuple[InstanceChoice, ...] | None:
    """The instance types of `environment` a job may land on; None when that is not known (a type
    of unknown architecture or GPU kind, or no types at all: an unmanaged environment, a list the
    files do not give)."""
    types = environment.instance_types
    if not types or any(t.arch is None for t in types):
        return None
    if gpu is not True:
        return tuple(types)
    has_gpu = [instance_has_gpu(t.instance_type) for t in types]
    if None in has_gpu:
        return None
    return tuple(t for t, g in zip(types, has_gpu, strict=True) if g)


def job_environments(environments: Sequence[Capacity], gpu: bool | None) -> list[EnvironmentChoice] | None:
    """The EC2 compute environments of `environments` an EC2 job definition may run on (a GPU job
    only on their GPU instance types), or None when one of them is not known well enough to say.
    Fargate environments run no EC2 job; an environment with no type the job can use is left out."""
    out = []
    for environment in environments:
        if environment.fargate:
            continue
        types = _usable_types(environment, gpu)
        if types is None:
            return None
        if types:
            out.append(EnvironmentChoice(environment, types))
    return out


def sole_environment_arch(choices: Sequence[EnvironmentChoice]) -> str | None:
    """The one architecture every instance type the job may land on has (None: several or none)."""
    archs = {t.arch for c in choices for t in c.types}
    return next(iter(archs)) if len(archs) == 1 and None not in archs else None
