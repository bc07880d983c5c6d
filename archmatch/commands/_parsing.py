"""The argument parser every command uses: argparse's, without the `shutil` import of its help
formatter.

argparse's `HelpFormatter` asks `shutil.get_terminal_size()` for the width, and every
`add_argument` builds a formatter (to check the argument's metavar), so parsing any command line
imported `shutil` and with it `bz2`, `lzma` and `fnmatch`: ~7.5 M instructions, 2 % of
`archmatch dockerfile` on one file, for a width that only `--help` and usage errors print.
`Formatter` reads the same width the same way (tests/test_cli.py compares the help of every
command with argparse's own formatter's)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

FALLBACK_COLUMNS = 80  # shutil.get_terminal_size's fallback


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`: a positive `COLUMNS`, else the width of the terminal on
    `sys.__stdout__` (when it is one and says), else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    if stdout is None:
        return FALLBACK_COLUMNS
    try:
        size = os.get_terminal_size(stdout.fileno())
    except (AttributeError, ValueError, OSError):  # closed, detached, not a terminal
        return FALLBACK_COLUMNS
    return size.columns or FALLBACK_COLUMNS


class Formatter(argparse.HelpFormatter):
    """argparse's help formatter, its default width read without `shutil`."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ) -> None:
        width = terminal_columns() - 2 if width is None else width  # as HelpFormatter computes it
        super().__init__(prog, indent_increment, max_help_position, width)


class Parser(argparse.ArgumentParser):
    """argparse's parser with `Formatter` as its default formatter class (its sub-command parsers
    are of the same class, so they have it too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)
