"""The HCL2 grammar of `bc-python-hcl2` (the parser Checkov uses), with linear-time terminals.

`hcl_lark.py` builds Lark's parser of it (tests, scripts/hcl_tables.py, tables out of date);
`hcl_parse.py` parses with the tables taken from that parser (`hcl_lalr.py`), without Lark.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

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
