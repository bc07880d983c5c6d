"""Version and release: one version everywhere (setup.cfg, `archmatch --version`, the docs' pins,
the changelog), and the Checkov extra."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from archmatch import __version__

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PIN = re.compile(r"(?:\brev:\s*['\"]?v|uses:\s*archmatch/archmatch@v)([0-9][^\s'\"}]*)")


def setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return cfg


def test_setup_cfg_and_package_versions_agree() -> None:
    assert setup_cfg()["metadata"]["version"] == __version__


def test_cli_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "archmatch", "--version"], capture_output=True, text=True, check=False
    )
    assert (proc.returncode, proc.stdout) == (0, f"archmatch {__version__}\n")


def test_every_pin_in_the_docs_is_the_package_version() -> None:
    pins = [(doc.name, m.group(0), m.group(1)) for doc in DOCS for m in PIN.finditer(doc.read_text())]
    assert len(pins) >= 3  # README's Action, integrations.md's pre-commit and Action
    assert [p for p in pins if p[2] != __version__] == []


def test_changelog_has_the_version() -> None:
    assert re.search(rf"^## {re.escape(__version__)}\b", (ROOT / "CHANGELOG.md").read_text(), re.M)


def test_checkov_is_an_extra_not_a_dependency() -> None:
    options = setup_cfg()["options"]
    extras = setup_cfg()["options.extras_require"]
    assert "checkov" not in options["install_requires"]
    assert "checkov" in extras["checkov"] and "checkov" in extras["test"]


# A Python in which `import checkov` fails, as after `pip install archmatch` without the extra.
NO_CHECKOV = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "checkov" or name.startswith("checkov."):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Block())
from archmatch.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("args", [["checks-dir"], ["scan", "examples/sam-lambda-arm64"], ["rules"]])
def test_cli_works_without_checkov(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", NO_CHECKOV, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert "Traceback" not in proc.stderr
    if args == ["checks-dir"]:
        assert proc.returncode == 0 and Path(proc.stdout.strip()).is_dir()
        assert 'pip install "archmatch[checkov]"' in proc.stderr
    else:
        assert proc.returncode in (0, 1) and proc.stdout


def test_checks_dir_is_quiet_with_checkov() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "archmatch", "checks-dir"], capture_output=True, text=True, check=False
    )
    assert (proc.returncode, proc.stderr) == (0, "")


def _listed_packages(cfg: configparser.ConfigParser) -> set[str]:
    import setuptools

    find = cfg["options.packages.find"]
    patterns = {
        key: [p.strip() for p in find.get(key, "").split(",") if p.strip()] for key in ("include", "exclude")
    }
    finder = {"find:": setuptools.find_packages, "find_namespace:": setuptools.find_namespace_packages}
    discover = finder[cfg["options"]["packages"].strip()]
    return set(discover(where=str(ROOT), include=patterns["include"], exclude=patterns["exclude"]))


def _package_data(cfg: configparser.ConfigParser) -> dict[str, list[str]]:
    section = cfg["options.package_data"]
    return {package: [glob.strip() for glob in section[package].split(",")] for package in section}


def _shipped_files() -> list[Path]:
    return sorted(
        path
        for path in (ROOT / "archmatch").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def test_every_file_of_the_package_is_in_a_listed_package_and_data_globs_name_every_data_file() -> None:
    """A regular install warns 'Package X is absent from the `packages` configuration' (and a
    later setuptools may leave it out) when a data file's folder is not a listed package."""
    import fnmatch

    cfg = setup_cfg()
    packages, data = _listed_packages(cfg), _package_data(cfg)
    for path in _shipped_files():
        relative = path.relative_to(ROOT)
        assert ".".join(relative.parent.parts) in packages, relative
        if path.suffix == ".py":
            continue
        matched = [
            glob
            for package, globs in data.items()
            if relative.parts[: len(package.split("."))] == tuple(package.split("."))
            for glob in globs
            if fnmatch.fnmatch(relative.relative_to(Path(*package.split("."))).as_posix(), glob)
        ]
        assert matched, relative
