"""AWS Batch semantics shared by every IaC format (docs/aws-facts.md#service-defaults,
#batch-instance-types)."""

from __future__ import annotations

from collections.abc import Iterable

from archmatch.aws.defaults import BATCH_FARGATE_DEFAULT_ARCH
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
