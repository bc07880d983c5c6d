"""Evaluation of Terraform expressions against a module scope, as far as is statically known.

Only what a reviewer would resolve by reading: variables, locals, literals, string templates,
conditionals with a known condition, and a handful of pure functions. Everything else becomes
an `Unknown` that keeps its source text (`${...}`) and the addresses it refers to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Protocol

from archmatch import lazyre
from archmatch.extract.budget import MAX_INT_DIGITS, Budget
from archmatch.extract.terraform.ast import (
    BinOp,
    Bound,
    Call,
    Cond,
    Expr,
    ForExpr,
    GetAttr,
    Index,
    Lit,
    ObjectExpr,
    Opaque,
    Template,
    TupleExpr,
    Unary,
    Var,
)
from archmatch.extract.terraform.values import (
    Handle,
    Missing,
    Namespace,
    TStr,
    Unknown,
    as_text,
    is_known,
    origin_of,
    refs_of,
    unknown_like,
)


class Scope(Protocol):
    def lookup(self, namespace: tuple[str, ...], name: str, text: str) -> Any:
        """Value of `<namespace>.<name>` (e.g. ("var",), "arch"); namespace () for a bare name.
        May return a Handle (resource, module), a Namespace (`var`, a resource type) or an Unknown."""
        ...

    def handle_attr(self, handle: Handle, attr: str, text: str) -> Any: ...

    def read_file(self, path: str) -> str | None:
        """Text of a root-relative file inside the scan root, or None."""
        ...


def _placeholder(expr: Expr) -> Unknown:
    return Unknown("${" + expr.text + "}")


class Evaluator:
    """Evaluates expressions of one file (`path`) within a budget shared by the whole module tree:
    steps, nesting (references of references count), string, list and integer sizes. What is over
    budget evaluates to its placeholder, and the budget remembers the first file and line."""

    def __init__(self, scope: Scope, budget: Budget | None = None, path: str | None = None):
        self.scope = scope
        self.budget = budget if budget is not None else Budget("")
        self.path = path

    def eval(self, expr: Expr | None) -> Any:
        if expr is None:
            return None
        budget = self.budget
        if not budget.step(expr.line, self.path) or not budget.depth_ok(
            budget.depth + 1, expr.line, self.path
        ):
            return _placeholder(expr)
        budget.depth += 1
        try:
            return self._eval(expr)
        finally:
            budget.depth -= 1

    def refuse_size(self, expr: Expr, length: int) -> bool:
        """True (and the budget told) when a value of `length` characters or items is too big."""
        return not self.budget.text_ok(length, expr.line, self.path)

    def _eval(self, expr: Expr) -> Any:
        if isinstance(expr, Lit):
            return expr.value
        if isinstance(expr, Template):
            return self._template(expr)
        if isinstance(expr, Var):
            return self.scope.lookup((), expr.name, expr.text)
        if isinstance(expr, GetAttr):
            return self._get_attr(self.eval(expr.base), expr.name, expr)
        if isinstance(expr, Index):
            return self._index(self.eval(expr.base), self.eval(expr.key), expr)
        if isinstance(expr, TupleExpr):
            return [self.eval(i) for i in expr.items]
        if isinstance(expr, ObjectExpr):
            out: dict[str, Any] = {}
            for key, value in expr.items:
                k = key if isinstance(key, str) else self.eval(key)
                if not isinstance(k, str):
                    return _placeholder(expr)
                out[k] = self.eval(value)
            return out
        if isinstance(expr, Cond):
            return self._cond(expr)
        if isinstance(expr, BinOp):
            return self._binop(expr)
        if isinstance(expr, Unary):
            value = self.eval(expr.operand)
            if expr.op == "!" and isinstance(value, bool):
                return not value
            if expr.op == "-" and isinstance(value, int | float) and not isinstance(value, bool):
                return -value
            return unknown_like("${" + expr.text + "}", value)
        if isinstance(expr, Call):
            return self._call(expr)
        if isinstance(expr, Bound):
            return self.within(expr.names).eval(expr.expr)
        if isinstance(expr, ForExpr):
            return self._for(expr)
        assert isinstance(expr, Opaque)
        return _placeholder(expr)

    def within(self, names: dict[str, Any]) -> Evaluator:
        """An evaluator of the same file and budget with more names in scope."""
        return Evaluator(BoundScope(self.scope, names), budget=self.budget, path=self.path)

    def _for(self, expr: ForExpr) -> Any:
        collection = self.eval(expr.collection)
        if isinstance(collection, dict):
            pairs: list[tuple[Any, Any]] = sorted(collection.items(), key=lambda kv: str(kv[0]))
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            return unknown_like("${" + expr.text + "}", collection)
        if not self.budget.items_ok(len(pairs), expr.line, self.path):
            return _placeholder(expr)
        keys: list[Any] = []
        values: list[Any] = []
        for key, value in pairs:
            names = {expr.value_var: value} | ({expr.key_var: key} if expr.key_var else {})
            inner = self.within(names)
            if expr.cond is not None:
                keep = inner.eval(expr.cond)
                if not isinstance(keep, bool):
                    return unknown_like("${" + expr.text + "}", keep)
                if not keep:
                    continue
            keys.append(inner.eval(expr.key) if expr.key is not None else None)
            values.append(inner.eval(expr.value))
        if expr.key is None:
            return values
        return self._for_object(expr, keys, values)

    def _for_object(self, expr: ForExpr, keys: list[Any], values: list[Any]) -> Any:
        out: dict[str, Any] = {}
        for key, value in zip(keys, values, strict=True):
            if not isinstance(key, str | int | float) or isinstance(key, bool):
                return unknown_like("${" + expr.text + "}", key)
            name = as_text(key)
            if expr.grouped:
                out.setdefault(name, []).append(value)
            elif name in out:
                return _placeholder(expr)  # duplicate keys: Terraform fails the plan
            else:
                out[name] = value
        return out

    def _template(self, expr: Template) -> Any:
        pieces: list[str] = []
        refs: frozenset[str] = frozenset()
        known = True
        for part in expr.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = self.eval(part)
            if isinstance(value, Namespace):
                value = _placeholder(part)
            refs |= refs_of(value)
            if isinstance(value, list | dict):
                known = False
                pieces.append("${" + part.text + "}")
            elif isinstance(value, Unknown | Handle):
                known = False
                pieces.append(as_text(value))
            else:
                pieces.append(as_text(value))
        if self.refuse_size(expr, sum(len(p) for p in pieces)):
            return Unknown("${" + expr.text + "}", refs)
        text = "".join(pieces)
        exprs = [p for p in expr.parts if not isinstance(p, str)]
        # `"linux/${var.arch}"`: the one interpolated literal is where the value is decided
        origin = origin_of(self.eval(exprs[0])) if known and len(exprs) == 1 else None
        return TStr.of(text, refs, origin) if known else Unknown(text, refs)

    def _get_attr(self, base: Any, name: str, expr: Expr) -> Any:
        if isinstance(base, Namespace):
            return self.scope.lookup(base.parts, name, expr.text)
        if isinstance(base, Handle):
            return self.scope.handle_attr(base, name, expr.text)
        if isinstance(base, dict):
            return base[name] if name in base else Missing("${" + expr.text + "}", refs_of(base))
        if isinstance(base, Missing):
            return Missing("${" + expr.text + "}", base.refs)
        if isinstance(base, Unknown):
            return Unknown("${" + expr.text + "}", base.refs)
        return Missing("${" + expr.text + "}", refs_of(base))

    def _index(self, base: Any, key: Any, expr: Expr) -> Any:
        if isinstance(base, Handle):  # aws_x.y[0] / aws_x.y["k"]: count / for_each instances
            if base.key or isinstance(key, bool) or not isinstance(key, str | int):
                return base
            suffix = f"[{key}]" if isinstance(key, int) else f"[{json.dumps(str(key))}]"
            return Handle(base.address + suffix, base.local, suffix)
        if (
            isinstance(base, list)
            and isinstance(key, int)
            and not isinstance(key, bool)
            and -len(base) <= key < len(base)
        ):
            return base[key]
        if isinstance(base, dict) and isinstance(key, str) and key in base:
            return base[key]
        if isinstance(base, Missing) or (isinstance(base, list | dict) and isinstance(key, str | int)):
            return Missing("${" + expr.text + "}", refs_of(base))
        return unknown_like("${" + expr.text + "}", base, key)

    def _cond(self, expr: Cond) -> Any:
        cond = self.eval(expr.cond)
        if isinstance(cond, bool):
            return self.eval(expr.then if cond else expr.other)
        then, other = self.eval(expr.then), self.eval(expr.other)
        if is_known(then) and is_known(other) and then == other:
            return then
        return unknown_like("${" + expr.text + "}", cond, then, other)

    def _binop(self, expr: BinOp) -> Any:
        left, right = self.eval(expr.left), self.eval(expr.right)
        op = expr.op
        if op in ("&&", "||"):
            if op == "&&" and (left is False or right is False):
                return False
            if op == "||" and (left is True or right is True):
                return True
            if isinstance(left, bool) and isinstance(right, bool):
                return left and right if op == "&&" else left or right
        elif is_known(left) and is_known(right):
            result = _compare_or_arith(op, left, right)
            if result is not _NO_RESULT and self.budget.number_ok(result, expr.line, self.path):
                return result
        return unknown_like("${" + expr.text + "}", left, right)

    def _call(self, expr: Call) -> Any:
        fn = _FUNCTIONS.get(expr.name)
        if expr.name == "try":
            for arg in expr.args:
                value = self.eval(arg)
                if isinstance(value, Missing):
                    continue  # an error Terraform's try() catches
                if isinstance(value, Unknown | Handle | Namespace):
                    return unknown_like("${" + expr.text + "}", value)  # may exist at apply time
                return value
            return _placeholder(expr)
        args = [self.eval(a) for a in expr.args]
        if fn is not None and all(is_known(a) for a in args):
            if not self._affordable(expr, args):
                return unknown_like("${" + expr.text + "}", *args)
            try:
                result = fn(self, *args)
            except Exception:  # any argument a function cannot take (`upper(1)`, `format("%s")`): unknown
                result = _NO_RESULT
            if result is not _NO_RESULT and not self.budget.value_ok(result, expr.line, self.path):
                result = _NO_RESULT
            if result is not _NO_RESULT:
                refs = frozenset().union(*(refs_of(a) for a in args)) if args else frozenset()
                return TStr.of(result, refs) if isinstance(result, str) else result
        if expr.name in ("tostring", "nonsensitive", "sensitive") and len(args) == 1:
            return args[0]
        if expr.name == "coalesce":
            for a in args:
                if not is_known(a):
                    break
                if a not in (None, ""):
                    return a
        return unknown_like("${" + expr.text + "}", *args)

    def _affordable(self, expr: Call, args: list[Any]) -> bool:
        """Whether a call's result can be built within the size budget, judged before building it."""
        sizes = [self.budget.measure(a) for a in args]
        if expr.name == "replace" and len(args) == 3 and all(isinstance(a, str) for a in args):
            s, old, new = args
            estimate = len(s) + (s.count(old) if old else len(s) + 1) * len(new)
        elif expr.name in ("jsonencode", "format"):
            estimate = 6 * sum(sizes)  # escaping: at most six characters per character
        else:
            estimate = sum(sizes)
        return not self.refuse_size(expr, estimate)


