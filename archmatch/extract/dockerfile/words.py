"""Words, flags and variable references in Dockerfile arguments."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FLAG = re.compile(r"\s*--([A-Za-z][A-Za-z0-9-]*)(?:=(\"[^\"]*\"|'[^']*'|\S*))?(?=\s|$)")
_MODIFIER = re.compile(r"^(:?[-+])(.*)$", re.S)


@dataclass(frozen=True)
class VarRef:
    name: str
    start: int  # offset of `$`
    end: int  # offset after the reference
    modifier: str = ""  # ":-", "-", ":+", "+" or ""
    word: str = ""  # the text after the modifier (default / alternative value)


def var_refs(text: str, escape: str = "\\") -> Iterator[VarRef]:
    """`$X`, `${X}`, `${X:-word}` ... in text, outermost first, skipping escaped `$`."""
    i = 0
    while True:
        i = text.find("$", i)
        if i < 0:
            return
        if i > 0 and text[i - 1] == escape:
            i += 1
            continue
        if text.startswith("{", i + 1):
            m = _NAME.match(text, i + 2)
            close = _matching_brace(text, i + 1)
            if m is None or close < 0:
                i += 1
                continue
            rest = text[m.end() : close]
            mod = _MODIFIER.match(rest)
            yield VarRef(m.group(), i, close + 1, mod.group(1) if mod else "", mod.group(2) if mod else "")
            if mod:  # references nested in the default word
                for inner in var_refs(mod.group(2), escape):
                    offset = m.end() + len(mod.group(1))
                    yield VarRef(inner.name, inner.start + offset, inner.end + offset, inner.modifier, inner.word)
            i = close + 1
        else:
            m = _NAME.match(text, i + 1)
            if m is None:
                i += 1
                continue
            yield VarRef(m.group(), i, m.end())
            i = m.end()


def _matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


KEEP = object()  # a lookup result meaning "leave this reference as written"


def expand(text: str, lookup: Callable[[str], object], escape: str = "\\") -> tuple[str, set[str]]:
    """Expand references with `lookup` (None = unset, KEEP = leave as is); returns (text, unset names)."""
    out: list[str] = []
    unset: set[str] = set()
    pos = 0
    for ref in _outermost(var_refs(text, escape)):
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
                word, inner_unset = expand(ref.word, lookup, escape)
                unset |= inner_unset
                out.append(word)
            else:
                out.append(str(value))
        elif ref.modifier in (":+", "+"):
            use_word = is_set and not (ref.modifier == ":+" and empty)
            if use_word:
                word, inner_unset = expand(ref.word, lookup, escape)
                unset |= inner_unset
                out.append(word)
        else:
            if not is_set:
                unset.add(ref.name)
            out.append(str(value) if is_set else "")
    out.append(text[pos:])
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
