"""Values of evaluated Terraform expressions.

Known values are plain Python (str, int, float, bool, None, list, dict). Strings are `TStr`, which
also remember the resource/module addresses they were computed from (the link keys of image
references). What cannot be resolved is an `Unknown`: its text keeps the `${...}` placeholders, and
it carries the addresses it refers to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class TStr(str):
    refs: frozenset[str] = frozenset()

    @staticmethod
    def of(value: str, refs: frozenset[str] = frozenset()) -> str:
        if not refs:
            return str(value)
        out = TStr(value)
        out.refs = refs
        return out


@dataclass(frozen=True)
class Unknown:
    text: str  # e.g. "${aws_ecr_repository.app.repository_url}:latest"
    refs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Handle:
    """A resource, data source or module named in an expression (`aws_ecr_repository.app`)."""

    address: str  # instance-prefixed address, e.g. "module.a.aws_ecr_repository.app"
    local: str  # address inside its module, e.g. "aws_ecr_repository.app"


@dataclass(frozen=True)
class Namespace:
    """The first part of a traversal: `var`, `local`, `module`, `data`, a resource type, ..."""

    parts: tuple[str, ...]


def refs_of(value: Any) -> frozenset[str]:
    if isinstance(value, Unknown | TStr):
        return value.refs
    if isinstance(value, Handle):
        return frozenset({value.address})
    if isinstance(value, list):
        return frozenset().union(*(refs_of(v) for v in value)) if value else frozenset()
    if isinstance(value, dict):
        return frozenset().union(*(refs_of(v) for v in value.values())) if value else frozenset()
    return frozenset()


def is_known(value: Any) -> bool:
    """True when nothing inside the value is unknown."""
    if isinstance(value, Unknown | Handle | Namespace):
        return False
    if isinstance(value, list):
        return all(is_known(v) for v in value)
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    return True


def as_text(value: Any) -> str:
    """A value as it would appear inside a string template, with `${...}` for the unknown."""
    if isinstance(value, Unknown):
        return value.text
    if isinstance(value, Handle):
        return "${" + value.local + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def unknown_like(text: str, *values: Any) -> Unknown:
    refs: frozenset[str] = frozenset()
    for v in values:
        refs |= refs_of(v)
    return Unknown(text, refs)
