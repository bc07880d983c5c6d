"""Docker SDK for Python (docker-py): the platform is the `platform=` argument of the build call."""

from __future__ import annotations


class BuildCall:
    def block(self, arch: str, lambda_target: bool) -> str:
        return f'.build(..., platform="linux/{arch}")'

    def insertion(self, arch: str) -> tuple[str, str] | None:
        return None
