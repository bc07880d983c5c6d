"""Exit codes of the real CLI, and partial failure: one broken rule must not stop the rest.

0: no finding at or above the threshold; 1: findings at or above it; 2: usage error, missing
path or bad configuration.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SAM_FINDINGS = {("template.yaml", 16, "ARCH301")}  # one root cause (the Dockerfile pin), one error
PINNED_ONLY = "FROM --platform=linux/amd64 alpine:3.20\nRUN echo ok\n"  # ARCH104, a warning, and nothing else


def archmatch(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archmatch", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_clean_tree_exits_0() -> None:
    proc = archmatch("scan", "examples/sam-lambda-arm64-fixed")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("s") and "no findings" in proc.stdout


def test_findings_exit_1() -> None:
    proc = archmatch("scan", "-f", "json", "examples/sam-lambda-arm64")
    assert proc.returncode == 1
    assert {
        (f["location"]["path"], f["location"]["line"], f["rule"]) for f in json.loads(proc.stdout)["findings"]
    } == {(f"examples/sam-lambda-arm64/{p}", n, r) for p, n, r in SAM_FINDINGS}


@pytest.mark.parametrize(
    ("threshold", "expected"), [("style", 1), ("info", 1), ("warning", 1), ("error", 0), ("none", 0)]
)
def test_threshold_decides_on_a_warning(tmp_path: Path, threshold: str, expected: int) -> None:
    (tmp_path / "Dockerfile").write_text(PINNED_ONLY)
    proc = archmatch("scan", "-f", "json", "--severity-threshold", threshold, ".", cwd=tmp_path)
    assert [(f["rule"], f["severity"]) for f in json.loads(proc.stdout)["findings"]] == [
        ("ARCH104", "warning")
    ]
    assert proc.returncode == expected


FARGATE_TASK = """resource "aws_ecs_task_definition" "web" {
  family                   = "web"
  requires_compatibilities = ["FARGATE"]
  cpu                      = 256
  memory                   = 512
  container_definitions    = jsonencode([{ name = "web", image = "IMAGE" }])
}
"""


def test_consistent_fargate_repository_passes_by_default(tmp_path: Path) -> None:
    """One Fargate task running a public third-party image: nothing to fail a pull request on."""
    (tmp_path / "main.tf").write_text(FARGATE_TASK.replace("IMAGE", "public.ecr.aws/nginx/nginx:1.27"))
    proc = archmatch("scan", "-f", "json", ".", cwd=tmp_path)
    assert {f["severity"] for f in json.loads(proc.stdout)["findings"]} <= {"info", "style"}, proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_info_finding_fails_at_threshold_info(tmp_path: Path) -> None:
    """The private ECR image may be built for arm64 elsewhere: ARCH201 (info) asks to declare it."""
    private_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2"
    (tmp_path / "main.tf").write_text(FARGATE_TASK.replace("IMAGE", private_image))
    proc = archmatch("scan", "-f", "json", ".", cwd=tmp_path)
    assert [(f["rule"], f["severity"]) for f in json.loads(proc.stdout)["findings"]] == [("ARCH201", "info")]
    assert proc.returncode == 0
    assert archmatch("scan", "--severity-threshold", "info", ".", cwd=tmp_path).returncode == 1
    (tmp_path / ".archmatch.yaml").write_text("failure-threshold: info\n")
    assert archmatch("scan", ".", cwd=tmp_path).returncode == 1


def test_config_threshold_and_override_apply(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(PINNED_ONLY)
    (tmp_path / ".archmatch.yaml").write_text("failure-threshold: error\n")
    assert archmatch("scan", ".", cwd=tmp_path).returncode == 0
    (tmp_path / ".archmatch.yaml").write_text("failure-threshold: error\noverride: {error: [ARCH104]}\n")
    assert archmatch("scan", ".", cwd=tmp_path).returncode == 1
    # the command line wins over the file
    assert archmatch("scan", "--severity-threshold", "none", ".", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "does/not/exist"),
        ("scan", "examples/sam-lambda-arm64", "also/missing"),
        ("scan", "--format", "nope", "examples/sam-lambda-arm64"),
        ("scan", "--severity-threshold", "fatal", "examples"),
        ("scan", "--no-such-option", "examples"),
        ("scan", "--config", "missing.yaml", "examples/sam-lambda-arm64"),
        ("no-such-command",),
        (),
    ],
    ids=lambda a: " ".join(a) or "no-arguments",
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    proc = archmatch(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip()


@pytest.mark.parametrize(
    "config",
    [
        "ignored: [ARCH104\n",  # not YAML
        "- just\n- a list\n",
        "failure-threshold: fatal\n",
        "override: {critical: [ARCH101]}\n",
        "ignored: {ARCH101: yes}\n",
        "images: [{pattern: x}]\n",
    ],
)
def test_bad_config_exits_2_and_says_why(tmp_path: Path, config: str) -> None:
    shutil.copytree(EXAMPLES / "sam-lambda-arm64", tmp_path / "repo")
    (tmp_path / "repo/.archmatch.yaml").write_text(config)
    proc = archmatch("scan", ".", cwd=tmp_path / "repo")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert ".archmatch.yaml" in proc.stderr and proc.stdout == ""


# A test seam: the CLI run with one more rule registered, which fails on one file only.
BROKEN_RULE_RUNNER = textwrap.dedent(
    """
    import dataclasses, runpy, sys
    from archmatch import rules

    real = rules.all_rules()

    def check(facts):
        for path in facts.dockerfiles:
            if path.endswith("boom/Dockerfile"):
                raise RuntimeError("deliberately broken on " + path)
        return []

    meta = dataclasses.replace(real[0].meta, id="ARCH999", name="deliberately-broken", checkov_id="CKV_ARCH_999")
    broken = rules.Rule(meta, check, "tests.broken_rule")
    rules.all_rules = lambda: (*real, broken)
    sys.argv = ["archmatch", *sys.argv[1:]]
    runpy.run_module("archmatch", run_name="__main__", alter_sys=True)
    """
)


def run_with_broken_rule(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    runner = tmp_path / "runner.py"
    runner.write_text(BROKEN_RULE_RUNNER)
    return subprocess.run(
        [sys.executable, str(runner), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_a_rule_that_crashes_on_one_file_is_a_tool_notification(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "sam-lambda-arm64", tmp_path / "repo")
    (tmp_path / "repo/boom").mkdir()
    (tmp_path / "repo/boom/Dockerfile").write_text("FROM alpine:3.20\n")
    proc = run_with_broken_rule(tmp_path, "scan", "-f", "sarif", "repo")
    assert proc.returncode == 2, proc.stderr  # an incomplete scan must not look like its findings alone
    assert "internal error" in proc.stderr
    relaxed = run_with_broken_rule(tmp_path, "scan", "-f", "sarif", "--internal-errors", "warn", "repo")
    assert relaxed.returncode == 1, relaxed.stderr  # relaxed: the other rules' findings decide
    assert relaxed.stdout == proc.stdout
    run = json.loads(proc.stdout)["runs"][0]
    got = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
        )
        for r in run["results"]
    }
    assert got == {(f"repo/{p}", n, r) for p, n, r in SAM_FINDINGS}
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    internal = [
        n for n in invocation["toolExecutionNotifications"] if n["descriptor"]["id"] == "archmatch/internal"
    ]
    assert len(internal) == 1 and internal[0]["level"] == "error"
    assert "ARCH999" in internal[0]["message"]["text"] and "boom/Dockerfile" in internal[0]["message"]["text"]
    assert "ARCH999" in {r["id"] for r in run["tool"]["driver"]["rules"]}


def test_the_broken_rule_runs_clean_elsewhere(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "sam-lambda-arm64-fixed", tmp_path / "repo")
    proc = run_with_broken_rule(tmp_path, "scan", "-f", "json", "repo")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["diagnostics"] == []
