"""Running inside a checkout archmatch does not trust (a pull request in CI).

* Every shipped entry point (the console script, the pre-commit hooks, the Action's install and
  scan commands, the documented `python -P -m archmatch`) runs from a folder where the
  repository planted `archmatch.py`, `archmatch/__main__.py`, `yaml.py`, `sitecustomize.py`,
  `pip/__main__.py` and friends: none of them may run, and the report is still written. Plain
  `python -m archmatch` does run the planted module (Python looks in the current folder first,
  before any archmatch code); the test proves it, which is why nothing shipped uses it.
* Configuration files that are symlinks out of the repository are refused, never read nor
  echoed; `archmatch dockerfile` does not follow a symlink out of the current directory.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sam-lambda-arm64"
BINDIR = Path(sys.executable).parent
CREDENTIALS = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
LEAKS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "aws_access_key_id")

# module files a checkout could plant to be imported by a Python started in it
PLANTED_MODULES = [
    "archmatch.py",
    "archmatch/__init__.py",
    "archmatch/__main__.py",
    "yaml.py",
    "json.py",
    "sitecustomize.py",
    "usercustomize.py",
    "pip.py",
    "pip/__init__.py",
    "pip/__main__.py",
    "lark.py",
    "hcl2.py",
    "checkov.py",
    "dockerfile_parse.py",
    "setuptools.py",
    "typing_extensions.py",
]


def env_for(checkout: Path) -> dict[str, str]:
    """A CI-like environment: archmatch's virtualenv first on PATH, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH", "PYTHONSTARTUP")}
    env["PATH"] = os.pathsep.join([str(BINDIR), env.get("PATH", "")])
    return env


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, Path]:
    """The example repository with a marker-writing module for every name in PLANTED_MODULES."""
    tree, markers = tmp_path / "checkout", tmp_path / "markers"
    shutil.copytree(EXAMPLE, tree)
    markers.mkdir()
    for rel in PLANTED_MODULES:
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        marker = markers / rel.replace("/", "_")
        path.write_text(f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit(0)\n")
    (tree / "evil.pth").write_text(f"import os; open({str(markers / 'pth')!r}, 'w')\n")
    return tree, markers


def run(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env={**env_for(cwd), **env}, capture_output=True, text=True, timeout=180
    )


def test_plain_python_dash_m_runs_the_checkouts_module(checkout: tuple[Path, Path]) -> None:
    """The hazard the docs warn about: nothing archmatch ships can prevent it."""
    tree, markers = checkout
    proc = run([sys.executable, "-m", "archmatch", "scan", "."], tree)
    assert proc.returncode == 0 and proc.stdout == ""  # no report: the planted module ran instead
    assert os.listdir(markers) != []


def test_the_console_script_and_python_dash_capital_p(checkout: tuple[Path, Path]) -> None:
    tree, markers = checkout
    for cmd in (
        [str(BINDIR / "archmatch"), "scan", "-f", "json", "."],
        [str(BINDIR / "archmatch"), "dockerfile", "-f", "json", "fn/Dockerfile"],
        [sys.executable, "-P", "-m", "archmatch", "scan", "-f", "json", "."],
    ):
        proc = run(cmd, tree)
        assert proc.returncode == 1 and '"ARCH' in proc.stdout, (cmd, proc.stderr)
    assert sorted(os.listdir(markers)) == []


def test_the_pre_commit_hooks(checkout: tuple[Path, Path]) -> None:
    tree, markers = checkout
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} >= {"archmatch", "archmatch-dockerfile"}
    for hook in hooks:
        assert hook["language"] == "python"
        cmd = shlex.split(hook["entry"]) + list(hook.get("args", []))
        if hook.get("pass_filenames", True):
            cmd.append("fn/Dockerfile")
        assert cmd[0] == "archmatch", "a hook runs the console script"
        proc = run([str(BINDIR / cmd[0]), *cmd[1:]], tree)
        assert proc.returncode == 1 and "ARCH" in proc.stdout, (hook["id"], proc.stderr)
    assert sorted(os.listdir(markers)) == []


def _action_steps() -> list[dict]:
    return yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]


def _expand(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*([^}]*?)\s*\}\}", lambda m: values.get(m.group(1), ""), text)


def _action_values(tmp_path: Path) -> dict[str, str]:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {f"inputs.{k}": str(v.get("default", "")) for k, v in action["inputs"].items()}
    values["github.action_path"] = str(ROOT)
    values["github.workspace"] = str(tmp_path)
    return values


