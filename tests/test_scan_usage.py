"""`scan` without silent acceptance: a one-file scan reads what the file names (or says what it did
not read), `--list-workloads` honours `--format json` and is not a gate, `--with-hadolint` needs SARIF."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def scan(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archmatch", "scan", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_sam_template_alone_reads_the_dockerfile_it_builds() -> None:
    proc = scan("examples/sam-lambda-arm64/template.yaml", "-f", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert [f["rule"] for f in report["findings"]] == ["ARCH301"]
    assert "also read what it names: fn/Dockerfile" in proc.stderr
    fixed = scan("examples/sam-lambda-arm64-fixed/template.yaml")
    assert fixed.returncode == 0 and "fn/Dockerfile" in fixed.stderr


def test_compose_file_alone_reads_its_dockerfiles() -> None:
    proc = scan("examples/eks-graviton-compose-amd64/compose.yaml", "-f", "json")
    assert "also read what it names: api/Dockerfile" in proc.stderr


def test_terraform_file_alone_reads_its_module_and_local_modules(tmp_path: Path) -> None:
    (tmp_path / "modules" / "fn").mkdir(parents=True)
    (tmp_path / "main.tf").write_text(
        'module "fn" {\n  source = "./modules/fn"\n}\nmodule "up" {\n  source = "../up"\n}\n'
    )
    (tmp_path / "vars.tf").write_text('variable "x" {\n  default = "y"\n}\n')
    (tmp_path / "modules" / "fn" / "main.tf").write_text(
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  package_type = "Image"\n'
        '  image_uri = "1.dkr.ecr.us-east-1.amazonaws.com/f:1"\n  architectures = ["arm64"]\n}\n'
    )
    proc = scan("--list-workloads", "-f", "json", "main.tf", cwd=tmp_path)
    assert [w["name"] for w in json.loads(proc.stdout)["workloads"]] == ["module.fn.aws_lambda_function.f"]
    assert "also read what it names: modules/fn/main.tf, vars.tf" in proc.stderr
    assert "named but not read: module ../up (outside" in proc.stderr


def test_the_note_is_a_diagnostic_and_names_a_missing_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    build: {context: api}\n")
    proc = scan("compose.yaml", "-f", "json", cwd=tmp_path)
    notes = [d for d in json.loads(proc.stdout)["diagnostics"] if d["code"] == "single-file"]
    assert (
        len(notes) == 1
        and "api/Dockerfile (built by" in notes[0]["message"]
        and "not found" in notes[0]["message"]
    )


def test_a_folder_scan_has_no_single_file_note() -> None:
    proc = scan("examples/sam-lambda-arm64", "-f", "json")
    assert "single-file" not in proc.stdout and "note:" not in proc.stderr


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_list_workloads_honours_the_format_and_exits_0(fmt: str) -> None:
    proc = scan("--list-workloads", "-f", fmt, "examples/sam-lambda-arm64")
    assert proc.returncode == 0  # the example has an error finding: a listing is not a gate
    if fmt == "json":
        assert json.loads(proc.stdout)["workloads"][0]["name"] == "ThumbnailFunction"
    else:
        assert proc.stdout.startswith("LOCATION")


def test_list_workloads_other_formats_and_with_hadolint_outside_sarif_are_usage_errors() -> None:
    proc = scan("--list-workloads", "-f", "sarif", "examples/sam-lambda-arm64")
    assert (proc.returncode, proc.stdout) == (2, "") and "--list-workloads prints text or json" in proc.stderr
    for fmt in ("text", "json", "github"):
        proc = scan("--with-hadolint", "-f", fmt, "examples/sam-lambda-arm64")
        assert (proc.returncode, proc.stdout) == (2, "") and "use it with --format sarif" in proc.stderr
