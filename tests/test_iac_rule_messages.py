"""What ARCH201 and ARCH205 say: advice in the file's own syntax, no guessed architecture,
names a reader can find, and the build that makes a mutable tag dangerous."""

from __future__ import annotations

from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.model import Location, Workload
from archmatch.platforms import AMD64, ArchFact
from archmatch.rules.iac._common import display_name

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _messages(case: str, rule: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(FIXTURES / rule / case)
    result = scan([Path(".")], Config())
    return {f"{f.location.path}:{f.location.line}": f.message for f in result.findings if f.rule_id == rule}


@pytest.mark.parametrize(
    ("case", "written", "foreign"),
    [
        (
            "fail_cdk_ts_fargate",
            "runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64 }",
            "runtime_platform {",
        ),
        (
            "fail_cdk_py_fargate",
            "runtime_platform=ecs.RuntimePlatform(cpu_architecture=ecs.CpuArchitecture.ARM64)",
            "runtime_platform {",
        ),
        ("fail_cfn_ecs_task_json", '"RuntimePlatform": {"CpuArchitecture": "ARM64"}', "runtime_platform"),
        (
            "fail_tf_fargate_capacity_provider",
            'runtime_platform { cpu_architecture = "ARM64" }',
            "RuntimePlatform",
        ),
        ("fail_tf_lambda_image", 'architectures = ["arm64"]', "Architectures"),
    ],
)
def test_arch201_advice_is_in_the_files_syntax_and_offers_both_archs(
    case: str, written: str, foreign: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (message,) = _messages(case, "ARCH201", monkeypatch).values()
    assert written in message and foreign not in message
    # nothing says which architecture the image is built for: both spellings, no guess
    assert message.count("X86_64") + message.count("x86_64") >= 2 and (
        "ARM64" in message or "arm64" in message
    )


def test_arch201_is_silent_when_the_build_agrees_or_another_rule_says_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pinned to linux/amd64: agrees with the default. Unpinned and linked: ARCH302's finding."""
    assert _messages("pass_tf_fargate_build_agrees", "ARCH201", monkeypatch) == {}
    assert _messages("pass_linked_unpinned_build", "ARCH201", monkeypatch) == {}
    (message,) = _messages("fail_tf_fargate_build_platform_variable", "ARCH201", monkeypatch).values()
    assert 'cpu_architecture = "X86_64" }' in message and 'cpu_architecture = "ARM64" }' in message


def test_arch201_never_suggests_arm64_alone_for_an_amd64_named_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (message,) = _messages("fail_tf_fargate_capacity_provider", "ARCH201", monkeypatch).values()
    assert message.startswith(
        "aws_ecs_task_definition.worker_amd64 declares no CPU architecture, so ECS on Fargate"
    )
    assert '"X86_64"' in message and '"ARM64"' in message


def test_arch205_names_the_unpinned_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "ARCH205" / "fail_tf_latest_and_untagged")
    result = scan([Path(".")], Config())
    (finding,) = [f for f in result.findings if f.rule_id == "ARCH205" and f.location.line == 20]
    assert "pushes that repository without pinning a platform" in finding.message
    assert [(r.location.path, r.location.line) for r in finding.related] == [("build.sh", 3)]


def test_a_cdk_construct_with_a_computed_id_is_named_by_class_and_place() -> None:
    def workload(name: str, kind: str) -> Workload:
        return Workload(kind, name, "ecs", Location("lib/stack.ts", 35), ArchFact.default(AMD64))

    assert display_name(workload("FargateTaskDefinition@35", "cdk:aws_ecs.FargateTaskDefinition")) == (
        "FargateTaskDefinition at lib/stack.ts:35"
    )
    assert display_name(workload("WorkerTask", "cdk:aws_ecs.FargateTaskDefinition")) == "WorkerTask"
    assert (
        display_name(workload("aws_ecs_task_definition.web", "aws_ecs_task_definition"))
        == "aws_ecs_task_definition.web"
    )
