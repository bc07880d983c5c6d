"""JSON documents inside Terraform attributes: ECS `container_definitions`, Batch
`container_properties`, written as `jsonencode(...)`, a JSON string/heredoc, or `file()` /
`templatefile()` of a JSON file inside the scan root. Values keep the line they were written on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from archmatch import lazyre
from archmatch.extract import yamlsafe
from archmatch.extract.terraform.ast import Call, Expr, ObjectExpr, Template, TupleExpr
from archmatch.extract.terraform.context import Resource, root_relative
from archmatch.extract.terraform.evaluate import eval_template_string
from archmatch.extract.terraform.values import Unknown
from archmatch.model import Location


@dataclass
class Field:
    """One field of an object written in HCL or JSON: its value and its location."""

    value: Any  # evaluated value (may be Unknown)
    location: Location


def _from_exprs(res: Resource, expr: Expr, keys: tuple[str, ...]) -> dict[str, Field]:
    """Fields of one object written in HCL (jsonencode argument), each with its own line."""
    out: dict[str, Field] = {}
    if not isinstance(expr, ObjectExpr):
        return out
    for key, value in expr.items:
        name = key if isinstance(key, str) else res.instance.eval(key)  # `"image" = ...` is a string key
        if isinstance(name, str) and name in keys:
            out[str(name)] = Field(res.instance.eval(value), Location(res.block.path, value.line))
    return out


def _from_json(
    data: Any,
    path: str,
    lines: dict[str, list[int]],
    seen: dict[str, int],
    fallback: int,
    keys: tuple[str, ...],
) -> dict[str, Field]:
    out: dict[str, Field] = {}
    if isinstance(data, dict):
        for key in keys:
            if key in data:
                found, index = lines.get(key, []), seen.get(key, 0)
                seen[key] = index + 1
                out[key] = Field(data[key], Location(path, found[index] if index < len(found) else fallback))
    return out


def _key_lines(text: str, keys: tuple[str, ...], first_line: int) -> dict[str, list[int]]:
    """Lines of each `"key":` in a JSON text, in order; the n-th object takes the n-th line."""
    out: dict[str, list[int]] = {}
    for key in keys:
        pattern = re.compile(r'"' + re.escape(key) + r'"\s*:')
        out[key] = [first_line + text.count("\n", 0, m.start()) for m in pattern.finditer(text)]
    return out


def _json_text(text: str) -> Any:
    try:
        return yamlsafe.load(text)
    except yamlsafe.YamlError:
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return None


def _encoded(
    res: Resource, args: list[Expr], line: int, keys: tuple[str, ...], many: bool
) -> list[dict[str, Field]] | None:
    """`jsonencode(x)` (or several of them in one string, `"[${jsonencode(a)}]"`) of objects."""
    out: list[dict[str, Field]] = []
    for arg in args:
        items = arg.items if isinstance(arg, TupleExpr) else [arg]
        if all(isinstance(i, ObjectExpr) for i in items):
            out.extend(_from_exprs(res, i, keys) for i in items)
            continue
        value = res.instance.eval(arg)
        shaped = (
            None
            if isinstance(value, Unknown) or value is None
            else _shape(value, res.block.path, {}, line, keys, many)
        )
        if shaped is None:
            return None
        out.extend(shaped)
    return out


def _encoded_in_template(expr: Expr) -> list[Expr] | None:
    """The arguments of `"[${jsonencode(a)}, ${jsonencode(b)}]"`: a string holding only jsonencode
    calls between list punctuation."""
    if not isinstance(expr, Template):
        return None
    calls = [p for p in expr.parts if not isinstance(p, str)]
    text = "".join(p for p in expr.parts if isinstance(p, str))
    if not calls or text.strip(" \t\n[],") or not all(_is_jsonencode(c) for c in calls):
        return None
    return [c.args[0] for c in calls if isinstance(c, Call)]


def _is_jsonencode(expr: Expr) -> bool:
    return isinstance(expr, Call) and expr.name == "jsonencode" and len(expr.args) == 1


_STRING_FIELD = lazyre.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"[ \t\r\n]*:[ \t\r\n]*"((?:[^"\\\n]|\\.)*)"')


def _template_fields(res: Resource, expr: Call, keys: tuple[str, ...]) -> list[dict[str, Field]] | None:
    """String fields of a `templatefile()` JSON whose rendering is not wholly known (an unknown
    variable such as a repository URL, or `%{ for }` directives): each `"image": "..."` is
    evaluated on its own with the variables passed, the unknown ones staying unknown. A new object
    starts where a key repeats."""
    written = res.instance.eval(expr.args[0])
    path = root_relative(res.instance, written)
    text = res.instance.read_file(str(written)) if path is not None else None
    if path is None or text is None:
        return None
    variables = res.instance.eval(expr.args[1]) if len(expr.args) > 1 else {}
    if not isinstance(variables, dict):
        return None
    out: list[dict[str, Field]] = []
    line, counted = 1, 0  # lines counted up to `counted` (counting from the start each time was quadratic)
    fields = 0
    for m in _STRING_FIELD.finditer(text):
        key = m.group(1)
        if key not in keys:
            continue
        fields += 1
        if not res.instance.budget.items_ok(fields, line, path):
            return None  # more fields than any task definition has: not read
        line, counted = line + text.count("\n", counted, m.start()), m.start()
        value = eval_template_string(res.instance, m.group(2), line, variables, res.instance.budget)
        if not out or key in out[-1]:
            out.append({})
        out[-1][key] = Field(value, Location(path, line))
    return out


def objects(res: Resource, attr: str, keys: tuple[str, ...], many: bool) -> list[dict[str, Field]] | None:
    """The JSON object(s) of an attribute as {key: Field}; None when not statically readable."""
    attribute = res.block.attr(attr)
    if attribute is None:
        return None
    expr = attribute.expr
    if _is_jsonencode(expr):
        assert isinstance(expr, Call)
        return _encoded(res, expr.args, attribute.line, keys, many)
    encoded = _encoded_in_template(expr)
    if encoded is not None:
        return _encoded(res, encoded, attribute.line, keys, many)
    if isinstance(expr, Call) and expr.name in ("file", "templatefile") and expr.args:
        path = root_relative(res.instance, res.instance.eval(expr.args[0]))
        value = res.instance.eval(expr)
        if path is not None and isinstance(value, str):
            return _shape(_json_text(value), path, _key_lines(value, keys, 1), 1, keys, many)
        return _template_fields(res, expr, keys) if expr.name == "templatefile" else None
    value = res.instance.eval(expr)
    if isinstance(value, str):
        # a JSON heredoc starts on the line after the attribute
        first = attribute.line + 1 if "\n" in value else attribute.line
        return _shape(
            _json_text(value), res.block.path, _key_lines(value, keys, first), attribute.line, keys, many
        )
    if isinstance(value, Unknown) or value is None:
        return None
    return _shape(value, res.block.path, {}, attribute.line, keys, many)


def _shape(
    data: Any, path: str, lines: dict[str, list[int]], line: int, keys: tuple[str, ...], many: bool
) -> list[dict[str, Field]] | None:
    seen: dict[str, int] = {}
    if many and isinstance(data, list):
        return [_from_json(d, path, lines, seen, line, keys) for d in data]
    if isinstance(data, dict):
        return [_from_json(data, path, lines, seen, line, keys)]
    return None
