"""Runs every rule fixture and compares findings with the fixture's inline expectations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from expectations import case_expectations
from fixture_cases import INPUT_PROBLEMS, case_id, is_passing

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.results import ScanResult
from archmatch.rules import all_rules

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _cases() -> list[Path]:
    return sorted(
        p
        for rule_dir in FIXTURES.iterdir()
        if rule_dir.is_dir()
        for p in rule_dir.iterdir()
        if not p.name.endswith(".expect")
    )


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
    if is_passing(case):
        _assert_the_input_reached_the_rules(case, result)


# passing cases whose input is skipped on purpose, and the diagnostic that says so
SKIPPED_ON_PURPOSE = {
    "ARCH104/pass_cookiecutter_branches.Dockerfile": "templated file skipped",
    "ARCH105/pass_cookiecutter_branches.Dockerfile": "templated file skipped",
    "ARCH106/pass_cookiecutter_inline_branches.Dockerfile": "templated file skipped",
    # an asset folder generated before the build, with no script copying a Dockerfile into it
    "ARCH302/pass_cdk_ts_generated_folder_unread": "Dockerfile not in the repository",
    "ARCH302/pass_tf_module_source_outside_root": "is outside the scan root, so it is not read",
    # a chart template branching on a value Terraform does not know: not rendered, so no pod guessed
    "ARCH301/pass_tf_helm_release_branch_on_unknown_value": "templated file skipped",
}


def _assert_the_input_reached_the_rules(case: Path, result: ScanResult) -> None:
    """A passing case passes because the rules saw its input and found nothing, not because the
    input failed to parse, was cut by a limit, or produced no facts at all."""
    problems = [d for d in result.diagnostics if d.code in INPUT_PROBLEMS]
    expected_skip = SKIPPED_ON_PURPOSE.get(case_id(case))
    if expected_skip is not None:
        assert problems and all(expected_skip in d.message for d in problems), problems
        return
    assert not problems, f"{case_id(case)}: the input did not reach the rules as written: {problems}"
    facts = [(f.dockerfiles, f.builds, f.workloads, f.capacities) for f in result.facts]
    assert any(any(kind) for kinds in facts for kind in kinds), f"{case_id(case)}: no facts extracted"


def test_every_rule_has_a_failing_and_a_passing_fixture() -> None:
    for rule in all_rules():
        rule_id = rule.meta.id
        folder = FIXTURES / rule_id
        assert folder.is_dir(), f"{rule_id}: no fixture folder {folder}"
        cases = [p for p in folder.iterdir() if not p.name.endswith(".expect")]
        failing = [c for c in cases if any(e[2] == rule_id for e in case_expectations(c))]
        passing = [
            c
            for c in cases
            if c.name.startswith(("pass", "good")) and not any(e[2] == rule_id for e in case_expectations(c))
        ]
        assert failing, f"{rule_id}: no fixture expects it"
        assert passing, f"{rule_id}: no passing fixture (named pass*/good*)"


_BREAKAGES = {
    "broken HCL appended": (
        "ARCH203/pass_tf_matching",
        "main.tf",
        lambda text: text + '\nresource "x" "y" {{{\n',
    ),
    "template replaced by invalid YAML": (
        "ARCH203/pass_cfn_matching",
        "template.yaml",
        lambda _: "Resources: [a\n  : :\n",
    ),
    "Dockerfile emptied": ("ARCH101/pass_cross_compile.Dockerfile", "", lambda _: ""),
}


@pytest.mark.parametrize("breakage", sorted(_BREAKAGES))
def test_a_broken_passing_case_fails(breakage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a passing case whose input no longer parses is not a pass."""
    name, rel, change = _BREAKAGES[breakage]
    source = FIXTURES / name
    case = tmp_path / source.parent.name / source.name
    case.parent.mkdir()
    if source.is_dir():
        shutil.copytree(source, case)
    else:
        shutil.copy(source, case)
    path = case / rel if rel else case
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.chdir(case if case.is_dir() else case.parent)
    result = scan([Path(".") if case.is_dir() else Path(case.name)], Config())
    with pytest.raises(AssertionError):
        _assert_the_input_reached_the_rules(case, result)
