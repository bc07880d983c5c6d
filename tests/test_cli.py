"""The `archmatch` command line, run as a real subprocess."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archmatch", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_quickstart_example_reports_findings_and_exits_1() -> None:
    proc = run("scan", "examples/sam-lambda-arm64")
    assert proc.returncode == 1, proc.stderr
    assert "examples/sam-lambda-arm64/template.yaml:16 ARCH301 error:" in proc.stdout
    assert "\033[" not in proc.stdout  # no colour when not a TTY
    assert proc.stdout.rstrip().splitlines()[-1].startswith("archmatch: ")


def test_clean_example_exits_0_and_threshold_controls_exit() -> None:
    assert run("scan", "examples/sam-lambda-arm64-fixed").returncode == 0
    assert run("scan", "examples/sam-lambda-arm64", "--severity-threshold", "none").returncode == 0


def test_usage_errors_exit_2() -> None:
    assert run("scan", "does/not/exist").returncode == 2
    assert run("scan", "--format", "nope", "examples/sam-lambda-arm64").returncode == 2
    assert run("scan", "--config", "missing.yaml", ".").returncode == 2
    assert run().returncode == 2


def test_json_and_sarif_to_file(tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"
    proc = run("scan", "examples/sam-lambda-arm64", "--format", "sarif", "--output", str(out))
    assert proc.returncode == 1
    log = json.loads(out.read_text())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]
    }
    assert "examples/sam-lambda-arm64/template.yaml" in uris
    data = json.loads(run("scan", "examples/sam-lambda-arm64", "-f", "json").stdout)
    assert {f["rule"] for f in data["findings"]} >= {"ARCH301"}


def test_rules_and_list_workloads() -> None:
    proc = run("rules")
    assert proc.returncode == 0 and "ARCH301" in proc.stdout and "CKV_ARCH_301" in proc.stdout
    inv = run("scan", "--list-workloads", "examples/sam-lambda-arm64")
    assert "AWS::Serverless::Function" in inv.stdout and "arm64" in inv.stdout


def test_fix_command_pins_one_platform_and_single_manifest_for_lambda() -> None:
    proc = run(
        "fix-command",
        "--for",
        "lambda:arm64",
        "--",
        "docker",
        "buildx",
        "build",
        "--platform",
        "linux/amd64,linux/arm64",
        "-t",
        "fn",
        ".",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "docker buildx build --provenance=false --platform linux/arm64 -t fn ."
    ecs = run("fix-command", "--for", "ecs:X86_64", "--", "docker", "build", "-t", "api", "api")
    assert ecs.stdout.strip() == "docker build --platform linux/amd64 -t api api"


def test_fix_command_masks_build_arg_values_and_rejects_bad_input() -> None:
    proc = run(
        "fix-command",
        "--for",
        "eks:arm64",
        "--",
        "docker",
        "build",
        "--build-arg",
        "NPM_TOKEN=npm_s3cr3tvalue",
        ".",
    )
    assert "npm_s3cr3tvalue" not in proc.stdout and "NPM_TOKEN=***" in proc.stdout
    assert run("fix-command", "--for", "lambda:sparc", "--", "docker", "build", ".").returncode == 2
    assert run("fix-command", "--for", "lambda:arm64", "--", "ls", "-l").returncode == 2
    assert run("fix-command", "--for", "apprunner:arm64", "--", "docker", "build", ".").returncode == 2


def _plain_help(parser: argparse.ArgumentParser) -> list[str]:
    """The help of a parser and of each of its sub-command parsers."""
    subparsers = parser._subparsers._group_actions[0].choices if parser._subparsers else {}  # type: ignore[attr-defined]
    return [parser.format_help(), *(p.format_help() for p in subparsers.values())]


@pytest.mark.parametrize("columns", [None, "", "x", "0", "-3", "40", "67", "200"])
def test_help_is_formatted_as_argparse_formats_it(
    columns: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commands' parsers read the terminal width without `shutil` (start-up time): every help
    text, and the width, is the one argparse's own formatter gives, whatever `COLUMNS` says."""
    import shutil

    from archmatch import cli
    from archmatch.commands import _parsing
    from archmatch.commands.dockerfile import HadolintStyleParser, add_arguments

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert _parsing.terminal_columns() == shutil.get_terminal_size().columns
    hadolint = HadolintStyleParser(prog="archmatch dockerfile")
    add_arguments(hadolint)
    for parser in (cli.build_parser(), hadolint):
        ours = _plain_help(parser)
        for each in (
            parser,
            *(parser._subparsers._group_actions[0].choices.values() if parser._subparsers else ()),
        ):  # type: ignore[attr-defined]
            assert each.formatter_class is _parsing.Formatter
            each.formatter_class = argparse.HelpFormatter
        assert ours == _plain_help(parser)


def test_commands_parse_without_shutil() -> None:
    """What argparse's help formatter imports to measure the terminal (shutil, bz2, lzma) is not
    loaded to run a command."""
    code = (
        "import sys\nfrom archmatch.cli import main\n"
        "main(['rules'])\nmain(['dockerfile', '--no-fail', 'examples/sam-lambda-arm64/fn/Dockerfile'])\n"
        "print(sorted({'shutil', 'bz2', 'lzma'} & set(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stderr.strip() == "[]", done.stderr
