"""Runs every rule fixture and compares findings with the fixture's inline expectations."""

from __future__ import annotations

from pathlib import Path

import pytest
from expectations import case_expectations

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.rules import all_rules

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _cases() -> list[Path]:
    return sorted(p for rule_dir in FIXTURES.iterdir() if rule_dir.is_dir() for p in rule_dir.iterdir() if not p.name.endswith(".expect"))


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_findings_match_expectations(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = case if case.is_dir() else case.parent
    monkeypatch.chdir(root)
    target = Path(".") if case.is_dir() else Path(case.name)
    result = scan([target], Config())
    got = {(f.location.path, f.location.line, f.rule_id) for f in result.findings}
    expected = case_expectations(case)
    assert got == expected, f"missing: {sorted(expected - got)}\nunexpected: {sorted(got - expected)}"
    assert not [d for d in result.diagnostics if d.code == "internal"], result.diagnostics


def test_every_rule_has_a_failing_and_a_passing_fixture() -> None:
    for rule in all_rules():
        rule_id = rule.meta.id
        folder = FIXTURES / rule_id
        assert folder.is_dir(), f"{rule_id}: no fixture folder {folder}"
        cases = [p for p in folder.iterdir() if not p.name.endswith(".expect")]
        failing = [c for c in cases if any(e[2] == rule_id for e in case_expectations(c))]
        passing = [c for c in cases if c.name.startswith(("pass", "good")) and not any(e[2] == rule_id for e in case_expectations(c))]
        assert failing, f"{rule_id}: no fixture expects it"
        assert passing, f"{rule_id}: no passing fixture (named pass*/good*)"
