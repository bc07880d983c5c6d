"""The CKV_ARCH_* checks inside the real Checkov (checkov 3.3.30, offline with --skip-download).

Each Checkov start costs ~5 s, and Checkov pays about a second more per `-d` root, so the runs are
few and shared (module-scoped fixtures):

* main: several `-d` roots at once: each of our trees, one `rules` root holding every rule
  fixture case as its own repository (a `.git` folder: the checks analyse each on its own), and
  one `examples` root with the Terraform module examples, json + sarif + junitxml + cli;
* f_mode: `-f` on one file of a git repository, with `--check CKV_ARCH_302`;
* skip_check: `--skip-check CKV_ARCH_301`;
* policies: the YAML policies instead of the Python checks, on the same trees;
* baseline: the same scan as `main` without `--external-checks-dir`, for the cost of the pack;
* downloaded: `--download-external-modules` on one Terraform tree, offline (see its test).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import assert_valid_sarif
from expectations import case_expectations

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.integrations import CHECKS_DIR, POLICIES_DIR
from archmatch.rules import all_rules, metadata

# one pytest-xdist worker runs the whole module: the shared Checkov runs are made once, and the
# later runs find that worker's analysis cache
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("checkov-e2e")]

TESTS = Path(__file__).resolve().parent
OUR_TREES = TESTS / "fixtures" / "integrations" / "checkov"
RULE_FIXTURES = TESTS / "fixtures" / "rules"
EXAMPLES = TESTS.parent / "examples"
MODULE_EXAMPLES = ["terraform-lambda-docker-build", "terraform-lambda-docker-build-fixed"]
FRAMEWORKS = ["terraform", "cloudformation", "kubernetes", "serverless", "dockerfile"]
CHECKOV = shutil.which("checkov")

Row = tuple[str, str, str, str]  # (check id, file relative to the workspace, resource, result)


@dataclass
class CheckovRun:
    rows: set[Row]
    module_rows: set[Row]  # results on Terraform `module` blocks
    reports: list[dict]
    outdir: Path
    seconds: float
    stderr: str


def _rel(result: dict, cwd: Path) -> str:
    # CloudFormation's `file_abs_path` is relative to the cwd (the other runners' are absolute)
    return (cwd / result["file_abs_path"]).resolve().relative_to(cwd.resolve()).as_posix()


def _checkov(
    cwd: Path,
    args: list[str],
    outdir: Path,
    command: list[str] | None = None,
    frameworks: list[str] = FRAMEWORKS,
) -> CheckovRun:
    assert CHECKOV, "checkov must be on PATH"
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [
        *(command or [CHECKOV]),
        *args,
        "--skip-download",
        "--framework",
        *frameworks,
        "--output-file-path",
        str(outdir),
    ]
    if "-o" not in args:
        cmd += ["-o", "json"]
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    seconds = time.perf_counter() - started
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    data = json.loads((outdir / "results_json.json").read_text())
    reports = data if isinstance(data, list) else [data]
    rows: set[Row] = set()
    module_rows: set[Row] = set()
    for report in reports:
        for key, verdict in (
            ("passed_checks", "PASSED"),
            ("failed_checks", "FAILED"),
            ("skipped_checks", "SKIPPED"),
        ):
            for r in report["results"][key]:
                row = (r["check_id"], _rel(r, cwd), r["resource"], verdict)
                rows.add(row)
                if report["check_type"] == "terraform" and (r["code_block"] or [[0, ""]])[0][
                    1
                ].lstrip().startswith("module "):
                    module_rows.add(row)
    return CheckovRun(rows, module_rows, reports, outdir, seconds, proc.stderr)


def _checkov_rule_cases() -> list[Path]:
    """Rule fixture cases of rules that have Checkov checks."""
    out = []
    for rule in all_rules():
        folder = RULE_FIXTURES / rule.meta.id
        if set(rule.meta.checkov_frameworks) & set(FRAMEWORKS) and folder.is_dir():
            out += sorted(p for p in folder.iterdir() if not p.name.endswith(".expect"))
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("checkov")
    shutil.copytree(OUR_TREES, ws / "ours")
    for case in _checkov_rule_cases():
        target = ws / "rules" / case.parent.name / case.name.split(".")[0]
        if case.is_dir():
            shutil.copytree(case, target)
        else:  # a one-file case becomes a one-file repository
            target.mkdir(parents=True)
            shutil.copy(case, target / case.name)
            for sidecar in case.parent.glob(case.name + ".expect"):
                shutil.copy(sidecar, target / sidecar.name)
        (target / ".git").mkdir()
    (ws / "ours" / "tf" / ".git").mkdir()  # a repository: `-f` scans use it as the root
    for name in MODULE_EXAMPLES:
        shutil.copytree(EXAMPLES / name, ws / "examples" / name)
        (ws / "examples" / name / ".git").mkdir()
    return ws


def _case_dirs(ws: Path) -> list[Path]:
    """Every folder analysed on its own: our trees and each rule case."""
    return sorted((ws / "ours").iterdir()) + sorted((ws / "rules").glob("*/*"))


def _d_args(ws: Path) -> list[str]:
    roots = [p.relative_to(ws).as_posix() for p in sorted((ws / "ours").iterdir()) if p.is_dir()] + [
        "rules",
        "examples",
    ]
    return [arg for root in roots for arg in ("-d", root)]


ALL_OUTPUTS = ["-o", "json", "-o", "sarif", "-o", "junitxml", "-o", "cli"]


@pytest.fixture(scope="module")
def main(workspace: Path) -> CheckovRun:
    args = [
        *_d_args(workspace),
        "--external-checks-dir",
        str(CHECKS_DIR),
        "--check",
        "CKV_ARCH_*",
        *ALL_OUTPUTS,
    ]
    return _checkov(workspace, args, workspace / "out-main")


def _of(run: CheckovRun, check_id: str, prefix: str) -> set[tuple[str, str, str]]:
    return {(f, res, v) for c, f, res, v in run.rows if c == check_id and f.startswith(prefix)}


# --- the checks run and give the exact results -------------------------------------------------


def test_our_checks_ran_at_all(main: CheckovRun) -> None:
    """Checkov exits 0 when a pack fails to load: fail loudly instead."""
    ours = {row for row in main.rows if row[0].startswith("CKV_ARCH_")}
    assert ours, f"no CKV_ARCH_* result: the external checks did not run\n{main.stderr[-2000:]}"
    types = {
        r["check_type"]
        for r in main.reports
        if any(
            c["check_id"].startswith("CKV_ARCH_")
            for k in ("passed_checks", "failed_checks")
            for c in r["results"][k]
        )
    }
    assert {"terraform", "cloudformation"} <= types
    assert "WARNING archmatch" not in main.stderr


def test_terraform_results_per_resource(main: CheckovRun) -> None:
    f = "ours/tf/lambda.tf"
    assert _of(main, "CKV_ARCH_301", "ours/tf/") == {
        (f, "aws_lambda_function.bad", "FAILED"),  # finding at its `architectures`, entity = address
        (f, "aws_lambda_function.good", "PASSED"),
        (f, "aws_lambda_function.unpinned", "PASSED"),
    }
    assert _of(main, "CKV_ARCH_302", "ours/tf/") == {
        (f, "aws_lambda_function.bad", "PASSED"),
        (f, "aws_lambda_function.good", "PASSED"),
        (f, "aws_lambda_function.unpinned", "FAILED"),  # finding at build.sh; its image reference is here
    }
    assert _of(main, "CKV_ARCH_304", "ours/tf/") == {
        (f, "aws_lambda_function.bad", "PASSED"),
        (f, "aws_lambda_function.good", "PASSED"),
        (f, "aws_lambda_function.unpinned", "PASSED"),
    }


def test_cloudformation_results_and_metadata_skip(main: CheckovRun) -> None:
    f = "ours/cfn/template.yaml"
    assert _of(main, "CKV_ARCH_301", "ours/cfn/") == {
        (f, "AWS::Lambda::Function.Bad", "FAILED"),
        (f, "AWS::Lambda::Function.Skipped", "SKIPPED"),  # Metadata.checkov.skip
        (f, "AWS::Lambda::Function.Good", "PASSED"),
    }
    assert _of(main, "CKV_ARCH_302", "ours/cfn/") == {
        (f, "AWS::Lambda::Function.Bad", "PASSED"),
        (f, "AWS::Lambda::Function.Skipped", "PASSED"),  # the skip names CKV_ARCH_301 only
        (f, "AWS::Lambda::Function.Good", "PASSED"),
    }


def test_serverless_results_per_function(main: CheckovRun) -> None:
    f = "ours/sls/serverless.yml"
    assert {(res, v) for file, res, v in _of(main, "CKV_ARCH_301", "ours/sls/") if file == f} == {
        ("resize", "FAILED"),  # arm64 function, image built for linux/amd64
        ("crop", "PASSED"),
    }


def test_dockerfile_results_and_skip_comment(main: CheckovRun) -> None:
    assert _of(main, "CKV_ARCH_104", "ours/dockerfile/") == {
        ("ours/dockerfile/Dockerfile", "/Dockerfile.FROM", "FAILED"),  # the FROM on the finding's line
        ("ours/dockerfile/good.Dockerfile", "/good.Dockerfile.", "PASSED"),
        ("ours/dockerfile/skipped.Dockerfile", "/skipped.Dockerfile.", "SKIPPED"),  # a skip comment
    }


def test_terraform_inline_skip(main: CheckovRun) -> None:
    assert _of(main, "CKV_ARCH_301", "ours/suppressed/") == {
        ("ours/suppressed/lambda.tf", "aws_lambda_function.skipped", "SKIPPED")
    }
    assert _of(main, "CKV_ARCH_302", "ours/suppressed/") == {
        ("ours/suppressed/lambda.tf", "aws_lambda_function.skipped", "PASSED")
    }


def _line_ranges(run: CheckovRun, ws: Path) -> dict[tuple[str, str, str], tuple[int, int, str]]:
    out = {}
    for report in run.reports:
        for key, verdict in (("passed_checks", "PASSED"), ("failed_checks", "FAILED")):
            for r in report["results"][key]:
                out[(r["check_id"], _rel(r, ws), r["resource"])] = (*r["file_line_range"], verdict)
    return out


def test_checkov_agrees_with_every_rule_fixture(main: CheckovRun, workspace: Path) -> None:
    """Each `# expect:` inside a resource Checkov checks for that rule makes it FAILED; a FAILED
    resource has an expectation of its rule inside it or, for a cross-file finding, in its case."""
    ranges = _line_ranges(main, workspace)
    problems = []
    for case in _case_dirs(workspace):
        rel_case = case.relative_to(workspace).as_posix()
        expected = {(f"{rel_case}/{path}", line, rule) for path, line, rule in case_expectations(case)}
        for (check_id, path, resource), (start, end, verdict) in ranges.items():
            if not path.startswith(rel_case + "/") or not check_id.startswith("CKV_ARCH_"):
                continue
            rule = "ARCH" + check_id.rsplit("_", 1)[1]
            inside = any(p == path and start <= line <= end and r == rule for p, line, r in expected)
            in_case = any(r == rule for _, _, r in expected)
            if inside and verdict != "FAILED":
                problems.append(f"{check_id} {path} {resource}: expected FAILED, got {verdict}")
            if verdict == "FAILED" and not in_case:
                problems.append(
                    f"{check_id} {path} {resource}: FAILED without any {rule} expectation in {rel_case}"
                )
    assert not problems, "\n".join(problems)


def test_every_checkov_rule_has_results_in_the_fixtures(main: CheckovRun) -> None:
    """Every rule with a Checkov framework we support produced at least one FAILED result."""
    failed = {row[0] for row in main.rows if row[3] == "FAILED"}
    missing = []
    for rule in all_rules():
        covered = (
            set(rule.meta.checkov_frameworks) & set(FRAMEWORKS) and (RULE_FIXTURES / rule.meta.id).is_dir()
        )
        if covered and rule.meta.checkov_id not in failed:
            missing.append(rule.meta.checkov_id)
    assert not missing, f"no FAILED result for {missing}"


# --- Terraform module blocks ------------------------------------------------------------------

# A call to the lambda module creates a function: the rules that judge Lambda functions answer
# (default arch, mutable tag, cross-file mismatch, unpinned build, image index). A call to its
# docker-build submodule creates only a build, which no workload rule judges: no verdict at all.
LAMBDA_MODULE_CHECKS = ["CKV_ARCH_201", "CKV_ARCH_205", "CKV_ARCH_301", "CKV_ARCH_302", "CKV_ARCH_304"]


def test_module_calls_of_public_modules(main: CheckovRun) -> None:
    """Checkov sees no resource inside the public modules (nothing is downloaded): the module checks
    report on the lambda `module` block, each rule that judges Lambda functions; ARCH301 is the one finding."""
    ours = {row for row in main.rows if row[0].startswith("CKV_ARCH_")}
    for name in MODULE_EXAMPLES:
        f = f"examples/{name}/main.tf"
        failed = (
            {("CKV_ARCH_301", f, "orders_lambda", "FAILED")}
            if name == "terraform-lambda-docker-build"
            else set()
        )
        expected = {(check, f, "orders_lambda", "PASSED") for check in LAMBDA_MODULE_CHECKS}
        expected = {row for row in expected if row[:3] not in {r[:3] for r in failed}} | failed
        assert {row for row in ours if row[1] == f} == expected, name
        assert {row for row in main.module_rows if row[1] == f} == expected  # all on module blocks
        dockerfile = {
            (c, path, v) for c, path, _, v in ours if path.startswith(f"examples/{name}/") and path != f
        }
        assert dockerfile == {
            (f"CKV_ARCH_10{n}", f"examples/{name}/src/Dockerfile", "PASSED") for n in range(1, 9)
        }
    ranges = {
        (r["resource"], tuple(r["file_line_range"]))
        for rep in main.reports
        for r in rep["results"]["failed_checks"]
        if r["check_id"] == "CKV_ARCH_301" and "terraform-lambda-docker-build/" in r["file_abs_path"]
    }
    assert ranges == {("orders_lambda", (28, 37))}  # module "orders_lambda" { ... } in main.tf


def test_module_check_reason_and_sarif(main: CheckovRun) -> None:
    """The finding's message follows the title in the failed module check's name; Checkov's SARIF has the result."""
    failed = [
        r
        for rep in main.reports
        for r in rep["results"]["failed_checks"]
        if r["check_id"] == "CKV_ARCH_301" and r["resource"] == "orders_lambda"
    ]
    title = f"{metadata()['ARCH301'].title} (archmatch ARCH301)"
    assert len(failed) == 1 and not failed[0]["details"]
    reason = failed[0]["check_name"].removeprefix(title + ": ")
    assert reason.startswith("module.orders_lambda runs arm64"), failed[0]["check_name"]
    log = json.loads((main.outdir / "results_sarif.sarif").read_text())
    in_examples = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["endLine"],
            r["level"],
        )
        for r in log["runs"][0]["results"]
        if "/terraform-lambda-docker-build"
        in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    ]
    # Checkov's SARIF holds failed results only: the one module block, none in the fixed twin
    assert in_examples == [
        ("CKV_ARCH_301", "examples/terraform-lambda-docker-build/main.tf", 28, 37, "error")
    ]


