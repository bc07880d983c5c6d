#!/usr/bin/env python3
"""Build the archmatch playground into playground/dist/ (a static site; see docs/playground.md).

    python playground/build.py

1. `npm ci` in playground/ installs the pinned `pyodide` package (package-lock.json);
2. Pyodide's runtime files are copied to dist/pyodide/;
3. archmatch's own wheel (`pip wheel --no-deps` of this checkout) and the pinned pure-Python wheels
   of its dependencies (requirements.txt; built once into playground/build/wheels/) are checked
   (the build fails if any holds compiled code), then bundle.mjs unpacks them with the page's
   bridge module in Pyodide, compiles them to bytecode and writes dist/site-packages.zip;
4. the examples/ folders become dist/presets.json, and the page (src/) is copied beside them.

The page loads all of it from its own origin: nothing comes from another host at run time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DIST = HERE / "dist"
WHEEL_CACHE = HERE / "build" / "wheels"
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
# Built from their sdists, with the environment below switching their C extensions off.
FROM_SOURCE = ("PyYAML", "pyrsistent")
PURE_BUILD_ENV = {"PYYAML_FORCE_LIBYAML": "0", "PYRSISTENT_SKIP_EXTENSION": "1"}
PAGE_FILES = ("index.html", "app.js", "style.css")
PACKAGE_FILES = ("setup.cfg", "pyproject.toml", "README.md")
COMPILED = (".so", ".pyd", ".dylib", ".dll")
PRESET_SKIP = ("README.md",)
MAX_PRESET_FILE = 200_000


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env={**os.environ, **(env or {})})


def install_pyodide() -> dict[str, str]:
    run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", str(HERE)])
    package = HERE / "node_modules" / "pyodide"
    target = DIST / "pyodide"
    target.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(package / name, target / name)
    info = json.loads((package / "pyodide-lock.json").read_text())["info"]
    version = json.loads((package / "package.json").read_text())["version"]
    return {"pyodide": version, "python": info["python"]}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def pinned_requirements() -> list[tuple[str, str]]:
    pins = []
    for line in (HERE / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins.append((name.strip(), version.strip()))
    return pins


def _cached_wheel(name: str, version: str) -> Path | None:
    prefix = f"{_normalized(name)}-{version}-"
    return next((w for w in WHEEL_CACHE.glob("*.whl") if w.name.lower().startswith(prefix)), None)


def dependency_wheels() -> list[Path]:
    pins = pinned_requirements()
    missing = [f"{n}=={v}" for n, v in pins if _cached_wheel(n, v) is None]
    if missing:
        WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-binary", ",".join(FROM_SOURCE)]
        run([*pip, "-w", str(WHEEL_CACHE), *missing], env=PURE_BUILD_ENV)
    wheels = []
    for name, version in pins:
        wheel = _cached_wheel(name, version)
        if wheel is None:
            raise SystemExit(f"build: pip produced no wheel for {name}=={version}")
        wheels.append(wheel)
    return wheels


def archmatch_wheel(workdir: Path) -> Path:
    """`pip wheel --no-deps` of a copy of the package sources (setuptools leaves build/ and
    *.egg-info in the folder it builds, which is then not the checkout)."""
    source = workdir / "source"
    shutil.copytree(REPO / "archmatch", source / "archmatch", ignore=shutil.ignore_patterns("__pycache__"))
    for name in PACKAGE_FILES:
        shutil.copy2(REPO / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(workdir), str(source)])
    return next(workdir.glob("archmatch-*.whl"))


def check_pure(wheel: Path) -> None:
    """A wheel Pyodide can unpack and import: tagged for any platform, without compiled modules."""
    if not wheel.name.endswith("-none-any.whl"):
        raise SystemExit(f"build: {wheel.name} is not a pure-Python wheel")
    with zipfile.ZipFile(wheel) as zf:
        compiled = [n for n in zf.namelist() if n.endswith(COMPILED)]
    if compiled:
        raise SystemExit(f"build: {wheel.name} holds compiled code: {', '.join(compiled)}")


def bundle_wheels(wheels: list[Path], workdir: Path) -> list[str]:
    """dist/site-packages.zip: the wheels' files, the page's bridge module and their bytecode."""
    target = workdir / "wheels"
    target.mkdir()
    for wheel in wheels:
        check_pure(wheel)
        shutil.copy2(wheel, target / wheel.name)
    names = [w.name for w in wheels]
    (target / "index.json").write_text(json.dumps(names))
    bridge = HERE / "src" / "archmatch_playground.py"
    run(["node", str(HERE / "bundle.mjs"), str(target), str(bridge), str(DIST / "site-packages.zip")])
    return names


def _text(path: Path) -> str | None:
    if path.stat().st_size > MAX_PRESET_FILE:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def presets() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for folder in sorted(p for p in (REPO / "examples").iterdir() if p.is_dir()):
        files = {}
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name not in PRESET_SKIP:
                text = _text(path)
                if text is not None:
                    files[path.relative_to(folder).as_posix()] = text
        found[folder.name] = files
    return found


def archmatch_version() -> str:
    match = re.search(r"^version\s*=\s*(\S+)", (REPO / "setup.cfg").read_text(), re.M)
    return match.group(1) if match else "unknown"


def sizes() -> dict[str, int]:
    groups: dict[str, int] = {}
    for path in DIST.rglob("*"):
        if path.is_file():
            rel = path.relative_to(DIST)
            group = rel.parts[0] if len(rel.parts) > 1 else "page"
            groups[group] = groups.get(group, 0) + path.stat().st_size
    groups["total"] = sum(groups.values())
    return groups


def build(skip_npm: bool = False) -> dict[str, object]:
    if DIST.exists():
        shutil.rmtree(DIST)
    DIST.mkdir()
    if skip_npm:
        shutil.copytree(HERE / "node_modules" / "pyodide", DIST / "pyodide", ignore=_only_runtime)
        versions = {"pyodide": "from node_modules", "python": ""}
    else:
        versions = install_pyodide()
    with tempfile.TemporaryDirectory() as tmp:
        wheels = bundle_wheels([archmatch_wheel(Path(tmp)), *dependency_wheels()], Path(tmp))
    (DIST / "presets.json").write_text(json.dumps(presets(), sort_keys=True) + "\n")
    for name in PAGE_FILES:
        shutil.copy2(HERE / "src" / name, DIST / name)
    info: dict[str, object] = {"archmatch": archmatch_version(), **versions, "wheels": wheels}
    (DIST / "build-info.json").write_text(json.dumps(info, indent=1) + "\n")
    info["bytes"] = sizes()
    return info


def _only_runtime(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n not in PYODIDE_FILES]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-npm", action="store_true", help="reuse playground/node_modules instead of running npm ci"
    )
    args = parser.parse_args()
    info = build(skip_npm=args.skip_npm)
    print(json.dumps(info, indent=1))
    megabytes = info["bytes"]["total"] / 1e6  # type: ignore[index]
    print(f"build: wrote {DIST.relative_to(REPO)}/ ({megabytes:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
