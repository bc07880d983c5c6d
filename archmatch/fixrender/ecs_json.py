"""ECS task-definition JSON (a file `aws ecs register-task-definition` or the
amazon-ecs-render-task-definition action reads) and Batch job-definition JSON (`aws batch
register-job-definition`, inside `containerProperties`): `runtimePlatform.cpuArchitecture`."""

from __future__ import annotations

from archmatch.model import Service
from archmatch.platforms import aws_name


class Workloads:
    def token(self, service: Service, arch: str) -> str:
        return aws_name(arch, "ecs")

    def block(self, service: Service, arch: str) -> str:
        block = f'"runtimePlatform": {{"cpuArchitecture": "{self.token(service, arch)}", "operatingSystemFamily": "LINUX"}}'
        return f'"containerProperties": {{{block}}}' if service == "batch" else block

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        declared = f'"runtimePlatform": {{"cpuArchitecture": "{self.token(service, arch)}"}}'
        return f"{declared} in containerProperties" if service == "batch" else declared