def test_the_actions_commands(checkout: tuple[Path, Path], tmp_path: Path) -> None:
    tree, markers = checkout
    values = _action_values(tree)
    python_steps = [s for s in _action_steps() if "run" in s and "python" in s["run"].split()[0:1]]
    for step in python_steps:  # e.g. the install step: its interpreter must not import the checkout's pip
        workdir = Path(_expand(step.get("working-directory", str(tree)), values))
        words = shlex.split(_expand(step["run"], values))
        module = words.index("-m") + 1
        probe = [sys.executable, *words[1 : module + 1], "--version"]  # same interpreter flags and module
        proc = run(probe, workdir, GITHUB_ACTION_PATH=str(ROOT))
        assert proc.returncode == 0 and proc.stdout, (step.get("name"), proc.stderr)
    [scan] = [s for s in _action_steps() if s.get("id") == "scan"]
    output = tmp_path / "github_output"
    env = {k: _expand(str(v), values) for k, v in scan.get("env", {}).items()}
    workdir = Path(_expand(scan.get("working-directory", str(tree)), values))
    assert workdir == tree, "the scan runs in the checkout, like the user's workflow"
    proc = run(
        ["bash", "-e", "-c", _expand(scan["run"], values)],
        workdir,
        GITHUB_OUTPUT=str(output),
        GITHUB_ACTION_PATH=str(ROOT),
        **env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "exit-code=1" in output.read_text()
    sarif = tree / env.get("SARIF_FILE", "archmatch.sarif")
    assert '"ARCH301"' in sarif.read_text()
    assert sorted(os.listdir(markers)) == []


def test_the_docs_never_show_plain_python_dash_m() -> None:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for doc in docs:
        for block in re.findall(r"```.*?```", doc.read_text(), flags=re.S):
            assert not re.search(r"python3?\s+-m\s+archmatch", block), doc
    for doc in (ROOT / "README.md", ROOT / "docs/integrations.md"):
        assert "python -P -m archmatch" in doc.read_text(), (
            f"{doc.name} warns against plain python -m archmatch"
        )


# --- nothing from outside the root -------------------------------------------------------------


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "home" / ".aws" / "credentials"
    path.parent.mkdir(parents=True)
    path.write_text(CREDENTIALS)
    return path


def no_leak(proc: subprocess.CompletedProcess[str]) -> None:
    assert not any(s in proc.stdout + proc.stderr for s in LEAKS), proc.stdout + proc.stderr


@pytest.mark.parametrize("how", ["found", "--config"])
def test_an_archmatch_config_symlinked_out_of_the_repository_is_refused(
    tmp_path: Path, secret_file: Path, how: str
) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(EXAMPLE, tree)
    (tree / ".archmatch.yaml").symlink_to(secret_file)
    args = ["--config", ".archmatch.yaml"] if how == "--config" else []
    proc = run([str(BINDIR / "archmatch"), "scan", *args, "."], tree)
    assert proc.returncode == 2
    expected = (
        "archmatch: .archmatch.yaml: a symlink to a file outside the scanned folders; refused (not read)"
    )
    assert proc.stderr.splitlines() == [expected]
    no_leak(proc)


def test_a_config_symlink_inside_the_repository_is_read(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(EXAMPLE, tree)
    (tree / "ci").mkdir()
    (tree / "ci/archmatch.yaml").write_text("ignored: [ARCH301, ARCH303, ARCH104]\n")
    (tree / ".archmatch.yaml").symlink_to("ci/archmatch.yaml")
    proc = run([str(BINDIR / "archmatch"), "scan", "."], tree)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_broken_config_is_not_echoed(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(EXAMPLE, tree)
    (tree / ".archmatch.yaml").write_text(CREDENTIALS)
    proc = run([str(BINDIR / "archmatch"), "scan", "."], tree)
    assert proc.returncode == 2 and "cannot parse" in proc.stderr and "(line 2)" in proc.stderr
    no_leak(proc)
    (tree / ".hadolint.yaml").write_text(CREDENTIALS)
    proc = run([str(BINDIR / "archmatch"), "dockerfile", "fn/Dockerfile"], tree)
    assert proc.returncode != 0 and "cannot read" in proc.stderr
    no_leak(proc)


@pytest.mark.parametrize("how", ["found", "-c"])
def test_a_hadolint_config_symlinked_out_of_the_repository_is_refused(
    tmp_path: Path, secret_file: Path, how: str
) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(EXAMPLE, tree)
    (tree / ".hadolint.yaml").symlink_to(secret_file)
    args = ["-c", ".hadolint.yaml"] if how == "-c" else []
    proc = run(
        [str(BINDIR / "archmatch"), "dockerfile", *args, "fn/Dockerfile"], tree, HOME=str(tmp_path / "home")
    )
    assert proc.returncode != 0 and "refused (not read)" in proc.stderr and proc.stdout == ""
    no_leak(proc)


def test_archmatch_dockerfile_does_not_follow_a_symlink_out_of_the_repository(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(EXAMPLE, tree)
    outside = tmp_path / "outside.Dockerfile"
    outside.write_text("FROM --platform=linux/amd64 alpine\nRUN echo LINE-FROM-OUTSIDE-amd64 > /x\n")
    (tree / "fn/Dockerfile.out").symlink_to(outside)
    (tree / "Dockerfile.in").symlink_to("fn/Dockerfile")  # a link inside the repository is fine
    proc = run([str(BINDIR / "archmatch"), "dockerfile", "fn/Dockerfile.out", "Dockerfile.in"], tree)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "archmatch: fn/Dockerfile.out: a symlink to a file outside the current directory; not followed"
    ]
    assert "LINE-FROM-OUTSIDE" not in proc.stdout and "Dockerfile.in:2 ARCH104" in proc.stdout
    scan = run([str(BINDIR / "archmatch"), "scan", "-f", "json", "."], tree)
    assert "symlink points outside the scan root" in scan.stdout and "LINE-FROM-OUTSIDE" not in scan.stdout


def test_config_errors_mask_the_values_they_quote(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(EXAMPLE, tree)
    (tree / ".archmatch.yaml").write_text('failure-threshold: "AKIAIOSFODNN7EXAMPLE\\n::error::x"\n')
    proc = run([str(BINDIR / "archmatch"), "scan", "."], tree)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and "AKIAI**********" in proc.stderr
    no_leak(proc)
