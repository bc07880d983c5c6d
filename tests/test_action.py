"""The composite GitHub Action (action.yml): its Scan step's script run with bash as the runner runs it.

The step is executed for real (the installed `archmatch` behind a shim that logs each call), with the
inputs turned into the environment the Action passes and `$GITHUB_OUTPUT` a file. GitHub's own steps
(setup-python, upload-sarif) are not run; their conditions are checked against the outputs.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, assert_valid_sarif

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {s.get("id") or s.get("name"): s for s in ACTION["runs"]["steps"]}


def run_scan_step(
    tmp_path: Path, workdir: Path, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], list[str]]:
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    step = STEPS["scan"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    for var, expr in step["env"].items():
        env[var] = values[expr.removeprefix("${{ inputs.").removesuffix(" }}")]
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    shim = bindir / "archmatch"
    shim.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{sys.executable}" -m archmatch "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    env["GITHUB_OUTPUT"] = str(outputs)
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=workdir, env=env, capture_output=True, text=True, check=False
    )
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    calls = log.read_text().splitlines() if log.exists() else []
    return proc, found, calls


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "sam-lambda-arm64", dest)
    return dest


def test_one_scan_gives_sarif_and_the_annotations(tmp_path: Path, repo: Path, sarif_validator) -> None:
    proc, outputs, calls = run_scan_step(tmp_path, repo)
    assert proc.returncode == 0, proc.stderr
    assert outputs == {"exit-code": "1", "sarif-file": "archmatch.sarif"}
    assert [c.split()[0] for c in calls] == ["scan", "annotate"]  # one scan; annotations from its SARIF
    log = json.loads((repo / "archmatch.sarif").read_text())
    assert_valid_sarif(sarif_validator, log)
    github = subprocess.run(
        [sys.executable, "-m", "archmatch", "scan", ".", "-f", "github"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert proc.stdout == github and "::error file=template.yaml" in github


def test_annotations_off(tmp_path: Path, repo: Path) -> None:
    proc, outputs, calls = run_scan_step(tmp_path, repo, annotations="false")
    assert (proc.stdout, [c.split()[0] for c in calls], outputs["exit-code"]) == ("", ["scan"], "1")


def test_exclude_config_and_threshold_inputs(tmp_path: Path, repo: Path) -> None:
    proc, outputs, calls = run_scan_step(tmp_path, repo, exclude="template.yaml\nfn/**\n")
    assert "--exclude template.yaml --exclude fn/**" in calls[0]
    assert (
        outputs["exit-code"] == "0"
        and json.loads((repo / "archmatch.sarif").read_text())["runs"][0]["results"] == []
    )
    (repo / "ci.yaml").write_text("ignored: [ARCH301, ARCH104, ARCH302, ARCH303]\n")
    proc, outputs, calls = run_scan_step(tmp_path, repo, config="ci.yaml")
    assert "--config ci.yaml" in calls[-2] and outputs["exit-code"] == "0"
    proc, outputs, calls = run_scan_step(tmp_path, repo, severity_threshold="none")
    assert outputs["exit-code"] == "0" and "--severity-threshold none" in calls[-2]


def test_exit_2_fails_the_step_and_uploads_nothing(tmp_path: Path, repo: Path) -> None:
    (repo / "archmatch.sarif").write_text("{}")  # a stale report must not be uploaded
    proc, outputs, _ = run_scan_step(tmp_path, repo, config="missing.yaml")
    assert proc.returncode == 2
    assert "config file not found: missing.yaml" in proc.stderr
    assert "::error title=archmatch::archmatch could not scan (exit code 2" in proc.stdout
    assert outputs == {"exit-code": "2"} and not (repo / "archmatch.sarif").exists()
    upload = STEPS["Upload SARIF"]["if"]
    assert "steps.scan.outputs.sarif-file != ''" in upload  # so the upload step is skipped
    assert STEPS["Fail on findings"]["if"] == "${{ steps.scan.outputs.exit-code == '1' }}"


def test_install_step_installs_the_cli_without_checkov() -> None:
    assert STEPS["Install archmatch"]["run"].endswith('"$GITHUB_ACTION_PATH"')  # no [checkov] extra
    setup = (ROOT / "setup.cfg").read_text()
    requires = setup.split("install_requires =")[1].split("\n\n")[0]
    assert "checkov" not in requires


@pytest.mark.parametrize("doc", ["README.md", "docs/integrations.md"])
def test_documented_workflow_permissions(doc: str) -> None:
    text = (ROOT / doc).read_text()
    for permission in ("contents: read", "security-events: write", "actions: read"):
        assert permission in text, (doc, permission)
