"""The recall set is well-formed, and the recall scorer judges a case only by findings on its files."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parents[1] / "benchmarks" / "realworld"
SCRIPT = HERE / "score_recall.py"
CASES = HERE / "recall_cases.yaml"
TRAVELS = {
    "template-direct",
    "shell-variable",
    "makefile",
    "terraform-local-exec",
    "task-definition-json",
    "codebuild",
    "terragrunt-hook",
    "cdk-helper",
    "ci-workflow",
    "readme",
    "other",
}


def _scorer():
    spec = importlib.util.spec_from_file_location("score_recall", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _cases() -> list[dict[str, Any]]:
    return list(yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"])


def test_the_set_is_large_enough_and_spread_over_repositories():
    cases = _cases()
    assert len(cases) >= 40
    assert len({c["repo"] for c in cases}) >= 20
    assert {c["expected"] for c in cases} == {"mismatch", "host-dependent", "consistent"}


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_every_case_names_its_commit_folder_workload_build_and_travel(case):
    assert re.fullmatch(r"[0-9a-f]{40}", case["commit"])
    owner, name = case["repo"].split("/")
    assert case["folder"] == f"{owner}__{name}@{case['commit'][:12]}"
    assert case["expected"] in {"mismatch", "host-dependent", "consistent"}
    assert case["travels"] in TRAVELS
    assert case["reason"] and case["evidence"]
    assert set(case["workload"]) == {"file", "line", "kind", "name", "arch", "why"}
    assert case["workload"]["arch"] in {"arm64", "x86_64"}
    assert set(case["build"]) == {"file", "line", "platform", "dockerfile", "pins"}
    scan = str(case["scan"]).strip("/")
    for part in ("workload", "build"):
        assert isinstance(case[part]["line"], int) and case[part]["line"] > 0
        if scan not in ("", "."):
            assert case[part]["file"].startswith(scan + "/"), f"{part} file outside the scanned folder"


def test_case_ids_are_unique():
    ids = [c["id"] for c in _cases()]
    assert len(ids) == len(set(ids))


def _case(expected: str, scan: str = ".") -> dict[str, Any]:
    prefix = "" if scan == "." else scan + "/"
    return {
        "id": "c",
        "repo": "o/r",
        "expected": expected,
        "travels": "shell-variable",
        "scan": scan,
        "workload": {"file": prefix + "infra/lambda.tf", "line": 10},
        "build": {"file": prefix + "build.sh", "line": 4, "dockerfile": prefix + "app/Dockerfile"},
    }


def _finding(rule: str, severity: str, path: str, line: int, related: tuple[str, int] | None = None) -> dict:
    finding = {"rule": rule, "severity": severity, "location": {"path": path, "line": line}, "related": []}
    if related:
        finding["related"].append({"location": {"path": related[0], "line": related[1]}})
    return finding


def test_a_mismatch_is_found_only_by_an_error_on_its_files():
    score = _scorer()
    case = _case("mismatch")
    assert score.judge(case, [_finding("ARCH301", "error", "infra/lambda.tf", 12)]).reported
    assert not score.judge(case, [_finding("ARCH302", "warning", "infra/lambda.tf", 12)]).reported
    assert not score.judge(case, [_finding("ARCH301", "error", "other/lambda.tf", 12)]).reported


def test_the_line_window_and_related_locations_decide_what_touches_a_case():
    score = _scorer()
    case = _case("mismatch")
    far = _finding("ARCH301", "error", "infra/lambda.tf", 10 + score.TOUCH_AFTER + 1)
    assert not score.judge(case, [far]).reported
    via_related = _finding("ARCH301", "error", "elsewhere.tf", 3, related=("build.sh", 4))
    assert score.judge(case, [via_related]).reported
    anywhere_in_dockerfile = _finding("ARCH101", "error", "app/Dockerfile", 200)
    assert score.judge(case, [anywhere_in_dockerfile]).reported


def test_host_dependent_needs_a_host_warning_on_the_workload_or_build_not_only_the_dockerfile():
    score = _scorer()
    case = _case("host-dependent")
    assert score.judge(case, [_finding("ARCH302", "warning", "build.sh", 4)]).reported
    assert not score.judge(case, [_finding("ARCH106", "warning", "app/Dockerfile", 3)]).reported
    assert not score.judge(case, [_finding("ARCH205", "warning", "infra/lambda.tf", 10)]).reported
    assert not score.judge(case, [_finding("ARCH201", "info", "infra/lambda.tf", 10)]).reported


def test_a_consistent_case_fails_on_any_error_that_touches_it():
    score = _scorer()
    case = _case("consistent")
    assert score.judge(case, [_finding("ARCH104", "warning", "app/Dockerfile", 1)]).reported
    assert not score.judge(case, [_finding("ARCH103", "error", "app/Dockerfile", 8)]).reported


def test_paths_are_compared_relative_to_the_scanned_subfolder():
    score = _scorer()
    case = _case("mismatch", scan="service")
    assert score.judge(case, [_finding("ARCH301", "error", "infra/lambda.tf", 10)]).reported
    assert not score.judge(case, [_finding("ARCH301", "error", "service/infra/lambda.tf", 10)]).reported


def test_the_summary_counts_each_verdict_separately():
    score = _scorer()
    outcomes = [
        score.judge(_case("mismatch"), [_finding("ARCH301", "error", "infra/lambda.tf", 10)]),
        score.judge(_case("host-dependent"), []),
        score.judge(_case("consistent"), [_finding("ARCH301", "error", "build.sh", 4)]),
    ]
    lines = {line.split(":")[0].strip(): line for line in score.summary_lines(outcomes)}
    assert "1/1 (100 %)" in lines["recall on mismatch (error reported)"]
    assert "1/1 (100 %)" in lines["statically certain (error reported)"]
    assert lines["linked by name only (warning or error)"].endswith("0/0")
    assert "0/1 (0 %)" in lines["host-dependent warned (or errored)"]
    assert lines["errors on consistent cases"].endswith("1/1")


def test_a_name_only_mismatch_is_reported_by_a_mismatch_warning_but_counts_apart():
    score = _scorer()
    case = {**_case("mismatch"), "link": "name-only"}
    warned = score.judge(case, [_finding("ARCH301", "warning", "build.sh", 4)])
    assert warned.reported and not warned.has_error
    assert not score.judge(case, [_finding("ARCH205", "warning", "build.sh", 4)]).reported
    assert not score.judge(case, [_finding("ARCH301", "warning", "app/Dockerfile", 4)]).reported
    assert not score.judge(_case("mismatch"), [_finding("ARCH301", "warning", "build.sh", 4)]).reported
    lines = {line.split(":")[0].strip(): line for line in score.summary_lines([warned])}
    assert lines["recall on mismatch (error reported)"].endswith("0/1 (0 %)")
    assert lines["linked by name only (warning or error)"].endswith("1/1 (100 %)")
    assert lines["statically certain (error reported)"].endswith("0/0")
