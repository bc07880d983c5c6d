"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit in a temporary git repository.

`language: python` would make pre-commit build a virtualenv and download archmatch's dependencies;
offline, the test uses each hook's definition as it is (entry, args, file filters,
pass_filenames) as a `repo: local` hook with `language: system`, running the installed archmatch.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PINNED = "FROM --platform=linux/amd64 node:20-slim\nCOPY . /app\n"


def _hooks() -> list[dict]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    local = []
    for hook in hooks:
        assert hook["language"] == "python"
        local.append({**hook, "language": "system"})
    return local


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
        "NO_COLOR": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        list(args), cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=120
    )


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    assert shutil.which("pre-commit") and shutil.which("git")
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "README.md").write_text("demo\n")
    (root / "app" / "Dockerfile").write_text(PINNED)
    config = {"repos": [{"repo": "local", "hooks": _hooks()}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    assert _run(root, "git", "init", "-q").returncode == 0
    assert _run(root, "git", "add", "-A").returncode == 0
    return root


def test_hook_definitions() -> None:
    by_id = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(by_id) == {"archmatch", "archmatch-dockerfile"}
    assert by_id["archmatch"]["entry"] == "archmatch scan" and by_id["archmatch"]["args"] == ["."]
    assert by_id["archmatch"]["pass_filenames"] is False  # cross-file rules need the whole repository


def test_hooks_fail_on_a_mismatch_and_pass_once_fixed(repo: Path) -> None:
    proc = _run(repo, "pre-commit", "run", "--all-files")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "app/Dockerfile:1 ARCH104 warning" in proc.stdout  # archmatch scan .
    assert "app/Dockerfile:1 ARCH104 warning" in proc.stdout.split("archmatch Dockerfile rules", 1)[1]
    (repo / "app" / "Dockerfile").write_text("FROM node:20-slim\nCOPY . /app\n")
    _run(repo, "git", "add", "-A")
    proc = _run(repo, "pre-commit", "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("Passed") == 2


def test_hooks_skip_files_they_do_not_read(repo: Path) -> None:
    proc = _run(repo, "pre-commit", "run", "--files", "README.md")
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.count("(no files to check)Skipped") == 2


def test_consistent_fargate_repository_passes_the_hook(repo: Path) -> None:
    """The default threshold fits PR pipelines: a correct repository with one Fargate task running a
    public third-party image passes (archmatch may have info-level advice, which never fails)."""
    (repo / "app" / "Dockerfile").unlink()
    (repo / "main.tf").write_text(
        'resource "aws_ecs_task_definition" "web" {\n'
        '  family                   = "web"\n'
        '  requires_compatibilities = ["FARGATE"]\n'
        "  cpu                      = 256\n"
        "  memory                   = 512\n"
        '  container_definitions    = jsonencode([{ name = "web", image = "public.ecr.aws/nginx/nginx:1.27" }])\n'
        "}\n"
    )
    _run(repo, "git", "add", "-A")
    proc = _run(repo, "pre-commit", "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "archmatch (CPU architecture mismatches)" in proc.stdout and "Passed" in proc.stdout
