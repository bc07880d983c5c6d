"""Every `make(RULE, location, entity, field=...)` call in a rule module passes exactly the fields
its metadata's message template names: a missing field is a KeyError at scan time (an internal
error instead of a finding), an extra one is a value the user never sees."""

from __future__ import annotations

import ast
import string

import pytest

from archmatch.rules import RULES_DIR, metadata

_EXTRAS = {"related", "fixes", "properties", "subject"}


def _calls() -> list[tuple[str, int, str, set[str]]]:
    """(module, line, rule id, keyword names) of every make() call with a literal rule id."""
    out = []
    for path in sorted(RULES_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "make"
            ):
                continue
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant), (
                f"{path.name}:{node.lineno}: make() with a computed rule id"
            )
            assert all(k.arg is not None for k in node.keywords), f"{path.name}:{node.lineno}: make(**fields)"
            names = {k.arg for k in node.keywords if k.arg is not None} - _EXTRAS
            out.append((path.relative_to(RULES_DIR).as_posix(), node.lineno, str(first.value), names))
    return out


def _template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize(
    ("module", "line", "rule", "names"), _calls(), ids=[f"{c[0]}:{c[1]}" for c in _calls()]
)
def test_make_passes_exactly_the_template_fields(module: str, line: int, rule: str, names: set[str]) -> None:
    wanted = _template_fields(metadata()[rule].message)
    assert wanted, f"{rule}: a message template without fields"
    assert names == wanted, (
        f"{module}:{line} {rule}: missing {sorted(wanted - names)}, unused {sorted(names - wanted)}"
    )


def test_every_rule_builds_findings_with_make() -> None:
    called = {rule for _, _, rule, _ in _calls()}
    assert called == set(metadata()), sorted(set(metadata()) ^ called)
