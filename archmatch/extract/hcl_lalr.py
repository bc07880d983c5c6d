"""The HCL parser at run time, without Lark: Lark's contextual lexer, LALR(1) parser and parse-tree
builder (`propagate_positions`), step for step as Lark 1.3 runs them, over plain tables.

Importing Lark and loading its parser of the HCL grammar cost ~300 M instructions, a third of a
10-service scan. The tables (`hcl_lalr_tables.py`) are what Lark's own parser holds once built:
its parse table, the terminals each state's lexer tries in Lark's order, the keywords it retypes
and how each rule shapes its tree; `hcl_lark.runtime_tables` reads them from Lark's parser and
scripts/hcl_tables.py writes them. tests/test_hcl_runtime.py compares the trees, every position
and the errors with Lark's on every Terraform file of the fixtures and examples, and on mutations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


class Token(str):
    """A terminal: the text, with Lark's `Token` attributes (1-based lines and columns)."""

    __slots__ = ("type", "start_pos", "value", "line", "column", "end_line", "end_column", "end_pos")

    type: str
    start_pos: int
    value: str
    line: int
    column: int
    end_line: int
    end_column: int
    end_pos: int

    def __new__(cls, type_: str, value: str, start_pos: int, line: int, column: int) -> Token:
        token = super().__new__(cls, value)
        token.type, token.value, token.start_pos, token.line, token.column = (
            type_,
            value,
            start_pos,
            line,
            column,
        )
        return token

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"


class Meta:
    """A tree's position, set as Lark's `PropagatePositions` sets it (unset attributes: missing)."""

    __slots__ = (
        "empty",
        "line",
        "column",
        "start_pos",
        "end_line",
        "end_column",
        "end_pos",
        "container_line",
        "container_column",
        "container_start_pos",
        "container_end_line",
        "container_end_column",
        "container_end_pos",
    )

    empty: bool
    line: int
    column: int
    start_pos: int
    end_line: int
    end_column: int
    end_pos: int
    container_line: int
    container_column: int
    container_start_pos: int
    container_end_line: int
    container_end_column: int
    container_end_pos: int

    def __init__(self) -> None:
        self.empty = True


class Tree:
    """A rule's node: its name (`data`), its children (trees and tokens) and its position."""

    __slots__ = ("data", "children", "meta")

    def __init__(self, data: str, children: list[Any]) -> None:
        self.data = data
        self.children = children
        self.meta = Meta()

    def __repr__(self) -> str:
        return f"Tree({self.data!r}, {self.children!r})"


class UnexpectedInput(Exception):
    line: int


class UnexpectedCharacters(UnexpectedInput):
    """No terminal matches at a position (Lark's `UnexpectedCharacters`)."""

    def __init__(self, char: str, line: int, column: int) -> None:
        super().__init__(f"no terminal matches {char!r} at line {line} col {column}")
        self.char, self.line, self.column = char, line, column


class UnexpectedToken(UnexpectedInput):
    """A token the parser cannot take in its state (`$END` for the end of the text)."""

    def __init__(self, token: Token) -> None:
        super().__init__(f"unexpected token {token!r} at line {token.line}, column {token.column}")
        self.token, self.line, self.column = token, token.line, token.column


