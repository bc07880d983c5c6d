"""Lark's parser of archmatch's HCL grammar (`hcl_grammar.py`), and the tables the parser of
`hcl_lalr.py` runs on, read from it. Scans parse without Lark (`hcl_parse.py`); this module loads
for the tests, for scripts/hcl_tables.py, for bake files (bc-python-hcl2's transformer reads Lark
trees) and when the shipped tables were built from another grammar.
"""

from __future__ import annotations

import sys
from typing import Any


def _import_lark_without_regex() -> None:
    """Import Lark without the optional `regex` module when nothing else in the process may need it.

    Lark imports `regex` whenever it is installed (Checkov installs it): about a sixth of a small
    Terraform scan's start-up. Lark only needs it for Unicode categories (`\\p{...}`), which this
    grammar has none of, and for `Lark(regex=True)`. Inside Checkov (the pack) its Bicep parser asks
    for `regex=True`, so there, or when `regex` or Lark is already loaded, nothing is hidden.
    """
    if {"lark", "regex", "checkov"} & sys.modules.keys():
        return
    sys.modules["regex"] = None  # type: ignore[assignment]  # makes `import regex` raise ImportError
    try:
        import lark  # noqa: F401
    finally:
        del sys.modules["regex"]


_import_lark_without_regex()

from lark import Lark, Token, Tree  # noqa: E402
from lark.lexer import ContextualLexer, PatternStr, UnlessCallback  # noqa: E402
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, maybe_create_child_filter  # noqa: E402
from lark.parsers.lalr_analysis import IntParseTable, Reduce, Shift  # noqa: E402
from lark.parsers.lalr_parser import LALR_Parser, _Parser  # noqa: E402

from archmatch.extract import hcl_lalr  # noqa: E402
from archmatch.extract.hcl_grammar import OPTIONS, hcl_grammar  # noqa: E402

_parser: Lark | None = None


def hcl_parser() -> Lark:
    """bc-python-hcl2's LALR parser with the linear-time terminals (made once per process).

    Its tables come with the package (`hcl_tables.py`, built by scripts/hcl_tables.py) when they
    were built from this grammar by this version of Lark: computing them takes ~1.1 s of CPU, which
    Lark's own cache (a file in the temporary folder) saves only from the second run on a machine,
    never in a fresh CI container. Otherwise Lark computes them, with its cache."""
    global _parser
    if _parser is None:
        grammar = hcl_grammar()
        _parser = _prebuilt_parser(grammar) or Lark(grammar=grammar, cache=True, **OPTIONS)
    return _parser


def _prebuilt_parser(grammar: str) -> Lark | None:
    from lark import __version__ as lark_version

    from archmatch.extract import hcl_tables

    if (grammar, lark_version, OPTIONS) != (hcl_tables.GRAMMAR, hcl_tables.LARK_VERSION, hcl_tables.OPTIONS):
        return None
    # the classmethod Lark's own cache loads through (`Lark.load` reads a pickle instead), with the
    # parse table read by `_TableLoader`
    loaded: Lark = Lark._load_from_dict(  # type: ignore[no-untyped-call]
        hcl_tables.DATA, hcl_tables.MEMO, _plugins={"LALR_Parser": _TableLoader}
    )
    return loaded


class _TableLoader(LALR_Parser):
    """Lark's LALR parser, deserialised with a faster reading of its parse table.

    Lark reads each of the table's ~13,000 actions through `Rule.deserialize` (a class method that
    builds a namespace dict before it finds the `{"@": n}` reference in its memo): ~40 M
    instructions more than this loop, 5 % of a 10-service scan. This reads the same references
    straight from the memo, so the table holds the objects Lark's own reading gives
    (tests/test_speed.py compares them)."""

    @classmethod
    def deserialize(  # type: ignore[override]  # LALR_Parser's own signature, untyped
        cls, data: Any, memo: Any, callbacks: Any, debug: bool = False
    ) -> Any:
        tokens = data["tokens"]
        states = {
            state: {
                tokens[token]: (Reduce, memo[arg["@"]]) if action == 1 else (Shift, arg)
                for token, (action, arg) in actions.items()
            }
            for state, actions in data["states"].items()
        }
        inst = cls.__new__(cls)
        table: Any = IntParseTable(states, data["start_states"], data["end_states"])  # type: ignore[no-untyped-call]
        inst._parse_table = table
        inst.parser = _Parser(table, callbacks, debug)
        return inst


