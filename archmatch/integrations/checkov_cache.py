"""A disk cache of repository analyses shared by the Checkov framework processes.

Checkov runs each framework in its own process, so without it every framework would analyse the
same repository again. Entries are JSON (never pickle: the folder is in the temp dir), in a folder
only the current user may use, keyed by the archmatch code, the root, the configuration and the
size and modification time of every file archmatch would read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from archmatch import __version__
from archmatch.model import Finding, Location, Related

FORMAT = 1
PACKAGE = Path(__file__).resolve().parent.parent


@functools.cache
def _code_stamp() -> str:
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".yaml", ".json") and "__pycache__" not in path.parts:
            st = path.stat()
            digest.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_dir() -> Path | None:
    """A private folder for this user, or None when one cannot be had safely."""
    folder = Path(tempfile.gettempdir()) / f"archmatch-checkov-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & 0o077:
        return None
    return folder


def cache_key(root: Path, only: tuple[str, ...] | None, files: list[str], config_path: str | None) -> str:
    stamps = []
    for rel in [*files, *([config_path] if config_path else [])]:
        try:
            st = (root / rel).stat()
            stamps.append((rel, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((rel, -1, -1))
    payload = [FORMAT, __version__, _code_stamp(), str(root), only, stamps]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _loc(loc: Location) -> list[Any]:
    return [loc.path, loc.line, loc.column, loc.end_line, loc.end_column]


def dump_findings(findings: list[Finding]) -> list[dict[str, Any]]:
    return [
        {"rule": f.rule_id, "message": f.message, "location": _loc(f.location), "entity": f.entity,
         "related": [[_loc(r.location), r.message] for r in f.related]}
        for f in findings
    ]


def load_findings(items: list[dict[str, Any]]) -> list[Finding]:
    return [
        Finding(i["rule"], i["message"], Location(*i["location"]), i["entity"],
                related=tuple(Related(Location(*loc), msg) for loc, msg in i["related"]))
        for i in items
    ]


def read(key: str) -> dict[str, Any] | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write(key: str, data: dict[str, Any]) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".tmp", delete=False, encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(fh.name, folder / f"{key}.json")  # atomic: parallel processes never read half a file
    except OSError:
        pass
