"""The HCL2 grammar of `bc-python-hcl2` (the parser Checkov uses), used through its Lark tree."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
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

from lark import Lark, Tree  # noqa: E402
from lark.exceptions import (  # noqa: E402
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.parsers.lalr_analysis import IntParseTable, Reduce, Shift  # noqa: E402
from lark.parsers.lalr_parser import LALR_Parser, _Parser  # noqa: E402

from archmatch import lazyre  # noqa: E402
from archmatch.safetext import offending  # noqa: E402

_PREFIX = "__x = "
_LINE_IN_MESSAGE = lazyre.compile(r"line (\d+)")


class HclError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


_HEREDOC_START = lazyre.compile(r"<<-?([A-Za-z][\w.-]*)\s*$")

# The grammar's string and heredoc terminals backtrack catastrophically on input that does not
# close (nested `+` in STRING_CHARS/INTERPOLATION: exponential in the length of an unclosed
# string; `\n+\s*` before a heredoc's end marker: cubic in blank lines). These replacements
# match exactly the same texts with one way to match each character (alternatives that start
# differently; whitespace runs taken whole, atomically through a lookahead and a backreference,
# which also works before Python 3.11's possessive quantifiers), so a failing match is linear.
_STRING_TERMINALS = (
    'STRING_LIT : "\\"" (STRING_CHARS | INTERPOLATION)* "\\""',
    "STRING_CHARS : ",
    "NESTED_INTERPOLATION : ",
    "NESTED_QUOTES : ",
    "INTERPOLATION : ",
)
_SAFE_STRING_LIT = (
    r"""STRING_LIT : /"(?:(?!\$\{)(?:[^"\\]|\\.)|\$\{(?:(?!\$\{)[^}"]|"[^"]*"|\$\{[^}]+\})+\})*"/"""
)


def _safe_heredoc(rule: str, dash: str, group: str) -> str:
    atomic = {
        k: f"(?=(?P<{group}_{k}>{body}))(?P={group}_{k})"
        for k, body in (("h", r"[^\S\n]+"), ("v", r"\s*"), ("t", r"\s*"))
    }
    body = rf"(?s:.)(?:\S|{atomic['h']}|\n{atomic['v']})*?"
    return f"{rule} : /<<{dash}(?P<{group}>[a-zA-Z][a-zA-Z0-9._-]+)\\n{body}\\n{atomic['t']}(?P={group})/"


# A unary operation ends at its operand, so a line break after `!contains(...)` inside parentheses
# was left for nothing to take, and a continuation line starting with `&&` or `||` failed to parse
# (valid HCL: newlines inside parentheses are insignificant). Like an operand (`expr_term` in
# `expression`), the operation now takes the line breaks that follow it.
_UNARY_OP = '!unary_op : ("-" | "!") expr_term'
_UNARY_OP_CONTINUED = '!unary_op : ("-" | "!") expr_term _NEW_LINE_OR_COMMENT*'


def _safe_grammar(grammar: str) -> str:
    lines = grammar.split("\n")
    out: list[str] = []
    replaced = 0
    for line in lines:
        if line.startswith(_STRING_TERMINALS):
            replaced += 1
            if line.startswith("STRING_LIT"):
                out.append(_SAFE_STRING_LIT)
            continue
        if line.startswith("heredoc_template :"):
            line, replaced = _safe_heredoc("heredoc_template", "", "heredoc"), replaced + 1
        elif line.startswith("heredoc_template_trim :"):
            line, replaced = _safe_heredoc("heredoc_template_trim", "-", "heredoc_trim"), replaced + 1
        elif line == _UNARY_OP:
            line, replaced = _UNARY_OP_CONTINUED, replaced + 1
        out.append(line)
    if replaced != len(_STRING_TERMINALS) + 3:
        raise RuntimeError(
            "the HCL grammar of bc-python-hcl2 changed: review the safe terminals in grammar.py"
        )
    return "\n".join(out)


_parser: Lark | None = None
OPTIONS: dict[str, Any] = {"parser": "lalr", "propagate_positions": True}


def hcl_grammar() -> str:
    return _safe_grammar(_package_grammar())


def _package_grammar() -> str:
    """The text of bc-python-hcl2's `hcl2.lark`, found without importing the package: importing
    `hcl2` (its `api`, then `parser`) builds a second, unused Lark parser from Lark's cache."""
    spec = importlib.util.find_spec("hcl2")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "hcl2.lark"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise ModuleNotFoundError("bc-python-hcl2's grammar (hcl2/hcl2.lark) is not installed")


