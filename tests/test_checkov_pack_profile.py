"""ARCHMATCH_PACK_PROFILE: the opt-in accounting of the CPU time the Checkov pack spends in
archmatch's code, per process (issue 14). The slow test runs the real Checkov, cold then warm."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archmatch.integrations import CHECKS_DIR, checkov_profile

CHECKOV = shutil.which("checkov")

SCRIPT = """
import multiprocessing, os
from archmatch.integrations import checkov_profile as p

@p.accounted("calls")
def call():
    return sum(range(1000))

with p.step("discover") as counts:
    counts["files"] = 3
for _ in range(4):
    call()

def child():
    call()

proc = multiprocessing.get_context("fork").Process(target=child)
proc.start()
proc.join()
"""


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_steps_calls_and_a_forked_child_are_accounted_per_process(tmp_path: Path) -> None:
    out = tmp_path / "profile.jsonl"
    env = {**os.environ, checkov_profile.ENV: str(out)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = _lines(out)
    parent = next(line["pid"] for line in lines if line["step"] == "discover")
    (step,) = [line for line in lines if line["step"] == "discover"]
    assert step["files"] == 3 and step["cpu"] >= 0 and step["imported"] >= 0
    exits = {line["pid"]: line for line in lines if line["step"] == "exit"}
    assert exits[parent]["calls"] == 4 and exits[parent]["forks_after_load"] == 1
    (child,) = [pid for pid in exits if pid != parent]
    # the child inherits the modules, not the parent's counts: only its own call
    assert exits[child]["calls"] == 1 and exits[child]["forked_from"] == parent


def test_off_by_default_without_a_wrapper() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from archmatch.integrations import checkov_profile as p\n"
            "f = lambda: 1\n"
            "assert p.accounted('calls')(f) is f and not p.ACTIVE\n"
            "with p.step('x'):\n    pass\n",
        ],
        env={k: v for k, v in os.environ.items() if k != checkov_profile.ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Architectures: [arm64]
    Metadata:
      Dockerfile: Dockerfile
      DockerContext: .
"""
TF = """\
resource "aws_lambda_function" "api" {
  function_name = "api"
  package_type  = "Image"
  image_uri     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1"
  architectures = ["arm64"]
}
"""


def _checkov_run(tree: Path, tmp: Path, out: Path) -> list[dict[str, Any]]:
    assert CHECKOV, "checkov must be on PATH"
    env = {**os.environ, "TMPDIR": str(tmp), checkov_profile.ENV: str(out), "LOG_LEVEL": "WARNING"}
    cmd = [CHECKOV, "-d", str(tree), "--skip-download", "--quiet", "-o", "json"]
    cmd += ["--external-checks-dir", str(CHECKS_DIR), "--skip-framework", "yaml", "json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return _lines(out)


@pytest.mark.slow
def test_one_checkov_process_analyses_a_cold_cache_and_none_a_warm_one(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "template.yaml").write_text(SAM)
    (tree / "Dockerfile").write_text("FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.12\n")
    (tree / "main.tf").write_text(TF)
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    cold = _checkov_run(tree, tmp, tmp_path / "cold.jsonl")
    outcomes = sorted(line["outcome"] for line in cold if line["step"] == "first call")
    # Terraform, CloudFormation and Dockerfile resources: three processes need the analysis, one runs it
    assert outcomes == ["analysed", "read", "read"]
    registered = {f for line in cold if line["step"] == "register" for f in line["frameworks"]}
    assert {"terraform", "cloudformation", "dockerfile"} <= registered
    calls = {line["pid"]: line["calls"] for line in cold if line["step"] == "exit" and line.get("calls")}
    first = {line["pid"] for line in cold if line["step"] == "first call"}
    assert first == set(calls) and all(n > 0 for n in calls.values())

    warm = _checkov_run(tree, tmp, tmp_path / "warm.jsonl")
    assert sorted(line["outcome"] for line in warm if line["step"] == "first call") == ["read"] * 3
    assert not any(line["step"] in ("analysis", "lock wait") for line in warm)
