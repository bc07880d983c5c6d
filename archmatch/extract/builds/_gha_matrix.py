"""GitHub Actions `strategy.matrix`: the combinations a job runs with (GitHub's rules for lists,
`exclude:` and `include:`), and `${{ matrix.x }}` substitution. A matrix written as an expression
(`${{ fromJSON(...) }}`) or larger than MAX_COMBINATIONS gives no combinations: the job is read
once, its `matrix.*` values unknown."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from typing import Any

from archmatch import lazyre
from archmatch.extract.yamlsafe import LDict, LList, LStr

MAX_COMBINATIONS = 64
Combination = dict[str, Any]

_MATRIX_EXPR = lazyre.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+)*)\s*\}\}")


def combinations(strategy: Any) -> list[Combination]:
    """The job's matrix combinations, [] when it has none or they are not known statically."""
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return []
    axes = {str(k): v for k, v in matrix.items() if str(k) not in ("include", "exclude")}
    if any(not isinstance(v, list) for v in axes.values()):
        return []  # an axis written as an expression
    if math.prod(len(v) for v in axes.values()) > MAX_COMBINATIONS:
        return []  # counted before building them: three axes of 256 values are 16 million
    combos: list[Combination] = [
        dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())
    ]
    if not axes:
        combos = []  # only include: entries, each a run of its own
    originals = [c for c in combos if not any(_matches(c, e) for e in _entries(matrix.get("exclude")))]
    added: list[Combination] = []
    for entry in _entries(matrix.get("include")):
        if not _extend(originals, axes, entry):
            added.append(dict(entry))
    combos = originals + added
    return combos if len(combos) <= MAX_COMBINATIONS else []


def _entries(node: Any) -> list[Combination]:
    return (
        [{str(k): v for k, v in e.items()} for e in node if isinstance(e, dict)]
        if isinstance(node, list)
        else []
    )


def _matches(combo: Combination, entry: Combination) -> bool:
    return all(combo.get(k) == v for k, v in entry.items())


def _extend(originals: list[Combination], axes: dict[str, Any], entry: Combination) -> bool:
    """Add the entry's keys to every original combination whose axis values it does not change;
    False when it fits none (then it is a combination of its own)."""
    added = False
    for combo in originals:
        if all(combo.get(k) == v for k, v in entry.items() if k in axes):
            combo.update({k: v for k, v in entry.items() if k not in axes})
            added = True
    return added


def label(combo: Combination) -> str:
    """How GitHub names the job run: its matrix values, in order (an object's own values)."""
    values = [w for v in combo.values() for w in (v.values() if isinstance(v, dict) else [v])]
    return ", ".join(_text(v) for v in values if not isinstance(v, dict | list))


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def substituter(combo: Combination) -> Callable[[str], str]:
    """Replaces `${{ matrix.x }}` (and `${{ matrix.x.y }}` of an object value) by known values."""

    def value(m: re.Match[str]) -> str:
        found: Any = combo.get(m.group(1))
        for part in [p for p in m.group(2).split(".") if p]:
            found = found.get(part) if isinstance(found, dict) else None
        return _text(found) if found is not None and not isinstance(found, dict | list) else m.group(0)

    return lambda text: _MATRIX_EXPR.sub(value, text)


def substitute(node: Any, sub: Callable[[str], str]) -> Any:
    """A copy of a loaded YAML value with matrix values substituted in its strings; strings,
    mappings and lists keep their lines so that locations stay right."""
    if isinstance(node, str):
        new = sub(node)
        if new == node:
            return node
        if not isinstance(node, LStr):
            return new
        text = LStr(new)
        text.line = node.line
        return text
    if isinstance(node, dict):
        mapping = LDict() if isinstance(node, LDict) else {}
        mapping.update((k, substitute(v, sub)) for k, v in node.items())
        if isinstance(node, LDict) and isinstance(mapping, LDict):
            mapping.line = node.line
            if hasattr(node, "key_lines"):
                mapping.key_lines = node.key_lines
        return mapping
    if isinstance(node, list):
        items = [substitute(v, sub) for v in node]
        if not isinstance(node, LList):
            return items
        seq = LList(items)
        seq.line = node.line
        if hasattr(node, "item_lines"):
            seq.item_lines = node.item_lines
        return seq
    return node


def mentions_matrix(node: Any) -> bool:
    if isinstance(node, str):
        return "matrix." in node
    if isinstance(node, dict):
        return any(mentions_matrix(v) for v in node.values())
    if isinstance(node, list):
        return any(mentions_matrix(v) for v in node)
    return False
