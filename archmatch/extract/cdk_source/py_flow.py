"""Data flow through the functions of a Python CDK app: parameters take the values their callers
pass, calls give the function's return value (context-insensitive, as in `ts_flow`).

Callers are found among the calls of the files the program read: `C(...)` and
`super().__init__(...)` in a subclass for `__init__`, `f(...)`, `self.m(...)`, `obj.m(...)` on an
instance of the class. Keyword arguments are matched by name, positional ones by position after
`self`; `*args`/`**kwargs` stay unknown. In a construct library, public functions and classes may
also be called from outside the repository, so their parameters stay partly unknown.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from archmatch.extract.cdk_source.values import (
    ClassV,
    FuncV,
    Null,
    Unknown,
    Val,
    choice,
    instance_class,
)


class FlowProgram(Protocol):
    """What the flow needs of the program (`program.Program`)."""

    @property
    def open_world(self) -> bool: ...

    def py_call_sites(self) -> Mapping[str, Sequence[tuple[PyFile, ast.Call]]]: ...


class PyFile(Protocol):
    """What the flow needs of a file (`py_front.PyFile`)."""

    @property
    def path(self) -> str: ...

    @property
    def parents(self) -> dict[int, ast.AST]: ...

    @property
    def program(self) -> FlowProgram: ...

    def eval(self, node: ast.AST | None) -> Val: ...


MAX_CALLERS = 16
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


@dataclass(frozen=True)
class Param:
    function: FunctionNode
    index: int | None  # position among the arguments a caller writes (after self); None: keyword-only
    name: str
    default: ast.expr | None
    star: bool = False  # *args / **kwargs


def param_of(file: PyFile, arg: ast.arg) -> Param | None:
    arguments = file.parents.get(id(arg))
    fn = file.parents.get(id(arguments)) if arguments is not None else None
    if not isinstance(arguments, ast.arguments) or not isinstance(fn, FunctionNode):
        return None
    if arg is arguments.vararg or arg is arguments.kwarg:
        return Param(fn, None, arg.arg, None, star=True)
    positional = [*arguments.posonlyargs, *arguments.args]
    skip = 1 if is_method(file, fn) and not _decorated(fn, "staticmethod") else 0
    if arg in positional:
        at = positional.index(arg)
        defaults = arguments.defaults
        first_default = len(positional) - len(defaults)
        default = defaults[at - first_default] if at >= first_default else None
        return Param(fn, at - skip if at >= skip else None, arg.arg, default)
    if arg in arguments.kwonlyargs:
        at = arguments.kwonlyargs.index(arg)
        return Param(fn, None, arg.arg, arguments.kw_defaults[at])
    return None


def is_method(file: PyFile, fn: FunctionNode) -> bool:
    return isinstance(file.parents.get(id(fn)), ast.ClassDef)


def _decorated(fn: FunctionNode, name: str) -> bool:
    if isinstance(fn, ast.Lambda):
        return False
    return any(isinstance(d, ast.Name) and d.id == name for d in fn.decorator_list)


def is_property(fn: FunctionNode) -> bool:
    return _decorated(fn, "property")


def find_method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            return stmt
    return None


def _enclosing_class(file: PyFile, node: ast.AST) -> ast.ClassDef | None:
    cur = file.parents.get(id(node))
    while cur is not None and not isinstance(cur, ast.ClassDef):
        cur = file.parents.get(id(cur))
    return cur


def _is_target(file: PyFile, site: ast.Call, fn: FunctionNode, owner: PyFile) -> bool:
    cls = owner.parents.get(id(fn))
    func = site.func
    if isinstance(cls, ast.ClassDef) and isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        if fn.name == "__init__":
            if isinstance(func, ast.Attribute) and func.attr == "__init__":  # super().__init__(...)
                sub = _enclosing_class(file, site)
                return sub is not None and any(
                    getattr(file.eval(base), "node", None) is cls for base in sub.bases
                )
            value = file.eval(func)
            return isinstance(value, ClassV) and value.node is cls
        if not isinstance(func, ast.Attribute):
            return False
        if isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            return file is owner and _enclosing_class(file, site) is cls
        receiver = file.eval(func.value)
        instance = instance_class(receiver)
        return (instance is not None and instance.node is cls) or (
            isinstance(receiver, ClassV) and receiver.node is cls
        )
    value = file.eval(func)
    return isinstance(value, FuncV) and value.node is fn


def callers(owner: PyFile, fn: FunctionNode) -> list[tuple[PyFile, ast.Call]] | None:
    cls = owner.parents.get(id(fn))
    if isinstance(fn, ast.Lambda):
        target = owner.parents.get(id(fn))
        name = (
            target.targets[0].id
            if isinstance(target, ast.Assign) and isinstance(target.targets[0], ast.Name)
            else ""
        )
    else:
        name = fn.name
    if not name:
        return []
    wanted = [name]
    if name == "__init__" and isinstance(cls, ast.ClassDef):
        wanted = [cls.name, "__init__"]
    out: list[tuple[PyFile, ast.Call]] = []
    for key in wanted:
        for file, site in owner.program.py_call_sites().get(key, []):
            if _is_target(file, site, fn, owner):
                out.append((file, site))
                if len(out) > MAX_CALLERS:
                    return None
    return out


def argument(file: PyFile, site: ast.Call, param: Param) -> Val:
    """The value one call passes for `param` (Null when it passes nothing)."""
    line = site.lineno
    if param.star:
        return Unknown(file.path, line, f"*{param.name}")
    if param.index is not None:
        for i, arg in enumerate(site.args[: param.index + 1]):
            if isinstance(arg, ast.Starred):
                return Unknown(file.path, line, "*args")
            if i == param.index:
                return file.eval(arg)
    for kw in site.keywords:
        if kw.arg == param.name:
            return file.eval(kw.value)
    if any(kw.arg is None for kw in site.keywords):
        return Unknown(file.path, line, f"{param.name} from **kwargs")
    return Null(file.path, line)


def externally_callable(fn: FunctionNode, file: PyFile) -> bool:
    """In a library, public functions and the public methods of public classes may be called by
    code outside the repository."""
    if isinstance(fn, ast.Lambda):
        return False
    cls = file.parents.get(id(fn))
    if isinstance(cls, ast.ClassDef):
        return not cls.name.startswith("_") and (fn.name == "__init__" or not fn.name.startswith("_"))
    return not fn.name.startswith("_")


def returns(file: PyFile, fn: FunctionNode) -> Val:
    if isinstance(fn, ast.Lambda):
        return file.eval(fn.body)
    values: list[Val] = []
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            values.append(file.eval(node.value) if node.value is not None else Null(file.path, node.lineno))
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    if not values:
        return Null(file.path, fn.lineno)
    return choice(values, file.path, fn.lineno, why="conditional")
