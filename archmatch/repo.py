"""Discovery and safe reading of the files under a scan root.

Nothing here executes or imports anything from the scanned tree. Symlinks are followed only
when they stay inside the root, and each real directory is visited once (no loops).
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archmatch import templating
from archmatch.model import Diagnostic, DiagnosticCode, DiagnosticLevel, Location

if TYPE_CHECKING:
    from archmatch.isolation import Focus

# Folders skipped by default: what is in them is a copy of something else (installed packages,
# build output) or tool state, never the configuration a user deploys. Each reason is what the
# summary note says. `include:` in .archmatch.yaml (or --include-skipped-dirs) walks them again.
DEFAULT_SKIP_DIRS: dict[str, str] = {
    ".git": "version control",
    ".hg": "version control",
    ".svn": "version control",
    "node_modules": "installed npm packages",
    "bower_components": "installed Bower packages",
    "site-packages": "installed Python packages",
    "dist-packages": "installed Python packages",
    ".venv": "Python virtualenv",
    ".tox": "tox virtualenvs",
    ".nox": "nox virtualenvs",
    "__pycache__": "Python bytecode",
    ".mypy_cache": "tool cache",
    ".pytest_cache": "tool cache",
    ".ruff_cache": "tool cache",
    ".terraform": "downloaded Terraform modules and providers",
    ".terragrunt-cache": "Terragrunt's copies of modules",
    ".external_modules": "downloaded Terraform modules",
    ".aws-sam": "sam build output (copies of the template and code)",
    ".serverless": "serverless package output (generated CloudFormation)",
}
VENDOR_DIR = "vendor"
VENDOR_MARKERS = ("go.mod", "composer.json", "Gemfile")  # beside `vendor/`: Go, PHP, Ruby dependencies
CDK_OUT = "cdk.out"
MAX_FILE_BYTES = 10 * 1024 * 1024
_SNIFF = 8192


@dataclass
class ScanOptions:
    """What a scan walks: exclusions, skipped folders walked anyway, the file size limit."""

    excludes: list[str] = field(default_factory=list)
    include_skipped_dirs: bool = False
    max_file_bytes: int = MAX_FILE_BYTES
    include: list[str] = field(default_factory=list)  # folder names or globs walked despite the skip list


def skip_reason(
    entry_name: str, rel: str, dir_path: str, parent_names: frozenset[str], options: ScanOptions
) -> str | None:
    """Why a folder is not walked by default, or None. `parent_names` are the names beside it."""
    if options.include_skipped_dirs or (options.include and _excluded(rel, options.include)):
        return None
    reason = DEFAULT_SKIP_DIRS.get(entry_name)
    if reason is not None:
        return reason
    if entry_name == VENDOR_DIR and (
        parent_names & set(VENDOR_MARKERS) or os.path.exists(os.path.join(dir_path, "modules.txt"))
    ):
        return "vendored dependencies (Go, PHP or Ruby)"
    if os.path.exists(os.path.join(dir_path, "pyvenv.cfg")):
        return "Python virtualenv"
    if os.path.exists(os.path.join(dir_path, "CACHEDIR.TAG")):
        return "cache or build output (CACHEDIR.TAG)"
    return None


def _in_cdk_asset(rel_dir: str) -> bool:
    """A `cdk.out/asset.*` folder: CDK's staged copy of an asset's source. Only its Dockerfile is
    read (the asset manifest names it); the rest is a copy of code elsewhere in the repository."""
    parts = rel_dir.split("/")
    return any(a == CDK_OUT and b.startswith("asset.") for a, b in zip(parts, parts[1:], strict=False))


def _dockerfile_like(name: str) -> bool:
    lowered = name.lower()
    return "dockerfile" in lowered or "containerfile" in lowered


def skipped_summary(skipped: dict[str, int]) -> list[Diagnostic]:
    """One note per scan root naming what discovery left out by default."""
    if not skipped:
        return []
    total = sum(skipped.values())
    parts = ", ".join(f"{count} {reason}" for reason, count in sorted(skipped.items()))
    message = (
        f"skipped {total} vendored or generated folder{'s' if total != 1 else ''} ({parts}); "
        "list them under `include:` in .archmatch.yaml to scan them"
    )
    return [Diagnostic(Location("."), message, "note", "input")]


def _excluded(rel: str, patterns: Iterable[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(name, pat) or rel.startswith(pat + "/"):
            return True
    return False


def discover(root: Path, options: ScanOptions, diagnostics: list[Diagnostic]) -> list[str]:
    """Root-relative POSIX paths of every regular file under root, sorted.

    The walk keeps its own stack, so a tree nested thousands of folders deep cannot exhaust
    Python's recursion limit, and it knows a directory by device and inode (not by resolving its
    path, which costs one lstat per path component: cubic in the depth)."""
    real_root = str(root.resolve())
    seen_dirs: set[tuple[int, int]] = set()
    out: list[str] = []
    pending: list[tuple[Path, str]] = [(root, "")]
    skipped: dict[str, int] = {}  # reason -> folders skipped by default
    while pending:
        directory, rel_dir = pending.pop()
        subdirs = _walk_one(directory, rel_dir, real_root, options, seen_dirs, out, diagnostics, skipped)
        pending.extend(reversed(subdirs))
    diagnostics.extend(skipped_summary(skipped))
    return sorted(out)


def _walk_one(
    directory: Path,
    rel_dir: str,
    real_root: str,
    options: ScanOptions,
    seen_dirs: set[tuple[int, int]],
    out: list[str],
    diagnostics: list[Diagnostic],
    skipped: dict[str, int],
) -> list[tuple[Path, str]]:
    """Record the files of one directory; return its subdirectories to visit."""
    try:
        info = os.stat(directory)
        identity = (info.st_dev, info.st_ino)
        if identity in seen_dirs:
            diagnostics.append(
                Diagnostic(
                    Location(rel_dir or "."), "symlink loop: directory already visited", "note", "input"
                )
            )
            return []
        seen_dirs.add(identity)
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        diagnostics.append(
            Diagnostic(Location(rel_dir or "."), f"cannot list directory: {exc.strerror}", "warning", "input")
        )
        return []
    subdirs: list[tuple[Path, str]] = []
    names = frozenset(e.name for e in entries)
    in_asset = _in_cdk_asset(rel_dir)
    for entry in entries:
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        if not _printable_name(entry.name):
            shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
            diagnostics.append(
                Diagnostic(Location(shown), "file name is not valid UTF-8; skipped", "note", "input")
            )
            continue
        if _excluded(rel, options.excludes):
            continue
        try:
            is_link = entry.is_symlink()
            if is_link:
                target = os.path.realpath(entry.path)
                if not (target == real_root or target.startswith(real_root + os.sep)):
                    diagnostics.append(
                        Diagnostic(
                            Location(rel),
                            "symlink points outside the scan root; not followed",
                            "note",
                            "input",
                        )
                    )
                    continue
            if entry.is_dir(follow_symlinks=True):
                reason = skip_reason(entry.name, rel, entry.path, names, options)
                if reason is not None:
                    skipped[reason] = skipped.get(reason, 0) + 1
                    continue
                subdirs.append((Path(entry.path), rel))
            elif entry.is_file(follow_symlinks=True):
                if in_asset and not _dockerfile_like(entry.name) and not options.include_skipped_dirs:
                    continue
                out.append(rel)
            elif is_link and not os.path.exists(entry.path):
                diagnostics.append(
                    Diagnostic(Location(rel), "broken symlink or symlink loop; skipped", "note", "input")
                )
            else:  # a FIFO, socket or device: opening it could block forever
                diagnostics.append(
                    Diagnostic(
                        Location(rel), "not a regular file (FIFO, socket or device); skipped", "note", "input"
                    )
                )
        except OSError as exc:
            diagnostics.append(Diagnostic(Location(rel), f"cannot stat: {exc.strerror}", "warning", "input"))
    return subdirs


def escapes_through_symlink(path: Path, roots: Iterable[Path]) -> bool:
    """True when `path` goes through a symlink (itself or a parent) and its real location lies
    outside every root: a repository's `.archmatch.yaml -> ~/.aws/credentials` must never be read.
    A path without symlinks is the user's own choice, wherever it is."""
    absolute = Path(os.path.abspath(path))
    if not _has_symlink(absolute):
        return False
    real = os.path.realpath(absolute)
    for root in roots:
        real_root = os.path.realpath(root)
        if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
            return False
    return True