# Checkov with --download-external-modules, offline: a previous download left the module copies in
# .external_modules (the layout Checkov's registry loader uses once the module's versions are known),
# and the driver seeds that version list, the loader's only request to the registry.
DOWNLOAD_DRIVER = """
import sys
from checkov.terraform.module_loading.loaders.registry_loader import RegistryLoader
from checkov.main import Checkov
RegistryLoader.modules_versions_cache[
    "https://registry.terraform.io/v1/modules/terraform-aws-modules/lambda/aws/versions"] = ["7.20.1"]
sys.exit(Checkov().run())
"""
DOWNLOADED_LAMBDA = """\
variable "create" { default = true }
variable "architectures" { default = null }
variable "image_uri" { default = null }
variable "package_type" { default = "Zip" }
variable "function_name" { default = "" }
variable "create_package" { default = true }

resource "aws_lambda_function" "this" {
  count         = var.create ? 1 : 0
  function_name = var.function_name
  architectures = var.architectures
  image_uri     = var.image_uri
  package_type  = var.package_type
}
"""
DOWNLOADED_DOCKER_BUILD = """\
variable "platform" { default = null }
variable "source_path" { default = null }
variable "ecr_repo" { default = null }
variable "image_tag" { default = null }
variable "create_ecr_repo" { default = false }

resource "docker_image" "this" {
  name = "${var.ecr_repo}:${var.image_tag}"
  build {
    context  = var.source_path
    platform = var.platform
  }
}

output "image_uri" { value = docker_image.this.name }
"""