class Tables:
    """The parser's tables (a plain class: `typing.NamedTuple` compiles each annotation, ~10 M
    instructions). hcl_lalr_tables.py holds their values in this order."""

    __slots__ = (
        "grammar",
        "start",
        "end",
        "ignore",
        "newline_types",
        "regexps",
        "lexers",
        "root_lexer",
        "state_lexers",
        "rules",
        "states",
    )

    grammar: str  # the grammar they were built from
    start: int  # the state the parser starts in, and the state that accepts the text
    end: int
    ignore: tuple[str, ...]  # terminals the lexer skips
    newline_types: tuple[str, ...]  # terminals whose text may hold line breaks
    regexps: tuple[tuple[str, str], ...]  # terminal name, regular expression
    # each lexer: its terminals in the order it tries them, and the keywords a terminal's text is
    # retyped to (terminal, ((text, keyword terminal), ...))
    lexers: tuple[
        tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, tuple[tuple[str, str], ...]], ...]], ...
    ]
    root_lexer: int  # the lexer of every terminal, for errors
    state_lexers: tuple[int, ...]  # the lexer of each state
    # each rule: the nonterminal it reduces to, its length, the tree's name, whether a single child
    # takes the tree's place (`?rule`), the children kept ((index, inlined), ...; None: all)
    rules: tuple[tuple[str, int, str, bool, tuple[tuple[int, bool], ...] | None], ...]
    # each state: the terminals and nonterminals it takes, and what for each: a shift to (or, for a
    # nonterminal, a goto) that state, or ~r for a reduction by rule r
    states: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...]

    def __init__(self, *values: Any) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tables) and self.values() == other.values()

    __hash__ = None  # type: ignore[assignment]


class _Lexer:
    """One of Lark's `BasicLexer`s: its terminals as alternations, compiled on first use as Lark
    does, and the keywords its identifier terminal is retyped to (Lark's `UnlessCallback`)."""

    __slots__ = ("groups", "unless", "_compiled")

    def __init__(self, groups: tuple[tuple[str, ...], ...], unless: dict[str, dict[str, str]]) -> None:
        self.groups = groups
        self.unless = unless
        self._compiled: list[re.Pattern[str]] | None = None

    def patterns(self, regexps: dict[str, str]) -> list[re.Pattern[str]]:
        if self._compiled is None:
            self._compiled = [
                re.compile("|".join(f"(?P<{name}>{regexps[name]})" for name in group))
                for group in self.groups
            ]
        return self._compiled


class _Position:
    """Lark's `LineCounter`: where the lexer is."""

    __slots__ = ("pos", "line", "column", "line_start")

    def __init__(self) -> None:
        self.pos, self.line, self.column, self.line_start = 0, 1, 1, 0

    def feed(self, value: str, test_newline: bool) -> None:
        if test_newline:
            newlines = value.count("\n")
            if newlines:
                self.line += newlines
                self.line_start = self.pos + value.rindex("\n") + 1
        self.pos += len(value)
        self.column = self.pos - self.line_start + 1


class _NoMatch(Exception):
    pass


