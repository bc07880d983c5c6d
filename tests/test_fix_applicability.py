"""Fix applicability (safe / unsafe / display-only, as ruff's): carried into SARIF (validated
against the SARIF 2.1.0 schema), JSON and text, and obeyed by `archmatch scan --fix`: only safe
fixes by default, unsafe ones with --unsafe-fixes, display-only ones never. Files keep their BOM
and CRLF line endings."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_valid_sarif

from archmatch.model import Applicability, Edit, Fix, Location

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rules"
SAFE_DF = FIXTURES / "ARCH101" / "fail_single_stage.Dockerfile"  # safe: drop --platform=$BUILDPLATFORM
UNSAFE_DF = FIXTURES / "ARCH107" / "fail_hub_namespace.Dockerfile"  # unsafe: a multi-arch base image
SCRIPT_CASE = FIXTURES / "ARCH302" / "fail_script_to_lambda"  # display-only: a whole command line


def archmatch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archmatch", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(SCRIPT_CASE, root / "script")
    (root / "safe").mkdir()
    # the safe case with a BOM and CRLF line endings: the fix keeps both
    text = SAFE_DF.read_text().replace("\n", "\r\n")
    (root / "safe" / "Dockerfile").write_bytes(("\ufeff" + text).encode())
    (root / "unsafe").mkdir()
    shutil.copy(UNSAFE_DF, root / "unsafe" / "Dockerfile")
    return root


def _rules(out: str) -> list[str]:
    return sorted(
        line.split()[1] for line in out.splitlines() if line and not line.startswith((" ", "archmatch"))
    )


def test_fix_applies_only_safe_fixes_by_default(repo: Path) -> None:
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    proc = archmatch("scan", "--fix", ".", cwd=repo)
    assert "fixed 1 finding(s) in 1 file(s); 1 more with --unsafe-fixes" in proc.stderr, proc.stderr
    safe = (repo / "safe" / "Dockerfile").read_bytes()
    assert safe.startswith("\ufeff".encode()) and b"\r\nFROM node:22-slim\r\n" in safe
    assert safe.count(b"\n") == safe.count(b"\r\n") == before[repo / "safe" / "Dockerfile"].count(b"\n")
    assert (repo / "unsafe" / "Dockerfile").read_bytes() == before[repo / "unsafe" / "Dockerfile"]
    assert "ARCH101" not in _rules(proc.stdout) and "ARCH107" in _rules(proc.stdout)
    assert "fix (unsafe): use the multi-architecture image `node:20-slim`" in proc.stdout

    proc = archmatch("scan", "--fix", "--unsafe-fixes", ".", cwd=repo)
    assert "fixed 1 finding(s) in 1 file(s)" in proc.stderr, proc.stderr
    assert b"FROM node:20-slim\n" in (repo / "unsafe" / "Dockerfile").read_bytes()
    assert "ARCH107" not in _rules(proc.stdout)
    # display-only fixes are never applied: the script still holds its docker build line
    after = {p: p.read_bytes() for p in (repo / "script").rglob("*") if p.is_file()}
    assert after == {p: b for p, b in before.items() if p.is_relative_to(repo / "script")}
    assert "ARCH302" in _rules(proc.stdout) and "fix (display-only): build with --platform" in proc.stdout


def test_unsafe_fixes_without_fix_is_a_usage_error(repo: Path) -> None:
    proc = archmatch("scan", "--unsafe-fixes", ".", cwd=repo)
    assert proc.returncode == 2 and "add --fix" in proc.stderr


def test_sarif_and_json_carry_each_fixes_applicability(repo: Path, sarif_validator) -> None:
    log = json.loads(archmatch("scan", "-f", "sarif", ".", cwd=repo).stdout)
    assert_valid_sarif(sarif_validator, log)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert [fx["properties"] for fx in results["ARCH101"]["fixes"]] == [{"applicability": "safe"}]
    assert [fx["properties"] for fx in results["ARCH107"]["fixes"]] == [{"applicability": "unsafe"}]
    assert results["ARCH107"]["properties"]["fixApplicability"] == "unsafe"
    script = results["ARCH302"]
    assert "fixes" not in script and script["properties"]["fixApplicability"] == "display-only"
    assert script["properties"]["displayOnlyFixes"] == [script["properties"]["fixSummary"]]
    findings = json.loads(archmatch("scan", "-f", "json", ".", cwd=repo).stdout)["findings"]
    seen = {f["rule"]: [x["applicability"] for x in f["fixes"]] for f in findings}
    assert (seen["ARCH101"], seen["ARCH107"], seen["ARCH302"]) == (["safe"], ["unsafe"], ["display-only"])


def test_a_fix_with_edits_must_say_how_far_it_applies_and_one_without_is_display_only() -> None:
    edit = Edit(Location("Dockerfile", 1), "x")
    with pytest.raises(ValueError, match="safe or unsafe"):
        Fix("edit without a verdict", (edit,))
    assert Fix("advice", applicability=Applicability.SAFE).applicability is Applicability.DISPLAY_ONLY
    assert Applicability.SAFE.weakest(Applicability.UNSAFE) is Applicability.UNSAFE
    assert Applicability.UNSAFE.weakest(Applicability.DISPLAY_ONLY) is Applicability.DISPLAY_ONLY


def test_overlapping_fixes_are_applied_one_at_a_time(tmp_path: Path) -> None:
    from archmatch.fixapply import apply_fixes
    from archmatch.model import Finding

    (tmp_path / "f.txt").write_text("abcdef\n")

    def finding(rule: str, column: int, end: int, text: str) -> Finding:
        loc = Location("f.txt", 1, column, 1, end)
        fix = Fix(rule, (Edit(loc, text),), applicability=Applicability.SAFE)
        return Finding(rule, rule, loc, rule, fixes=(fix,))

    applied = apply_fixes(
        [finding("A", 2, 3, "X"), finding("B", 3, 4, "Y"), finding("C", 6, 6, "Z")], False, tmp_path
    )
    assert (tmp_path / "f.txt").read_text() == "aXdeZ\n"
    assert [f.rule_id for f in applied.fixed] == ["A", "C"] and "overlaps" in applied.skipped[0]
