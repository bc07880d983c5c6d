"""ECS (and Batch-on-ECS) semantics shared by every IaC format."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# capacity providers that run tasks on Fargate (ECS `capacityProviderStrategy`)
FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})


def os_family_of(value: Any) -> str:
    """`runtimePlatform.operatingSystemFamily`: not written (None) is Linux, the default; a
    `WINDOWS_SERVER_*` value is windows, `LINUX` linux; anything else written (another spelling,
    an unresolved reference) is unknown, never guessed."""
    if value is None:
        return "linux"
    if isinstance(value, str):
        upper = value.upper()
        return "windows" if upper.startswith("WINDOWS") else "linux" if upper == "LINUX" else "unknown"
    return "unknown"


def runs_on_fargate(
    launch_type: str | None,
    capacity_providers: Iterable[str] | None,
    requires_compatibilities: Iterable[str] | None,
) -> bool:
    """A task definition certainly runs on Fargate: its service's launch type is FARGATE, every
    capacity provider of its strategy is a Fargate one, or it is compatible with FARGATE only."""
    providers = list(capacity_providers or [])
    compat = set(requires_compatibilities or [])
    if launch_type == "FARGATE":
        return True
    if providers and all(p in FARGATE_PROVIDERS for p in providers):
        return True
    return compat == {"FARGATE"}


def is_fargate(details: dict[str, Any]) -> bool:
    """`runs_on_fargate` from the details the ECS extractors record."""
    return runs_on_fargate(
        details.get("launch_type"), details.get("capacity_providers"), details.get("requires_compatibilities")
    )
