"""A progress line on stderr for long scans: shown only on a TTY, and only after a delay.

Short scans and pipes (CI logs, `-f json > file`) see nothing; a scan that runs past `delay`
seconds on a terminal gets one self-overwriting line `archmatch: [ 12/340] label`, redrawn at
most every `interval` seconds and erased by `finish()`.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self,
        stream: TextIO | None = None,
        delay: float = 1.0,
        interval: float = 0.1,
        enabled: bool | None = None,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.interval = interval
        if enabled is None:
            enabled = _is_tty(self.stream) and "CI" not in os.environ and os.environ.get("TERM") != "dumb"
        self.enabled = enabled
        self.total = 0
        self.done = 0
        self._started = 0.0
        # None until the first draw: monotonic() starts near 0 on a freshly booted machine, so a
        # numeric sentinel would suppress drawing for the first `interval` seconds of uptime.
        self._last_draw: float | None = None
        self._drawn = False

    def start(self, total: int) -> None:
        self.total = max(total, 0)
        self.done = 0
        self._started = time.monotonic()
        self._last_draw = None

    def advance(self, label: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._started < self.delay:
            return
        if self._last_draw is not None and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._draw(label)

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False

    def _draw(self, label: str) -> None:
        import shutil  # imports bz2 and lzma: only when progress is drawn (start-up time)

        width = shutil.get_terminal_size((80, 20)).columns
        digits = len(str(self.total))
        head = f"archmatch: [{self.done:>{digits}}/{self.total}] "
        room = max(width - len(head) - 1, 0)
        text = label if len(label) <= room else "…" + label[-(room - 1) :] if room > 1 else ""
        self.stream.write(f"\r\033[K{head}{text}")
        self.stream.flush()
        self._drawn = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
