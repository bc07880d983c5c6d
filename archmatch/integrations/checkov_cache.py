"""A disk cache of repository analyses shared by the Checkov framework processes.

Checkov runs each framework in its own process, so without it every framework would analyse the
same repository again. Entries are JSON (never pickle: the folder is in the temp dir), in a folder
only the current user may use. An entry is keyed by the archmatch code, the root, the files the
scan covers and the CONTENT of each of them (plus the configuration's): a same-size edit with a
preserved modification time is a different key, so a changed file is never served stale.

One analysis per key: the first process to miss takes an exclusive lock on the key, analyses and
writes; processes asking for the same key meanwhile sleep in `flock` (no polling) and then read the
entry.
Entries are validated on read (a malformed one is a miss and is deleted) and the folder is pruned
on every write (entries older than `MAX_AGE_SECONDS`, and all but the newest `MAX_ENTRIES`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from archmatch import __version__
from archmatch.integrations.checkov_profile import step
from archmatch.model import Finding, Location, Related

FORMAT = 2
PACKAGE = Path(__file__).resolve().parent.parent
# One entry per scan root: a Checkov run over many roots must find every root's entry in each of
# its framework processes, so the bound is on a day's worth of roots, not on one run.
MAX_ENTRIES = 1000
MAX_AGE_SECONDS = 24 * 3600
LOCK_TIMEOUT_SECONDS = 600.0
# Files over the scan's size limit are skipped unread by the analysis, so their content cannot
# change its result; their size stands in for the hash (no need to read 50 MB to key a cache).
HASH_LIMIT_BYTES = 10 * 1024 * 1024


@functools.cache
def _code_stamp() -> str:
    """The archmatch code an entry was computed with: the path, size and modification time of each
    source file of the package. Every Checkov framework process needs it, and reading the ~200
    files cost more than the rest of a cache hit; an edit of the code changes the modification
    time. (The scanned files, which may be hostile, are keyed by content: see cache_key.)"""
    digest = hashlib.sha256()
    for folder, subfolders, names in os.walk(PACKAGE):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".yaml", ".json")):
                path = os.path.join(folder, name)
                st = os.stat(path)
                rel = os.path.relpath(path, PACKAGE).replace(os.sep, "/")
                digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_dir() -> Path | None:
    """A private folder for this user, or None when one cannot be had safely."""
    folder = (
        Path(tempfile.gettempdir()) / f"archmatch-checkov-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    )
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return None
    if (
        not stat.S_ISDIR(st.st_mode)
        or (hasattr(os, "getuid") and st.st_uid != os.getuid())
        or st.st_mode & 0o077
    ):
        return None
    return folder


def _content_stamp(path: Path) -> str:
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return f"special:{stat.S_IFMT(st.st_mode)}"
        if st.st_size > HASH_LIMIT_BYTES:
            return f"size:{st.st_size}"
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return "missing"


def cache_key(root: Path, only: tuple[str, ...] | None, files: list[str], config_path: str | None) -> str:
    stamps = [(rel, _content_stamp(root / rel)) for rel in [*files, *([config_path] if config_path else [])]]
    payload = [FORMAT, __version__, _code_stamp(), str(root), only, stamps]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _loc(loc: Location) -> list[Any]:
    return [loc.path, loc.line, loc.column, loc.end_line, loc.end_column]


def dump_findings(findings: list[Finding]) -> list[dict[str, Any]]:
    return [
        {
            "rule": f.rule_id,
            "message": f.message,
            "location": _loc(f.location),
            "entity": f.entity,
            "related": [[_loc(r.location), r.message] for r in f.related],
            "subject": _loc(f.subject) if f.subject is not None else None,
        }
        for f in findings
    ]


def load_findings(items: list[dict[str, Any]]) -> list[Finding]:
    return [
        Finding(
            i["rule"],
            i["message"],
            Location(*i["location"]),
            i["entity"],
            related=tuple(Related(Location(*loc), msg) for loc, msg in i["related"]),
            subject=Location(*i["subject"]) if i.get("subject") else None,
        )
        for i in items
    ]


def _is_location(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 5
        and isinstance(value[0], str)
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value[1:])
    )


def _is_finding(item: object) -> bool:
    if not isinstance(item, dict):
        return False
    texts = all(isinstance(item.get(k), str) for k in ("rule", "message", "entity"))
    related = item.get("related")
    return (
        texts
        and _is_location(item.get("location"))
        and isinstance(related, list)
        and all(
            isinstance(r, list) and len(r) == 2 and _is_location(r[0]) and isinstance(r[1], str)
            for r in related
        )
    )


def _is_entity(item: object) -> bool:
    return (
        isinstance(item, list)
        and len(item) == 3
        and isinstance(item[0], str)
        and isinstance(item[1], str)
        and isinstance(item[2], int)
    )


def valid_entry(data: object) -> bool:
    """True when `data` has exactly the shape `write` stores (anything else is a miss)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return False
    findings, entities = data.get("findings"), data.get("entities")
    return (
        isinstance(findings, list)
        and all(_is_finding(i) for i in findings)
        and isinstance(entities, list)
        and all(_is_entity(e) for e in entities)
    )