def test_downloaded_modules_are_judged_at_the_call_only(tmp_path: Path) -> None:
    """With the module's resources visible, the CKV_ARCH_* verdict stays on the `module` block: the
    function inside the downloaded copy gets none (UNKNOWN), instead of a PASSED that contradicts it."""
    tree = tmp_path / "tree"
    shutil.copytree(EXAMPLES / "terraform-lambda-docker-build", tree)
    module = tree / ".external_modules" / "terraform-aws-modules" / "lambda" / "aws"
    (module / "modules" / "docker-build").mkdir(parents=True)
    (module / "main.tf").write_text(DOWNLOADED_LAMBDA)
    (module / "modules" / "docker-build" / "main.tf").write_text(DOWNLOADED_DOCKER_BUILD)
    run = _checkov(
        tmp_path,
        [
            "-d",
            "tree",
            "--external-checks-dir",
            str(CHECKS_DIR),
            "--download-external-modules",
            "true",
            "--check",
            "CKV_ARCH_*,CKV_AWS_117",
        ],
        tmp_path / "out",
        command=[sys.executable, "-c", DOWNLOAD_DRIVER],
        frameworks=["terraform"],
    )
    inner = "tree/.external_modules/terraform-aws-modules/lambda/aws/main.tf"
    # Checkov did load the module: its own check reports on the function inside it
    assert ("CKV_AWS_117", inner, "module.orders_lambda.aws_lambda_function.this[0]", "FAILED") in run.rows
    expected = {(check, "tree/main.tf", "orders_lambda", "PASSED") for check in LAMBDA_MODULE_CHECKS}
    expected = expected - {("CKV_ARCH_301", "tree/main.tf", "orders_lambda", "PASSED")} | {
        ("CKV_ARCH_301", "tree/main.tf", "orders_lambda", "FAILED")
    }
    assert {row for row in run.rows if row[0].startswith("CKV_ARCH_")} == expected


