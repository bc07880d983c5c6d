"""The README's integration commands run as written (from the repository root)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Integrations") : text.index("## Configuration")]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [
        line for block in blocks for line in block.splitlines() if line.startswith(("archmatch ", "checkov "))
    ]


def test_readme_has_commands_for_each_integration() -> None:
    commands = _commands()
    assert any(c.startswith("checkov ") for c in commands)
    assert any(c.startswith("archmatch dockerfile ") for c in commands)
    assert any("-f github" in c for c in commands)


@pytest.mark.slow
@pytest.mark.parametrize("command", _commands())
def test_readme_command_runs(command: str) -> None:
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1"}
    assert shutil.which(command.split()[0], path=env["PATH"]), command
    proc = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env
    )
    assert proc.returncode in (0, 1), f"{command}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    if command.startswith("checkov "):
        assert "CKV_ARCH_" in proc.stdout or Path(
            "/tmp/archmatch-checkov/results_sarif.sarif"
        ).read_text().count("CKV_ARCH_")
    elif "-o " not in command:
        assert proc.stdout.strip(), command
