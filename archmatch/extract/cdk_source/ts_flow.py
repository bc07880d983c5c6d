"""Data flow through the functions of a TypeScript/JavaScript CDK app: parameters take the values
their callers pass, calls give the function's return value.

The analysis is context-insensitive, so every node keeps one value (the evaluator's cache and the
identity of construct calls stay valid): a parameter is the value its callers pass, or a `Choice`
when they pass different ones; a function with several `return`s gives a `Choice` of them. The
callers are found among the calls of the files the program read (`new C(...)`, `super(...)` in a
subclass, `f(...)`, `this.m(...)`, `obj.m(...)` on an instance of the class). In a construct
library (no `cdk.json`), an exported function or class may also be called by code outside the
repository: its parameters then stay partly unknown. Callers and alternatives are bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tree_sitter import Node

from archmatch.extract.cdk_source.values import (
    ClassV,
    FuncV,
    Null,
    Unknown,
    Val,
    choice,
    instance_class,
)

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "method_definition",
        "arrow_function",
        "function_expression",
        "function",
        "generator_function",
    }
)
MAX_CALLERS = 16  # callers of one function looked at; more make its parameters unknown
_PARAM_TYPES = frozenset({"required_parameter", "optional_parameter"})


@dataclass(frozen=True)
class Param:
    """Where a parameter name comes from: the function, the argument position, the property of a
    destructured argument (`{ image }: Props`), and the default written in the signature."""

    function: Node
    index: int
    key: str | None
    default: Node | None
    rest: bool = False


class FlowProgram(Protocol):
    """What the flow needs of the program (`program.Program`)."""

    @property
    def open_world(self) -> bool: ...

    def ts_call_sites(self) -> Mapping[str, Sequence[tuple[TsFile, Node]]]: ...


class TsFile(Protocol):
    """What the flow needs of a file (`ts_front.TsFile`)."""

    @property
    def path(self) -> str: ...

    @property
    def commonjs_exports(self) -> bool: ...

    @property
    def params(self) -> dict[tuple[int, str], Param]: ...

    @property
    def program(self) -> FlowProgram: ...

    def eval(self, node: Node | None) -> Val: ...

    def bind_in(self, scope: Node, name: str, value: Node) -> None: ...


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def key_of(node: Node) -> tuple[int, int, str]:
    return (node.start_byte, node.end_byte, node.type)


def index_parameters(file: TsFile, fn: Node) -> None:
    """Bind the parameter names of `fn` in its own scope."""
    single = fn.child_by_field_name("parameter")  # `x => ...`
    params = fn.child_by_field_name("parameters")
    elements = [single] if single is not None else list(params.named_children) if params is not None else []
    index = 0
    for element in elements:
        if element.type in ("comment", "this"):
            continue
        pattern: Node | None = element
        default: Node | None = None
        if element.type in _PARAM_TYPES:
            pattern, default = element.child_by_field_name("pattern"), element.child_by_field_name("value")
        elif element.type == "assignment_pattern":
            pattern, default = element.child_by_field_name("left"), element.child_by_field_name("right")
        if pattern is not None and pattern.type == "this":
            continue  # `this: Foo` is a type annotation, not an argument
        _bind_pattern(file, fn, element, pattern, index, default)
        index += 1


def _bind_pattern(
    file: TsFile, fn: Node, element: Node, pattern: Node | None, index: int, default: Node | None
) -> None:
    if pattern is None:
        return
    if pattern.type == "identifier":
        file.params[(element.id, _text(pattern))] = Param(fn, index, None, default)
        file.bind_in(fn, _text(pattern), element)
    elif pattern.type == "rest_pattern":
        inner = next((c for c in pattern.named_children if c.type == "identifier"), None)
        if inner is not None:
            file.params[(element.id, _text(inner))] = Param(fn, index, None, None, rest=True)
            file.bind_in(fn, _text(inner), element)
    elif pattern.type == "object_pattern":
        for prop in pattern.named_children:
            name, key = "", ""
            if prop.type == "shorthand_property_identifier_pattern":
                name = key = _text(prop)
            elif prop.type == "pair_pattern":
                value = prop.child_by_field_name("value")
                if value is not None and value.type == "identifier":
                    name, key = _text(value), _text(prop.child_by_field_name("key"))
            if name:
                file.params[(element.id, name)] = Param(fn, index, key, None)
                file.bind_in(fn, name, element)


def enclosing_class(node: Node) -> Node | None:
    cur = node.parent
    while cur is not None and cur.type not in ("class_declaration", "class"):
        cur = cur.parent
    return cur


def superclass(cls: Node | None) -> Node | None:
    """The expression after `extends` (TypeScript: inside an extends clause)."""
    heritage = next((c for c in cls.named_children if c.type == "class_heritage"), None) if cls else None
    if heritage is None or not heritage.named_children:
        return None
    first = heritage.named_children[0]
    if first.type == "extends_clause":
        return first.child_by_field_name("value") or (
            first.named_children[0] if first.named_children else None
        )
    return first


def function_name(fn: Node) -> str:
    name = fn.child_by_field_name("name")
    if name is not None:
        return _text(name)
    parent = fn.parent
    if parent is not None and parent.type == "variable_declarator":
        return _text(parent.child_by_field_name("name"))
    return ""


def find_method(cls: Node, name: str) -> Node | None:
    body = cls.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        if member.type == "method_definition" and _text(member.child_by_field_name("name")) == name:
            return member
    return None


def _same(a: object, b: Node) -> bool:
    return isinstance(a, Node) and key_of(a) == key_of(b)


def _arguments(site: Node) -> list[Node]:
    args = site.child_by_field_name("arguments")
    return [c for c in args.named_children if c.type != "comment"] if args is not None else []


def _is_target(file: TsFile, site: Node, fn: Node, cls: Node | None, owner: TsFile) -> bool:
    """Does the call `site` (in `file`) call the function `fn` (declared in `owner`)?"""
    is_new = site.type == "new_expression"
    callee = site.child_by_field_name("constructor" if is_new else "function")
    if callee is None:
        return False
    if fn.type == "method_definition" and function_name(fn) == "constructor":
        if is_new:
            value = file.eval(callee)
            return isinstance(value, ClassV) and _same(value.node, cls) if cls is not None else False
        if callee.type == "super" and cls is not None:
            parent = superclass(enclosing_class(site))
            return parent is not None and _same(getattr(file.eval(parent), "node", None), cls)
        return False
    if is_new:
        return False
    if fn.type == "method_definition":
        if callee.type != "member_expression" or cls is None:
            return False
        obj = callee.child_by_field_name("object")
        if obj is None:
            return False
        if obj.type == "this":
            return file is owner and enclosing_class(site) is not None and _same(enclosing_class(site), cls)
        receiver = file.eval(obj)
        instance = instance_class(receiver)
        return (instance is not None and _same(instance.node, cls)) or (
            isinstance(receiver, ClassV) and _same(receiver.node, cls)
        )
    value = file.eval(callee)
    return isinstance(value, FuncV) and _same(value.node, fn)


def callers(owner: TsFile, fn: Node) -> list[tuple[TsFile, Node]] | None:
    """The calls of `fn` in the program's files; None when there are more than MAX_CALLERS."""
    cls = enclosing_class(fn) if fn.type == "method_definition" else None
    name = function_name(fn)
    if not name:
        return []
    wanted = [cls_name(cls), "super"] if name == "constructor" and cls is not None else [name]
    out: list[tuple[TsFile, Node]] = []
    for key in wanted:
        for file, site in owner.program.ts_call_sites().get(key, []):
            if _is_target(file, site, fn, cls, owner):
                out.append((file, site))
                if len(out) > MAX_CALLERS:
                    return None
    return out


