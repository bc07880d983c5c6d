"""JSON with line numbers, parsed as JSON (never by the YAML loader).

Objects load as `LDict`, arrays as `LList` and strings as `LStr`, with the same 1-based lines the
YAML loader gives, so extractors treat a JSON and a YAML file alike. Strings are decoded by the
standard library's C `scanstring`; the structure is walked here with an explicit depth limit.
Raises `JsonError` (with a line) on invalid JSON or when a safety limit is reached.
"""

from __future__ import annotations

from bisect import bisect_left
from json.decoder import scanstring  # type: ignore[attr-defined]  # the C decoder; typeshed omits it
from typing import Any

from archmatch import lazyre
from archmatch.extract.yamlsafe import MAX_DEPTH, MAX_NODES, LDict, LList, LStr

_WS = lazyre.compile(r"[ \t\n\r]*")
_NUMBER = lazyre.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_CONSTANTS = {"true": True, "false": False, "null": None}
_NEWLINE = lazyre.compile("\n")


class JsonError(Exception):
    def __init__(self, message: str, line: int = 0, limit: bool = False):
        super().__init__(message)
        self.line = line
        self.limit = limit


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.newlines = [m.start() for m in _NEWLINE.finditer(text)]
        self.nodes = 0

    def line(self, pos: int) -> int:
        return bisect_left(self.newlines, pos) + 1

    def fail(self, message: str, pos: int) -> JsonError:
        return JsonError(f"JSON syntax error: {message}", self.line(pos))

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def value(self, pos: int, depth: int) -> tuple[Any, int]:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise JsonError(f"more than {MAX_NODES} JSON values", self.line(pos), limit=True)
        text = self.text
        char = text[pos : pos + 1]
        if char == '"':
            return self.string(pos)
        if char == "{":
            return self.obj(pos, depth + 1)
        if char == "[":
            return self.array(pos, depth + 1)
        for word, constant in _CONSTANTS.items():
            if text.startswith(word, pos):
                return constant, pos + len(word)
        match = _NUMBER.match(text, pos)
        if match is None:
            raise self.fail("Expecting value", pos)
        digits = match.group()
        if match.group(1) or match.group(2):
            return float(digits), match.end()
        try:
            return int(digits), match.end()
        except ValueError:  # over 4300 digits: Python refuses it, keep the text
            return digits, match.end()

    def string(self, pos: int) -> tuple[LStr, int]:
        try:
            chars, end = scanstring(self.text, pos + 1, True)
        except ValueError as exc:
            raise self.fail(str(exc).split(":")[0], pos) from None
        out = LStr(chars)
        out.line = self.line(pos)
        return out, end

    def check_depth(self, depth: int, pos: int) -> None:
        if depth > MAX_DEPTH:
            raise JsonError(f"JSON nested deeper than {MAX_DEPTH} levels", self.line(pos), limit=True)

    def obj(self, pos: int, depth: int) -> tuple[LDict, int]:
        self.check_depth(depth, pos)
        out = LDict()
        out.line = self.line(pos)
        out.key_lines = {}
        pos = self.skip(pos + 1)
        if self.text[pos : pos + 1] == "}":
            return out, pos + 1
        while True:
            if self.text[pos : pos + 1] != '"':
                raise self.fail("Expecting property name enclosed in double quotes", pos)
            key, pos = self.string(pos)
            pos = self.skip(pos)
            if self.text[pos : pos + 1] != ":":
                raise self.fail("Expecting ':' delimiter", pos)
            item, pos = self.value(self.skip(pos + 1), depth)
            out[key] = item
            out.key_lines[key] = key.line
            pos = self.skip(pos)
            char = self.text[pos : pos + 1]
            if char == "}":
                return out, pos + 1
            if char != ",":
                raise self.fail("Expecting ',' delimiter", pos)
            pos = self.skip(pos + 1)

    def array(self, pos: int, depth: int) -> tuple[LList, int]:
        self.check_depth(depth, pos)
        out = LList()
        out.line = self.line(pos)
        out.item_lines = []
        pos = self.skip(pos + 1)
        if self.text[pos : pos + 1] == "]":
            return out, pos + 1
        while True:
            out.item_lines.append(self.line(pos))
            item, pos = self.value(pos, depth)
            out.append(item)
            pos = self.skip(pos)
            char = self.text[pos : pos + 1]
            if char == "]":
                return out, pos + 1
            if char != ",":
                raise self.fail("Expecting ',' delimiter", pos)
            pos = self.skip(pos + 1)


def loads(text: str) -> Any:
    """The JSON document in `text` (None for a blank file), with line numbers."""
    parser = _Parser(text)
    pos = parser.skip(0)
    if pos == len(text):
        return None
    try:
        doc, end = parser.value(pos, 0)
    except RecursionError:
        raise JsonError("JSON nested too deeply", limit=True) from None
    end = parser.skip(end)
    if end != len(text):
        raise parser.fail("Extra data", end)
    return doc