# --- metadata in Checkov's outputs ------------------------------------------------------------


def test_names_severities_and_guides_in_json_cli_junit(main: CheckovRun) -> None:
    meta = metadata()["ARCH301"]
    failed = [
        c for r in main.reports for c in r["results"]["failed_checks"] if c["check_id"] == "CKV_ARCH_301"
    ]
    assert failed
    for c in failed:
        assert c["check_name"].startswith(f"{meta.title} (archmatch ARCH301): ")
        assert c["severity"] == "HIGH" and c["guideline"] == meta.help_uri
    passed = [
        c for r in main.reports for c in r["results"]["passed_checks"] if c["check_id"] == "CKV_ARCH_301"
    ]
    assert passed and {c["check_name"] for c in passed} == {f"{meta.title} (archmatch ARCH301)"}
    assert {
        c["severity"]
        for r in main.reports
        for c in r["results"]["failed_checks"]
        if c["check_id"] == "CKV_ARCH_302"
    } == {"MEDIUM"}
    cli = (main.outdir / "results_cli.txt").read_text()
    assert f'Check: CKV_ARCH_301: "{meta.title} (archmatch ARCH301): ' in cli
    assert "Severity: HIGH" in cli and f"Guide: {meta.help_uri}" in cli
    junit = ET.parse(main.outdir / "results_junitxml.xml").getroot()
    names = {case.get("name", "") for case in junit.iter("testcase")}
    assert any(n.startswith("[HIGH][CKV_ARCH_301]") for n in names), sorted(names)[:5]


