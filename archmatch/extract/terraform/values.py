"""Values of evaluated Terraform expressions.

Known values are plain Python (str, int, float, bool, None, list, dict). Strings are `TStr`, which
also remember the resource/module addresses they were computed from (the link keys of image
references). What cannot be resolved is an `Unknown`: its text keeps the `${...}` placeholders, and
it carries the addresses it refers to.

Provenance: a value that crosses a binding (a tfvars entry, a variable default, a module input, a
local, a module output) keeps the location where its literal was written (`origin`), so that a
finding about `architectures = var.architectures` inside a module can point at the caller's
`architectures = ["arm64"]`. Strings are `TStr`, lists `TList`, maps `TDict`; a value computed
from others (a function, a template with several parts) has no origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archmatch.extract.terraform.ast import Expr, Lit, ObjectExpr, TupleExpr
from archmatch.model import Location


class TStr(str):
    refs: frozenset[str] = frozenset()
    origin: Location | None = None

    @staticmethod
    def of(value: str, refs: frozenset[str] = frozenset(), origin: Location | None = None) -> str:
        if not refs and origin is None:
            return str(value)
        out = TStr(value)
        out.refs = refs
        out.origin = origin
        return out


class TList(list):  # type: ignore[type-arg]
    origin: Location | None = None


class TDict(dict):  # type: ignore[type-arg]
    origin: Location | None = None


def origin_of(value: Any) -> Location | None:
    """Where the literal of a value was written, looking through a one-item list."""
    if isinstance(value, list) and len(value) == 1 and getattr(value[0], "origin", None) is not None:
        return value[0].origin  # type: ignore[no-any-return]
    return getattr(value, "origin", None)


def with_origin(value: Any, expr: Expr | None, path: str) -> Any:
    """The value tagged with where `expr` (in file `path`) wrote it, unless it already has an origin.
    Items of a literal list or map get the lines of their own expressions."""
    if expr is None or getattr(value, "origin", None) is not None or isinstance(value, bool):
        return value
    loc = Location(path, expr.line)
    if isinstance(value, str):
        return TStr.of(value, getattr(value, "refs", frozenset()), loc)
    if isinstance(value, list):
        items = expr.items if isinstance(expr, TupleExpr) and len(expr.items) == len(value) else None
        out_list = TList(
            with_origin(v, items[i] if items else _whole(expr), path) for i, v in enumerate(value)
        )
        out_list.origin = loc
        return out_list
    if isinstance(value, dict):
        keyed = {k: v for k, v in expr.items if isinstance(k, str)} if isinstance(expr, ObjectExpr) else {}
        out_dict = TDict({k: with_origin(v, keyed.get(k, _whole(expr)), path) for k, v in value.items()})
        out_dict.origin = loc
        return out_dict
    return value


def _whole(expr: Expr) -> Expr | None:
    """Items of a value not written item by item: only a literal expression is their origin."""
    return expr if isinstance(expr, Lit | TupleExpr | ObjectExpr) else None


@dataclass(frozen=True)
class Unknown:
    """A value the files do not decide: its source text and the addresses it reads."""

    text: str  # e.g. "${aws_ecr_repository.app.repository_url}:latest"
    refs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Missing(Unknown):
    """What does not exist: an attribute a known object lacks, an index outside a known list or map.
    Terraform fails the plan there, which `try()` catches: it moves on to its next argument (an
    unknown value, by contrast, may exist at apply time, so `try()` of it stays unknown)."""


@dataclass(frozen=True)
class Handle:
    """A resource, data source or module named in an expression (`aws_ecr_repository.app`)."""

    address: str  # instance-prefixed address, e.g. "module.a.aws_ecr_repository.app"
    local: str  # address inside its module, e.g. "aws_ecr_repository.app"
    key: str = ""  # a known instance key (`["api"]`, `[0]`), also at the end of `address`


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
