"""Dagger pipelines (Go and Python SDKs): the container's platform is an option of the call that
creates it."""

from __future__ import annotations


class GoContainer:
    def block(self, arch: str, lambda_target: bool) -> str:
        return f'dag.Container(dagger.ContainerOpts{{Platform: "linux/{arch}"}})'

    def insertion(self, arch: str) -> tuple[str, str] | None:
        return None


class PyContainer:
    def block(self, arch: str, lambda_target: bool) -> str:
        return f'dag.container(platform=dagger.Platform("linux/{arch}"))'

    def insertion(self, arch: str) -> tuple[str, str] | None:
        return None
