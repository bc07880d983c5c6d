"""Terraform files as blocks and attributes with lines (`.tf` via the HCL2 grammar, `.tf.json`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archmatch.extract.hcl_lalr import Token, Tree
from archmatch.extract.hcl_parse import HclError, parse_document
from archmatch.extract.terraform.ast import Converter, Expr, Lit, ObjectExpr, TupleExpr, parse_template
from archmatch.extract.yamlsafe import LDict, LList


@dataclass
class Attribute:
    """`name = expr` in a body, with its line."""

    name: str
    expr: Expr
    line: int


@dataclass
class Block:
    """A block: type, labels, file, first and last lines, attributes and nested blocks."""

    type: str
    labels: list[str]
    path: str  # root-relative file
    line: int
    end_line: int
    attrs: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def attr(self, name: str) -> Attribute | None:
        return self.attrs.get(name)

    def children(self, block_type: str) -> list[Block]:
        found = [b for b in self.blocks if b.type == block_type]
        if found:
            return found
        # .tf.json (and attribute syntax `x = { ... }`) writes nested blocks as objects
        attr = self.attrs.get(block_type)
        if attr is None:
            return []
        items = attr.expr.items if isinstance(attr.expr, TupleExpr) else [attr.expr]
        return [_object_block(block_type, obj, self.path) for obj in items if isinstance(obj, ObjectExpr)]

    def child(self, block_type: str) -> Block | None:
        found = self.children(block_type)
        return found[0] if found else None

    def line_of(self, name: str) -> int:
        attr = self.attrs.get(name)
        if attr is not None:
            return attr.line
        nested = next((b for b in self.blocks if b.type == name), None)
        return nested.line if nested is not None else self.line


def _object_block(block_type: str, obj: ObjectExpr, path: str) -> Block:
    block = Block(block_type, [], path, obj.line, obj.line)
    for key, value in obj.items:
        if isinstance(key, str):
            block.attrs[key] = Attribute(key, value, value.line)
    return block


def _label(node: Tree | Token) -> str:
    if isinstance(node, Token):
        text = str(node)
        return text[1:-1] if text.startswith('"') else text
    return str(node.children[0])


def _body(body: Tree, converter: Converter, path: str) -> tuple[dict[str, Attribute], list[Block]]:
    attrs: dict[str, Attribute] = {}
    blocks: list[Block] = []
    for item in body.children:
        if not isinstance(item, Tree):
            continue
        if item.data == "attribute":
            name = _label(item.children[0])
            attrs[name] = Attribute(name, converter.convert(item.children[1]), item.meta.line)
        elif item.data == "block":
            blocks.append(_block(item, converter, path))
    return attrs, blocks


def _block(node: Tree, converter: Converter, path: str) -> Block:
    kids = node.children
    labels = [_label(k) for k in kids[1:-1]]
    attrs, blocks = _body(kids[-1], converter, path)
    return Block(_label(kids[0]), labels, path, node.meta.line, node.meta.end_line, attrs, blocks)


def parse_tf(text: str, path: str) -> tuple[list[Block], dict[str, Attribute]]:
    """Top-level blocks and attributes of a .tf / .tfvars file. Raises HclError."""
    tree = parse_document(text)
    converter = Converter(text + "\n")
    try:
        attrs, blocks = _body(tree.children[0], converter, path)
    except RecursionError:
        raise HclError("HCL nested too deeply to analyse", 0) from None
    return blocks, attrs


# --- .tf.json ---------------------------------------------------------------------------------

_JSON_LABELS = {
    "resource": 2,
    "data": 2,
    "module": 1,
    "variable": 1,
    "output": 1,
    "provider": 1,
    "locals": 0,
    "terraform": 0,
}


def _json_line(container: Any, key: Any, default: int) -> int:
    if isinstance(container, LDict):
        return container.line_of(key) or default
    if isinstance(container, LList) and isinstance(key, int):
        return container.line_of(key) or default
    return default


def json_expr(value: Any, line: int, literal: bool = False) -> Expr:
    """A JSON value as an expression; its strings are templates (`.tf.json`) or, with `literal`,
    plain strings (`.tfvars.json`: Terraform reads those values without evaluating anything)."""
    if isinstance(value, str):
        return Lit(line, value, value) if literal else parse_template(value, line, quoted=False)
    if isinstance(value, list):
        return TupleExpr(
            line, "[...]", [json_expr(v, _json_line(value, i, line), literal) for i, v in enumerate(value)]
        )
    if isinstance(value, dict):
        items: list[tuple[str | Expr, Expr]] = [
            (str(k), json_expr(v, _json_line(value, k, line), literal)) for k, v in value.items()
        ]
        return ObjectExpr(getattr(value, "line", line) or line, "{...}", items)
    return Lit(line, str(value), value)


def parse_tfvars_json(doc: Any) -> dict[str, Attribute] | None:
    """The assignments of a `.tfvars.json` document (the members of its top-level object), None when
    it is not an object."""
    if not isinstance(doc, dict):
        return None
    out: dict[str, Attribute] = {}
    for name, value in doc.items():
        line = _json_line(doc, name, 1)
        out[str(name)] = Attribute(str(name), json_expr(value, line, literal=True), line)
    return out


def _json_body(obj: Any, block_type: str, labels: list[str], path: str, line: int) -> Block:
    block = Block(
        block_type, labels, path, getattr(obj, "line", line) or line, getattr(obj, "line", line) or line
    )
    if isinstance(obj, dict):
        for key, value in obj.items():
            kline = _json_line(obj, key, block.line)
            block.attrs[str(key)] = Attribute(str(key), json_expr(value, kline), kline)
            block.end_line = max(block.end_line, kline)
    return block


def _json_blocks(
    value: Any, block_type: str, depth: int, labels: list[str], path: str, line: int
) -> list[Block]:
    if isinstance(value, list):
        out: list[Block] = []
        for i, item in enumerate(value):
            out.extend(_json_blocks(item, block_type, depth, labels, path, _json_line(value, i, line)))
        return out
    if depth == 0:
        return [_json_body(value, block_type, labels, path, line)]
    if not isinstance(value, dict):
        return []
    out = []
    for key, inner in value.items():
        out.extend(
            _json_blocks(
                inner, block_type, depth - 1, [*labels, str(key)], path, _json_line(value, key, line)
            )
        )
    return out


def parse_tf_json(doc: Any, path: str) -> list[Block]:
    if not isinstance(doc, dict):
        return []
    blocks: list[Block] = []
    for block_type, value in doc.items():
        depth = _JSON_LABELS.get(str(block_type))
        if depth is not None:
            blocks.extend(
                _json_blocks(value, str(block_type), depth, [], path, _json_line(doc, block_type, 1))
            )
    return blocks