def cls_name(cls: Node) -> str:
    return _text(cls.child_by_field_name("name"))


def argument(file: TsFile, site: Node, index: int, rest: bool) -> Val:
    """The value a call passes at position `index` (Null when it passes nothing there)."""
    args = _arguments(site)
    line = site.start_point.row + 1
    for i, arg in enumerate(args[: index + 1]):
        if arg.type == "spread_element":
            return Unknown(file.path, line, "spread arguments")
        if i == index:
            return Unknown(file.path, line, "rest parameter") if rest else file.eval(arg)
    return Unknown(file.path, line, "rest parameter") if rest and len(args) > index else Null(file.path, line)


def externally_callable(file: TsFile, fn: Node) -> bool:
    """In a library, may code outside the repository call `fn`? Exported functions and the public
    methods of exported classes may be."""
    if fn.type == "method_definition":
        if any(
            c.type == "accessibility_modifier" and _text(c) in ("private", "protected") for c in fn.children
        ):
            return False
        cls = enclosing_class(fn)
        return cls is not None and _exported(file, cls)
    return _exported(file, fn)


def _exported(file: TsFile, node: Node) -> bool:
    cur: Node | None = node
    while cur is not None:
        if cur.type == "export_statement":
            return True
        cur = cur.parent
    return file.commonjs_exports


