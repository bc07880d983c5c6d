"""`archmatch annotate`: the annotations from a SARIF log equal `scan --format github` of the same scan."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.integrations.sarif_annotate import annotations
from archmatch.report.extra_formats import render_github
from archmatch.report.sarif import sarif_log

EXAMPLES = sorted(p for p in Path("examples").iterdir() if p.is_dir())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_annotations_from_sarif_equal_the_github_format(example: Path) -> None:
    result = scan([example], Config())
    assert annotations(sarif_log(result)) == render_github(result)


def test_fixture_with_findings_and_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nResources: [\n'
    )  # an input problem (a diagnostic)
    (tmp_path / "Dockerfile").write_text("FROM --platform=linux/amd64 node:20-slim\nCOPY . /app\n")
    result = scan([tmp_path], Config())
    assert result.findings and result.diagnostics
    assert annotations(sarif_log(result)) == render_github(result)


def test_command_reads_merged_logs_and_rejects_non_sarif(tmp_path: Path) -> None:
    hadolint_run = {
        "tool": {"driver": {"name": "hadolint", "rules": []}},
        "results": [
            {
                "ruleId": "DL3006",
                "level": "warning",
                "message": {"text": "Always tag"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": "a%20b/Dockerfile"},
                            "region": {"startLine": 3},
                        }
                    }
                ],
            }
        ],
    }
    (tmp_path / "h.sarif").write_text(json.dumps({"version": "2.1.0", "runs": [hadolint_run]}))
    (tmp_path / "no.sarif").write_text("[]")
    run = [sys.executable, "-m", "archmatch", "annotate"]
    proc = subprocess.run([*run, str(tmp_path / "h.sarif")], capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout) == (
        0,
        "::warning file=a b/Dockerfile,line=3,title=DL3006::Always tag\n",
    )
    proc = subprocess.run([*run, str(tmp_path / "no.sarif")], capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "no.sarif: not a SARIF log" in proc.stderr
    proc = subprocess.run(
        [*run, str(tmp_path / "missing.sarif")], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2 and "missing.sarif: cannot read" in proc.stderr
