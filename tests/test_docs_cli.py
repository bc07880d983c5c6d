"""The README agrees with the CLI: the usage block with `--help`, the quickstart sample with a real run."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT

README = (ROOT / "README.md").read_text()
TIME = re.compile(r" in \d+(?:\.\d+)?s$", re.M)


def _archmatch(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "archmatch", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    return README[start : README.index("\n## ", start + 3)]


def _usage_block() -> str:
    return re.findall(r"```sh\n(.*?)```", _section("Using it"), re.S)[0]


def test_usage_formats_and_thresholds_are_the_help_ones() -> None:
    help_text = " ".join(_archmatch("scan", "--help").stdout.split())
    help_formats = re.search(r"output format: ([\w, ]+) \(default: text\)", help_text).group(1).split(", ")
    help_thresholds = re.search(r"--severity-threshold \{([\w,]+)\}", help_text).group(1).split(",")
    usage = _usage_block()
    assert re.search(r"--format ([\w|]+)", usage).group(1).split("|") == help_formats
    assert re.search(r"--severity-threshold ([\w|]+)", usage).group(1).split("|") == help_thresholds


def test_usage_options_and_commands_exist() -> None:
    usage = _usage_block()
    scan_help = _archmatch("scan", "--help").stdout
    for option in set(re.findall(r"(?<![\w-])(--[a-z][\w-]*|-[a-z])\b", usage.split("archmatch rules")[0])):
        assert re.search(rf"(?<![\w-]){re.escape(option)}\b", scan_help), option
    top = _archmatch("--help").stdout
    for command in re.findall(r"^archmatch ([a-z-]+)", usage, re.M):
        assert re.search(rf"^\s+{command}\b", top, re.M), command
    assert _archmatch("--version").stdout.startswith("archmatch ")


def test_default_threshold_is_the_documented_one() -> None:
    help_text = " ".join(_archmatch("scan", "--help").stdout.split())
    default = re.search(r"lowest severity that makes the exit code 1 \(default: (\w+)", help_text).group(1)
    assert f"The default threshold of `scan` is `{default}`" in " ".join(README.split())


def test_quickstart_prints_the_readme_sample() -> None:
    block = re.findall(r"```sh\n(.*?)```", _section("Quickstart"), re.S)[0]
    command = block.splitlines()[0].split("&& ", 1)[1]
    assert command.startswith("archmatch scan ")
    sample = re.findall(r"```text\n(.*?)```", _section("Quickstart"), re.S)[0]
    proc = _archmatch(*command.split()[1:])
    assert proc.returncode == 1 and "exits 1" in _section("Quickstart")
    assert TIME.sub(" in Ts", proc.stdout) == TIME.sub(" in Ts", sample)


def test_ci_runs_the_readme_test_command() -> None:
    block = re.findall(r"```sh\n(.*?)```", _section("Quickstart"), re.S)[0]
    command = block.splitlines()[1].split("&& ", 1)[1]
    assert command.startswith("pytest ")
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert (
        [line for line in ci_lines if line.startswith("pytest ")]
        == [line for line in ci_lines if line.startswith(command + " ")]
        != []
    ), f"{command!r} is not the test command of .ci/run"
