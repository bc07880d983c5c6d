"""Mechanical fixes, applied as SARIF `fixes` would be, make the finding go away."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.report import sarif

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def apply_sarif_fix(root: Path, fix: dict) -> None:
    """Apply one SARIF fix (replacements on single lines, exclusive end columns) to files under root."""
    for change in fix["artifactChanges"]:
        path = root / change["artifactLocation"]["uri"]
        lines = path.read_text().split("\n")
        for rep in sorted(
            change["replacements"],
            key=lambda r: (r["deletedRegion"]["startLine"], r["deletedRegion"].get("startColumn", 0)),
            reverse=True,
        ):
            region, text = rep["deletedRegion"], rep["insertedContent"]["text"]
            start = region["startLine"] - 1
            if "startColumn" in region:
                line = lines[start]
                lines[start] = line[: region["startColumn"] - 1] + text + line[region["endColumn"] - 1 :]
            else:
                lines[start : region.get("endLine", region["startLine"])] = text.split("\n")
        path.write_text("\n".join(lines))


def _findings(root: Path) -> list[dict]:
    return json.loads(sarif.render(scan([Path(".")], Config())))["runs"][0]["results"]


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("ARCH301/fail_compose_to_ecs", "ARCH301"),
        ("ARCH101/fail_single_stage.Dockerfile", "ARCH101"),
        ("ARCH104/fail_lambda_pinned.Dockerfile", "ARCH104"),
    ],
)
def test_each_mechanical_fix_removes_the_finding(
    case: str, rule: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = FIXTURES / case
    assert source.exists(), source
    monkeypatch.chdir(tmp_path)
    results = None
    for index in range(8):
        work = tmp_path / f"try{index}"
        if source.is_dir():
            shutil.copytree(source, work)
        else:
            work.mkdir()
            shutil.copy(source, work / source.name)
        monkeypatch.chdir(work)
        results = [r for r in _findings(work) if r["ruleId"] == rule]
        assert results, f"{case} does not report {rule}"
        fixes = results[0].get("fixes", [])
        if index >= len(fixes):
            break
        apply_sarif_fix(work, fixes[index])
        assert [r for r in _findings(work) if r["ruleId"] == rule] == [], (
            f"fix {index} left {rule}: {fixes[index]}"
        )
    assert results and results[0].get("fixes"), f"{case}: no mechanical fix offered"


def test_the_diff_shown_is_what_the_edit_does_to_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A compose build that already requests `platforms: ["linux/amd64"]` gets its value replaced;
    the diff said `+ build: / +   platforms: [...]` beside that edit, as if adding the key again
    (and `+ runtime_platform {...}` beside an edit of the written cpu_architecture)."""
    monkeypatch.chdir(FIXTURES / "ARCH301" / "fail_compose_to_ecs")
    (finding,) = [f for f in scan([Path(".")], Config()).findings if f.rule_id == "ARCH301"]
    diffs = {fix.description.split(" ")[0]: fix.diff for fix in finding.fixes}
    assert diffs == {
        "pin": '- platforms: ["linux/amd64"]\n+ platforms: ["linux/arm64"]',
        "or": '- cpu_architecture = "ARM64"\n+ cpu_architecture = "X86_64"',
    }
