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


def _private_outputs(command: str, tmp: Path) -> tuple[str, list[Path]]:
    """The command with its `/tmp/...` output paths moved into this test's own folder (a shared
    /tmp path would mix runs), and those outputs."""
    moved = command.replace("/tmp/", f"{tmp}/")
    outputs = [Path(p) for p in re.findall(rf"(?:-o|--output-file-path) ({re.escape(str(tmp))}/\S+)", moved)]
    return moved, outputs


def test_readme_outputs_are_moved_into_a_private_folder(tmp_path: Path) -> None:
    written = [c for c in _commands() if "/tmp/" in c]
    assert len(written) == 3, written
    for command in written:
        moved, outputs = _private_outputs(command, tmp_path)
        assert "/tmp/" not in moved.replace(str(tmp_path), "") and len(outputs) == 1, moved


@pytest.mark.slow
@pytest.mark.parametrize("command", _commands())
def test_readme_command_runs(command: str, tmp_path: Path) -> None:
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1"}
    assert shutil.which(command.split()[0], path=env["PATH"]), command
    run, outputs = _private_outputs(command, tmp_path)
    proc = subprocess.run(["bash", "-c", run], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode in (0, 1), f"{command}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    if command.startswith("checkov "):
        report = (outputs[0] / "results_sarif.sarif").read_text() if outputs else proc.stdout
        assert "CKV_ARCH_" in report, command
    elif outputs:
        assert outputs[0].stat().st_size > 0, command
    else:
        assert proc.stdout.strip(), command
