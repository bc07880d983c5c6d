"""Parsing HCL text (Terraform, bake files) into the trees of bc-python-hcl2's grammar, with the
parser of `hcl_lalr.py` and the tables shipped in `hcl_lalr_tables.py` (Lark is not imported)."""

from __future__ import annotations

from typing import Any

from archmatch import lazyre
from archmatch.extract import hcl_lalr, hcl_lalr_tables
from archmatch.extract.hcl_grammar import hcl_grammar
from archmatch.extract.hcl_lalr import Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from archmatch.safetext import offending

_PREFIX = "__x = "


class HclError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


_HEREDOC_START = lazyre.compile(r"<<-?([A-Za-z][\w.-]*)\s*$")


def unclosed_quote_line(text: str) -> int | None:
    """Line of a string literal left open at the end of its line (HCL strings cannot span lines).

    A linear scan that runs before the parser, for a clear message on the commonest syntax error
    (the parser's own terminals are linear too, see `hcl_grammar._SAFE_STRING_LIT`). Heredocs end where the
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


_parser: hcl_lalr.Parser | None = None


def hcl_parser() -> hcl_lalr.Parser:
    """The parser of the HCL grammar (made once per process), on the tables shipped with the
    package when they were built from this grammar, else on tables read from Lark's parser."""
    global _parser
    if _parser is None:
        tables = hcl_lalr.Tables(*hcl_lalr_tables.TABLES)
        if tables.grammar != hcl_grammar():
            from archmatch.extract.hcl_lark import hcl_parser as lark_parser
            from archmatch.extract.hcl_lark import runtime_tables

            tables = runtime_tables(lark_parser(), hcl_grammar())
        _parser = hcl_lalr.Parser(tables)
    return _parser


def parse_document(text: str) -> Tree:
    """The `start` tree of a .tf file. Raises HclError with the 1-based line of the problem."""
    open_quote = unclosed_quote_line(text)
    if open_quote is not None:
        raise HclError("HCL syntax error: unclosed string (missing closing quote)", open_quote)
    try:
        tree: Tree = hcl_parser().parse(text + "\n")
    except UnexpectedInput as exc:
        line = exc.line if exc.line > 0 else text.count("\n") + 1
        raise HclError(f"HCL syntax error: {syntax_error_summary(exc)}", line) from None
    except RecursionError:
        raise HclError("HCL parse error: RecursionError", 0) from None
    return tree


def syntax_error_summary(exc: UnexpectedInput) -> str:
    """What the parser choked on, quoting at most the offending token (masked and shortened):
    Lark's own message quotes the token in full, and a token can be a whole secret string."""
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        return f"unexpected {exc.token.type} {offending(str(exc.token))}"
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {offending(exc.char)}"
    return "unexpected end of file"


def parse_expression_text(text: str) -> tuple[Any, str] | None:
    """The expression tree of `text` (an interpolation body) and the source it was parsed from."""
    source = f"{_PREFIX}{text}\n"
    try:
        tree = hcl_parser().parse(source)
    except (UnexpectedInput, RecursionError):
        return None
    body: Any = tree.children[0]  # the grammar makes it the body Tree, of attribute Trees
    if not body.children or body.children[0].data != "attribute":
        return None
    return body.children[0].children[1], source