def _has_symlink(path: Path) -> bool:
    return any(p.is_symlink() for p in (path, *path.parents))


def _printable_name(name: str) -> bool:
    """False for names with bytes that are not UTF-8 (held as surrogates): they cannot be printed."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class RepoView:
    """Files under one scan root, read once each, with diagnostics instead of exceptions."""

    def __init__(self, root: Path, files: list[str], options: ScanOptions, diagnostics: list[Diagnostic]):
        self.root = root
        self.files = files
        self.options = options
        self.diagnostics = diagnostics
        self._text: dict[str, str | None] = {}
        self._raw: dict[str, str | None] = {}  # templates read to be rendered (`read_template`)
        self._parsed: dict[tuple[str, str], Any] = {}
        self.file_set = frozenset(files)
        self.discovered: frozenset[str] = frozenset()  # files `discover` found: known to be inside the root
        self.templated: dict[str, str] = {}  # path -> template language, skipped (see templating)
        self.rendered: set[str] = set()  # templates an extractor rendered with known values: not skipped
        self.stage = ""  # the extractor running now, for internal-error diagnostics
        self.focus: Focus | None = None  # where it is reading (archmatch/isolation.py)

    def diag(
        self,
        path: str,
        message: str,
        line: int = 0,
        level: DiagnosticLevel = "warning",
        code: DiagnosticCode = "parse",
    ) -> None:
        self.diagnostics.append(Diagnostic(Location(path, line), message, level, code))

    def matching(self, predicate: Callable[[str], bool]) -> list[str]:
        return [f for f in self.files if predicate(f)]

    def exists(self, rel: str) -> bool:
        return rel in self.file_set

    def read_bytes_head(self, rel: str, size: int = _SNIFF) -> bytes:
        path = self._regular_file_inside(rel)
        if path is None:
            return b""
        try:
            with open(path, "rb") as fh:
                return fh.read(size)
        except OSError:
            return b""

    def _regular_file_inside(self, rel: str) -> Path | None:
        """The path of `rel` if it resolves to a regular file inside the root, else None.

        Extractors pass paths written in the scanned files (`dockerfile: ../../x`), so a read must
        not leave the root, nor open a FIFO (which blocks) or a device.
        """
        path = self.root / rel
        if rel in self.discovered:  # discovery followed links only inside the root
            try:
                return path if stat.S_ISREG(os.stat(path).st_mode) else None
            except (OSError, ValueError):
                return None
        try:
            real = Path(os.path.realpath(path))
            real_root = Path(os.path.realpath(self.root))
            if real != real_root and real_root not in real.parents:
                return None
            return path if stat.S_ISREG(os.stat(path).st_mode) else None
        except (OSError, ValueError):
            return None

    def read_text(self, rel: str) -> str | None:
        """UTF-8 text of a file (BOM stripped, CRLF folded), or None with a diagnostic. A template
        that must be rendered first (Jinja/cookiecutter, Helm) is None too, and is counted in the
        scan root's one summary note instead (`templating`)."""
        if rel in self._text:
            return self._text[rel]
        text = self._read(rel)
        kind = templating.kind_of(rel, text) if text is not None else None
        if kind is not None:
            self.skip_templated(rel, kind)
            text = None
        self._text[rel] = text
        return text

    def read_template(self, rel: str) -> str | None:
        """The text of a template, for an extractor that renders it with values the repository
        gives (a Helm chart a Terraform `helm_release` installs); None as `read_text` for the rest."""
        if rel not in self._raw:
            cached = self._text.get(rel)
            self._raw[rel] = cached if cached is not None else self._read(rel)
        return self._raw[rel]

    def skip_templated(self, rel: str, kind: str) -> None:
        self.templated.setdefault(rel, kind)

    def read_bytes_quietly(self, rel: str) -> bytes | None:
        """The bytes of a regular file inside the root under the size limit, or None, without a
        diagnostic: for a search through files no extractor parses (their problems are not the
        scan's)."""
        path = self._regular_file_inside(rel)
        if path is None:
            return None
        try:
            if path.stat().st_size > self.options.max_file_bytes:
                return None
            return path.read_bytes()
        except OSError:
            return None

    def _read(self, rel: str) -> str | None:
        path = self.root / rel
        if self._regular_file_inside(rel) is None:
            reason = "not a regular file inside the scan root" if os.path.lexists(path) else "no such file"
            self.diag(rel, f"cannot read file: {reason}", code="input")
            return None
        try:
            size = path.stat().st_size
            if size > self.options.max_file_bytes:
                self.diag(
                    rel,
                    f"file is {size / 1048576:.1f} MB, over the {self.options.max_file_bytes // 1048576} MB limit; skipped",
                    code="limit",
                )
                return None
            data = path.read_bytes()
        except OSError as exc:
            self.diag(rel, f"cannot read file: {exc.strerror or exc}", code="input")
            return None
        if b"\0" in data[:_SNIFF]:
            self.diag(rel, "binary file (NUL bytes); skipped", code="input")
            return None
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.diag(
                rel,
                f"not valid UTF-8 (byte {exc.start}); undecodable bytes replaced",
                line=line,
                code="input",
            )
            text = data.decode("utf-8", errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text

    def cached(self, kind: str, rel: str, parse: Callable[[str], Any]) -> Any:
        """Parse a file once per kind (e.g. "yaml") and remember the result, even if it is None."""
        key = (kind, rel)
        if key not in self._parsed:
            self._parsed[key] = parse(rel)
        return self._parsed[key]
