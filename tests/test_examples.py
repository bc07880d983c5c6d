"""Every example reports exactly the findings and workloads its README documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import assert_valid_sarif

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.report import sarif

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
_BLOCK = re.compile(r"```(?P<kind>findings|workloads)\n(?P<body>.*?)```", re.S)


def _blocks(example: Path) -> dict[str, list[str]]:
    text = (example / "README.md").read_text()
    return {
        m.group("kind"): [ln.strip() for ln in m.group("body").splitlines() if ln.strip()]
        for m in _BLOCK.finditer(text)
    }


def _examples() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if (p / "README.md").is_file())


@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.name)
def test_example_matches_its_readme(example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _blocks(example)
    assert "findings" in blocks and "workloads" in blocks, "README needs ```findings and ```workloads blocks"
    monkeypatch.chdir(example)
    result = scan([Path(".")], Config())
    got = sorted(f"{f.location.path}:{f.location.line} {f.rule_id}" for f in result.findings)
    assert got == sorted(blocks["findings"])
    workloads = sorted(
        f"{w.kind} {w.name} {','.join(sorted(w.arch.archs)) or '-'} {w.arch.how.value}"
        for facts in result.facts
        for w in facts.workloads
    )
    assert workloads == sorted(blocks["workloads"])
    assert not [d for d in result.diagnostics if d.level == "error"], result.diagnostics


@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.name)
def test_example_sarif_is_valid_and_byte_identical(
    example: Path, monkeypatch: pytest.MonkeyPatch, sarif_validator
) -> None:
    monkeypatch.chdir(example)
    first = sarif.render(scan([Path(".")], Config()))
    second = sarif.render(scan([Path(".")], Config()))
    assert first == second
    log = json.loads(first)
    assert_valid_sarif(sarif_validator, log)
    for result in log["runs"][0]["results"]:
        if result["ruleId"].startswith("ARCH3"):
            assert result["relatedLocations"], "a cross-file finding shows the other end"


def test_every_broken_example_has_a_clean_twin() -> None:
    names = {p.name for p in _examples()}
    for example in _examples():
        if _blocks(example)["findings"]:
            twins = [
                n
                for n in names
                if n != example.name
                and n.startswith(example.name.rsplit("-", 1)[0])
                and not _blocks(EXAMPLES / n)["findings"]
            ]
            assert twins, f"{example.name} has no clean twin"


def test_scanning_all_examples_at_once_reports_only_their_documented_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One scan root holding every example (broken and fixed twins side by side, same names, same
    repositories and tags): nothing links across examples, so the findings are the union of each
    example's own, and every fixed twin stays clean."""
    expected = sorted(
        f"{example.name}/{line}" for example in _examples() for line in _blocks(example)["findings"]
    )
    monkeypatch.chdir(EXAMPLES)
    result = scan([Path(".")], Config())
    got = sorted(f"{f.location.path}:{f.location.line} {f.rule_id}" for f in result.findings)
    assert got == expected
    for finding in result.findings:
        example = finding.location.path.split("/", 1)[0]
        assert all(r.location.path.startswith(example + "/") for r in finding.related), finding