def returns(file: TsFile, fn: Node) -> Val:
    """What calling `fn` gives: its expression body, or its `return` values (one choice)."""
    body = fn.child_by_field_name("body")
    line = fn.start_point.row + 1
    if body is None:
        return Unknown(file.path, line, "function without a body")
    if body.type != "statement_block":
        return file.eval(body)
    values: list[Val] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "return_statement":
            expr = next((c for c in node.named_children if c.type != "comment"), None)
            values.append(file.eval(expr) if expr is not None else Null(file.path, node.start_point.row + 1))
        elif node.type not in FUNCTION_TYPES and node.type not in ("class_declaration", "class"):
            stack.extend(reversed(node.named_children))
    if not values:
        return Null(file.path, line)
    return choice(values, file.path, line, why="conditional")


# ---- a `let` variable given its value in the branches of an `if` or a `switch` ----------------
_BRANCHES = frozenset({"if_statement", "else_clause", "switch_case", "switch_default"})
_UNSET = frozenset({"null", "undefined"})


def unset_declaration(value: Node | None) -> bool:
    """`let x;`, `let x = null;`, `let x = undefined;`: a variable declared without a value yet."""
    return value is None or value.type in _UNSET


def branch_assignments(
    assignments: Sequence[Node], scope: Node, declares: Callable[[Node], bool], used_at: Node
) -> list[Node]:
    """The plain `x = value` assignments (`assignments`, each an `assignment_expression`) that give a
    variable declared without a value in `scope` its value, when every one of them stands in a branch
    of one `if` or `switch` statement of that scope (not in a nested function, not under a nested
    declaration of the same name: `declares(scope_node)`) and the variable is read (`used_at`) after
    that statement: then it is one of their values (`let td = null; if (ec2) { td = new
    Ec2TaskDefinition(...) } else { td = new FargateTaskDefinition(...) }`). Empty when any assignment
    is elsewhere (sequential reassignment, a callback, a loop's accumulator, the branches of a second
    statement) or the read stands before the statement's end (inside a branch, the value is that
    branch's): its value then depends on the order of execution."""
    found = []
    for node in assignments:
        place = _assignment_place(node, scope, declares)
        if place == "branch":
            found.append(node)
        elif place == "elsewhere":
            return []
    statements = {_statement_in(node, scope).id: _statement_in(node, scope) for node in found}
    if len(statements) != 1 or used_at.start_byte < next(iter(statements.values())).end_byte:
        return []
    return found


def _statement_in(node: Node, scope: Node) -> Node:
    """The statement of `scope` that holds `node` (a descendant of it)."""
    cur = node
    while cur.parent is not None and cur.parent.id != scope.id:
        cur = cur.parent
    return cur


def _assignment_place(node: Node, scope: Node, declares: Callable[[Node], bool]) -> str:
    """Where an assignment stands relative to the variable declared in `scope`: "branch" (in an
    `if`/`switch` branch of that scope), "other" (another variable of the same name: outside the
    scope, or under a nested declaration) or "elsewhere" (unconditional, or in a nested function)."""
    in_branch = False
    cur = node.parent
    while cur is not None and cur.id != scope.id:
        if declares(cur):
            return "other"
        if cur.type in FUNCTION_TYPES:
            return "elsewhere"
        in_branch = in_branch or cur.type in _BRANCHES
        cur = cur.parent
    if cur is None:
        return "other"
    return "branch" if in_branch else "elsewhere"
