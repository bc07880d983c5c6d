"""No regex in archmatch backtracks catastrophically on repository text (issue 11).

Every pattern written as a literal in `archmatch/` (the first argument of `re.compile`,
`re.match`, `re.search`, ... found with `ast`, so inline patterns count too) and every compiled
pattern a module keeps at import time is run against adversarial texts: long runs of each
character patterns are built from, runs of pairs (`${`, `a `, `\\` + newline, ...), unclosed
quotes and braces, 50 KB lines. A linear pattern needs milliseconds; a quadratic or exponential
one needs seconds to forever. The sweep runs in subprocesses (the patterns dealt out between
them, one per core left to this pytest-xdist worker, at most two) so that a hang is a failure with
the offending pattern named, not a stuck test run.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PER_TEXT_S = 0.5  # one adversarial text (50 KB) against one pattern: ~1 ms when linear, seconds when not
SWEEP_TIMEOUT_S = 600.0  # a hang guard for the whole sweep, in wall time
_RE_FUNCTIONS = {"compile", "match", "search", "fullmatch", "sub", "subn", "findall", "finditer", "split"}
_RUN = 50_000
_PAIR_RUN = 10_000


_ANCHORED = {"match", "fullmatch"}
_LAZY = ("lazyre", "compile")  # archmatch.lazyre.compile: a pattern compiled on first use


@functools.cache  # the sources do not change during a run: parsed once per process
def _source_trees() -> dict[str, ast.Module]:
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "archmatch").rglob("*.py"))
    }


def literal_patterns() -> dict[str, tuple[str, int, bool]]:
    """Patterns written as string literals in archmatch and used in place (`re.search(r"...", x)`,
    or compiled inside a function): {where: (pattern, flags, anchored)}."""
    found: dict[str, tuple[str, int, bool]] = {}
    for module, tree in _source_trees().items():
        top_level = {id(n.value) for n in tree.body if isinstance(n, ast.Assign)}
        top_level |= {
            id(n.value)
            for c in tree.body
            if isinstance(c, ast.ClassDef)
            for n in c.body
            if isinstance(n, ast.Assign)
        }
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _RE_FUNCTIONS
            ):
                continue
            if (
                not (
                    isinstance(node.func.value, ast.Name)
                    and (node.func.value.id == "re" or (node.func.value.id, node.func.attr) == _LAZY)
                    and node.args
                )
                or id(node) in top_level
            ):
                continue  # module- and class-level patterns are checked compiled, with their uses
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found[f"{module}:{node.lineno}"] = (first.value, _flags(node), node.func.attr in _ANCHORED)
    return found


def _flags(call: ast.Call) -> int:
    flags = 0
    for arg in [*call.args[1:], *(k.value for k in call.keywords if k.arg == "flags")]:
        for name in ("S", "DOTALL", "M", "MULTILINE", "I", "IGNORECASE", "X", "VERBOSE"):
            if re.search(rf"\b{name}\b", ast.unparse(arg)):
                flags |= getattr(re, name)
    return flags


def _methods_used(trees: dict[str, ast.Module]) -> dict[str, set[str]]:
    """Attribute name -> the methods called on it anywhere (`_FLAG.match(...)` -> {"match"})."""
    used: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                holder = node.func.value
                name = (
                    holder.id
                    if isinstance(holder, ast.Name)
                    else holder.attr
                    if isinstance(holder, ast.Attribute)
                    else None
                )
                if name is not None:
                    used.setdefault(name, set()).add(node.func.attr)
    return used


def compiled_patterns() -> dict[str, tuple[str, int, bool]]:
    """Compiled patterns that modules of archmatch keep at module or class level (this also
    catches patterns built with f-strings from constants); anchored when only ever used with
    `match`/`fullmatch`."""
    import archmatch
    from archmatch.lazyre import LazyPattern

    used = _methods_used(_source_trees())
    found: dict[str, tuple[str, int, bool]] = {}
    for info in pkgutil.walk_packages(archmatch.__path__, "archmatch."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        holders = [
            module,
            *(v for v in vars(module).values() if isinstance(v, type) and v.__module__ == module.__name__),
        ]
        for holder in holders:
            for name, value in vars(holder).items():
                if isinstance(value, (re.Pattern, LazyPattern)) and isinstance(value.pattern, str):
                    where = f"{module.__name__}.{'' if holder is module else holder.__name__ + '.'}{name}"
                    methods = used.get(name, {"search"})
                    found[where] = (value.pattern, value.flags & ~re.UNICODE, methods <= _ANCHORED)
    return found


def adversarial_texts() -> list[str]:
    singles = " \t\n\rab0Z$%{}[]()<>\"'`\\/:.,;-_=+*?!@#&|~^"
    pairs = [
        "${",
        "${a",
        "a ",
        " a",
        "a:",
        "a.",
        "a-",
        "a/",
        "a=",
        "a,",
        "a@",
        "\\\n",
        ' "',
        "{}",
        "ab",
        "0.",
        "--",
    ]
    pairs += ["a\n", " \n", "\t ", "%{", "<<", "a:-", "a1", "a-1", "ab1"]
    texts = [c * _RUN for c in singles]
    texts += [c * _RUN + "\x00a" for c in singles]
    texts += [p * _PAIR_RUN for p in pairs]
    texts += [p * _PAIR_RUN + "\x00a" for p in pairs]
    texts += [
        '"' + "a" * _RUN,
        '"${' + "a" * _RUN,
        "${A:-" * _PAIR_RUN,
        "FROM " + "a" * _RUN,
        "--platform=" + "a" * _RUN,
    ]
    return texts


def _timeout(*_: object) -> None:
    raise TimeoutError


def _cpu_seconds(compiled: re.Pattern[str], text: str, anchored: bool) -> float:
    """CPU time of match and fullmatch, and unless the pattern is only ever anchored, of search and
    sub (up to 100 replacements) too."""
    started = time.process_time()
    compiled.match(text)
    compiled.fullmatch(text)
    if anchored:
        return time.process_time() - started
    searching = time.process_time()
    if compiled.search(text) is None:
        # sub on a text without a match does that same failed search and nothing else: its time
        # is counted a second time instead of being spent again
        now = time.process_time()
        return (now - started) + (now - searching)
    compiled.sub("", text, count=100)
    return time.process_time() - started


def sweep(shard: int = 0, shards: int = 1) -> None:
    """Print one JSON line per pattern: {"where", "seconds"}; run as a subprocess, for every
    `shards`-th pattern from the `shard`-th on. The regex engine checks for signals, so an alarm
    stops a runaway pattern."""
    import signal

    # CPU time, not wall time: the verdict must not depend on what else the machine runs (a
    # loaded CI runner made linear patterns look slow). ITIMER_PROF counts this process's CPU.
    signal.signal(signal.SIGPROF, _timeout)
    patterns = {**literal_patterns(), **compiled_patterns()}
    texts = adversarial_texts()
    for where, (pattern, flags, anchored) in sorted(patterns.items())[shard::shards]:
        compiled = re.compile(pattern, flags)
        worst, worst_text = 0.0, ""
        signal.setitimer(signal.ITIMER_PROF, PER_TEXT_S * 60)  # a hang guard; the verdict is the worst text
        try:
            for text in texts:
                spent = _cpu_seconds(compiled, text, anchored)
                if spent > worst:
                    worst, worst_text = spent, repr(text[:6])
        except TimeoutError:
            worst, worst_text = float("inf"), repr(text[:6])
        signal.setitimer(signal.ITIMER_PROF, 0)
        print(
            json.dumps({"where": where, "seconds": worst, "text": worst_text, "anchored": anchored}),
            flush=True,
        )


def test_patterns_are_found() -> None:
    literal, compiled = literal_patterns(), compiled_patterns()
    assert len(literal) > 30 and len(compiled) > 60, (len(literal), len(compiled))
    assert "archmatch.extract.dockerfile.words._FLAG" in compiled


def _sweep_results(shards: int) -> tuple[dict[str, dict[str, Any]], list[int], str]:
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--sweep", str(shard), str(shards)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for shard in range(shards)
    ]
    finished: dict[str, dict[str, Any]] = {}
    codes, errors = [], ""
    deadline = time.monotonic() + SWEEP_TIMEOUT_S
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=max(deadline - time.monotonic(), 1.0))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        finished.update((line["where"], line) for line in map(json.loads, out.splitlines()))
        codes.append(proc.returncode)
        errors += err[-2000:]
    return finished, codes, errors


def _shards() -> int:
    """One sweep process per core, at most two; under pytest-xdist the cores are shared with the
    other workers, so each worker's share (one on two cores with two workers)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return max(1, min(2, (os.cpu_count() or 1) // workers))


def test_no_pattern_backtracks_catastrophically_on_adversarial_text() -> None:
    shards = _shards()
    finished, codes, err = _sweep_results(shards)
    every = {**literal_patterns(), **compiled_patterns()}
    assert codes == [0] * shards and set(finished) == set(every) and len(finished) > 120, err
    slow = {w: (round(r["seconds"], 2), r["text"]) for w, r in finished.items() if r["seconds"] > PER_TEXT_S}
    assert not slow, f"patterns slow on adversarial text: {slow}"


if __name__ == "__main__" and sys.argv[1:2] == ["--sweep"]:
    sys.path.insert(0, str(ROOT))
    sweep(*(int(a) for a in sys.argv[2:4]))
