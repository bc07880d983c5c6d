"""scripts/new_rule.py, run in a copy of the repository: the new rule is registered from its
metadata, its docs page is generated, and its fixtures run (the failing one fails until the rule is
written, the passing one passes, the metadata and docs checks still pass)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULE = "ARCH299"


def _copy_repository(dest: Path) -> Path:
    dest.mkdir()
    for name in ("archmatch", "tests", "docs", "scripts"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml"):
        shutil.copy(ROOT / name, dest / name)
    return dest


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_scaffolded_rule_is_picked_up_and_its_fixtures_run(tmp_path: Path) -> None:
    repo = _copy_repository(tmp_path / "repo")
    made = _run(["scripts/new_rule.py", RULE, "example-check", "--family", "iac"], repo)
    assert made.returncode == 0, made.stderr
    stem = "archmatch/rules/iac/arch299_example_check"
    for rel in (
        f"{stem}.py",
        f"{stem}.yaml",
        f"tests/fixtures/rules/{RULE}/fail_example/main.tf",
        f"tests/fixtures/rules/{RULE}/pass_example/main.tf",
        f"docs/rules/{RULE}.md",
    ):
        assert (repo / rel).is_file(), f"{rel} not created:\n{made.stdout}"
    assert RULE in (repo / "docs/rules/README.md").read_text()

    probe = _run(["-c", "import archmatch.rules as r; print(r.__file__); print(sorted(r.metadata()))"], repo)
    where, ids = probe.stdout.splitlines()
    assert where.startswith(str(repo)), "the copy's package must be the one imported"
    assert RULE in ids

    tests = _run(
        [
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(tmp_path / "pytest"),  # this test's own, not a shared /tmp/pytest-of-<user>
            "tests/test_fixtures.py",
            "tests/test_rules_metadata.py",
            "-k",
            f"{RULE} or metadata or docs or checkov or every_rule",
        ],
        repo,
    )
    out = tests.stdout
    assert (
        f"FAILED tests/test_fixtures.py::test_fixture_findings_match_expectations[{RULE}/fail_example]" in out
    ), out
    assert f"missing: [('main.tf', 7, '{RULE}')]" in out, out
    assert "1 failed" in out, out  # only the failing fixture, until check() is written


def test_the_scaffolder_refuses_an_existing_rule_or_a_wrong_family(tmp_path: Path) -> None:
    repo = _copy_repository(tmp_path / "repo")
    taken = _run(["scripts/new_rule.py", "ARCH201", "again", "--family", "iac"], repo)
    assert taken.returncode != 0 and "ARCH201 exists" in taken.stderr
    wrong = _run(["scripts/new_rule.py", "ARCH150", "x", "--family", "iac"], repo)
    assert wrong.returncode != 0 and "iac rules are ARCH2xx" in wrong.stderr
