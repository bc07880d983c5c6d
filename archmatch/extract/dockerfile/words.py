"""Words, flags and variable references in Dockerfile arguments."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from archmatch import lazyre

_NAME = lazyre.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FLAG = lazyre.compile(r"\s*--([A-Za-z][A-Za-z0-9-]*)(?:=(\"[^\"]*\"|'[^']*'|\S*))?(?=\s|$)")
MAX_NESTING = 32  # `${A:-${B:-...}}`: words inside words looked into / expanded; deeper ones stay as written
_BRACE = lazyre.compile(r"[{}]")
_MODIFIER = lazyre.compile(r"(:?[-+])(.*)", re.S)  # used with match(text, start, end): the whole rest


@dataclass(frozen=True)
class VarRef:
    """A `$NAME` or `${NAME...}` reference in a word."""

    name: str
    start: int  # offset of `$`
    end: int  # offset after the reference
    modifier: str = ""  # ":-", "-", ":+", "+" or ""
    word: str = ""  # the text after the modifier (default / alternative value)
    word_start: int = 0  # offset of the word


def var_refs(text: str, escape: str = "\\") -> Iterator[VarRef]:
    """`$X`, `${X}`, `${X:-word}` ... in text, outermost first, skipping escaped `$`."""
    return _Scanner(text, escape).refs(0, len(text), nested=True)


class _Scanner:
    """References in one text, found in one pass per region; braces are matched once, up front,
    so hostile nesting (`${A:-${A:-...}}`) costs linear time, not quadratic."""

    def __init__(self, text: str, escape: str):
        self.text = text
        self.escape = escape
        self._closing: dict[int, int] | None = None

    def closing(self, open_at: int) -> int:
        if self._closing is None:
            self._closing = _matching_braces(self.text)
        return self._closing.get(open_at, -1)

    def refs(self, start: int, end: int, nested: bool) -> Iterator[VarRef]:
        """References in text[start:end]; with `nested`, each reference with a modifier is followed
        by those in its word (down to MAX_NESTING words deep)."""
        text, words, i = self.text, list[int](), start  # words: ends of the words the scan is inside
        while True:
            i = text.find("$", i, end)
            if i < 0:
                return
            while words and i >= words[-1]:
                words.pop()
            if i > start and text[i - 1] == self.escape:
                i += 1
                continue
            if i + 1 < end and text[i + 1] == "{":
                m = _NAME.match(text, i + 2, end)
                close = self.closing(i + 1)
                if m is None or close < 0 or close >= end:
                    i += 1
                    continue
                mod = _MODIFIER.match(text, m.end(), close)
                yield VarRef(
                    m.group(),
                    i,
                    close + 1,
                    mod.group(1) if mod else "",
                    mod.group(2) if mod else "",
                    mod.start(2) if mod else 0,
                )
                if nested and mod and len(words) < MAX_NESTING:  # references in the word come next
                    words.append(close)
                    i = mod.start(2)
                else:
                    i = close + 1
            else:
                m = _NAME.match(text, i + 1, end)
                if m is None:
                    i += 1
                    continue
                yield VarRef(m.group(), i, m.end())
                i = m.end()


def _matching_braces(text: str) -> dict[int, int]:
    """Offset of each `{` -> offset of the `}` that closes it (unclosed braces are left out)."""
    pairs: dict[int, int] = {}
    open_at: list[int] = []
    for m in _BRACE.finditer(text):
        if m.group() == "{":
            open_at.append(m.start())
        elif open_at:
            pairs[open_at.pop()] = m.start()
    return pairs


KEEP = object()  # a lookup result meaning "leave this reference as written"


def refs_with_unset_words(text: str, escape: str = "\\") -> Iterator[tuple[VarRef, str]]:
    """Each reference of `var_refs` with what its word expands to when every variable is unset."""
    scanner = _Scanner(text, escape)
    for ref in scanner.refs(0, len(text), nested=True):
        word = _expand(scanner, ref.word_start, ref.end - 1, lambda _n: None, 0)[0] if ref.modifier else ""
        yield ref, word


def expand(text: str, lookup: Callable[[str], object], escape: str = "\\") -> tuple[str, set[str]]:
    """Expand references with `lookup` (None = unset, KEEP = leave as is); returns (text, unset names)."""
    return _expand(_Scanner(text, escape), 0, len(text), lookup, 0)


def _expand(
    scanner: _Scanner, start: int, end: int, lookup: Callable[[str], object], depth: int
) -> tuple[str, set[str]]:
    text = scanner.text
    if depth > MAX_NESTING:
        return text[start:end], set()
    out: list[str] = []
    unset: set[str] = set()
    pos = start
    for ref in _outermost(scanner.refs(start, end, nested=False)):
        out.append(text[pos : ref.start])
        pos = ref.end
        value = lookup(ref.name)
        if value is KEEP:
            out.append(text[ref.start : ref.end])
            continue
        is_set = isinstance(value, str)
        empty = not value if is_set else True
        if ref.modifier in (":-", "-"):
            use_word = not is_set or (ref.modifier == ":-" and empty)
            if use_word:
                word, inner_unset = _expand(scanner, ref.word_start, ref.end - 1, lookup, depth + 1)
                unset |= inner_unset
                out.append(word)
            else:
                out.append(str(value))
        elif ref.modifier in (":+", "+"):
            use_word = is_set and not (ref.modifier == ":+" and empty)
            if use_word:
                word, inner_unset = _expand(scanner, ref.word_start, ref.end - 1, lookup, depth + 1)
                unset |= inner_unset
                out.append(word)
        else:
            if not is_set:
                unset.add(ref.name)
            out.append(str(value) if is_set else "")
    out.append(text[pos:end])
    return "".join(out), unset


def _outermost(refs: Iterator[VarRef]) -> Iterator[VarRef]:
    end = -1
    for ref in refs:
        if ref.start >= end:
            end = ref.end
            yield ref


def leading_flags(args: str) -> tuple[list[tuple[str, str, int]], int]:
    """`--name=value` flags at the start of an instruction's arguments: ([(name, value, offset)], end)."""
    flags: list[tuple[str, str, int]] = []
    pos = 0
    while True:
        m = _FLAG.match(args, pos)
        if not m:
            break
        value = m.group(2) or ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        flags.append((m.group(1).lower(), value, m.start(1) - 2))
        pos = m.end()
    while pos < len(args) and args[pos].isspace():
        pos += 1
    return flags, pos


