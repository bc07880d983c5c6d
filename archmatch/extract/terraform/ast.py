"""Terraform expressions as a small AST, built from the Lark tree of `bc-python-hcl2`'s grammar.

`hcl2.loads` flattens every expression into a string (`"${jsonencode([{'image': ...}])}"`) and
keeps lines only for top-level blocks, so we walk the parser's own tree instead: every node keeps
its line, and operator precedence is restored (the grammar parses `a == b ? c : d` as
`a == (b ? c : d)` and binary chains right-associatively).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archmatch.extract.budget import MAX_INT_DIGITS
from archmatch.extract.hcl_lalr import Token, Tree
from archmatch.extract.hcl_parse import parse_expression_text


@dataclass
class Expr:
    """An expression: its line and its source text."""

    line: int
    text: str  # source text, used to keep `${...}` placeholders for what cannot be resolved


@dataclass
class Lit(Expr):
    """A literal: string, number, bool or null."""

    value: Any = None


@dataclass
class Template(Expr):
    """A string with `${...}` interpolations: literal parts and expressions."""

    parts: list[str | Expr] = field(default_factory=list)


@dataclass
class Var(Expr):
    """A name that starts a reference (`var`, `local`, a resource type, `each`, ...)."""

    name: str = ""


@dataclass
class GetAttr(Expr):
    """`base.name`."""

    base: Expr | None = None
    name: str = ""


@dataclass
class Index(Expr):
    """`base[key]`."""

    base: Expr | None = None
    key: Expr | None = None


@dataclass
class Call(Expr):
    """`name(args...)`."""

    name: str = ""
    args: list[Expr] = field(default_factory=list)


@dataclass
class Cond(Expr):
    """`cond ? then : other`."""

    cond: Expr | None = None
    then: Expr | None = None
    other: Expr | None = None


@dataclass
class BinOp(Expr):
    """`left op right`."""

    op: str = ""
    left: Expr | None = None
    right: Expr | None = None


@dataclass
class Unary(Expr):
    """`-operand` or `!operand`."""

    op: str = ""
    operand: Expr | None = None


@dataclass
class TupleExpr(Expr):
    """`[items...]`."""

    items: list[Expr] = field(default_factory=list)


@dataclass
class ObjectExpr(Expr):
    """`{key = value, ...}`: a key is text when written as a name or a literal string."""

    items: list[tuple[str | Expr, Expr]] = field(default_factory=list)


@dataclass
class ForExpr(Expr):
    """`[for v in coll : value if cond]` / `{for k, v in coll : key => value if cond}`."""

    key_var: str | None = None  # the first of two iterator names
    value_var: str = ""
    collection: Expr | None = None
    key: Expr | None = None  # None for a tuple `for`
    value: Expr | None = None
    cond: Expr | None = None
    grouped: bool = False  # `key => value...`: values of equal keys grouped in lists


@dataclass
class Bound(Expr):
    """An expression evaluated with more names in scope: `each` / `count` of a resource instance, the
    iterator of a `dynamic` block (bound by the Terraform extractor, never written as such)."""

    expr: Expr | None = None
    names: dict[str, Any] = field(default_factory=dict)


@dataclass
class Opaque(Expr):
    """splats, template directives: never evaluated."""


_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 4,
    ">": 4,
    "<=": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}


class Converter:
    """Lark tree -> Expr, slicing source text from the original document."""

    def __init__(self, source: str, line_offset: int = 0):
        self.source = source
        self.line_offset = line_offset

    def _line(self, node: Tree | Token) -> int:
        line = node.line if isinstance(node, Token) else getattr(node.meta, "line", 0)
        return (line or 0) + self.line_offset

    def _text(self, node: Tree | Token) -> str:
        if isinstance(node, Token):
            return str(node)
        meta = node.meta
        if getattr(meta, "empty", True):
            return ""
        return self.source[meta.start_pos : meta.end_pos]

    def convert(self, node: Tree | Token) -> Expr:
        line, text = self._line(node), self._text(node)
        if isinstance(node, Token):
            return self._token(node, line)
        kind = node.data
        kids = node.children
        if kind == "expr_term":
            return self.convert(kids[0]) if len(kids) == 1 else Opaque(line, text)
        if kind == "int_lit":
            digits = "".join(str(k) for k in kids)
            # past the budget's digits an integer is unknown (int() refuses > 4300 digits anyway)
            return Lit(line, text, int(digits)) if len(digits) <= MAX_INT_DIGITS else Opaque(line, text)
        if kind == "float_lit":
            return Lit(line, text, float("".join(str(k) for k in kids)))
        if kind == "identifier":
            name = str(kids[0])
            constants = {"true": True, "false": False, "null": None}
            return Lit(line, name, constants[name]) if name in constants else Var(line, name, name)
        if kind == "get_attr_expr_term":
            return GetAttr(line, text, self.convert(kids[0]), str(kids[1].children[0].children[0]))
        if kind == "index_expr_term":
            index = kids[1]
            first = index.children[0]
            key = (
                self.convert(first) if isinstance(first, Tree) else _number(line, str(first), str(first), int)
            )
            return Index(line, text, self.convert(kids[0]), key)
        if kind == "function_call":
            args = [self.convert(a) for a in kids[1].children] if len(kids) > 1 else []
            return Call(line, text, str(kids[0].children[0]), args)
        if kind == "tuple":
            return TupleExpr(line, text, [self.convert(k) for k in kids])
        if kind == "object":
            return ObjectExpr(line, text, [self._object_elem(e) for e in kids])
        if kind == "conditional":
            return Cond(line, text, *(self.convert(k) for k in kids[:3]))
        if kind == "unary_op":
            return Unary(line, text, str(kids[0]), self.convert(kids[1]))
        if kind == "binary_op":
            return self._binary_chain(node)
        if kind in ("for_tuple_expr", "for_object_expr"):
            return self._for(node, line, text)
        if kind in ("heredoc_template", "heredoc_template_trim"):
            return self._heredoc(kids[0], line, kind.endswith("trim"))  # the grammar: a heredoc is one token
        return Opaque(line, text)

    def _for(self, node: Tree, line: int, text: str) -> Expr:
        parts = [k for k in node.children if isinstance(k, Tree)]
        intro = parts[0]
        names = [str(k.children[0]) for k in intro.children if isinstance(k, Tree) and k.data == "identifier"]
        exprs = [k for k in intro.children if isinstance(k, Tree) and k.data != "identifier"]
        if not 1 <= len(names) <= 2 or len(exprs) != 1:
            return Opaque(line, text)
        body = [k for k in parts[1:] if k.data != "for_cond"]
        cond = next((k for k in parts[1:] if k.data == "for_cond"), None)
        cond_expr = (
            next((c for c in cond.children if isinstance(c, Tree)), None) if cond is not None else None
        )
        is_object = node.data == "for_object_expr"
        if len(body) != (2 if is_object else 1):
            return Opaque(line, text)
        grouped = is_object and any(isinstance(k, Token) and str(k) == "..." for k in node.children)
        return ForExpr(
            line,
            text,
            names[0] if len(names) == 2 else None,
            names[-1],
            self.convert(exprs[0]),
            self.convert(body[0]) if is_object else None,
            self.convert(body[-1]),
            self.convert(cond_expr) if cond_expr is not None else None,
            grouped,
        )

    def _token(self, token: Token, line: int) -> Expr:
        if token.type == "STRING_LIT":
            return parse_template(str(token)[1:-1], line, quoted=True)
        return Lit(line, str(token), str(token))

    def _object_elem(self, elem: Tree) -> tuple[str | Expr, Expr]:
        key_node, value_node = elem.children[0], elem.children[-1]
        value = self.convert(value_node)
        if isinstance(key_node, Tree) and key_node.data == "identifier":
            return str(key_node.children[0]), value
        key = self.convert(key_node)
        if isinstance(key, Template) and all(isinstance(p, str) for p in key.parts):
            return "".join(p for p in key.parts if isinstance(p, str)), value
        if isinstance(key, Var):
            return key.name, value
        return key, value

    def _heredoc(self, token: Token, line: int, trim: bool) -> Expr:
        body = str(token).split("\n", 1)[1] if "\n" in str(token) else ""
        lines = body.split("\n")[:-1]  # drop the closing marker line
        if trim:
            indent = min((len(x) - len(x.lstrip(" ")) for x in lines if x.strip()), default=0)
            lines = [x[indent:] for x in lines]
        text = "\n".join(lines) + ("\n" if lines else "")
        return parse_template(text, line + 1, quoted=False)

    def _binary_chain(self, node: Tree) -> Expr:
        operands: list[Expr] = []
        ops: list[str] = []
        tail: Cond | None = None
        current: Tree | None = node
        while current is not None:
            left, term = current.children[0], current.children[1]
            operands.append(self.convert(left))
            ops.append(str(term.children[0].children[0]))
            right = term.children[1]
            current = None
            if isinstance(right, Tree) and right.data == "binary_op":
                current = right
            elif isinstance(right, Tree) and right.data == "conditional":
                # `a == b ? c : d` arrives as `a == (b ? c : d)`: pull the condition back into the chain.
                cond = self.convert(right)
                assert isinstance(cond, Cond)
                tail = cond
                operands.append(cond.cond)  # type: ignore[arg-type]
            else:
                operands.append(self.convert(right))
        expr = _by_precedence(operands, ops)
        if tail is not None:
            return Cond(expr.line, self._text(node), expr, tail.then, tail.other)
        return expr


def _by_precedence(operands: list[Expr], ops: list[str]) -> Expr:
    """Left-associative precedence climbing over a flat operand/operator list."""
    pos = 0

    def climb(min_prec: int) -> Expr:
        nonlocal pos
        left = operands[pos]
        while pos < len(ops) and _PRECEDENCE.get(ops[pos], 0) >= min_prec:
            op = ops[pos]
            pos += 1
            right = climb(_PRECEDENCE.get(op, 0) + 1)
            left = BinOp(left.line, f"{left.text} {op} {right.text}", op, left, right)
        return left

    return climb(0)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _closing_brace(text: str, start: int) -> int:
    """Index of the `}` that closes the interpolation opened just before `start`, or -1."""
    depth, i, quote = 1, start, False
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def parse_template(raw: str, line: int, quoted: bool = True) -> Expr:
    """A string literal or heredoc body: literal text and `${...}` interpolations."""
    parts: list[str | Expr] = []
    buf: list[str] = []
    i = 0
    current_line = line
    while i < len(raw):
        c = raw[i]
        if quoted and c == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt == "u" and i + 6 <= len(raw):
                buf.append(
                    chr(int(raw[i + 2 : i + 6], 16))
                    if all(ch in "0123456789abcdefABCDEF" for ch in raw[i + 2 : i + 6])
                    else raw[i : i + 6]
                )
                i += 6
                continue
            buf.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if raw.startswith("$${", i) or raw.startswith("%%{", i):
            buf.append(raw[i + 1 : i + 3])
            i += 3
            continue
        if raw.startswith("%{", i):
            return Opaque(line, raw)  # template directives: not evaluated
        if raw.startswith("${", i):
            end = _closing_brace(raw, i + 2)
            if end < 0:
                return Opaque(line, raw)
            if buf:
                parts.append("".join(buf))
                buf = []
            inner = raw[i + 2 : end].strip().removeprefix("~").removesuffix("~").strip()
            parts.append(parse_expression(inner, current_line))
            current_line += raw[i:end].count("\n")
            i = end + 1
            continue
        if c == "\n":
            current_line += 1
        buf.append(c)
        i += 1
    if buf:
        parts.append("".join(buf))
    if all(isinstance(p, str) for p in parts):
        return Lit(line, raw, "".join(p for p in parts if isinstance(p, str)))
    return Template(line, raw, parts)


def parse_expression(text: str, line: int) -> Expr:
    parsed = parse_expression_text(text)
    if parsed is None:
        return Opaque(line, text)
    tree, source = parsed
    return Converter(source, line - 1).convert(tree)


def _number(line: int, text: str, digits: str, kind: type[int] | type[float]) -> Expr:
    """A number literal; one Python refuses (an integer over 4300 digits) stays unevaluated."""
    try:
        return Lit(line, text, kind(digits))
    except ValueError:
        return Opaque(line, text)
