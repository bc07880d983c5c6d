"""Writing reports: one place that turns an I/O failure into a one-line message and exit 2.

A full disk (`-o /dev/full`), a missing folder or a closed pipe must not look like findings
(exit 1) nor print a traceback: commands write through `write_report`, which raises
`OutputError` naming the file; `archmatch.cli.main` prints `archmatch: cannot write FILE:
REASON` and returns 2 (the traceback only with `--debug`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

STDOUT = "<stdout>"


class OutputError(Exception):
    """A report could not be written to `target` (a path, or `<stdout>`)."""

    def __init__(self, target: str, reason: str):
        super().__init__(f"cannot write {target}: {reason}")
        self.target = target
        self.reason = reason


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def write_report(path: str | Path | None, text: str) -> None:
    """`text` into the file `path` (created or replaced), or onto standard output when None."""
    if path is None:
        write_stdout(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(str(path), _reason(exc)) from exc


def write_stdout(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(STDOUT, _reason(exc)) from exc


def flush_stdout() -> None:
    """Flush what `print` buffered, so a full disk is reported while we can still say so."""
    write_stdout("")


def abandon_stdout() -> None:
    """Point standard output at /dev/null after a failed write, so the interpreter's own flush
    at exit neither fails again nor prints a second error."""
    try:
        fd = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (tests capture it): nothing will be flushed at exit
    except Exception:  # io.UnsupportedOperation and friends from replaced streams
        pass
