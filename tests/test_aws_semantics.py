"""archmatch/aws: the format-independent AWS semantics the Terraform and CloudFormation
extractors share (one definition each, instead of one per format)."""

from __future__ import annotations

import pytest

from archmatch.aws.ecs import os_family_of, runs_on_fargate


@pytest.mark.parametrize(
    ("value", "family"),
    [
        (None, "linux"),
        ("LINUX", "linux"),
        ("linux", "linux"),
        ("WINDOWS_SERVER_2022_CORE", "windows"),
        ("Windows_Server_2019_Full", "windows"),
        ("MACOS", "unknown"),
        (object(), "unknown"),
    ],
)
def test_os_family_is_linux_by_default_and_unknown_when_unresolved(value: object, family: str) -> None:
    assert os_family_of(value) == family


@pytest.mark.parametrize(
    ("launch_type", "providers", "compat", "fargate"),
    [
        ("FARGATE", None, None, True),
        (None, ["FARGATE", "FARGATE_SPOT"], None, True),
        (None, ["FARGATE", "my-asg-provider"], None, False),
        (None, None, ["FARGATE"], True),
        (None, None, ["EC2", "FARGATE"], False),
        (None, None, None, False),
    ],
)
def test_fargate_needs_a_launch_type_every_provider_or_sole_compatibility(
    launch_type: str | None, providers: list[str] | None, compat: list[str] | None, fargate: bool
) -> None:
    assert runs_on_fargate(launch_type, providers, compat) is fargate
