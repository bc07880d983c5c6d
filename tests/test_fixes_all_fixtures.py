"""Every mechanical fix of every failing rule fixture, applied as a SARIF consumer would apply it,
removes its finding and brings no new error (in particular, no linked workload breaks); a fix
marked safe brings no new finding at all.

Which fixes are mechanical is the fixes' own applicability (archmatch.model.Applicability): SARIF
carries exactly the safe and unsafe ones, each with its applicability, and never a display-only
one (advice, a choice for the user, a value shared with other resources).
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest
from expectations import case_expectations
from test_fixes import apply_sarif_fix

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.model import Applicability
from archmatch.report import sarif

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _failing_cases() -> list[tuple[str, Path]]:
    out = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for case in sorted(rule_dir.iterdir()):
            if case.name.endswith(".expect"):
                continue
            if any(rule == rule_dir.name for _, _, rule in case_expectations(case)):
                out.append((rule_dir.name, case))
    return out


def _copy(case: Path, work: Path) -> None:
    if case.is_dir():
        shutil.copytree(case, work)
    else:
        work.mkdir()
        shutil.copy(case, work / case.name)


def _run(work: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.chdir(work)
    run: dict = json.loads(sarif.render(scan([Path(".")], Config())))["runs"][0]
    return run


def _results(work: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    results: list[dict] = _run(work, monkeypatch)["results"]
    return results


def _notifications(run: dict) -> set[str]:
    """The diagnostics of a run: a fix that broke the file it edits shows here (a parse error),
    while its finding vanishes with the unread file."""
    return {n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]}


def _key(result: dict) -> tuple[str, str]:
    return result["ruleId"], result["properties"]["entity"]


def _errors(results: list[dict]) -> set[tuple[str, str]]:
    return {_key(r) for r in results if r["level"] == "error"}


@pytest.mark.parametrize(
    ("rule", "case"), _failing_cases(), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_every_fix_of_a_failing_fixture_removes_its_finding_and_breaks_nothing(
    rule: str, case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"{rule}/{case.name}"
    before_dir = tmp_path / "before"
    _copy(case, before_dir)
    before_run = _run(before_dir, monkeypatch)
    before = before_run["results"]
    own = [r for r in before if r["ruleId"] == rule]
    assert own, f"{name} does not report {rule}"
    fixes = [(r, i, fx) for r in own for i, fx in enumerate(r.get("fixes", []))]
    for result in own:
        _check_applicability(result)
    for index, (result, number, fix) in enumerate(fixes):
        work = tmp_path / f"fix{index}"
        _copy(case, work)
        apply_sarif_fix(work, fix)
        after_run = _run(work, monkeypatch)
        after = after_run["results"]
        what = f"{name}: fix {number} of {_key(result)} ({fix['description']['text']})"
        new_notes = _notifications(after_run) - _notifications(before_run)
        assert not new_notes, f"{what} brought new diagnostics (a file it no longer reads?): {new_notes}"
        assert _key(result) not in {_key(r) for r in after}, f"{what} left the finding"
        assert _errors(after) <= _errors(before), (
            f"{what} brought new errors: {sorted(_errors(after) - _errors(before))}"
        )
        if fix["properties"]["applicability"] == "safe":
            new = {_key(r) for r in after} - {_key(r) for r in before}
            assert not new, f"{what} is marked safe but brought new findings: {sorted(new)}"


def _check_applicability(result: dict) -> None:
    """SARIF `fixes` are the mechanical fixes, each saying safe or unsafe; the display-only ones are
    only in the properties; the first fix's applicability is a property of the result."""
    props = result["properties"]
    mechanical = [fx["properties"]["applicability"] for fx in result.get("fixes", [])]
    assert set(mechanical) <= {"safe", "unsafe"}, mechanical
    assert all(fx["artifactChanges"] for fx in result.get("fixes", []))
    shown = props.get("displayOnlyFixes", [])
    if mechanical or shown:
        assert props["fixApplicability"] in ("safe", "unsafe", "display-only")
        assert (props["fixApplicability"] == "display-only") == (props["fixSummary"] in shown)


