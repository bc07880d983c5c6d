"""Resource instances (`for_each`, `count`) and `dynamic` blocks, expanded the way Terraform plans
them when the collection is known.

A resource with `for_each` over a known map or set of strings is one instance per key, addressed
`aws_lambda_function.this["api"]`, with `each.key` / `each.value` bound in its attributes; `count`
over a known number gives `aws_ecs_task_definition.t[0]` ... with `count.index`. A known empty
collection (or `count = 0`) declares no instance. An unknown collection stays one instance under
the resource's own address, its `each`/`count` values unknown. A `dynamic "x"` block over a known
collection becomes one `x` block per item (its iterator, the label or `iterator = name`, bound in
the `content`); over an unknown collection it stays as written, a `dynamic` block that readers of
`x` blocks do not see but that says some may exist (`unexpanded`).
Bindings travel with the expressions (`ast.Bound`), so every producer evaluates the attributes
of an expanded block exactly as it evaluates any other block.
"""

from __future__ import annotations

from typing import Any

from archmatch.extract.terraform.ast import Bound, Var
from archmatch.extract.terraform.hcl import Attribute, Block
from archmatch.extract.terraform.module import ModuleInstance, bound_eval, over_budget, resource_instances

__all__ = ["expand_block", "resource_instances", "unexpanded"]


class _Generated:
    """Blocks the `dynamic` blocks of one expansion generated so far, nested ones included: nested
    `dynamic` blocks multiply, so they share one allowance of MAX_INSTANCES."""

    def __init__(self) -> None:
        self.count = 0


def expand_block(
    instance: ModuleInstance, block: Block, names: dict[str, Any], generated: _Generated | None = None
) -> Block:
    """The block with `names` bound in every attribute (nested blocks included) and its `dynamic`
    blocks replaced by the blocks they generate."""
    if not names and not _has_dynamic(block):
        return block
    generated = generated if generated is not None else _Generated()
    attrs = {k: _bind(a, names) for k, a in block.attrs.items() if k not in ("for_each", "count")}
    blocks: list[Block] = []
    for child in block.blocks:
        if child.type == "dynamic" and child.labels:
            blocks.extend(_dynamic(instance, child, names, generated))
        else:
            blocks.append(expand_block(instance, child, names, generated))
    return Block(block.type, list(block.labels), block.path, block.line, block.end_line, attrs, blocks)


def unexpanded(block: Block, block_type: str) -> bool:
    """The block may hold `block_type` blocks not in it: a `dynamic` one over an unknown collection."""
    return any(b.type == "dynamic" and b.labels[:1] == [block_type] for b in block.blocks)


def _has_dynamic(block: Block) -> bool:
    return any(b.type == "dynamic" or _has_dynamic(b) for b in block.blocks)


def _bind(attr: Attribute, names: dict[str, Any]) -> Attribute:
    if not names:
        return attr
    return Attribute(attr.name, Bound(attr.expr.line, attr.expr.text, attr.expr, names), attr.line)


def _iterator_name(block: Block) -> str:
    iterator = block.attr("iterator")
    if iterator is not None and isinstance(iterator.expr, Var):
        return iterator.expr.name
    return block.labels[0]


def _dynamic(
    instance: ModuleInstance, block: Block, names: dict[str, Any], generated: _Generated
) -> list[Block]:
    for_each, content = block.attr("for_each"), block.child("content")
    if for_each is None or content is None:
        return []
    value = bound_eval(instance, for_each.expr, block.path, names)
    pairs: list[tuple[Any, Any]] | None
    if isinstance(value, dict):
        pairs = sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0])
    elif isinstance(value, list):
        pairs = list(enumerate(value))
    else:
        pairs = None
    if pairs is None or over_budget(instance, block, generated.count + len(pairs), len(pairs)):
        return [block]
    generated.count += len(pairs)
    iterator = _iterator_name(block)
    out = []
    for key, item in pairs:
        inner = {**names, iterator: {"key": key, "value": item}}
        made = expand_block(instance, content, inner, generated)
        out.append(
            Block(block.labels[0], [], content.path, content.line, content.end_line, made.attrs, made.blocks)
        )
    return out
