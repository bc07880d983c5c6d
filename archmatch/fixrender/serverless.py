"""Serverless Framework (`serverless.yml`): a function's `architecture`, and `platform` of an
`provider.ecr.images` build."""

from __future__ import annotations

from archmatch.model import Service
from archmatch.platforms import aws_name


class Workloads:
    def token(self, service: Service, arch: str) -> str:
        return aws_name(arch)

    def block(self, service: Service, arch: str) -> str:
        return f"architecture: {aws_name(arch)}"

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        return self.block(service, arch)


class ImageBuild:
    def block(self, arch: str, lambda_target: bool) -> str:
        return f"platform: linux/{arch}"

    def insertion(self, arch: str) -> tuple[str, str] | None:
        return None
