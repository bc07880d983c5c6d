"""CloudFormation and SAM templates (YAML or JSON): `Architectures` of a Lambda function,
`RuntimePlatform` of an ECS task definition or of a Batch job's ContainerProperties; a SAM image
function's `Architectures`, from which `sam build` derives the build platform."""

from __future__ import annotations

from typing import Literal

from archmatch.model import Service
from archmatch.platforms import aws_name


class Workloads:
    def __init__(self, syntax: Literal["cfn-lambda", "cfn-ecs", "cfn-batch", "sam"]) -> None:
        self.syntax = syntax

    def token(self, service: Service, arch: str) -> str:
        return aws_name(arch) if self.syntax in ("cfn-lambda", "sam") else aws_name(arch, "ecs")

    def block(self, service: Service, arch: str) -> str:
        value = self.token(service, arch)
        platform = f"RuntimePlatform:\n  CpuArchitecture: {value}\n  OperatingSystemFamily: LINUX"
        if self.syntax == "cfn-ecs":
            return platform
        if self.syntax == "cfn-batch":
            return "ContainerProperties:\n" + "\n".join("  " + line for line in platform.splitlines())
        return f"Architectures: [{value}]"

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        return declaration(service, arch, json_file)


def declaration(service: Service, arch: str, json_file: bool) -> str:
    """A template's declaration for the service (also the advice when the format is not known)."""
    if service == "lambda":
        value = aws_name(arch)
        return f'"Architectures": ["{value}"]' if json_file else f"Architectures: [{value}]"
    ecs = aws_name(arch, "ecs")
    platform = (
        f'"RuntimePlatform": {{"CpuArchitecture": "{ecs}"}}'
        if json_file
        else f"RuntimePlatform: {{CpuArchitecture: {ecs}}}"
    )
    return platform + " in ContainerProperties" if service == "batch" else platform


class SamBuild:
    def block(self, arch: str, lambda_target: bool) -> str:
        return f"Architectures: [{aws_name(arch)}]  # sam build derives --platform linux/{arch} from it"

    def insertion(self, arch: str) -> tuple[str, str] | None:
        return None