_NO_RESULT = object()


def _compare_or_arith(op: str, left: Any, right: Any) -> Any:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
    if not numeric:
        return _NO_RESULT
    if (
        op == "*"
        and isinstance(left, int)
        and isinstance(right, int)
        and left.bit_length() + right.bit_length() > 4 * MAX_INT_DIGITS
    ):
        return _NO_RESULT  # over the integer budget: not worth computing
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b,
        "%": lambda a, b: a % b,
    }
    fn = ops.get(op)
    try:
        return fn(left, right) if fn else _NO_RESULT
    except (ArithmeticError, ValueError):  # `1/0`, a float overflow: Terraform fails the plan; unknown here
        return _NO_RESULT


_FORMAT_VERB = lazyre.compile(r"%(?:%|[-+#0 ]*\d*(?:\.\d+)?[svdqtfb])")


def _format(_: Evaluator, fmt: str, *args: Any) -> Any:
    values = iter(args)

    def sub(m: re.Match[str]) -> str:
        verb = m.group(0)
        if verb == "%%":
            return "%"
        value = next(values)
        if verb.endswith("q"):
            return json.dumps(value)
        return as_text(value) if not isinstance(value, list | dict) else json.dumps(value)

    return _FORMAT_VERB.sub(sub, fmt)


def _jsonencode(_: Evaluator, value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _file(ev: Evaluator, path: str) -> Any:
    text = ev.scope.read_file(path)
    return text if text is not None else _NO_RESULT


def _templatefile(ev: Evaluator, path: str, variables: dict[str, Any]) -> Any:
    text = ev.scope.read_file(path)
    if text is None or not isinstance(variables, dict):
        return _NO_RESULT
    from archmatch.extract.terraform.ast import parse_template

    template = parse_template(text, 1, quoted=False)
    inner = Evaluator(_TemplateScope(variables, ev.scope), budget=ev.budget, path=ev.path)
    value = inner.eval(template)
    return value if isinstance(value, str) else _NO_RESULT


def eval_template_string(scope: Scope, raw: str, line: int, variables: dict[str, Any], budget: Budget) -> Any:
    """One string of a templatefile() file (written between JSON quotes) evaluated with the passed
    variables, even when some are unknown: unknown parts stay `${...}` with their references."""
    from archmatch.extract.terraform.ast import parse_template

    inner = Evaluator(_TemplateScope(variables, scope), budget=budget)
    return inner.eval(parse_template(raw, line, quoted=True))


def eval_template_file(scope: Scope, text: str, variables: dict[str, Any], budget: Budget) -> Any:
    """A templatefile() file's whole text evaluated with the passed variables, even when some are
    unknown: an `Unknown` whose text keeps the known parts and `${...}` for the others."""
    from archmatch.extract.terraform.ast import parse_template

    inner = Evaluator(_TemplateScope(variables, scope), budget=budget)
    return inner.eval(parse_template(text, 1, quoted=False))


class BoundScope:
    """Names bound around an expression (`each`, `count`, a `for` or `dynamic` iterator) in front of
    the enclosing scope. A bound name hides a resource type of the same name, as in Terraform."""

    def __init__(self, outer: Scope, names: dict[str, Any]):
        self.outer = outer
        self.names = names

    def lookup(self, namespace: tuple[str, ...], name: str, text: str) -> Any:
        if not namespace and name in self.names:
            return self.names[name]
        return self.outer.lookup(namespace, name, text)

    def handle_attr(self, handle: Handle, attr: str, text: str) -> Any:
        return self.outer.handle_attr(handle, attr, text)

    def read_file(self, path: str) -> str | None:
        return self.outer.read_file(path)


class _TemplateScope:
    """templatefile(): only the passed variables are in scope."""

    def __init__(self, variables: dict[str, Any], outer: Scope):
        self.variables = variables
        self.outer = outer

    def lookup(self, namespace: tuple[str, ...], name: str, text: str) -> Any:
        if not namespace and name in self.variables:
            return self.variables[name]
        return Unknown("${" + text + "}")

    def handle_attr(self, handle: Handle, attr: str, text: str) -> Any:
        return Unknown("${" + text + "}")

    def read_file(self, path: str) -> str | None:
        return self.outer.read_file(path)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "format": _format,
    "jsonencode": _jsonencode,
    "jsondecode": lambda _, s: json.loads(s),
    "file": _file,
    "templatefile": _templatefile,
    "lower": lambda _, s: s.lower(),
    "upper": lambda _, s: s.upper(),
    "trimspace": lambda _, s: s.strip(),
    "join": lambda _, sep, items: sep.join(as_text(i) for i in items),
    "split": lambda _, sep, s: s.split(sep),
    "replace": lambda _, s, old, new: (
        s.replace(old, new) if not (old.startswith("/") and old.endswith("/")) else _NO_RESULT
    ),
    "concat": lambda _, *lists: [x for lst in lists for x in lst],
    "merge": lambda _, *maps: {k: v for m in maps if m for k, v in m.items()},
    "lookup": lambda _, m, k, *default: m[k] if k in m else (default[0] if default else _NO_RESULT),
    "element": lambda _, lst, i: lst[i % len(lst)],
    "tolist": lambda _, v: list(v),
    "toset": lambda _, v: list(dict.fromkeys(v)),
    "tomap": lambda _, v: dict(v),
    "tostring": lambda _, v: as_text(v),
    "coalesce": lambda _, *vs: next((v for v in vs if v not in (None, "")), _NO_RESULT),
    "length": lambda _, v: len(v),
    "basename": lambda _, p: p.rstrip("/").rsplit("/", 1)[-1],
    "dirname": lambda _, p: p.rstrip("/").rsplit("/", 1)[0] if "/" in p else ".",
    "contains": lambda _, lst, v: v in lst,
    "compact": lambda _, lst: [x for x in lst if x not in (None, "")],
    "flatten": lambda _, lst: [y for x in lst for y in (x if isinstance(x, list) else [x])],
}
