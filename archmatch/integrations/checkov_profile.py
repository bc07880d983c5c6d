"""Opt-in accounting of the CPU time the Checkov pack spends in archmatch's own code, per process.

With `ARCHMATCH_PACK_PROFILE=<file>` in the environment, every Checkov process that runs archmatch
code appends JSON lines to `<file>`: one per step as it ends (registering the checks, and the steps
of the first check call that needs the repository's analysis: configuration, discovery, cache key,
cache read, waiting for the lock, analysis, cache write, building the findings) with its CPU time
(`time.thread_time`, user + system of the thread running it; the process's own CPU time over the
step is recorded beside it, since Checkov's threads may run meanwhile), its wall time, the modules
it imported and the time Python's collector took during it; and one line when the process exits:
its check calls and their CPU time, Checkov's `BaseCheck.run` around them, the collector's time
(in all, and while archmatch code ran: a full collection walks every object of the process,
Checkov's included, and lands on whatever code allocates when it is due), the process's own CPU
time in all, and the forks it made after archmatch was loaded. Each line is one `write` in append
mode, so parallel processes do not interleave them. `benchmarks/pack_profile.py` runs Checkov under
it and sums the file. Without the variable nothing is recorded and the pack's code paths only test
a module constant."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

ENV = "ARCHMATCH_PACK_PROFILE"
TARGET = os.environ.get(ENV) or None
ACTIVE = TARGET is not None

_F = TypeVar("_F", bound=Callable[..., Any])


class _State:
    """What one process has done so far (reset in a forked child: its parent's steps are not its own)."""

    def __init__(self) -> None:
        self.frameworks: list[str] = []
        self.counts: dict[str, float] = {}  # calls, call_cpu, runs, run_cpu, gc_cpu, gc_inside_cpu, ...
        self.inside = 0  # > 0 while archmatch code runs (a step or an accounted call)
        self.gc_started = 0.0
        self.forks = 0
        self.forked_from: int | None = None
        self.exit_hooked = False

    def add(self, name: str, value: float) -> None:
        self.counts[name] = self.counts.get(name, 0.0) + value


_state = _State()


def _write(line: dict[str, Any]) -> None:
    if TARGET is None:
        return
    data = (json.dumps(line, sort_keys=True) + "\n").encode()
    with contextlib.suppress(OSError):
        fd = os.open(TARGET, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def record(step: str, **fields: Any) -> None:
    """Append one line for `step` of this process."""
    if not ACTIVE:
        return
    _hook_exit()
    _write(
        {
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "frameworks": list(_state.frameworks),
            "step": step,
            **fields,
        }
    )


@contextlib.contextmanager
def step(name: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Times the block as one step; the block may add fields to the dict it is given."""
    extra: dict[str, Any] = dict(fields)
    if not ACTIVE:
        yield extra
        return
    modules, cpu, wall = len(sys.modules), time.thread_time(), time.perf_counter()
    process_cpu, gc_cpu = time.process_time(), _state.counts.get("gc_inside_cpu", 0.0)
    _state.inside += 1
    try:
        yield extra
    finally:
        _state.inside -= 1
        record(
            name,
            cpu=round(time.thread_time() - cpu, 6),
            process_cpu=round(time.process_time() - process_cpu, 6),
            wall=round(time.perf_counter() - wall, 6),
            imported=len(sys.modules) - modules,
            gc_cpu=round(_state.counts.get("gc_inside_cpu", 0.0) - gc_cpu, 6),
            **extra,
        )


def registered(
    frameworks: tuple[str, ...] | None, since: tuple[float, float, float, int, dict[str, int]]
) -> None:
    """Called after registering the checks of `frameworks` (None: all), with the clocks, module
    count and oldest generation's statistics from when the checks file began (this module, and
    so its collector hook, loads during the registration: the full collections are counted)."""
    if not ACTIVE:
        return
    import gc

    _state.frameworks.extend(frameworks or ("all",))
    cpu, process_cpu, wall, modules, oldest = since
    record(
        "register",
        cpu=round(time.thread_time() - cpu, 6),
        process_cpu=round(time.process_time() - process_cpu, 6),
        wall=round(time.perf_counter() - wall, 6),
        imported=len(sys.modules) - modules,
        full_collections=gc.get_stats()[-1]["collections"] - oldest["collections"],
    )


def accounted(kind: str, archmatch_code: bool = True) -> Callable[[_F], _F]:
    """A method whose calls are counted as `kind`, with their CPU time, in the exit line (and, if
    `archmatch_code`, the collections during them as archmatch's). Returns the method unchanged
    when profiling is off (decided at import: Checkov's processes inherit the variable)."""
    depth = 1 if archmatch_code else 0

    def decorate(method: _F) -> _F:
        if not ACTIVE:
            return method

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _hook_exit()
            start = time.thread_time()
            _state.inside += depth
            try:
                return method(*args, **kwargs)
            finally:
                _state.inside -= depth
                _state.add(kind, 1)
                _state.add(f"{kind}_cpu", time.thread_time() - start)

        wrapper.__name__ = method.__name__
        wrapper.__qualname__ = method.__qualname__
        wrapper.__doc__ = method.__doc__
        return wrapper  # type: ignore[return-value]

    return decorate


def _collecting(phase: str, info: dict[str, Any]) -> None:
    """Python's collector: its CPU time in this process, and the part spent while archmatch code
    ran (a collection walks every tracked object of the process, Checkov's included)."""
    if phase == "start":
        _state.gc_started = time.thread_time()
        return
    spent = time.thread_time() - _state.gc_started
    generation = info.get("generation", 0)
    _state.add("gc_cpu", spent)
    _state.add(f"gc_gen{generation}", 1)
    if _state.inside:
        _state.add("gc_inside_cpu", spent)
        _state.add(f"gc_inside_gen{generation}", 1)


def _count_fork() -> None:
    _state.forks += 1


def _in_child() -> None:
    """A child forked by a process that had loaded archmatch: it inherits the modules, not the steps."""
    global _state
    child = _State()
    child.frameworks = list(_state.frameworks)
    child.forked_from = os.getppid()
    _state = child  # its exit line is hooked when it runs archmatch code (multiprocessing clears
    # the finalizers of a child it starts after this hook has run)


def _exit_line() -> None:
    times = os.times()
    record(
        "exit",
        **{name: round(value, 6) for name, value in sorted(_state.counts.items())},
        process_cpu=round(times.user + times.system, 6),
        children_cpu=round(times.children_user + times.children_system, 6),
        forks_after_load=_state.forks,
        forked_from=_state.forked_from,
    )


def _hook_exit() -> None:
    """One exit line per process. Checkov's framework processes are `multiprocessing` children,
    which leave with `os._exit` after running multiprocessing's finalizers (never `atexit`); the
    main process runs the same finalizers from `atexit`."""
    if _state.exit_hooked:
        return
    _state.exit_hooked = True
    from multiprocessing import util

    util.Finalize(None, _exit_line, exitpriority=0)


if ACTIVE:
    import gc

    gc.callbacks.append(_collecting)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_count_fork, after_in_child=_in_child)
