"""Python source parsed with `ast` (never imported or run), bounded against hostile files.

CPython 3.11 parses an f-string in time quadratic in its replacement fields (each field's position
is found by rescanning the string): one f-string of 300,000 `{x}` (a 2.4 MB file) kept `ast.parse`
busy for minutes, and a parse cannot be interrupted. A file holding an f-string with more than
MAX_FSTRING_FIELDS fields is therefore not parsed; deep nesting raises RecursionError, which is
caught like a syntax error.
"""

from __future__ import annotations

import ast

from archmatch import lazyre

MAX_FSTRING_FIELDS = 5_000  # real f-strings hold a few dozen; 5,000 parse in ~0.05 s
_FSTRING_START = lazyre.compile(r"(?<![\w'\"])(?:[rRbBuU]?[fF]|[fF][rR])?('''|\"\"\"|'|\")")


def _string_end(text: str, quote: str, start: int) -> int:
    """Index just past the literal whose body starts at `start` (the end of the text if unclosed)."""
    if len(quote) == 3:
        end = text.find(quote, start)
        return len(text) if end < 0 else end + 3
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == quote or char == "\n":
            return i + 1
        i += 1
    return len(text)


def widest_fstring(text: str) -> int:
    """The most `{` any one f-string literal of the text holds (an over-estimate of its fields)."""
    widest, pos = 0, 0
    while True:
        m = _FSTRING_START.search(text, pos)
        if m is None:
            return widest
        end = _string_end(text, m.group(1), m.end())
        if "f" in m.group(0)[: -len(m.group(1))].lower():
            widest = max(widest, text.count("{", m.end(), end))
        pos = max(end, m.end())


def parse(text: str, filename: str) -> ast.Module:
    """`ast.parse`, refusing a file whose f-strings would make it slow; raises SyntaxError (with the
    refusal's reason as its message), ValueError, RecursionError or MemoryError."""
    if "{" in text and widest_fstring(text) > MAX_FSTRING_FIELDS:
        raise SyntaxError(f"an f-string with more than {MAX_FSTRING_FIELDS} replacement fields")
    return ast.parse(text, filename=filename)