def hcl_parser() -> Lark:
    """bc-python-hcl2's LALR parser with the linear-time terminals above (made once per process).

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


def unclosed_quote_line(text: str) -> int | None:
    """Line of a string literal left open at the end of its line (HCL strings cannot span lines).

    A linear scan that runs before the parser, for a clear message on the commonest syntax error
    (the parser's own terminals are linear too, see `_SAFE_STRING_LIT`). Heredocs end where the
    grammar ends them: the marker first on a line, even with more text after it."""
    heredoc: str | None = None
    body_lines: list[str] = []
    block_comment = False
    stack: list[int] = []  # -1: inside a string; n >= 0: inside `${` with n open braces
    for number, line in enumerate(text.split("\n"), start=1):
        i = 0
        if heredoc is not None:
            if not _ends_heredoc(heredoc, body_lines, line):
                body_lines = body_lines[:1] + [line]  # only the first line and the count matter
                continue
            i, heredoc = len(line) - len(line.lstrip()) + len(heredoc), None  # the rest of the line is code
        while i < len(line):
            c = line[i]
            if block_comment:
                block_comment = not line.startswith("*/", i)
                i += 1 if block_comment else 2
                continue
            if stack and stack[-1] == -1:
                if c == "\\":
                    i += 2
                    continue
                if c == '"':
                    stack.pop()
                elif line.startswith(("${", "%{"), i):
                    stack.append(0)
                    i += 1
                i += 1
                continue
            if c == '"':
                stack.append(-1)
            elif c == "{" and stack:
                stack[-1] += 1
            elif c == "}" and stack:
                if stack[-1] == 0:
                    stack.pop()
                else:
                    stack[-1] -= 1
            elif c == "#" or line.startswith("//", i):
                break
            elif line.startswith("/*", i):
                block_comment = True
                i += 1
            elif c == "<" and (m := _HEREDOC_START.match(line, i)):
                heredoc, body_lines = m.group(1), []
                break
            i += 1
        if stack and stack[-1] == -1:
            return number
    return None


def _ends_heredoc(marker: str, body_lines: list[str], line: str) -> bool:
    """Where the grammar ends a heredoc: the marker first on a line, whatever follows it, once the
    body holds at least one character before the newline that precedes the marker line."""
    if not line.lstrip().startswith(marker):
        return False
    return len(body_lines) >= 2 or (len(body_lines) == 1 and body_lines[0] != "")


def parse_document(text: str) -> Tree[Any]:
    """The `start` tree of a .tf file. Raises HclError with the 1-based line of the problem."""
    open_quote = unclosed_quote_line(text)
    if open_quote is not None:
        raise HclError("HCL syntax error: unclosed string (missing closing quote)", open_quote)
    try:
        return hcl_parser().parse(text + "\n")
    except UnexpectedInput as exc:
        line = exc.line if isinstance(exc.line, int) and exc.line > 0 else text.count("\n") + 1
        return _raise(f"HCL syntax error: {_summary(exc)}", line)
    except (LarkError, RecursionError) as exc:
        m = _LINE_IN_MESSAGE.search(str(exc))
        return _raise(f"HCL parse error: {syntax_error_summary(exc)}", int(m.group(1)) if m else 0)


def _raise(message: str, line: int) -> Tree[Any]:
    raise HclError(message, line)


def _summary(exc: UnexpectedInput) -> str:
    return syntax_error_summary(exc)


def syntax_error_summary(exc: Exception) -> str:
    """What the parser choked on, quoting at most the offending token (masked and shortened):
    Lark's own message quotes the token in full, and a token can be a whole secret string."""
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        return f"unexpected {exc.token.type} {offending(str(exc.token))}"
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {offending(exc.char)}"
    if isinstance(exc, UnexpectedEOF | UnexpectedToken):
        return "unexpected end of file"
    return type(exc).__name__


def parse_expression_text(text: str) -> tuple[Tree[Any], str] | None:
    """The expression tree of `text` (an interpolation body) and the source it was parsed from."""
    source = f"{_PREFIX}{text}\n"
    try:
        tree = hcl_parser().parse(source)
    except (LarkError, RecursionError):
        return None
    body: Any = tree.children[0]  # the grammar makes it the body Tree, of attribute Trees
    if not body.children or body.children[0].data != "attribute":
        return None
    return body.children[0].children[1], source
