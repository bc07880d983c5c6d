"""`archmatch.progress`: a progress line only on a TTY, only for scans past the delay."""

from __future__ import annotations

import io

from archmatch.progress import Progress


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_tty() -> None:
    out = io.StringIO()
    progress = Progress(out, delay=0.0, interval=0.0)
    progress.start(3)
    for label in ("a", "b", "c"):
        progress.advance(label)
    progress.finish()
    assert out.getvalue() == "" and progress.done == 3


def test_silent_before_the_delay() -> None:
    out = FakeTty()
    progress = Progress(out, delay=3600.0, interval=0.0, enabled=True)
    progress.start(2)
    progress.advance("a")
    progress.finish()
    assert out.getvalue() == ""


def test_draws_and_erases_on_a_tty_after_the_delay() -> None:
    out = FakeTty()
    with Progress(out, delay=0.0, interval=0.0, enabled=True) as progress:
        progress.start(12)
        progress.advance("extract dockerfile")
        progress.advance("rule ARCH101")
    assert out.getvalue() == (
        "\r\033[Karchmatch: [ 1/12] extract dockerfile\r\033[Karchmatch: [ 2/12] rule ARCH101\r\033[K"
    )


def test_redraws_at_most_once_per_interval() -> None:
    out = FakeTty()
    progress = Progress(out, delay=0.0, interval=3600.0, enabled=True)
    progress.start(100)
    for i in range(100):
        progress.advance(f"file {i}")
    assert out.getvalue().count("\r\033[K") == 1