def test_display_only_fixes_are_the_ones_without_edits_and_some_fixtures_have_each_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, int] = {}
    for _, case in _failing_cases():
        monkeypatch.chdir(case if case.is_dir() else case.parent)
        result = scan([Path(case.name) if case.is_file() else Path(".")], Config())
        for finding in result.findings:
            for fix in finding.fixes:
                assert (fix.applicability is Applicability.DISPLAY_ONLY) == (not fix.edits), (case, fix)
                seen[fix.applicability.value] = seen.get(fix.applicability.value, 0) + 1
    assert {"safe", "unsafe", "display-only"} <= set(seen), seen


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    "example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.endswith("-fixed"))
)
def test_every_fix_of_a_broken_example_removes_its_finding_and_breaks_nothing(
    example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = EXAMPLES / example
    before = _results(source, monkeypatch)
    fixes = [(r, fx) for r in before for fx in r.get("fixes", [])]
    for index, (result, fix) in enumerate(fixes):
        work = tmp_path / f"fix{index}"
        shutil.copytree(source, work)
        apply_sarif_fix(work, fix)
        after = _results(work, monkeypatch)
        what = f"{example}: {_key(result)} ({fix['description']['text']})"
        assert _key(result) not in {_key(r) for r in after}, f"{what} left the finding"
        assert _errors(after) <= _errors(before), (
            f"{what} brought new errors: {sorted(_errors(after) - _errors(before))}"
        )


@pytest.mark.parametrize(
    ("case", "source"),
    [
        ("fail_cdk_ts_asset_platform_member", "bin/app.ts"),
        ("fail_cdk_py_asset_platform_member", "app.py"),
    ],
)
def test_a_cdk_asset_platform_member_gets_a_mechanical_fix(
    case: str, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CDK source writes `Platform.LINUX_AMD64`, never `linux/amd64`: the fix edits the member (the
    generic find text would be dropped, leaving advice only), and applying it ends the finding."""
    work = tmp_path / "work"
    _copy(FIXTURES / "ARCH301" / case, work)
    fixes = [fx for r in _results(work, monkeypatch) if r["ruleId"] == "ARCH301" for fx in r.get("fixes", [])]
    assert fixes and fixes[0]["description"]["text"].startswith("pin the build (CDK image asset service)")
    assert fixes[0]["properties"]["applicability"] == "safe"
    apply_sarif_fix(work, fixes[0])
    assert "Platform.LINUX_ARM64" in (work / source).read_text()
    assert "LINUX_AMD64" not in (work / source).read_text()
    assert not [r for r in _results(work, monkeypatch) if r["ruleId"] == "ARCH301"]


@pytest.mark.parametrize(
    ("case", "source", "option"),
    [
        ("fail_cdk_ts_asset_no_platform", "bin/app.ts", "platform: Platform.LINUX_ARM64"),
        ("fail_cdk_py_asset_no_platform", "app.py", "platform=ecr_assets.Platform.LINUX_ARM64"),
        ("fail_cdk_ts_asset_multiline", "bin/app.ts", "platform: Platform.LINUX_ARM64"),
        ("fail_cdk_py_asset_multiline", "app.py", "platform=Platform.LINUX_ARM64"),
    ],
)
def test_a_cdk_asset_without_platform_gets_the_option_inserted(
    case: str, source: str, option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every unpinned asset call, on one line or several, gets `platform` as the file names
    `Platform` (unsafe: other deploy machines then build another image); all fixes applied end
    every finding and leave source that still parses."""
    work = tmp_path / "work"
    _copy(FIXTURES / "ARCH302" / case, work)
    own = [r for r in _results(work, monkeypatch) if r["ruleId"] == "ARCH302"]
    assert len(own) == 2 and all(len(r.get("fixes", [])) == 1 for r in own)
    assert {r["fixes"][0]["properties"]["applicability"] for r in own} == {"unsafe"}
    # bottom up, as a consumer applies several results (an inserted line moves those below)
    for result in sorted(own, key=lambda r: -r["locations"][0]["physicalLocation"]["region"]["startLine"]):
        apply_sarif_fix(work, result["fixes"][0])
    fixed = (work / source).read_text()
    assert fixed.count(option) == 2
    assert not [r for r in _results(work, monkeypatch) if r["ruleId"] == "ARCH302"]
    _assert_parses(source, fixed)


def _assert_parses(source: str, text: str) -> None:
    if source.endswith(".py"):
        ast.parse(text)
        return
    import tree_sitter_typescript
    from tree_sitter import Language, Parser

    tree = Parser(Language(tree_sitter_typescript.language_typescript())).parse(text.encode())
    assert not tree.root_node.has_error, text


@pytest.mark.parametrize(
    "case", ["fail_cdk_ts_asset_no_platform_not_imported", "fail_cdk_ts_asset_multiline_not_imported"]
)
def test_a_cdk_asset_fix_that_needs_an_import_is_display_only(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `Platform` imported, the inserted option would not compile: advice, never applied."""
    work = tmp_path / "work"
    _copy(FIXTURES / "ARCH302" / case, work)
    own = [r for r in _results(work, monkeypatch) if r["ruleId"] == "ARCH302"]
    assert own
    for result in own:
        assert not result.get("fixes")
        assert result["properties"]["fixApplicability"] == "display-only"
        assert (
            "import { Platform } from 'aws-cdk-lib/aws-ecr-assets' first"
            in result["properties"]["fixSummary"]
        )
