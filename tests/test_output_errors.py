"""An output that cannot be written is an error of its own: exit 2, one line naming the file
(`archmatch: cannot write FILE: REASON`), a traceback only with `--debug`. Findings keep exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sam-lambda-arm64"
ARCHMATCH = str(Path(sys.executable).parent / "archmatch")
MISSING = "/nonexistent-archmatch-dir/out.txt"


def run(args: list[str], cwd: Path, stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ARCHMATCH, *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = tmp_path_factory.mktemp("outputs")
    (cwd / "a.sarif").write_text(json.dumps({"version": "2.1.0", "runs": []}))
    subprocess.run(
        [ARCHMATCH, "scan", "-f", "sarif", "-o", str(cwd / "report.sarif"), str(EXAMPLE)], timeout=120
    )
    return cwd


COMMANDS = {
    "scan": ["scan", str(EXAMPLE)],
    "scan-sarif": ["scan", "-f", "sarif", str(EXAMPLE)],
    "scan-inventory": ["scan", "--list-workloads", str(EXAMPLE)],
    "dockerfile": ["dockerfile", str(EXAMPLE / "fn/Dockerfile")],
    "sarif-merge": ["sarif-merge", "a.sarif"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("target", "reason"), [("/dev/full", "No space left on device"), (MISSING, "No such file or directory")]
)
def test_an_unwritable_output_file_exits_2_with_one_line(
    workdir: Path, name: str, target: str, reason: str
) -> None:
    proc = run([*COMMANDS[name], "-o", target], workdir)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [f"archmatch: cannot write {target}: {reason}"]


@pytest.mark.parametrize(
    "args",
    [
        COMMANDS["scan"],
        COMMANDS["dockerfile"],
        ["sarif-merge", "a.sarif"],
        ["rules"],
        ["checks-dir"],
        ["annotate", "report.sarif"],
        ["fix-command", "--for", "lambda:arm64", "--", "docker", "build", "."],
    ],
    ids=["scan", "dockerfile", "sarif-merge", "rules", "checks-dir", "annotate", "fix-command"],
)
def test_a_full_standard_output_exits_2_with_one_line(workdir: Path, args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = run(args, workdir, stdout=full)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == ["archmatch: cannot write <stdout>: No space left on device"]


def test_docs_into_an_unwritable_folder(workdir: Path) -> None:
    proc = run(["docs", "--out", "/dev/full/rules"], workdir)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["archmatch: cannot write /dev/full/rules: Not a directory"]


@pytest.mark.parametrize(
    "args",
    [
        ["--debug", *COMMANDS["scan"], "-o", MISSING],
        [*COMMANDS["scan"], "--debug", "-o", MISSING],
        [*COMMANDS["dockerfile"], "--debug", "-o", MISSING],
        ["sarif-merge", "--debug", "a.sarif", "-o", MISSING],
    ],
    ids=["before-the-command", "after-the-command", "dockerfile", "sarif-merge"],
)
def test_debug_shows_the_traceback(workdir: Path, args: list[str]) -> None:
    proc = run(args, workdir)
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr and "OutputError" in proc.stderr


def test_a_written_report_keeps_the_findings_exit_code(workdir: Path) -> None:
    out = workdir / "report.sarif"
    proc = run([*COMMANDS["scan-sarif"], "-o", str(out)], workdir)
    assert proc.returncode == 1 and json.loads(out.read_text())["runs"][0]["results"]