class Parser:
    """Parses a text with the tables into the tree Lark's parser would give (`Tree`/`Token`)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.regexps = dict(tables.regexps)
        self.states = [dict(zip(tokens, actions, strict=True)) for tokens, actions in tables.states]
        self.lexers = [
            _Lexer(groups, {t: dict(words) for t, words in unless}) for groups, unless in tables.lexers
        ]
        self.ignore = frozenset(tables.ignore)
        self.newline_types = frozenset(tables.newline_types)

    def parse(self, text: str) -> Any:
        state_stack: list[int] = [self.tables.start]
        value_stack: list[Any] = []
        at = _Position()
        token: Token | None = None
        while True:
            lexer = self.lexers[self.tables.state_lexers[state_stack[-1]]]
            try:
                found = self._next_token(lexer, text, at)
            except _NoMatch:
                raise self._error(text, at) from None
            if found is None:
                break
            token = found
            self._feed(token, state_stack, value_stack, False)
        end = self._end_token(token)
        return self._feed(end, state_stack, value_stack, True)

    @staticmethod
    def _end_token(last: Token | None) -> Token:
        if last is None:
            return Token("$END", "", 0, 1, 1)
        end = Token("$END", "", last.start_pos, last.line, last.column)
        end.end_line, end.end_column, end.end_pos = last.end_line, last.end_column, last.end_pos
        return end

    def _error(self, text: str, at: _Position) -> UnexpectedInput:
        """Lark's contextual lexer on a failure: the same position read with every terminal gives
        a clearer error (a token the state does not take), else the characters are unexpected."""
        failed = UnexpectedCharacters(text[at.pos], at.line, at.column)
        try:
            token = self._next_token(self.lexers[self.tables.root_lexer], text, at)
        except _NoMatch:
            return failed
        if token is None:  # Lark lets its lexer's EOFError escape here
            raise EOFError(text)
        return UnexpectedToken(token)

    def _next_token(self, lexer: _Lexer, text: str, at: _Position) -> Token | None:
        """The next token that is not ignored, or None at the end of the text."""
        patterns = lexer.patterns(self.regexps)
        end = len(text)
        while at.pos < end:
            for pattern in patterns:
                m = pattern.match(text, at.pos, end)
                if m:
                    break
            else:
                raise _NoMatch
            value, type_ = m.group(0), m.lastgroup
            assert type_ is not None
            if type_ in self.ignore:
                at.feed(value, type_ in self.newline_types)
                continue
            token = Token(type_, value, at.pos, at.line, at.column)
            at.feed(value, type_ in self.newline_types)
            token.end_line, token.end_column, token.end_pos = at.line, at.column, at.pos
            keywords = lexer.unless.get(type_)
            if keywords is not None and value in keywords:
                token.type = keywords[value]
            return token
        return None

    def _feed(self, token: Token, state_stack: list[int], value_stack: list[Any], is_end: bool) -> Any:
        """Lark's `ParserState.feed_token`: reduce as long as the table says, then shift."""
        states, rules = self.states, self.tables.rules
        while True:
            action = states[state_stack[-1]].get(token.type)
            if action is None:
                raise UnexpectedToken(token)
            if action >= 0:
                state_stack.append(action)
                value_stack.append(token)
                return None
            origin, size, name, expand1, to_include = rules[~action]
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            value_stack.append(_build(children, name, expand1, to_include))
            state_stack.append(states[state_stack[-1]][origin])
            if is_end and state_stack[-1] == self.tables.end:
                return value_stack[-1]


def _build(
    children: list[Any], name: str, expand1: bool, to_include: tuple[tuple[int, bool], ...] | None
) -> Any:
    """Lark's callback for a rule: its child filter (anonymous tokens dropped, `_rule`s inlined),
    `?rule`'s single child in place of a tree, and positions from the children before filtering."""
    filtered = children
    if to_include is not None:
        filtered = []
        for i, inline in to_include:
            if not inline:
                filtered.append(children[i])
            elif filtered:
                filtered += children[i].children
            else:
                filtered = children[i].children
    result = filtered[0] if expand1 and len(filtered) == 1 else Tree(name, filtered)
    if isinstance(result, Tree):
        _propagate(result.meta, children)
    return result


def _first_meta(children: Iterable[Any]) -> Any:
    for child in children:
        if isinstance(child, Tree):
            if not child.meta.empty:
                return child.meta
        elif isinstance(child, Token):
            return child
    return None


def _propagate(meta: Meta, children: list[Any]) -> None:
    first = _first_meta(children)
    if first is not None:
        line = getattr(first, "container_line", first.line)
        column = getattr(first, "container_column", first.column)
        start_pos = getattr(first, "container_start_pos", first.start_pos)
        if not hasattr(meta, "line"):
            meta.line, meta.column, meta.start_pos, meta.empty = line, column, start_pos, False
        meta.container_line, meta.container_column, meta.container_start_pos = line, column, start_pos
    last = _first_meta(reversed(children))
    if last is not None:
        end_line = getattr(last, "container_end_line", last.end_line)
        end_column = getattr(last, "container_end_column", last.end_column)
        end_pos = getattr(last, "container_end_pos", last.end_pos)
        if not hasattr(meta, "end_line"):
            meta.end_line, meta.end_column, meta.end_pos, meta.empty = end_line, end_column, end_pos, False
        meta.container_end_line, meta.container_end_column, meta.container_end_pos = (
            end_line,
            end_column,
            end_pos,
        )
