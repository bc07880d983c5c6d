"""Dagger pipelines written with the Python SDK, evaluated like the Go ones (`_daggergo`).

Python's own `ast` parses the files; the evaluator produces the same values and events as the Go
evaluator: `dag.container(platform=dagger.Platform("linux/arm64"))`, `.from_`, `.build`,
`Directory.docker_build`, `.with_exec([...])`, `.publish(address, platform_variants=[...])`,
`dag.host().directory(path)`, strings (literals, module constants, `+`, f-strings), lists
(literals, `append`, comprehensions are unknown), calls to the module's own functions and methods
(`self.build(...)`) with arguments bound, `await` and `async with dagger.Connection(...) as
client`. Branches, loops, recursion and the step budget behave as in `_daggergo`.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field, replace

from archmatch.extract.budget import Budget
from archmatch.extract.builds._common import join
from archmatch.extract.builds._daggergo import (
    MAX_CALL_DEPTH,
    MAX_LOOP_ITEMS,
    MAX_NESTING,
    Client,
    Ctr,
    Dir,
    EnginePlatform,
    Event,
    Exec,
    Fields,
    HostV,
    Items,
    Param,
    Published,
    Text,
    Unknown,
    Val,
    as_text,
    concat,
    merge,
    text_fits,
)
from archmatch.model import FixSyntax, Location

AnyFunction = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class PyFunc:
    path: str
    node: AnyFunction
    name: str
    owner: str | None  # the class of a method
    params: list[Param]

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def receiver_type(self) -> str | None:
        return self.owner


def _is_function_decorated(node: AnyFunction) -> bool:
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "function":
            return True
    return False


def _params(node: AnyFunction, skip_self: bool) -> list[Param]:
    args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
    if skip_self and args:
        args = args[1:]
    return [Param(a.arg, _source_name(a.annotation) if a.annotation is not None else "") for a in args]


_SMALL_EXPRESSION = 64  # nodes


def _source_name(node: ast.expr) -> str:
    """An expression's source (its first 40 characters) when it is small; a large one (a chain of
    100,000 `+`, which ast.unparse walks recursively) is named by its kind."""
    if sum(1 for _ in itertools.islice(ast.walk(node), _SMALL_EXPRESSION)) < _SMALL_EXPRESSION:
        return ast.unparse(node)[:40]
    return type(node).__name__


@dataclass
class _Frame:
    scope: dict[str, Val] = field(default_factory=dict)
    returns: list[Val] = field(default_factory=list)
    branch: int = 0


class PyPackage:
    """The Python files of one Dagger module or program."""

    fix_syntax: FixSyntax = "dagger-py"

    def __init__(self, files: list[tuple[str, ast.Module]], budget: Budget, cwd: str | None):
        self.budget = budget
        self.cwd = cwd
        self.funcs: dict[str, list[PyFunc]] = {}
        self.consts: dict[str, tuple[str, ast.expr]] = {}
        self.events: list[Event] = []
        self._stack: list[PyFunc] = []
        self._depth = 0
        self._path = files[0][0] if files else ""
        self._memo: dict[tuple[int, tuple[Val, ...]], tuple[Val, list[Event]]] = {}
        self.exported: set[int] = set()
        for path, module in files:
            self._declare(path, module)

    def _declare(self, path: str, module: ast.Module) -> None:
        for node in module.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.funcs.setdefault(node.name, []).append(
                    PyFunc(path, node, node.name, None, _params(node, False))
                )
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        func = PyFunc(path, item, item.name, node.name, _params(item, True))
                        self.funcs.setdefault(item.name, []).append(func)
                        if _is_function_decorated(item):
                            self.exported.add(id(item))
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                self.consts[node.targets[0].id] = (path, node.value)
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.value is not None
            ):
                self.consts[node.target.id] = (path, node.value)

    def entries(self) -> list[PyFunc]:
        """`@function` methods (module functions) and a program's `main`."""
        out = [f for decls in self.funcs.values() for f in decls if id(f.node) in self.exported]
        out.extend(f for f in self.funcs.get("main", []) if f.owner is None)
        return out

    def run(self, func: PyFunc, bound: dict[str, Val]) -> tuple[Val, ...]:
        args = [bound.get(p.name, _default(p)) for p in func.params]
        return (self.invoke(func, args),)

    def invoke(self, func: PyFunc, args: list[Val]) -> Val:
        if func in self._stack or len(self._stack) >= MAX_CALL_DEPTH:
            return Unknown(func.name)
        key = (id(func.node), tuple(args))
        if key in self._memo:
            result, events = self._memo[key]
            self.events.extend(events)
            return result
        first = len(self.events)
        frame = _Frame()
        for i, param in enumerate(func.params):
            frame.scope[param.name] = args[i] if i < len(args) else _default(param)
        self._stack.append(func)
        outer, self._path = self._path, func.path
        try:
            self.block(func.node.body, frame)
        finally:
            self._stack.pop()
            self._path = outer
        result = _join(frame.returns)
        self._memo[key] = (result, self.events[first:])
        return result

    # statements
    def block(self, body: list[ast.stmt], frame: _Frame) -> None:
        for stmt in body:
            if not self._enter(stmt.lineno):
                return
            try:
                self.statement(stmt, frame)
            finally:
                self._depth -= 1

    def _enter(self, line: int) -> bool:
        if not self.budget.step(line, self._path):
            return False
        if self._depth >= MAX_NESTING:
            return self.budget.refuse(
                f"Python code nested more than {MAX_NESTING} levels deep", line, self._path
            )
        self._depth += 1
        return True

    def statement(self, stmt: ast.stmt, frame: _Frame) -> None:
        if isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, frame)
            for target in stmt.targets:
                self._assign(target, value, frame)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._assign(stmt.target, self.eval(stmt.value, frame), frame)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            old = frame.scope.get(stmt.target.id, Unknown(stmt.target.id))
            value = self.eval(stmt.value, frame)
            if isinstance(stmt.op, ast.Add):
                value = concat(old, value, self.budget, stmt.lineno, self._path)
            self._set(stmt.target.id, value if isinstance(stmt.op, ast.Add) else Unknown("op"), frame)
        elif isinstance(stmt, ast.Expr):
            self._expression_statement(stmt.value, frame)
        elif isinstance(stmt, ast.Return):
            frame.returns.append(self.eval(stmt.value, frame) if stmt.value is not None else Unknown("None"))
        elif isinstance(stmt, ast.If | ast.Try | ast.While):
            self._branches(stmt, frame)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            self._for(stmt, frame)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                value = self.eval(item.context_expr, frame)
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, value, frame)
            self.block(stmt.body, frame)

    def _expression_statement(self, value: ast.expr, frame: _Frame) -> None:
        # `variants.append(x)`: the list grows
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "append"
            and isinstance(value.func.value, ast.Name)
            and len(value.args) == 1
        ):
            name = value.func.value.id
            current = frame.scope.get(name)
            item = self.eval(value.args[0], frame)
            if isinstance(current, Items) and self.budget.items_ok(
                len(current.items) + 1, value.lineno, self._path
            ):
                self._set(name, Items((*current.items, item)), frame)
            else:
                self._set(name, Unknown(name), frame)
            return
        self.eval(value, frame)

    def _branches(self, stmt: ast.If | ast.Try | ast.While, frame: _Frame) -> None:
        if isinstance(stmt, ast.If | ast.While):
            self.eval(stmt.test, frame)
        bodies = [stmt.body, stmt.orelse]
        if isinstance(stmt, ast.Try):
            bodies = [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]
        frame.branch += 1
        for body in bodies:
            self.block(body, frame)
        frame.branch -= 1

    def _for(self, stmt: ast.For | ast.AsyncFor, frame: _Frame) -> None:
        collection = self.eval(stmt.iter, frame)
        items = collection.items if isinstance(collection, Items) else None
        if items is None or len(items) > MAX_LOOP_ITEMS:
            self._assign(stmt.target, Unknown("item"), frame)
            self.block(stmt.body, frame)
            return
        for item in items:
            self._assign(stmt.target, item, frame)
            self.block(stmt.body, frame)

    def _assign(self, target: ast.expr, value: Val, frame: _Frame) -> None:
        if isinstance(target, ast.Name):
            self._set(target.id, value, frame)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._assign(element, Unknown("unpacked"), frame)

    def _set(self, name: str, value: Val, frame: _Frame) -> None:
        if frame.branch and name in frame.scope:
            value = merge(frame.scope[name], value)
        frame.scope[name] = value

    # expressions
    def eval(self, node: ast.expr | None, frame: _Frame) -> Val:
        if node is None:
            return Unknown()
        if not self._enter(getattr(node, "lineno", 0)):
            return Unknown("limit")
        try:
            return self._eval(node, frame)
        finally:
            self._depth -= 1

    def _eval(self, node: ast.expr, frame: _Frame) -> Val:
        where = Location(self._path, getattr(node, "lineno", 0))
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return Text(node.value, True, where)
            if isinstance(node.value, bool):
                return Text(str(node.value).lower(), True, where)
            return Unknown("constant")
        if isinstance(node, ast.Name):
            return self._lookup(node.id, frame)
        if isinstance(node, ast.Await):
            return self.eval(node.value, frame)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.eval(node.left, frame), self.eval(node.right, frame)
            return concat(left, right, self.budget, where.line, self._path)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, frame)
        if isinstance(node, ast.List | ast.Tuple):
            if not self.budget.items_ok(len(node.elts), where.line, self._path):
                return Unknown("limit")
            return Items(tuple(self.eval(e, frame) for e in node.elts))
        if isinstance(node, ast.Call):
            return self._call(node, frame, where)
        if isinstance(node, ast.Attribute):
            self.eval(node.value, frame)
            return Unknown(node.attr)
        return Unknown(type(node).__name__)

    def _fstring(self, node: ast.JoinedStr, frame: _Frame) -> Val:
        """The parts joined once (joined one by one, 100,000 parts copied the string as often)."""
        parts: list[Text] = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                value = self.eval(part.value, frame) if part.format_spec is None else Unknown("format")
                parts.append(
                    value if isinstance(value, Text) else Text(f"${{{_source_name(part.value)}}}", False)
                )
            else:
                parts.append(as_text(self.eval(part, frame)))
        if not text_fits(sum(len(p.text) for p in parts), self.budget, node.lineno, self._path):
            return Unknown("limit")
        return Text("".join(p.text for p in parts), all(p.known for p in parts))

    def _lookup(self, name: str, frame: _Frame) -> Val:
        if name in frame.scope:
            return frame.scope[name]
        if name in ("dag", "client"):
            return Client()
        if name in self.consts:
            path, node = self.consts.pop(name)  # evaluated once: a constant cannot refer to itself
            outer, self._path = self._path, path
            try:
                value = self.eval(node, _Frame())
            finally:
                self._path = outer
                self.consts[name] = (path, node)
            return value
        return Unknown(name)

    def _kwargs(self, node: ast.Call, frame: _Frame) -> Fields:
        return Fields("kwargs", tuple((k.arg, self.eval(k.value, frame)) for k in node.keywords if k.arg))

    def _call(self, node: ast.Call, frame: _Frame, where: Location) -> Val:
        fn = node.func
        if isinstance(fn, ast.Name):
            args = [self.eval(a, frame) for a in node.args]
            self._kwargs(node, frame)
            local = self._local(fn.id, method=False)
            if fn.id == "str" and args:
                return args[0]
            return self.invoke(local, args) if local is not None else Unknown(fn.id)
        if not isinstance(fn, ast.Attribute):
            return Unknown("call")
        if isinstance(fn.value, ast.Name) and fn.value.id == "dagger" and fn.value.id not in frame.scope:
            args = [self.eval(a, frame) for a in node.args]
            if fn.attr == "Platform":
                return args[0] if args else Unknown("platform")
            if fn.attr in ("Connection", "connection"):
                return Client()
            self._kwargs(node, frame)
            return Unknown(f"dagger.{fn.attr}")
        receiver = self.eval(fn.value, frame)
        args = [self.eval(a, frame) for a in node.args]
        kwargs = self._kwargs(node, frame)
        method = fn.attr
        if isinstance(fn.value, ast.Name) and fn.value.id == "self":
            local = self._local(method, method=True)
            return self.invoke(local, args) if local is not None else Unknown(method)
        if isinstance(receiver, Client):
            return self._client(method, kwargs, where)
        if isinstance(receiver, HostV):
            if method == "directory" and args and isinstance(args[0], Text) and args[0].known:
                return Dir(join(self.cwd, args[0].text))
            return Unknown(method)
        if isinstance(receiver, Dir):
            return self._dir(receiver, method, args, kwargs, where)
        if isinstance(receiver, Ctr):
            return self._ctr(receiver, method, args, kwargs, node, where)
        return Unknown(method)

    def _local(self, name: str, method: bool) -> PyFunc | None:
        decls = [f for f in self.funcs.get(name, []) if (f.owner is not None) == method]
        return decls[0] if len(decls) == 1 else None

    def _client(self, method: str, kwargs: Fields, where: Location) -> Val:
        if method == "container":
            return Ctr(where, kwargs.get("platform"))
        if method == "host":
            return HostV()
        if method == "default_platform":
            return EnginePlatform()
        return Unknown(method)

    def _dir(self, receiver: Dir, method: str, args: list[Val], kwargs: Fields, where: Location) -> Val:
        if method == "docker_build":
            return _dockerfile_build(Ctr(where, kwargs.get("platform")), receiver, kwargs)
        if method == "directory" and args and isinstance(args[0], Text) and args[0].known:
            return Dir(join(receiver.path, args[0].text), receiver.ctr)
        if method.startswith(("with_", "without_")):
            return receiver
        return Unknown(method)

    def _ctr(
        self, ctr: Ctr, method: str, args: list[Val], kwargs: Fields, node: ast.Call, where: Location
    ) -> Val:
        if method == "from_":
            ref = args[0] if args else kwargs.get("address")
            return replace(ctr, base=ref.text if isinstance(ref, Text) else "${image}")
        if method == "build":
            context = args[0] if args and isinstance(args[0], Dir) else kwargs.get("context")
            return _dockerfile_build(ctr, context if isinstance(context, Dir) else Dir(None), kwargs)
        if method == "publish":
            address = args[0] if args else kwargs.get("address") or Unknown("address")
            variants = kwargs.get("platform_variants")
            text = address if isinstance(address, Text) else Text("${address}", False)
            found = (
                tuple(v for v in variants.items if isinstance(v, Ctr)) if isinstance(variants, Items) else ()
            )
            self.events.append(Published(ctr, text, found, where))
            return replace(text, where=None)
        if method == "with_exec":
            argv = args[0] if args else kwargs.get("args")
            if isinstance(argv, Items):
                first = node.args[0] if node.args else None
                elts = first.elts if isinstance(first, ast.List | ast.Tuple) else []
                lines = (
                    tuple(e.lineno for e in elts)
                    if len(elts) == len(argv.items)
                    else (where.line,) * len(argv.items)
                )
                self.events.append(Exec(argv.items, lines, where))
            return ctr
        if method == "directory":
            return Dir(None, ctr)
        if method == "platform":
            return ctr.platform if ctr.platform is not None else EnginePlatform()
        if method == "sync" or method.startswith(("with_", "without_")):
            return ctr
        return Unknown(method)


def _dockerfile_build(ctr: Ctr, context: Dir, kwargs: Fields) -> Ctr:
    dockerfile = kwargs.get("dockerfile")
    target = kwargs.get("target")
    name = dockerfile.text if isinstance(dockerfile, Text) and dockerfile.known else None
    if dockerfile is None:
        name = "Dockerfile"
    build_args = kwargs.get("build_args")
    return replace(
        ctr,
        base=None,
        dockerfile=join(context.path, name) if name is not None and context.ctr is None else None,
        context=context.path if context.ctr is None else None,
        target=target.text if isinstance(target, Text) and target.known else None,
        build_args=frozenset() if build_args is None else None,
        dockerfile_build=True,
    )


def _default(param: Param) -> Val:
    if param.type_text.endswith("Directory"):
        return Dir(None)
    return Unknown(param.name)


def _join(returns: list[Val]) -> Val:
    if not returns:
        return Unknown("None")
    first = returns[0]
    for other in returns[1:]:
        first = merge(first, other)
    return first
