"""Per-file isolation of extraction: a file that breaks an extractor is left out, not the extractor.

An extractor runs the code that reads one file (or one unit of files read together: a Terraform
root module, a Compose project, a bake folder, a CDK app) inside `isolated(...)` or
`isolated_unit(...)`. Any exception there becomes an `internal` diagnostic naming the file (and
the line, where the extractor said where it was), and every fact appended while the guarded code
ran is rolled back, so the rest of the repository is analysed as if that file were absent. A unit
is re-run without the file that failed, so its other files still count.

The roll-back restores the fact collections of `RepoFacts` (lists and dicts, by shallow copy);
extractors only add facts, so objects that existed before the guarded code are not touched.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from archmatch.model import Diagnostic, ExtraFacts, Location, RepoFacts

_PACKAGE = str(Path(__file__).resolve().parent)
MAX_DETAIL = 160


@dataclass
class Focus:
    """Where the guarded code is: the file (and line) an exception will be blamed on."""

    path: str
    line: int = 0

    def at(self, path: str, line: int = 0) -> None:
        self.path, self.line = path, line


@dataclass
class _Snapshot:
    """The facts before an extractor runs on one file, to restore if it fails."""

    lists: dict[str, list[Any]]
    dockerfiles: dict[str, Any]
    extra: ExtraFacts


_LISTS = ("builds", "workloads", "capacities", "links", "projects")


def _snapshot(facts: RepoFacts) -> _Snapshot:
    return _Snapshot(
        {name: list(getattr(facts, name)) for name in _LISTS},
        dict(facts.dockerfiles),
        facts.extra.copy(),
    )


def _restore(facts: RepoFacts, snap: _Snapshot) -> None:
    for name, items in snap.lists.items():
        setattr(facts, name, items)
    facts.dockerfiles = snap.dockerfiles
    facts.extra = snap.extra


def describe(exc: BaseException) -> str:
    """`Type: message` on one short line, plus where in archmatch it was raised (for bug reports).
    The message is cut short: it may quote the input."""
    text = " ".join(str(exc).split())
    if len(text) > MAX_DETAIL:
        text = text[:MAX_DETAIL] + "..."
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(_PACKAGE):
            where = f" at {Path(frame.filename).relative_to(Path(_PACKAGE).parent).as_posix()}:{frame.lineno}"
            break
    return f"{type(exc).__name__}{': ' + text if text else ''}{where}"


def internal_diagnostic(
    path: str, line: int, stage: str, exc: BaseException, left_out: str = "this file"
) -> Diagnostic:
    return Diagnostic(
        Location(path or ".", line),
        f"internal error in the {stage or 'archmatch'} extractor ({describe(exc)}); {left_out} was left out of the "
        "analysis, so findings that depend on it may be missing",
        "error",
        "internal",
    )


class Guarded(Protocol):
    """What `RepoView` offers the guards: the diagnostics list, the current stage and focus."""

    diagnostics: list[Diagnostic]
    stage: str
    focus: Focus | None


@contextmanager
def isolated(repo: Guarded, facts: RepoFacts | None, path: str, line: int = 0) -> Iterator[Focus]:
    """Run the body for one file; on an exception, roll its facts back and report it. Without
    `facts`, the body only builds local state (nothing to roll back)."""
    snap = _snapshot(facts) if facts is not None else None
    focus = Focus(path, line)
    outer, repo.focus = repo.focus, focus
    try:
        yield focus
    except Exception as exc:  # any bug on any input: this file is left out, the scan goes on
        if facts is not None and snap is not None:
            _restore(facts, snap)
        repo.diagnostics.append(internal_diagnostic(focus.path, focus.line, repo.stage, exc))
    finally:
        repo.focus = outer


def isolated_unit(
    repo: Guarded, facts: RepoFacts, files: list[str], run: Callable[[frozenset[str]], None]
) -> None:
    """Run `run(left_out)` for files read together; when it fails in one of them (the focus says
    which), roll back and run again without that file. If the failing file is not known, the
    whole unit is left out and its first file named."""
    left_out: set[str] = set()
    while True:
        snap = _snapshot(facts)
        focus = Focus("")
        outer, repo.focus = repo.focus, focus
        try:
            run(frozenset(left_out))
            return
        except Exception as exc:
            _restore(facts, snap)
            culprit = focus.path if focus.path in files and focus.path not in left_out else ""
            if not culprit:
                named = files[0] if files else "."
                others = f" and the {len(files) - 1} files read with it" if len(files) > 1 else ""
                repo.diagnostics.append(
                    internal_diagnostic(named, 0, repo.stage, exc, left_out=f"this file{others}")
                )
                return
            repo.diagnostics.append(internal_diagnostic(culprit, focus.line, repo.stage, exc))
            left_out.add(culprit)
        finally:
            repo.focus = outer


def note_position(repo: Guarded, path: str, line: int = 0) -> None:
    """Tell the enclosing guard which file (and line) the extractor is reading now."""
    if repo.focus is not None:
        repo.focus.at(path, line)


def run_stage(name: str, extract: Callable[[Any, RepoFacts], None], repo: Guarded, facts: RepoFacts) -> None:
    """The last-resort guard around a whole extractor (files are isolated inside it): an exception
    outside the per-file guards stops this extractor only, naming the file it was reading."""
    outer = repo.stage, repo.focus
    repo.stage, repo.focus = name, Focus(".")
    try:
        extract(repo, facts)
    except Exception as exc:  # one broken extractor must not stop the scan
        where = repo.focus
        repo.diagnostics.append(
            Diagnostic(
                Location(where.path, where.line),
                f"internal error in the {name} extractor ({describe(exc)}); it stopped while reading this file, so "
                "findings that depend on the files it had not read yet may be missing",
                "error",
                "internal",
            )
        )
    finally:
        repo.stage, repo.focus = outer