def test_every_failure_carries_its_reason_in_every_framework(main: CheckovRun) -> None:
    """Checkov copies only the check name into non-Terraform records: each FAILED CKV_ARCH_*
    result, in every framework, names the finding after the title (the other end of a mismatch
    for cross-file rules)."""
    titles = {r.meta.checkov_id: f"{r.meta.title} (archmatch {r.meta.id})" for r in all_rules()}
    frameworks = set()
    for report in main.reports:
        for c in report["results"]["failed_checks"]:
            if c["check_id"].startswith("CKV_ARCH_"):
                frameworks.add(report["check_type"])
                reason = c["check_name"].removeprefix(titles[c["check_id"]] + ": ")
                assert reason != c["check_name"] and len(reason) > 20, c["check_name"]
    assert frameworks == set(FRAMEWORKS)
    cross = [
        c["check_name"]
        for r in main.reports
        if r["check_type"] == "kubernetes"
        for c in r["results"]["failed_checks"]
        if c["check_id"] == "CKV_ARCH_305"
    ]
    assert cross and all("node" in name for name in cross), cross


def test_checkov_sarif_has_our_rules_and_validates(main: CheckovRun, sarif_validator) -> None:
    log = json.loads((main.outdir / "results_sarif.sarif").read_text())
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    meta = metadata()["ARCH301"]
    assert rules["CKV_ARCH_301"]["helpUri"] == meta.help_uri
    assert rules["CKV_ARCH_301"]["shortDescription"]["text"].startswith(f"{meta.title} (archmatch ARCH301)")
    ours = [r for r in run["results"] if r["ruleId"] == "CKV_ARCH_301"]
    assert ours and {r["level"] for r in ours} == {"error"}  # HIGH -> error
    assert {r["ruleId"] for r in run["results"] if r["ruleId"] == "CKV_ARCH_302"} == {"CKV_ARCH_302"}
    assert {r["level"] for r in run["results"] if r["ruleId"] == "CKV_ARCH_302"} == {"warning"}  # MEDIUM
    # No `details`, so Checkov writes no schema-invalid `attachments`: the log validates as it is.
    assert all(not r.get("attachments") for r in run["results"])
    title = f"{meta.title} (archmatch ARCH301)"
    failed = [r["message"]["text"] for r in ours if not r.get("suppressions")]
    assert failed and all(text.startswith(f"{title}: ") for text in failed), failed
    skipped = [r["message"]["text"] for r in ours if r.get("suppressions")]
    assert skipped and set(skipped) == {title}  # never the reason of another resource
    assert_valid_sarif(sarif_validator, log)