def split_words(text: str, escape: str = "\\") -> list[tuple[str, int]]:
    """Whitespace-separated words with quotes removed, and their offsets."""
    words: list[tuple[str, int]] = []
    current: list[str] = []
    start = -1
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            else:
                current.append(ch)
        elif ch in "'\"":
            quote = ch
            start = i if start < 0 else start
        elif ch == escape and i + 1 < len(text):
            current.append(text[i + 1])
            start = i if start < 0 else start
            i += 1
        elif ch.isspace():
            if start >= 0:
                words.append(("".join(current), start))
            current, start = [], -1
        else:
            current.append(ch)
            start = i if start < 0 else start
        i += 1
    if start >= 0:
        words.append(("".join(current), start))
    return words


def key_values(args: str, escape: str = "\\", legacy: bool = False) -> list[tuple[str, str | None, int]]:
    """`ARG`/`ENV` pairs: [(name, value or None, offset)]; legacy `ENV NAME value` gives one pair."""
    words = split_words(args, escape)
    if not words:
        return []
    first, offset = words[0]
    if legacy and "=" not in first and len(words) > 1 and _NAME.fullmatch(first):
        rest = args[words[1][1] :].strip()
        return [(first, rest, offset)]
    out: list[tuple[str, str | None, int]] = []
    for word, off in words:
        name, sep, value = word.partition("=")
        if _NAME.fullmatch(name):
            out.append((name, value if sep else None, off))
    return out
