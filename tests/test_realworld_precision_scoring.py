"""The precision-audit scorer joins scan results with verdicts by fingerprint parts, not by line."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "realworld" / "score_precision.py"


def _scorer():
    spec = importlib.util.spec_from_file_location("score_precision", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _finding(rule: str, severity: str, path: str, line: int, entity: str) -> dict:
    return {
        "rule": rule,
        "severity": severity,
        "message": f"{rule} at {path}:{line}",
        "location": {"path": path, "line": line, "column": 0},
        "entity": entity,
    }


def _write_results(folder: Path, repo: str, findings: list[dict]) -> None:
    report = {"findings": findings, "diagnostics": [], "scan": {"repo": repo}}
    (folder / f"{repo.replace('/', '__')}.json").write_text(json.dumps(report), encoding="utf-8")


VERDICTS = """
verdicts:
  - {repo: o/r, rule: ARCH106, path: Dockerfile, entity: "stage:0", verdict: "true", reason: first}
  - {repo: o/r, rule: ARCH106, path: Dockerfile, entity: "stage:0", n: 2, verdict: noise, reason: repeat}
  - {repo: o/r, rule: ARCH301, path: main.tf, entity: aws_lambda_function.f, verdict: false, reason: wrong}
"""


def test_occurrences_and_shifted_lines_keep_their_verdicts(tmp_path: Path) -> None:
    scorer = _scorer()
    results = tmp_path / "results"
    results.mkdir()
    # Lines differ from whatever they were when judged: only rule, path, entity and order count.
    _write_results(
        results,
        "o/r",
        [
            _finding("ARCH106", "warning", "Dockerfile", 40, "stage:0"),
            _finding("ARCH106", "warning", "Dockerfile", 41, "stage:0"),
            _finding("ARCH106", "warning", "Dockerfile", 42, "stage:0"),
            _finding("ARCH301", "error", "main.tf", 7, "aws_lambda_function.f"),
        ],
    )
    verdicts_file = tmp_path / "verdicts.yaml"
    verdicts_file.write_text(VERDICTS, encoding="utf-8")

    judged = scorer.join(scorer.load_results(results), scorer.load_verdicts(verdicts_file))

    assert [j.verdict for j in judged] == ["true", "noise", None, "false"]
    table = {(rule, sev): counts for rule, sev, counts in scorer.rule_table(judged)}
    assert table[("ARCH106", "warning")]["unjudged"] == 1
    assert table[("ARCH301", "error")]["false"] == 1
    summary = scorer.summary_lines(judged)
    assert "error precision 0 %" in summary[0]
    assert "false+noise among warnings 50 %" in summary[1]
    assert [j.n for j in scorer.unjudged(judged, with_info=False)] == [3]


def test_a_verdict_outside_true_false_noise_is_refused(tmp_path: Path) -> None:
    scorer = _scorer()
    verdicts_file = tmp_path / "verdicts.yaml"
    verdicts_file.write_text(
        "verdicts:\n  - {repo: o/r, rule: ARCH106, path: D, entity: e, verdict: maybe}\n", encoding="utf-8"
    )
    with pytest.raises(SystemExit):
        scorer.load_verdicts(verdicts_file)