def read(key: str) -> dict[str, Any] | None:
    folder = cache_dir()
    if folder is None:
        return None
    entry = folder / f"{key}.json"
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError):
        data = None
    if not valid_entry(data):
        with contextlib.suppress(OSError):
            entry.unlink()
        return None
    return data  # type: ignore[no-any-return]


def write(key: str, data: dict[str, Any]) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        with tempfile.NamedTemporaryFile(
            "w", dir=folder, suffix=".tmp", delete=False, encoding="utf-8"
        ) as fh:
            json.dump({**data, "format": FORMAT}, fh)
        os.replace(fh.name, folder / f"{key}.json")  # atomic: parallel processes never read half a file
    except OSError:
        return
    _prune_once(folder)


@functools.cache
def _prune_once(folder: Path) -> None:
    """Prune once per process: a run over many roots writes many entries."""
    prune(folder)


def prune(folder: Path, now: float | None = None) -> None:
    """Drop entries older than MAX_AGE_SECONDS, then all but the newest MAX_ENTRIES, and stale
    temporary and lock files (a lock is only needed while its analysis runs)."""
    now = time.time() if now is None else now
    entries: list[tuple[float, Path]] = []
    for path in folder.iterdir():
        try:
            mtime = path.lstat().st_mtime
        except OSError:
            continue
        old = now - mtime > MAX_AGE_SECONDS
        if path.suffix == ".json" and not old:
            entries.append((mtime, path))
        elif old or (path.suffix == ".tmp" and now - mtime > LOCK_TIMEOUT_SECONDS):
            with contextlib.suppress(OSError):
                path.unlink()
    entries.sort(reverse=True)
    for _, path in entries[MAX_ENTRIES:]:
        with contextlib.suppress(OSError):
            path.unlink()


@contextlib.contextmanager
def _key_lock(folder: Path, key: str) -> Iterator[None]:
    """An exclusive lock per key across processes (no-op where flock is unavailable). A process
    that finds it taken sleeps until the holder releases it (see `_wait_for_lock`)."""
    try:
        import fcntl
    except ImportError:  # Windows: each process analyses on its own, as before
        yield
        return
    path = folder / f"{key}.lock"
    fd = _open_lock(path)
    if fd is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            fd = None
            if isinstance(exc, BlockingIOError):
                with step("lock wait"):
                    fd = _wait_for_lock(path, LOCK_TIMEOUT_SECONDS)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _open_lock(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        return None


def _wait_for_lock(path: Path, timeout: float) -> int | None:
    """A descriptor of `path` holding its lock, once the holder (the process analysing) releases
    it; None after `timeout` seconds (a stuck holder must not hang Checkov: analyse anyway) or if
    the lock cannot be had. A helper thread sleeps in a blocking `flock`, which the kernel wakes at
    the release: no polling, so a waiting Checkov process uses no CPU time. If the caller gives up
    first, the thread lets the lock go as soon as it gets it."""
    import fcntl
    import threading

    fd = _open_lock(path)
    if fd is None:
        return None
    settled = threading.Event()
    guard = threading.Lock()
    outcome: dict[str, bool] = {"locked": False, "abandoned": False}

    def take() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        else:
            with guard:
                outcome["locked"] = not outcome["abandoned"]
        if not outcome["locked"]:  # failed, or given up by the caller: nobody else closes it
            os.close(fd)
        settled.set()

    threading.Thread(target=take, name="archmatch-cache-lock", daemon=True).start()
    settled.wait(timeout)
    with guard:
        outcome["abandoned"] = not outcome["locked"]
        return fd if outcome["locked"] else None


def cached(key: str, compute: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    """The entry for `key`: read it, or compute and store it while holding the key's lock so
    that the other Checkov framework processes wait for this analysis instead of repeating it."""
    with step("cache read"):
        hit = read(key)
    if hit is not None:
        return hit
    folder = cache_dir()
    if folder is None:
        return compute()
    with _key_lock(folder, key):
        with step("cache read after lock"):
            hit = read(key)  # another process may have written it while we waited for the lock
        if hit is not None:
            return hit
        data = compute()
        if data is not None:
            with step("cache write"):
                write(key, data)
        return data
