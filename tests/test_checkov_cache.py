"""The on-disk analysis cache shared by Checkov's framework processes: keyed by content,
validated on read, pruned, and computed once per key across processes."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archmatch.integrations import checkov_cache
from archmatch.integrations.checkov_adapter import _analyse

SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Architectures: [{arch}]
    Metadata:
      Dockerfile: Dockerfile
      DockerContext: ./fn
"""
DOCKERFILE = 'FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.12\nCMD ["app.handler"]\n'


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own cache folder (tempfile reads TMPDIR once, so reset its cache)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)
    return tmp


def _repo(root: Path, arch: str) -> Path:
    (root / "fn").mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(SAM.format(arch=arch))
    (root / "fn" / "Dockerfile").write_text(DOCKERFILE)
    return root


def _rules(root: Path) -> set[str]:
    analysis = _analyse_fresh(root)
    assert analysis is not None
    return {rule for rule, found in analysis.findings.items() if found}


def _analyse_fresh(root: Path):  # type: ignore[no-untyped-def]
    return _analyse(root.resolve(), None)


def test_same_size_edit_with_preserved_mtime_is_not_served_stale(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", "arm64")
    assert "ARCH301" in _rules(root)  # arm64 function, Dockerfile pinned to amd64
    template = root / "template.yaml"
    before = template.stat()
    template.write_text(SAM.format(arch="x86_64")[: before.st_size].ljust(before.st_size))
    os.utime(template, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = template.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert "ARCH301" not in _rules(root)


def test_malformed_entries_are_misses_and_removed(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", "arm64")
    _rules(root)
    folder = checkov_cache.cache_dir()
    assert folder is not None
    (entry,) = list(folder.glob("*.json"))
    for broken in [
        "{",
        "[]",
        json.dumps({"format": checkov_cache.FORMAT, "findings": [{"rule": 1}], "entities": []}),
    ]:
        entry.write_text(broken)
        assert "ARCH301" in _rules(root)  # recomputed, no exception
        assert checkov_cache.valid_entry(json.loads(entry.read_text()))


def test_prune_keeps_the_newest_entries_and_drops_old_ones(tmp_path: Path) -> None:
    folder = checkov_cache.cache_dir()
    assert folder is not None
    now = time.time()
    for i in range(checkov_cache.MAX_ENTRIES + 5):
        path = folder / f"{i:04d}.json"
        path.write_text("{}")
        os.utime(path, (now - 100 + i, now - 100 + i))
    ancient = folder / "ancient.json"
    ancient.write_text("{}")
    os.utime(ancient, (now - checkov_cache.MAX_AGE_SECONDS - 10,) * 2)
    checkov_cache.prune(folder, now)
    left = sorted(p.name for p in folder.glob("*.json"))
    assert len(left) == checkov_cache.MAX_ENTRIES
    assert left[0] == f"{5:04d}.json" and "ancient.json" not in left


def test_cache_folder_is_private(tmp_path: Path) -> None:
    folder = checkov_cache.cache_dir()
    assert folder is not None
    assert folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o755)  # someone else could plant entries: refuse the folder
    assert checkov_cache.cache_dir() is None


def _compute_once(args: tuple[str, str]) -> int:
    tmp, counter = args
    os.environ["TMPDIR"] = tmp
    import tempfile

    tempfile.tempdir = None

    def compute() -> dict[str, object]:
        with open(counter, "a") as fh:
            fh.write("x")
        time.sleep(0.5)  # long enough for the other processes to arrive while it runs
        return {"findings": [], "entities": []}

    data = checkov_cache.cached("k" * 64, compute)
    return 0 if data is None else len(data["findings"])


def test_one_analysis_per_key_across_processes(tmp_path: Path, private_tmpdir: Path) -> None:
    counter = tmp_path / "computed"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        assert pool.map(_compute_once, [(str(private_tmpdir), str(counter))] * 3) == [0, 0, 0]
    assert counter.read_text() == "x"


def _verdict_in_a_new_process(args: tuple[str, str]) -> str:
    """ARCH301 on the SAM function, as a fresh Checkov framework process sees it (its own
    per-process caches empty, the disk cache shared)."""
    tmp, root = args
    os.environ["TMPDIR"] = tmp
    import tempfile

    tempfile.tempdir = None
    from archmatch.integrations.checkov_adapter import Resource, evaluate_resource
    from archmatch.integrations.checkov_scope import current_scope

    scope = current_scope(["checkov", "-d", root], scan_dirs=[root], cwd=Path(root))
    function = Resource("/template.yaml", frozenset({"Fn"}), (4, 11), (4, "Fn"))
    first, _ = evaluate_resource("ARCH301", function, scope)
    again, _ = evaluate_resource("ARCH301", function, scope)  # served from the per-process caches
    assert first == again
    return first


def test_a_new_run_after_a_same_size_edit_is_not_served_stale(tmp_path: Path, private_tmpdir: Path) -> None:
    """Through the check's own path (file and analysis kept per process, entries on disk keyed by
    content): the next run after an edit that keeps size and mtime sees the edit."""
    root = _repo(tmp_path / "repo", "arm64")
    run = [(str(private_tmpdir), str(root))]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        assert pool.map(_verdict_in_a_new_process, run * 2) == ["FAILED", "FAILED"]  # cold, then warm
    folder = checkov_cache.cache_dir()
    assert folder is not None and len(list(folder.glob("*.json"))) == 1  # the warm run read the entry
    template = root / "template.yaml"
    before = template.stat()
    template.write_text(SAM.format(arch="x86_64")[: before.st_size].ljust(before.st_size))
    os.utime(template, ns=(before.st_atime_ns, before.st_mtime_ns))
    with ctx.Pool(1) as pool:
        assert pool.map(_verdict_in_a_new_process, run) == ["PASSED"]
    assert len(list(folder.glob("*.json"))) == 2


def test_the_analysis_runs_with_the_existing_objects_set_aside_from_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Checkov process holds a few hundred thousand objects: the analysis runs with them frozen
    (full collections skip them) and puts them back afterwards, even when it fails."""
    import gc

    from archmatch import engine

    frozen_during: list[int] = []
    real_analyze = engine.analyze

    def recording_analyze(*args, **kwargs):  # type: ignore[no-untyped-def]
        frozen_during.append(gc.get_freeze_count())
        return real_analyze(*args, **kwargs)

    monkeypatch.setattr(engine, "analyze", recording_analyze)
    assert gc.get_freeze_count() == 0
    assert _rules(_repo(tmp_path / "a", "arm64")) == {"ARCH301"}
    assert frozen_during and frozen_during[0] > 1000  # this test process's own objects
    assert gc.get_freeze_count() == 0

    def failing_analyze(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("broken extractor")

    monkeypatch.setattr(engine, "analyze", failing_analyze)
    assert _analyse_fresh(_repo(tmp_path / "b", "x86_64")) is None
    assert gc.get_freeze_count() == 0


def test_objects_frozen_by_someone_else_stay_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from archmatch.integrations.checkov_adapter import collector_skips_existing_objects

    # The frozen count itself moves when a frozen object is freed, so the calls are what is judged:
    # neither a second freeze nor an unfreeze of what someone else froze.
    real_unfreeze, calls = gc.unfreeze, []
    gc.freeze()
    try:
        monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
        monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
        with collector_skips_existing_objects():
            assert gc.get_freeze_count() > 0
        assert calls == [] and gc.get_freeze_count() > 0
    finally:
        real_unfreeze()


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _holder(lock: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the key's lock for `seconds` (as the process analysing does)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def _no_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    def polling(seconds: float) -> None:
        raise AssertionError(f"waited for the lock by sleeping {seconds} s and trying again")

    monkeypatch.setattr(time, "sleep", polling)


def test_a_waiting_process_sleeps_in_the_lock_until_the_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """The processes waiting for the one analysis are woken by the release, not by polling."""
    folder = checkov_cache.cache_dir()
    assert folder is not None
    holder = _holder(folder / f"{'w' * 64}.lock", 0.8)
    _no_sleeping(monkeypatch)
    started = time.monotonic()
    with checkov_cache._key_lock(folder, "w" * 64):
        waited = time.monotonic() - started
    holder.wait()
    assert waited > 0.6  # ours only once the holder let it go (it held it 0.8 s after saying so)


def test_a_stuck_holder_is_given_up_and_the_lock_let_go_later(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = checkov_cache.cache_dir()
    assert folder is not None
    lock = folder / f"{'s' * 64}.lock"
    holder = _holder(lock, 1.5)
    monkeypatch.setattr(checkov_cache, "LOCK_TIMEOUT_SECONDS", 0.3)
    started = time.monotonic()
    with checkov_cache._key_lock(folder, "s" * 64):
        assert time.monotonic() - started < 1.2  # analyses without the lock after the timeout
        assert holder.poll() is None
    holder.wait()
    # the helper thread that went on waiting gets the lock at the release and lets it go at once
    fd = os.open(lock, os.O_RDWR)
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.monotonic() < deadline, "the abandoned wait kept the lock"
                time.sleep(0.02)
    finally:
        os.close(fd)