def runtime_tables(parser: Lark, grammar: str) -> hcl_lalr.Tables:
    """What Lark's LALR parser with its contextual lexer holds once built, as `hcl_lalr.Parser`
    runs it: the parse table (a shift as the next state, a reduction of rule r as ~r), each
    state's lexer (its terminals in Lark's order and alternations, the keywords its `UnlessCallback`
    retypes) and each rule's tree shaping (Lark's `ParseTreeBuilder` with `propagate_positions`)."""
    assert parser.options.parser == "lalr" and parser.options.propagate_positions is True
    assert not parser.lexer_conf.callbacks and parser.lexer_conf.postlex is None
    assert parser.lexer_conf.g_regex_flags == 0 and not parser.options.regex
    frontend: Any = parser.parser
    table = frontend.parser._parse_table
    lexer = frontend.lexer
    assert isinstance(lexer, ContextualLexer)
    root: Any = lexer.root_lexer
    rule_index = {id(rule): i for i, rule in enumerate(parser.rules)}
    lexers: list[Any] = []
    lexer_index: dict[int, int] = {}
    for basic in [*lexer.lexers.values(), lexer.root_lexer]:
        if id(basic) not in lexer_index:
            lexer_index[id(basic)] = len(lexers)
            lexers.append(basic)
    regexps = {str(t.name): t.pattern.to_regexp() for t in parser.terminals}
    assert sorted(table.states) == list(range(len(table.states)))
    states = []
    for number in range(len(table.states)):
        actions = table.states[number]
        states.append(
            (
                tuple(str(token) for token in actions),
                tuple(arg if action is Shift else ~rule_index[id(arg)] for action, arg in actions.values()),
            )
        )
    values = dict(
        grammar=grammar,
        start=table.start_states["start"],
        end=table.end_states["start"],
        ignore=tuple(sorted(parser.lexer_conf.ignore)),
        newline_types=tuple(sorted(root.newline_types)),
        regexps=tuple(regexps.items()),
        lexers=tuple(_lexer_table(basic, regexps) for basic in lexers),
        root_lexer=lexer_index[id(lexer.root_lexer)],
        state_lexers=tuple(lexer_index[id(lexer.lexers[n])] for n in range(len(table.states))),
        rules=tuple(_rule_table(rule, parser.options.maybe_placeholders) for rule in parser.rules),
        states=tuple(states),
    )
    return hcl_lalr.Tables(*(values[name] for name in hcl_lalr.Tables.__slots__))


def _lexer_table(basic: Any, regexps: dict[str, str]) -> Any:
    scanner = basic.scanner  # built on first use: the terminals in Lark's order, keywords left out
    names = tuple(str(t.name) for t in scanner.terminals)
    assert len(scanner._mres) == 1, "more than 100 terminals in one lexer: split them as Lark does"
    assert scanner._mres[0].pattern == "|".join(f"(?P<{n}>{regexps[n]})" for n in names)
    unless = []
    for type_, callback in sorted(basic.callback.items()):
        assert isinstance(callback, UnlessCallback)
        words = callback.scanner.terminals
        assert all(isinstance(t.pattern, PatternStr) and not t.pattern.flags for t in words)
        unless.append((str(type_), tuple(sorted((t.pattern.value, str(t.name)) for t in words))))
    return (names,), tuple(unless)


def _rule_table(rule: Any, maybe_placeholders: bool) -> Any:
    options = rule.options
    assert not (maybe_placeholders and options.empty_indices), "placeholders ([x]) are not supported"
    child_filter = maybe_create_child_filter(rule.expansion, options.keep_all_tokens, False, None)  # type: ignore[arg-type]  # Lark passes None for no placeholders
    to_include = None
    if child_filter is not None:
        assert child_filter.func is ChildFilterLALR_NoPlaceholders
        to_include = tuple((i, bool(inline)) for i, inline in child_filter.args[0])
    name = rule.alias or options.template_source or rule.origin.name
    return (
        str(rule.origin.name),
        len(rule.expansion),
        str(name),
        bool(options.expand1 and not rule.alias),
        to_include,
    )


def to_lark_tree(node: Any) -> Any:
    """A tree of `hcl_lalr` as Lark's `Tree`/`Token` (for bc-python-hcl2's transformer)."""
    if isinstance(node, hcl_lalr.Token):
        token = Token(node.type, node.value, node.start_pos, node.line, node.column)
        token.end_line, token.end_column, token.end_pos = node.end_line, node.end_column, node.end_pos
        return token
    tree: Tree[Any] = Tree(node.data, [to_lark_tree(child) for child in node.children])
    for name in hcl_lalr.Meta.__slots__:
        if hasattr(node.meta, name):
            setattr(tree.meta, name, getattr(node.meta, name))
    return tree
