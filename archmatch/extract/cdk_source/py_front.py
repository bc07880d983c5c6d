"""Python front end: `ast` trees evaluated into `values` (nothing is imported or executed).

Resolves module-level and function-local names assigned once, `self.x = ...` attributes, class
attributes, `from aws_cdk import aws_lambda as lambda_`, `import aws_cdk.aws_ecs as ecs`, imports
of other app modules, dict/`**` spreads, conditional expressions, f-strings, `os.path` and
`pathlib` arithmetic. Keyword arguments are camel-cased (`cpu_architecture` -> `cpuArchitecture`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from archmatch.extract.budget import Budget
from archmatch.extract.cdk_source import py_flow, semantics
from archmatch.extract.cdk_source.values import (
    Arr,
    Call,
    ClassV,
    FuncV,
    Host,
    Null,
    Num,
    Obj,
    PathV,
    Ref,
    Str,
    Unknown,
    Val,
    as_obj,
    camel,
    choice,
    concat,
    instance_class,
    join_paths,
    or_default,
)
from archmatch.model import CdkSyntax


class Program(Protocol):
    """What a file needs of the app it belongs to (`program.Program`): its folder, its evaluation
    budget and the other files it imports."""

    app_dir: str
    budget: Budget

    open_world: bool

    def resolve_py(self, from_path: str, module: str, level: int) -> PyFile | None: ...

    def enter(self, line: int, path: str) -> bool: ...

    def leave(self) -> None: ...

    def py_call_sites(self) -> Mapping[str, Sequence[tuple[PyFile, ast.Call]]]: ...


MAX_DEPTH = 60
_SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _after(node: ast.AST, stmt: ast.AST) -> bool:
    """Whether `node` starts after `stmt` ends."""
    start = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
    return start >= (getattr(stmt, "end_lineno", 0) or 0, getattr(stmt, "end_col_offset", 0) or 0)


class PyModuleV(Val):
    def __init__(self, path: str, line: int, file: PyFile):
        super().__init__(path, line)
        self.file = file


class PyFile:
    def __init__(self, program: Program, path: str, source: str, tree: ast.Module):
        self.program = program
        self.path = path
        self.lines = source.split("\n")
        self.syntax: CdkSyntax = "cdk-py"
        self.tree = tree
        self.parents: dict[int, ast.AST] = {}
        self.bindings: dict[int, dict[str, list[ast.AST]]] = {}
        self.imports: dict[str, tuple[str, str | None, int]] = {}  # name -> (module, attr | None, level)
        self.module_imports: list[tuple[str, int, list[str]]] = []  # (module, level, imported names)
        self._cache: dict[int, Val] = {}
        self._busy: set[int] = set()
        self._param_values: dict[int, Val] = {}
        self._returns: dict[int, Val] = {}
        self._index()

    def _scope_of(self, node: ast.AST) -> ast.AST:
        cur = self.parents.get(id(node))
        while cur is not None and not isinstance(cur, _SCOPES):
            cur = self.parents.get(id(cur))
        return cur if cur is not None else self.tree

    def _enclosing_class(self, node: ast.AST) -> ast.ClassDef | None:
        cur = self.parents.get(id(node))
        while cur is not None and not isinstance(cur, ast.ClassDef):
            cur = self.parents.get(id(cur))
        return cur

    def _bind(self, scope: ast.AST, name: str, value: ast.AST) -> None:
        self.bindings.setdefault(id(scope), {}).setdefault(name, []).append(value)

    def _index(self) -> None:
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[id(child)] = parent
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = (alias.name, None, 0)
                    else:
                        top = alias.name.split(".")[0]
                        self.imports[top] = (top, None, 0)
                    self.module_imports.append((alias.name, 0, []))
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                for alias in node.names:
                    if alias.name != "*":
                        self.imports[alias.asname or alias.name] = (module, alias.name, node.level)
                self.module_imports.append((module, node.level, [a.name for a in node.names]))
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    self._index_target(node, target, node.value)
            elif isinstance(node, ast.AugAssign | ast.For | ast.AsyncFor | ast.withitem | ast.NamedExpr):
                bound: Any = getattr(node, "target", None) or getattr(node, "optional_vars", None)
                if isinstance(bound, ast.Name):  # a loop/with/augmented target: unresolvable
                    self._bind(self._scope_of(node), bound.id, node)
            elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                self._bind(self._scope_of(node), node.name, node)
            elif isinstance(node, ast.arguments):
                for arg in [*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg]:
                    if arg is not None:
                        self._bind(self._scope_of(node), arg.arg, arg)

    def _index_target(self, stmt: ast.AST, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self._bind(self._scope_of(stmt), target.id, value)
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            cls = self._enclosing_class(stmt)
            if cls is not None:
                self._bind(cls, "self." + target.attr, value)
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                if isinstance(elt, ast.Name):  # tuple unpacking: unresolvable
                    self._bind(self._scope_of(stmt), elt.id, stmt)

    # ---- lookup -----------------------------------------------------------------------------
    def calls(self) -> Iterator[ast.Call]:
        found = [n for n in ast.walk(self.tree) if isinstance(n, ast.Call)]
        found.sort(key=lambda n: (n.lineno, n.col_offset))
        return iter(found)

    def lookup(self, name: str, at: ast.AST) -> Val:
        line = getattr(at, "lineno", 0)
        cur: ast.AST | None = at
        while cur is not None:
            if isinstance(cur, _SCOPES) and (found := self.bindings.get(id(cur), {}).get(name)):
                if len(found) > 1:
                    chosen = self._branch_value(found, cur, at)
                    if chosen is not None:
                        return chosen
                    return Unknown(self.path, line, f"{name} is assigned more than once")
                return self._binding_value(found[0], line)
            cur = self.parents.get(id(cur))
        return self.global_name(name, line)

    def _branch_value(self, found: list[ast.AST], scope: ast.AST, at: ast.AST) -> Val | None:
        """A name given its value in the branches of one `if` or the cases of one `match` (after an
        optional `x = None`) and read (`at`) after that statement: one of those values (`td = None;
        if ec2: td = Ec2TaskDefinition(...) else: td = FargateTaskDefinition(...)`). None when any
        other assignment sets it (in sequence, in a loop, by unpacking, in the branches of a second
        statement) or the read stands before the statement's end (inside a branch, the value is
        that branch's): its value then depends on the order of execution."""
        values = []
        for node in found:
            stmt = self.parents.get(id(node))
            if not isinstance(stmt, ast.Assign | ast.AnnAssign) or stmt.value is not node:
                return None
            if self._in_branch(stmt, scope):
                values.append(node)
            elif not (isinstance(node, ast.Constant) and node.value is None):
                return None
        statements = {id(top): top for top in (self._statement_in(node, scope) for node in values)}
        if len(statements) != 1 or not _after(at, next(iter(statements.values()))):
            return None
        return choice([self.eval(node) for node in values], self.path, getattr(at, "lineno", 0))

    def _statement_in(self, node: ast.AST, scope: ast.AST) -> ast.AST:
        """The statement of `scope`'s body that holds `node`."""
        cur = node
        while (parent := self.parents.get(id(cur))) is not None and parent is not scope:
            cur = parent
        return cur

    def _in_branch(self, stmt: ast.AST, scope: ast.AST) -> bool:
        """Whether a statement stands in a branch of an `if`/`match` of `scope`, and in no loop."""
        in_branch = False
        cur = self.parents.get(id(stmt))
        while cur is not None and cur is not scope:
            if isinstance(cur, ast.For | ast.AsyncFor | ast.While):
                return False
            in_branch = in_branch or isinstance(cur, ast.If | ast.match_case)
            cur = self.parents.get(id(cur))
        return in_branch

    def _binding_value(self, node: ast.AST, line: int) -> Val:
        if isinstance(node, ast.ClassDef):
            return self._class_value(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return FuncV(self.path, node.lineno, node.name, node, self)
        if isinstance(node, ast.arg):
            return self._param_value(node, line)
        if isinstance(node, ast.expr):
            return self.eval(node)
        return Unknown(self.path, line, "parameter or computed name")

    def _param_value(self, arg: ast.arg, line: int) -> Val:
        key = id(arg)
        if key not in self._param_values:
            self._param_values[key] = Unknown(self.path, line, f"parameter {arg.arg} (recursive)")
            self._param_values[key] = self._callers_pass(arg, line)
        return self._param_values[key]

    def _callers_pass(self, arg: ast.arg, line: int) -> Val:
        """What the callers pass for a parameter: one value, or a choice of theirs."""
        param = py_flow.param_of(self, arg)
        if param is None or (param.index is None and param.default is None and param.star):
            return Unknown(self.path, line, f"parameter {arg.arg}")
        sites = py_flow.callers(self, param.function)
        if sites is None:
            return Unknown(self.path, line, f"parameter {arg.arg}: more than {py_flow.MAX_CALLERS} callers")
        values: list[Val] = []
        for file, site in sites:
            value = py_flow.argument(file, site, param)
            if isinstance(value, Null) and param.default is not None:
                value = self.eval(param.default)
            values.append(value)
        if not sites or (self.program.open_world and py_flow.externally_callable(param.function, self)):
            values.append(Unknown(self.path, line, f"parameter {arg.arg} (callers outside the app)"))
        return choice(values, self.path, line, why="callers")

    def member_of_class(self, cls: ast.ClassDef, name: str, line: int) -> Val:
        """`self.name` / `instance.name` of a class declared here: an attribute, a property, a
        method."""
        found = self.bindings.get(id(cls), {}).get("self." + name)
        if found:
            if len(found) > 1:
                return Unknown(self.path, line, f"self.{name} is assigned more than once")
            return self._binding_value(found[0], line)
        method = py_flow.find_method(cls, name)
        if method is not None:
            if py_flow.is_property(method):
                return self.returns(method)
            return FuncV(self.path, method.lineno, name, method, self)
        return Unknown(self.path, line, f"self.{name}")

    def returns(self, fn: py_flow.FunctionNode) -> Val:
        key = id(fn)
        if key not in self._returns:
            self._returns[key] = Unknown(self.path, fn.lineno, "recursive function")
            self._returns[key] = py_flow.returns(self, fn)
        return self._returns[key]

    def _class_value(self, node: ast.ClassDef) -> ClassV:
        fields: dict[str, object] = {}
        for stmt in node.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                fields[stmt.targets[0].id] = stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.value is not None
            ):
                fields[stmt.target.id] = stmt.value
        return ClassV(self.path, node.lineno, node.name, fields, self, node)

    def top_level(self, name: str) -> Val | None:
        found = self.bindings.get(id(self.tree), {}).get(name)
        if found:
            return (
                self._binding_value(found[0], 0)
                if len(found) == 1
                else Unknown(self.path, 0, f"{name} is assigned more than once")
            )
        if name in self.imports:
            return self.global_name(name, 0)
        return None

    def global_name(self, name: str, line: int) -> Val:
        if name in self.imports:
            module, attr, level = self.imports[name]
            if level == 0 and (canonical := semantics.py_module(module)) is not None:
                base = Ref(self.path, line, canonical, module=True)
                return base if attr is None else semantics.member(base, attr, self.path, line)
            other = self.program.resolve_py(self.path, module, level)
            if other is not None:
                if attr is None:
                    return PyModuleV(self.path, line, other)
                value = other.top_level(attr)
                if value is not None:
                    return value
            if attr is not None and (
                sub_module := self.program.resolve_py(
                    self.path, f"{module}.{attr}" if module else attr, level
                )
            ):
                return PyModuleV(self.path, line, sub_module)
            return Unknown(self.path, line, f"{name} from {module or '.'}")
        if name == "__file__":
            return PathV(self.path, line, self.path)
        if name == "str":
            return Ref(self.path, line, "py:str")
        if name == "None":
            return Null(self.path, line)
        return Unknown(self.path, line, name)

    # ---- evaluation -------------------------------------------------------------------------
    def eval(self, node: ast.AST | None) -> Val:
        if node is None:
            return Null(self.path, 0)
        key = id(node)
        if key in self._cache:
            return self._cache[key]
        if key in self._busy or len(self._busy) > MAX_DEPTH:
            return Unknown(self.path, getattr(node, "lineno", 0), "recursive definition")
        if not self.program.budget.step(getattr(node, "lineno", 0), self.path):
            return Unknown(self.path, getattr(node, "lineno", 0), "over the evaluation budget")
        if not self.program.enter(getattr(node, "lineno", 0), self.path):
            return Unknown(self.path, getattr(node, "lineno", 0), "nested too deeply")
        self._busy.add(key)
        try:
            value = self._eval(node)
        finally:
            self._busy.discard(key)
            self.program.leave()
        self._cache[key] = value
        return value

    def _eval(self, node: ast.AST) -> Val:
        p, line = self.path, getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return Str(p, line, node.value)
            if isinstance(node.value, bool | int | float):
                return Num(p, line, float(node.value))
            if node.value is None:
                return Null(p, line)
            return Unknown(p, line, repr(node.value)[:80])
        if isinstance(node, ast.Name):
            return self.lookup(node.id, node)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Dict):
            return self._dict(node)
        if isinstance(node, ast.List | ast.Tuple):
            return self._list(node)
        if isinstance(node, ast.JoinedStr):
            parts = [
                self.eval(v.value) if isinstance(v, ast.FormattedValue) else self.eval(v) for v in node.values
            ]
            names = [ast.unparse(v.value) if isinstance(v, ast.FormattedValue) else "" for v in node.values]
            return concat(parts, p, line, self.program.budget, names) if parts else Str(p, line, "")
        if isinstance(node, ast.IfExp):
            return self._choice(node.test, [node.body, node.orelse], line)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.BoolOp):
            values = [self.eval(v) for v in node.values]
            if host := next((v for v in values if isinstance(v, Host)), None):
                return Host(p, line, host.source)
            if isinstance(node.op, ast.Or) and len(values) == 2:
                return or_default(values[0], values[1], True, p, line)
            return Unknown(p, line, "boolean expression")
        if isinstance(node, ast.Compare):
            values = [self.eval(node.left), *(self.eval(c) for c in node.comparators)]
            if host := next((v for v in values if isinstance(v, Host)), None):
                return Host(p, line, host.source)
            return Unknown(p, line, "comparison")
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Starred):
            return Unknown(p, line, "starred expression")
        if isinstance(node, ast.Lambda):
            return FuncV(p, line, "", node, self)
        return Unknown(p, line, type(node).__name__)

    def _attribute(self, node: ast.Attribute) -> Val:
        line = node.lineno
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            cls = self._enclosing_class(node)
            if cls is not None and not self.bindings.get(id(cls), {}).get("self." + node.attr):
                return self.member_of_class(cls, node.attr, line)
            return self.lookup("self." + node.attr, node)
        base = self.eval(node.value)
        instance = instance_class(base)
        if (
            instance is not None
            and isinstance(instance.source, PyFile)
            and isinstance(instance.node, ast.ClassDef)
        ):
            return instance.source.member_of_class(instance.node, node.attr, line)
        if isinstance(base, ClassV):
            field_node = base.fields.get(node.attr)
            if isinstance(field_node, ast.AST) and isinstance(base.source, PyFile):
                return base.source.eval(field_node)
            return Unknown(self.path, line, f"{base.name}.{node.attr}")
        if isinstance(base, PyModuleV):
            value = base.file.top_level(node.attr)
            if value is not None:
                return value
            sub = (
                self.program.resolve_py(base.file.path, "." + node.attr, 1)
                if base.file.path.endswith("__init__.py")
                else None
            )
            return PyModuleV(self.path, line, sub) if sub is not None else Unknown(self.path, line, node.attr)
        return semantics.member(base, node.attr, self.path, line)

    def _subscript(self, node: ast.Subscript) -> Val:
        base, key = self.eval(node.value), self.eval(node.slice)
        line = node.lineno
        if isinstance(key, Host) or isinstance(base, Host):
            return Host(self.path, line, (key if isinstance(key, Host) else base).source)  # type: ignore[attr-defined]
        if isinstance(base, Obj | Ref) and isinstance(key, Str):
            return semantics.member(base, key.value, self.path, line)
        if (
            isinstance(base, Arr)
            and isinstance(key, Num)
            and -len(base.items) <= int(key.value) < len(base.items)
        ):
            return base.items[int(key.value)]
        if isinstance(base, Call) and base.callee in semantics.HOST_CALLS:
            return Host(self.path, line, base.callee.split(":", 1)[1] + "()")
        return Unknown(self.path, line, "subscript")

    def _dict(self, node: ast.Dict) -> Obj:
        out = Obj(self.path, node.lineno)
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:  # {**other}
                spread = self.eval(value_node)
                if isinstance(spread, Obj):
                    out.fields.update(spread.fields)
                    out.key_lines.update(spread.key_lines)
                    out.open = out.open or spread.open
                elif not isinstance(spread, Null):
                    out.open = True
                continue
            key = self.eval(key_node)
            if not isinstance(key, Str):
                out.open = True
                continue
            out.fields[key.value] = self.eval(value_node)
            out.key_lines[key.value] = key_node.lineno
        return out

    def _list(self, node: ast.List | ast.Tuple) -> Arr:
        out = Arr(self.path, node.lineno)
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                spread = self.eval(elt.value)
                if isinstance(spread, Arr):
                    out.items.extend(spread.items)
                    if not self.program.budget.items_ok(len(out.items), out.line, self.path):
                        return Arr(self.path, out.line, open=True)
                else:
                    out.open = True
            else:
                out.items.append(self.eval(elt))
        return out

    def _kwargs(self, node: ast.Call) -> Obj:
        out = Obj(self.path, node.lineno)
        for kw in node.keywords:
            if kw.arg is None:
                spread = as_obj(self.eval(kw.value))
                out.fields.update({camel(k): v for k, v in spread.fields.items()})
                out.key_lines.update({camel(k): v for k, v in spread.key_lines.items()})
                out.open = out.open or spread.open
            else:
                out.fields[camel(kw.arg)] = self.eval(kw.value)
                out.key_lines[camel(kw.arg)] = kw.lineno
        return out

    def _call(self, node: ast.Call) -> Val:
        line = node.lineno
        text = self._segment(node)
        args: list[Val] = []
        for a in node.args:
            args.append(Unknown(self.path, a.lineno, "*args") if isinstance(a, ast.Starred) else self.eval(a))
        kwargs = self._kwargs(node)
        app_dir = self.program.app_dir
        fn = node.func
        if isinstance(fn, ast.Attribute) and not (isinstance(fn.value, ast.Name) and fn.value.id == "self"):
            receiver = self.eval(fn.value)
            if isinstance(receiver, ClassV | PyModuleV) or instance_class(receiver) is not None:
                value = self._invoke(self.eval(fn), args, kwargs, node)
            else:
                value = semantics.method(receiver, fn.attr, args, kwargs, self.path, line, app_dir, text)
        else:
            value = self._invoke(self.eval(fn), args, kwargs, node)
        if isinstance(value, Call) and not value.column:  # not a call another node returned
            value.column = node.col_offset + 1
            value.end_line = getattr(node, "end_lineno", line) or line
            elements: list[ast.expr | ast.keyword] = [*node.args, *node.keywords]
            ends = [(a.end_lineno or a.lineno, a.end_col_offset or 0) for a in elements]
            value.args_end = max(ends) if ends else None
        return value

    def _invoke(self, callee: Val, args: list[Val], kwargs: Obj, node: ast.Call) -> Val:
        """A call of a function declared in the app gives its return value."""
        if isinstance(callee, FuncV):
            source, declared = callee.source, callee.node
            if isinstance(source, PyFile) and isinstance(declared, py_flow.FunctionNode):
                return source.returns(declared)
        text = self._segment(node)
        return semantics.invoke(callee, args, kwargs, self.path, node.lineno, self.program.app_dir, text)

    def _segment(self, node: ast.expr) -> str:
        """Source text of a node, for messages (col offsets are UTF-8 byte offsets)."""
        end_line = node.end_lineno or node.lineno
        chunk = "\n".join(self.lines[node.lineno - 1 : end_line]).encode()
        end = len(chunk) - len(self.lines[end_line - 1].encode()) + (node.end_col_offset or 0)
        return chunk[node.col_offset : end].decode("utf-8", "replace")

    def _choice(self, test_node: ast.AST, branches: list[ast.AST], line: int) -> Val:
        test = self.eval(test_node)
        values = [self.eval(b) for b in branches]
        if isinstance(test, Host) or any(isinstance(v, Host) for v in values):
            source = (
                test.source
                if isinstance(test, Host)
                else next(v.source for v in values if isinstance(v, Host))
            )
            return Host(self.path, line, source)
        return choice(values, self.path, line)

    def _binop(self, node: ast.BinOp) -> Val:
        left, right = self.eval(node.left), self.eval(node.right)
        line = node.lineno
        if isinstance(node.op, ast.Div) and isinstance(left, PathV):
            return join_paths([left, right], self.path, line)
        if isinstance(node.op, ast.Add):
            names = [ast.unparse(node.left), ast.unparse(node.right)]
            return concat([left, right], self.path, line, self.program.budget, names)
        if isinstance(left, Host) or isinstance(right, Host):
            return Host(self.path, line, (left if isinstance(left, Host) else right).source)  # type: ignore[attr-defined]
        return Unknown(self.path, line, "arithmetic")