# --- -f scans, --check and --skip-check ------------------------------------------------------


def test_f_mode_uses_the_repository_and_check_selects(workspace: Path) -> None:
    run = _checkov(
        workspace,
        ["-f", "ours/tf/lambda.tf", "--external-checks-dir", str(CHECKS_DIR), "--check", "CKV_ARCH_302"],
        workspace / "out-f",
    )
    f = "ours/tf/lambda.tf"
    assert run.rows == {  # build.sh is not passed, but the repository around lambda.tf is analysed
        ("CKV_ARCH_302", f, "aws_lambda_function.bad", "PASSED"),
        ("CKV_ARCH_302", f, "aws_lambda_function.good", "PASSED"),
        ("CKV_ARCH_302", f, "aws_lambda_function.unpinned", "FAILED"),
    }


def test_skip_check(workspace: Path) -> None:
    run = _checkov(
        workspace,
        ["-d", "ours/tf", "--external-checks-dir", str(CHECKS_DIR), "--skip-check", "CKV_ARCH_301"],
        workspace / "out-skip",
    )
    ours = {row[0] for row in run.rows if row[0].startswith("CKV_ARCH_")}
    assert "CKV_ARCH_301" not in ours and {"CKV_ARCH_302", "CKV_ARCH_304"} <= ours


