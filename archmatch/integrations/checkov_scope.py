"""Where a Checkov run is looking: its scan roots and the absolute file behind a check's resource.

Checkov does not hand a check the folder it scans. What a check can see: the `-d` values
(`bc_integration.scan_dir`), the process's argv (`-f` files) and cwd, and a file path whose form
differs by framework and mode (`/infra/main.tf` relative to the `-d` root, `repo/k8s/x.yaml`
relative to the cwd, relative to the common folder of the `-f` files, or absolute). Every
candidate is tried and the first existing file wins.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT_MARKERS = (".git", ".archmatch.yaml", ".archmatch.yml")
# Where Checkov puts the remote modules it downloads (`--download-external-modules`), relative to
# the `-d` folder (`--external-modules-download-path`, env EXTERNAL_MODULES_DIR); and the folder in
# which `terraform init` keeps them (Checkov reads it with CHECKOV_EXPERIMENTAL_TERRAFORM_MANAGED_MODULES).
DEFAULT_MODULE_DOWNLOADS = ".external_modules"
TERRAFORM_MODULE_DOWNLOADS = ".terraform"


@dataclass(frozen=True)
class Scope:
    dirs: tuple[Path, ...]  # absolute -d roots
    files: tuple[Path, ...]  # absolute -f files
    cwd: Path
    module_downloads: tuple[str, ...] = (DEFAULT_MODULE_DOWNLOADS,)  # see module_download_folders


def _argv_values(argv: Sequence[str], flags: tuple[str, ...]) -> list[str]:
    """Values of repeatable, multi-valued flags (`-f a b -f c`, `--file=a`)."""
    return list(_argv_values_of(tuple(argv), flags))


@functools.lru_cache(maxsize=64)
def _argv_values_of(argv: tuple[str, ...], flags: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    taking = False
    for token in argv[1:]:
        if token in flags:
            taking = True
            continue
        flag, eq, value = token.partition("=")
        if eq and flag in flags:
            out.append(value)
            taking = False
            continue
        if token.startswith("-"):
            taking = False
        elif taking:
            out.append(token)
    return tuple(out)


def current_scope(
    argv: list[str] | None = None, scan_dirs: list[str] | None = None, cwd: Path | None = None
) -> Scope:
    """The scope of this Checkov run. Checkov asks for it on every check call, so the answer is
    kept per set of inputs (argv, `-d` values, cwd, module folders): paths are resolved once."""
    argv = sys.argv if argv is None else argv
    if scan_dirs is None:
        scan_dirs = _checkov_scan_dirs() or _argv_values(argv, ("-d", "--directory"))
    return _scope_of(
        tuple(argv), tuple(scan_dirs), str(cwd) if cwd else os.getcwd(), module_download_folders(argv)
    )


@functools.lru_cache(maxsize=64)
def _scope_of(
    argv: tuple[str, ...], scan_dirs: tuple[str, ...], cwd_text: str, module_downloads: tuple[str, ...]
) -> Scope:
    cwd = Path(cwd_text).resolve()
    dirs = tuple((cwd / os.path.expanduser(d)).resolve() for d in scan_dirs)
    files = tuple((cwd / os.path.expanduser(f)).resolve() for f in _argv_values(argv, ("-f", "--file")))
    return Scope(dirs, files, cwd, module_downloads)


def _checkov_scan_dirs() -> list[str]:
    try:  # the -d values, also those that came from a .checkov.yaml
        from checkov.common.bridgecrew.platform_integration import bc_integration
    except ImportError:
        return []
    return [str(d) for d in (bc_integration.scan_dir or [])]


def _line_has(path: Path, anchor: tuple[int, str]) -> bool:
    number, text = anchor
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for index, line in enumerate(fh, start=1):
                if index == number:
                    return text in line
    except OSError:
        pass
    return False


def resolve_file(scope: Scope, reported: str, anchor: tuple[int, str] | None = None) -> Path | None:
    """The absolute file a check's reported path names, or None.

    With several `-d` roots a relative path (`/main.tf`) can exist under more than one of them;
    `anchor` (a line number and a text the resource has on that line) picks the right one.
    """
    if not reported:
        return None
    rel = reported.lstrip("/")
    candidates = [Path(reported)] if os.path.isabs(reported) else []
    candidates += [d / rel for d in scope.dirs]
    candidates.append(scope.cwd / rel)
    candidates += [f for f in scope.files if f.as_posix().endswith("/" + rel)]
    found = list(dict.fromkeys(p.resolve() for p in candidates if p.is_file()))
    if len(found) > 1 and anchor is not None:
        found = [p for p in found if _line_has(p, anchor)] or found
    return found[0] if found else None


def _marker_root(path: Path) -> Path | None:
    for parent in path.parents:
        if any((parent / marker).exists() for marker in ROOT_MARKERS):
            return parent
    return None


def scan_root(scope: Scope, file: Path) -> tuple[Path, tuple[str, ...] | None]:
    """The folder archmatch analyses for `file`, and the files to limit it to (None: all).

    `-d` scans: the deepest `-d` folder holding the file, or the repository inside it that holds
    the file (a folder with `.git`: `checkov -d ~/src` analyses each checkout on its own, since
    images are not linked across repositories). `-f` scans: the repository holding the file (the
    nearest folder with `.git` or `.archmatch.yaml`), so cross-file rules still see the builds;
    outside any repository, the common folder of the `-f` files, limited to them.
    """
    holders = [d for d in scope.dirs if file == d or d in file.parents]
    if holders:
        top = max(holders, key=lambda d: len(d.parts))
        for parent in file.parents:
            if parent == top or top not in parent.parents:
                break
            if (parent / ".git").exists():
                return parent, None
        return top, None
    marked = _marker_root(file)
    if marked is not None:
        return marked, None
    files = [f for f in scope.files if f.is_file()] or [file]
    if file not in files:
        files.append(file)
    common = Path(os.path.commonpath([str(f.parent) for f in files]))
    return common, tuple(sorted(f.relative_to(common).as_posix() for f in files))


def module_download_folders(argv: Sequence[str] | None = None) -> tuple[str, ...]:
    """The folders in which Checkov may have put downloaded modules (relative to its root, or absolute)."""
    argv = sys.argv if argv is None else argv
    folders = [
        DEFAULT_MODULE_DOWNLOADS,
        os.environ.get("EXTERNAL_MODULES_DIR", ""),
        *_argv_values(argv, ("--external-modules-download-path",)),
    ]
    # the value Checkov's Terraform parser really used (it can also come from .checkov.yaml); only
    # when Checkov has loaded it, so that nothing imports Checkov just for this
    registry = sys.modules.get("checkov.terraform.module_loading.registry")
    loader = getattr(registry, "module_loader_registry", None)
    folders.append(str(getattr(loader, "external_modules_folder_name", "") or ""))
    return tuple(dict.fromkeys(f.rstrip("/") for f in folders if f.rstrip("/")))


def in_module_download(scope: Scope, file: Path) -> bool:
    """Whether `file` is a copy of a remote module that Checkov downloaded or `terraform init` installed.

    Checkov reaches such files only through a `module` block: it does not scan hidden folders.
    """
    if any(os.path.isabs(f) and Path(f).resolve() in file.parents for f in scope.module_downloads):
        return True
    for base in (*scope.dirs, scope.cwd):
        if base not in file.parents:
            continue
        rel = file.relative_to(base)
        inside = rel.parts[:-1]
        if TERRAFORM_MODULE_DOWNLOADS in inside:
            return True
        for folder in scope.module_downloads:
            parts = Path(folder).parts
            # a one-part folder name anywhere (Checkov puts it in the folder it scans, which with -f
            # is not a -d root); a longer relative path from a root
            if (len(parts) == 1 and parts[0] in inside) or (
                len(parts) > 1 and rel.parts[: len(parts)] == parts
            ):
                return True
    return False
