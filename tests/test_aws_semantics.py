"""archmatch/aws: the format-independent AWS semantics the Terraform and CloudFormation
extractors share (one definition each, instead of one per format)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from archmatch.aws.ecs import os_family_of, runs_on_fargate
from archmatch.engine import analyze
from archmatch.settings import Config


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


def test_batch_fargate_and_its_default_are_one_definition() -> None:
    from archmatch.aws.batch import environment_is_fargate, job_arch_when_omitted, job_runs_on_fargate
    from archmatch.platforms import How

    assert job_runs_on_fargate(["fargate"]) and job_runs_on_fargate(["EC2", "FARGATE"])
    assert not job_runs_on_fargate(["EC2"]) and not job_runs_on_fargate(None)
    assert environment_is_fargate("FARGATE_SPOT") and not environment_is_fargate("SPOT")
    assert not environment_is_fargate(None)
    on_fargate, on_ec2 = job_arch_when_omitted(True), job_arch_when_omitted(False)
    assert (on_fargate.how, on_fargate.archs, on_ec2.how) == (How.DEFAULT, {"amd64"}, How.UNKNOWN)


def test_cdk_reads_the_operating_system_family_as_the_other_formats(tmp_path: Path) -> None:
    """`aws.ecs.os_family_of` on the enum member or the string: not only WINDOWS_* is told apart,
    an unresolved value is unknown (CDK used to call everything but WINDOWS_* linux)."""
    app = """
    import { App, Stack } from 'aws-cdk-lib';
    import * as ecs from 'aws-cdk-lib/aws-ecs';
    const stack = new Stack(new App(), 'S');
    new ecs.FargateTaskDefinition(stack, 'Win', { runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE } });
    new ecs.FargateTaskDefinition(stack, 'Lin', { runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.LINUX } });
    new ecs.FargateTaskDefinition(stack, 'Odd', { runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.of(process.env.OS) } });
    new ecs.FargateTaskDefinition(stack, 'None');
    """
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "app.ts").write_text(textwrap.dedent(app))
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "npx ts-node bin/app.ts"}))
    facts, _ = analyze(tmp_path, Config())
    families = {w.name: w.os_family for w in facts.workloads}
    assert families == {"Win": "windows", "Lin": "linux", "Odd": "unknown", "None": "linux"}
