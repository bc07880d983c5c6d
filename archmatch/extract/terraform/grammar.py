"""The HCL2 grammar of `bc-python-hcl2` (the parser Checkov uses), used through its Lark tree."""

from __future__ import annotations

import re

from hcl2.parser import hcl2 as _hcl2
from lark import Tree
from lark.exceptions import LarkError, UnexpectedInput

_PREFIX = "__x = "
_LINE_IN_MESSAGE = re.compile(r"line (\d+)")


class HclError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


_HEREDOC_START = re.compile(r"<<-?([A-Za-z][\w.-]*)\s*$")


def unclosed_quote_line(text: str) -> int | None:
    """Line of a string literal left open at the end of its line (HCL strings cannot span lines).

    The grammar's string regex backtracks catastrophically on an unclosed quote, so this linear
    scan runs first (hcl2.loads has a similar guard)."""
    heredoc: str | None = None
    block_comment = False
    stack: list[int] = []  # -1: inside a string; n >= 0: inside `${` with n open braces
    for number, line in enumerate(text.split("\n"), start=1):
        if heredoc is not None:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        i = 0
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
                heredoc = m.group(1)
                break
            i += 1
        if stack and stack[-1] == -1:
            return number
    return None


def parse_document(text: str) -> Tree:
    """The `start` tree of a .tf file. Raises HclError with the 1-based line of the problem."""
    open_quote = unclosed_quote_line(text)
    if open_quote is not None:
        raise HclError("HCL syntax error: unclosed string (missing closing quote)", open_quote)
    try:
        return _hcl2.lark_parser.parse(text + "\n")
    except UnexpectedInput as exc:
        line = exc.line if isinstance(exc.line, int) and exc.line > 0 else text.count("\n") + 1
        return _raise(f"HCL syntax error: {_summary(exc)}", line)
    except (LarkError, RecursionError) as exc:
        m = _LINE_IN_MESSAGE.search(str(exc))
        return _raise(f"HCL parse error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", int(m.group(1)) if m else 0)


def _raise(message: str, line: int) -> Tree:
    raise HclError(message, line)


def _summary(exc: UnexpectedInput) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first.split(" at line ")[0].rstrip(".,")


def parse_expression_text(text: str) -> tuple[Tree, str] | None:
    """The expression tree of `text` (an interpolation body) and the source it was parsed from."""
    source = f"{_PREFIX}{text}\n"
    try:
        tree = _hcl2.lark_parser.parse(source)
    except (LarkError, RecursionError):
        return None
    body = tree.children[0]
    if not body.children or body.children[0].data != "attribute":
        return None
    return body.children[0].children[1], source
