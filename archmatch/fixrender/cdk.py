"""AWS CDK app source, TypeScript or Python: a Lambda function's `architecture`, an ECS task
definition's `runtimePlatform`, a Fargate Batch container's `fargateCpuArchitecture`, and an image
asset's `platform` (and the option that replaces a TARGETPLATFORM build argument)."""

from __future__ import annotations

from archmatch.model import CdkSyntax, Service
from archmatch.platforms import ARM64, aws_name


def _lambda_member(arch: str) -> str:
    return "ARM_64" if arch == ARM64 else "X86_64"


# what a file must import before a `Platform.<member>` fix applies (TypeScript, Python)
PLATFORM_IMPORT = (
    "import { Platform } from 'aws-cdk-lib/aws-ecr-assets' first",
    "from aws_cdk.aws_ecr_assets import Platform first",
)


def platform_member(arch: str) -> str:
    return "LINUX_ARM64" if arch == ARM64 else "LINUX_AMD64"


class Workloads:
    def __init__(self, syntax: CdkSyntax) -> None:
        self.python = syntax == "cdk-py"

    def token(self, service: Service, arch: str) -> str:
        return _lambda_member(arch) if service == "lambda" else aws_name(arch, "ecs")

    def block(self, service: Service, arch: str) -> str:
        value = self.token(service, arch)
        if service == "lambda":
            module = "lambda_" if self.python else "lambda"
            return f"architecture{'=' if self.python else ': '}{module}.Architecture.{value}"
        if self.python:
            return f"runtime_platform=ecs.RuntimePlatform(cpu_architecture=ecs.CpuArchitecture.{value})"
        return f"runtimePlatform: {{ cpuArchitecture: ecs.CpuArchitecture.{value} }}"

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        if service == "batch":
            value = aws_name(arch, "ecs")
            if self.python:
                return f"fargate_cpu_architecture=ecs.CpuArchitecture.{value}"
            return f"fargateCpuArchitecture: ecs.CpuArchitecture.{value}"
        return self.block(service, arch)


class ImageAsset:
    def __init__(self, syntax: CdkSyntax) -> None:
        self.python = syntax == "cdk-py"

    def block(self, arch: str, lambda_target: bool) -> str:
        return f"platform{'=' if self.python else ': '}Platform.{platform_member(arch)}"

    def insertion(self, arch: str) -> tuple[str, str] | None:
        return None


def platform_option(syntax: CdkSyntax, key: str, value: str, arch: str) -> tuple[str, str]:
    """(the build argument as written, the platform option that replaces it) for an image asset."""
    member = platform_member(arch)
    if syntax == "cdk-py":
        return f'build_args={{"{key}": "{value}"}},', f"platform=ecr_assets.Platform.{member},"
    new = f"platform: Platform.{member},  // import {{ Platform }} from 'aws-cdk-lib/aws-ecr-assets'"
    return f"buildArgs: {{ '{key}': '{value}' }},", new
