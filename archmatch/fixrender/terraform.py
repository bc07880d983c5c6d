"""Terraform (HCL): `architectures` of aws_lambda_function, `runtime_platform` of ECS task
definitions (resource block or terraform-aws-modules/ecs map), `runtimePlatform` in a Batch job's
container_properties JSON, and `platform` of a docker image build (kreuzwerker/docker
`docker_image`, terraform-aws-modules/lambda docker-build)."""

from __future__ import annotations

from typing import Literal

from archmatch.model import Service
from archmatch.platforms import aws_name


class Workloads:
    def __init__(self, syntax: Literal["tf-lambda", "tf-ecs", "tf-ecs-module", "tf-batch"]) -> None:
        self.syntax = syntax

    def token(self, service: Service, arch: str) -> str:
        return aws_name(arch) if self.syntax == "tf-lambda" else aws_name(arch, "ecs")

    def block(self, service: Service, arch: str) -> str:
        value = self.token(service, arch)
        if self.syntax == "tf-lambda":
            return f'architectures = ["{value}"]'
        if self.syntax == "tf-batch":
            return f'runtimePlatform = {{ cpuArchitecture = "{value}" }}'
        equals = " =" if self.syntax == "tf-ecs-module" else ""
        return f'runtime_platform{equals} {{\n  cpu_architecture        = "{value}"\n  operating_system_family = "LINUX"\n}}'

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        value = self.token(service, arch)
        if self.syntax == "tf-lambda":
            return f'architectures = ["{value}"]'
        if self.syntax == "tf-batch":
            return f'runtimePlatform = {{ cpuArchitecture = "{value}" }} in container_properties'
        equals = " =" if self.syntax == "tf-ecs-module" else ""
        return f'runtime_platform{equals} {{ cpu_architecture = "{value}" }}'


class DockerBuild:
    def block(self, arch: str, lambda_target: bool) -> str:
        return f'platform = "linux/{arch}"'

    def insertion(self, arch: str) -> tuple[str, str] | None:
        # the block that requests no platform (`build {`, `module "image" {`): add it as its first line
        return "{", f'{{\n  platform = "linux/{arch}"'
