"""ECS task-definition JSON files (archmatch/extract/ecs_taskdef.py)."""

from __future__ import annotations

from pathlib import Path

from archmatch.config import Config
from archmatch.engine import analyze
from archmatch.platforms import How


def _scan(tmp_path: Path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    facts, _ = analyze(tmp_path, Config())
    return [w for w in facts.workloads if w.service == "ecs"]


def test_runtime_platform_decides_and_placeholders_stay_unknown(tmp_path: Path) -> None:
    (w,) = _scan(
        tmp_path,
        {
            "deploy/taskdef.json": (
                '{"family": "web", "requiresCompatibilities": ["FARGATE"],\n'
                ' "runtimePlatform": {"cpuArchitecture": "ARM64"},\n'
                ' "containerDefinitions": [\n'
                '  {"name": "web", "image": "<IMAGE1_NAME>"},\n'
                '  {"name": "proxy", "image": "{{ proxy_image }}"},\n'
                '  {"name": "log", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32"}]}\n'
            )
        },
    )
    assert (w.name, w.arch.how, sorted(w.arch.archs)) == ("web", How.EXPLICIT, ["arm64"])
    assert w.arch_location is not None and w.arch_location.line == 2
    assert [(i.ref, i.resolved, i.location.line) for i in w.images] == [
        ("${IMAGE1_NAME}", False, 4),
        ("${proxy_image}", False, 5),
        ("public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32", True, 6),
    ]
    assert w.ecs is not None and w.ecs.fargate is True


def test_describe_output_and_default_architecture(tmp_path: Path) -> None:
    (w,) = _scan(
        tmp_path,
        {
            "saved.json": (
                '{"taskDefinition": {"family": "${FAMILY}", "requiresCompatibilities": ["EC2"],\n'
                ' "containerDefinitions": [{"name": "a", "image": "nginx:1.27"}]}}\n'
            )
        },
    )
    assert (w.name, w.arch.how, sorted(w.arch.archs)) == ("saved.json", How.DEFAULT, ["amd64"])
    assert w.ecs is not None and w.ecs.fargate is False


def test_json_that_is_not_a_task_definition_is_ignored(tmp_path: Path) -> None:
    files = {
        "list.json": '[{"name": "a", "image": "nginx", "containerDefinitions": []}]',
        "api.json": '{"examples": {"containerDefinitions": "text"}}',
    }
    assert _scan(tmp_path, files) == []