# --- YAML policies --------------------------------------------------------------------------


def _yaml_policy_ids() -> set[str]:
    return {r.meta.checkov_id for r in all_rules() if r.meta.yaml_policy}


def test_a_yaml_policy_exists_exactly_for_yaml_policy_rules() -> None:
    assert {p.stem for p in POLICIES_DIR.glob("*.yaml")} == _yaml_policy_ids()


def test_yaml_policies_agree_with_the_python_checks(main: CheckovRun, workspace: Path) -> None:
    ids = _yaml_policy_ids()
    run = _checkov(
        workspace,
        [*_d_args(workspace), "--external-checks-dir", str(POLICIES_DIR), "--check", ",".join(sorted(ids))],
        workspace / "out-policies",
    )
    # a YAML policy checks resources only; the Python checks also check `module` blocks
    python_rows = {row for row in main.rows - main.module_rows if row[0] in ids}
    assert python_rows, "the Python checks gave no result for the YAML policy rules"
    assert {row for row in run.rows if row[0] in ids} == python_rows
    assert any(row[3] == "FAILED" for row in python_rows) and any(row[3] == "PASSED" for row in python_rows)


# --- cost -----------------------------------------------------------------------------------


def test_cost_of_the_pack_is_recorded(
    main: CheckovRun, workspace: Path, record_property: pytest.RecordProperty
) -> None:
    """The same scan without the pack, for the record only: wall-clock ratios on a shared CI machine
    are not a verdict (benchmarks/run.py measures the pack's cost side by side on a quiet machine)."""
    base = _checkov(
        workspace,
        [*_d_args(workspace), "--check", "CKV_DOCKER_2,CKV_AWS_117", *ALL_OUTPUTS],
        workspace / "out-base",
    )
    record_property("checkov_seconds_without_pack", round(base.seconds, 2))
    record_property("checkov_seconds_with_pack", round(main.seconds, 2))
    assert not any(row[0].startswith("CKV_ARCH_") for row in base.rows)  # the baseline really ran without it
    assert {row[0] for row in base.rows} == {"CKV_DOCKER_2", "CKV_AWS_117"}


# --- the pack's own warning -------------------------------------------------------------------


def test_the_pack_warns_when_it_cannot_import_archmatch(tmp_path: Path) -> None:
    pack = tmp_path / "a" / "b" / "c" / "archmatch_checkov_checks.py"
    pack.parent.mkdir(parents=True)
    shutil.copy(CHECKS_DIR / "archmatch_checkov_checks.py", pack)
    # -I -S: no site-packages, so archmatch cannot be imported, as in a Checkov installed elsewhere
    proc = subprocess.run(
        [sys.executable, "-I", "-S", str(pack)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stderr.startswith(
        "WARNING archmatch: the CKV_ARCH_* checks are NOT running: cannot import archmatch"
    )


# --- our fixture trees say what archmatch itself reports ----------------------------------------


def _our_cases() -> Iterator[Path]:
    return (p for p in sorted(OUR_TREES.iterdir()) if p.is_dir())


@pytest.mark.parametrize("case", list(_our_cases()), ids=lambda p: p.name)
def test_our_trees_match_their_expectations(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    result = scan([Path(".")], Config())
    assert {(f.location.path, f.location.line, f.rule_id) for f in result.findings} == case_expectations(case)
