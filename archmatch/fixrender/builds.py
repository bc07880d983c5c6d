"""Build definitions whose platform is a list or a key: Compose (`build.platforms`), Bake
(`platforms`), GitHub Actions docker/build-push-action (`platforms`, `provenance`) and the
`images:` mapping of `.archmatch.yaml` (`platforms`)."""

from __future__ import annotations

from typing import Literal


class PlatformList:
    def __init__(self, syntax: Literal["compose", "bake", "gha", "config"]) -> None:
        self.syntax = syntax

    def block(self, arch: str, lambda_target: bool) -> str:
        plat = f"linux/{arch}"
        if self.syntax == "compose":
            return f'build:\n  platforms: ["{plat}"]'
        if self.syntax == "bake":
            return f'platforms = ["{plat}"]'
        if self.syntax == "gha":
            return f"platforms: {plat}" + ("\nprovenance: false" if lambda_target else "")
        return f"platforms: [{plat}]"

    def insertion(self, arch: str) -> tuple[str, str] | None:
        return None
