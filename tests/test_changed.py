"""`archmatch.changed`: a change set narrows a full scan to the findings it can affect."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from archmatch.changed import (
    ChangedFilesError,
    affected_files,
    filter_result,
    git_changed_files,
    git_report_paths,
)
from archmatch.config import Config
from archmatch.engine import scan
from archmatch.results import ScanResult

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAM = {("sam/template.yaml", 16, "ARCH301")}  # one root cause (the Dockerfile pin), one error
TF = {("tf/main.tf", 35, "ARCH301")}
GO = {("go/Dockerfile", 7, "ARCH103")}


def triples(result: ScanResult) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.line, f.rule_id) for f in result.findings}


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, src in (
        ("sam", "sam-lambda-arm64"),
        ("tf", "terraform-lambda-docker-build"),
        ("go", "go-cross-compile-wrong"),
    ):
        shutil.copytree(EXAMPLES / src, tmp_path / name, ignore=shutil.ignore_patterns("README.md"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["sam/fn/Dockerfile"], SAM),  # the Dockerfile: its own finding and the workload it feeds
        (["sam/template.yaml"], SAM),  # the template: its findings and the linked Dockerfile's
        (["./sam/fn/app.py"], set()),  # a source file changes no architecture
        (["tf/main.tf"], TF),
        (["go/Dockerfile", "tf/main.tf"], GO | TF),
        (["README.md", "docs/x.md"], set()),
        ([], set()),
    ],
)
def test_filter_keeps_exactly_the_findings_the_change_affects(
    monorepo: Path, changed: list[str], expected: set
) -> None:
    full = scan([Path(".")], Config())
    assert triples(full) == SAM | TF | GO
    narrowed = filter_result(full, changed)
    assert triples(narrowed) == expected
    # the same finding objects as the full scan, not re-computed ones
    assert all(any(f is g for g in full.findings) for f in narrowed.findings)


def test_affected_set_follows_links(monorepo: Path) -> None:
    facts = scan([Path(".")], Config()).facts[0]
    assert affected_files(facts, ["sam/fn/Dockerfile"]) >= {"sam/fn/Dockerfile", "sam/template.yaml"}
    assert "tf/main.tf" not in affected_files(facts, ["sam/fn/Dockerfile"])


def test_paths_are_matched_with_the_report_prefix(monorepo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(monorepo.parent)
    full = scan([Path(monorepo.name)], Config())
    prefix = monorepo.name + "/"
    assert triples(filter_result(full, [prefix + "tf/main.tf"])) == {(prefix + p, n, r) for p, n, r in TF}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_diff_base_from_git(monorepo: Path) -> None:
    git(monorepo, "init", "-q")
    git(monorepo, "add", "-A")
    git(monorepo, "commit", "-qm", "base")
    base = git(monorepo, "rev-parse", "HEAD").strip()
    (monorepo / "go/Dockerfile").write_text((monorepo / "go/Dockerfile").read_text() + "# touched\n")
    (monorepo / "new file.txt").write_text("x\n")
    git(monorepo, "add", "-A")
    git(monorepo, "commit", "-qm", "change")
    assert git_changed_files(monorepo, base) == ["go/Dockerfile", "new file.txt"]
    full = scan([Path(".")], Config())
    assert triples(filter_result(full, git_report_paths(full, base))) == {("go/Dockerfile", 7, "ARCH103")}


def test_bad_revisions_are_refused(monorepo: Path) -> None:
    git(monorepo, "init", "-q")
    for bad in ("--output=/tmp/x", "", "a\nb"):
        with pytest.raises(ChangedFilesError):
            git_changed_files(monorepo, bad)
    with pytest.raises(ChangedFilesError):
        git_changed_files(monorepo, "no-such-revision")
