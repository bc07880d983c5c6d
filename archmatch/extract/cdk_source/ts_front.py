"""TypeScript / JavaScript front end: tree-sitter syntax trees evaluated into `values`.

The evaluator resolves what a reviewer resolves: literals, `const`/`let` bindings (a name assigned
more than once is unknown), `this.x = ...` fields, static class fields, enum members, object spreads,
conditionals, template strings, imports (`import * as`, named, default, `require`, and relative
imports of other app files). Parameters and anything computed at run time stay Unknown.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Protocol

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from archmatch.extract.budget import Budget
from archmatch.extract.cdk_source import semantics, ts_bind, ts_flow
from archmatch.extract.cdk_source.jsonvalues import is_json_module
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
    choice,
    concat,
    instance_class,
    or_default,
)
from archmatch.model import CdkSyntax


class Program(Protocol):
    """What a file needs of the app it belongs to (`program.Program`): its folder, its evaluation
    budget and the other files it imports."""

    app_dir: str
    budget: Budget

    open_world: bool
    # calls of the program's functions are evaluated with their arguments bound (`ts_bind`); `env`
    # is the frame of the call being evaluated (None: context-insensitive)
    bind_calls: bool
    env: ts_bind.Frame | None

    def resolve_ts(self, from_path: str, spec: str) -> TsFile | None: ...

    def enter(self, line: int, path: str) -> bool: ...

    def leave(self) -> None: ...

    def ts_call_sites(self) -> Mapping[str, Sequence[tuple[TsFile, Node]]]: ...

    def json_module(self, from_path: str, spec: str, line: int) -> Val: ...


# Parsers are built once per process: building a Language is the expensive part.
_PARSERS: dict[str, Parser] = {
    "ts": Parser(Language(tree_sitter_typescript.language_typescript())),
    "tsx": Parser(Language(tree_sitter_typescript.language_tsx())),
    "js": Parser(Language(tree_sitter_javascript.language())),
}
_SCOPES = frozenset({"program", "statement_block", "class_body", "switch_body"}) | ts_flow.FUNCTION_TYPES
_WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "await_expression",
        "type_assertion",
    }
)
MAX_DEPTH = 60


def grammar_for(path: str) -> str:
    if path.endswith((".tsx", ".jsx")):
        return "tsx"
    if path.endswith((".ts", ".mts", ".cts")):
        return "ts"
    return "js"


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _line(node: Node) -> int:
    return node.start_point.row + 1


def _string_value(node: Node) -> str:
    return "".join(_text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))


def first_error(node: Node) -> Node | None:
    if not node.has_error:
        return None
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n
        stack.extend(reversed([c for c in n.children if c.has_error or c.is_missing]))
    return node


class TsFile:
    def __init__(self, program: Program, path: str, source: bytes):
        self.program = program
        self.path = path
        self.syntax: CdkSyntax = "cdk-ts"
        self.tree = _PARSERS[grammar_for(path)].parse(source)
        self.root = self.tree.root_node
        # scope node id -> name -> value nodes (several: reassigned, so unknown)
        self.bindings: dict[int, dict[str, list[Node]]] = {}
        self.imports: dict[
            str, tuple[str, str | None]
        ] = {}  # local name -> (specifier, imported name | None for namespace)
        self.reexports: list[str] = []  # `export * from './x'`
        self.named_reexports: dict[str, tuple[str, str]] = {}  # `export { a as b } from './x'`: b -> (x, a)
        self.reassigned: set[str] = set()
        self.assignments: dict[str, list[Node]] = {}  # name -> its plain `name = value` assignments
        self.unset: set[tuple[int, str]] = set()  # (scope id, name) of `let name;` without a value
        self.imported_specs: list[str] = []  # relative files and packages of the repository
        # per frame of a bound call (`ts_bind`): the key holds the frame itself, never its id(), which a
        # later frame may reuse once this one is gone (a call chain's frames live only while its
        # command is read)
        self._cache: dict[tuple[object, ...], Val] = {}
        self._busy: set[tuple[int, int, str]] = set()
        # (parameter element id, name) -> where its value comes from; resolved values
        self.params: dict[tuple[int, str], ts_flow.Param] = {}
        self._param_values: dict[tuple[int, str], Val] = {}
        self._param_busy: set[tuple[int, str]] = set()
        self._returns: dict[tuple[int, int, str], Val] = {}
        # bound calls: (function, closure frame, arguments) -> (value, what keeps the ids alive)
        self._bound: dict[tuple[object, ...], tuple[Val, object]] = {}
        self._params_of: dict[tuple[int, int, str], list[tuple[int, str, ts_flow.Param]]] | None = None
        self.commonjs_exports = b"module.exports" in source or b"exports." in source
        self._index(self.root)

    # ---- indexing ---------------------------------------------------------------------------
    def _scope_of(self, node: Node) -> Node:
        cur = node.parent
        while cur is not None and cur.type not in _SCOPES:
            cur = cur.parent
        return cur if cur is not None else self.root

    def _bind(self, scope: Node, name: str, value: Node) -> None:
        self.bindings.setdefault(scope.id, {}).setdefault(name, []).append(value)

    bind_in = _bind

    def _index(self, root: Node) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            t = node.type
            if t == "import_statement":
                self._index_import(node)
            elif t == "export_statement" and (src := node.child_by_field_name("source")) is not None:
                spec = _string_value(src)
                self._note_specifier(spec)
                if not node.child_by_field_name("declaration") and any(c.type == "*" for c in node.children):
                    self.reexports.append(spec)
                self._index_named_reexports(node, spec)
            elif t == "variable_declarator":
                self._index_declarator(node)
            elif t in ts_flow.FUNCTION_TYPES:
                ts_flow.index_parameters(self, node)
                name = node.child_by_field_name("name")
                if name is not None and t in ("function_declaration", "generator_function_declaration"):
                    self._bind(self._scope_of(node), _text(name), node)
            elif t == "assignment_expression":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None:
                    if left.type == "identifier":
                        self.reassigned.add(_text(left))
                        self.assignments.setdefault(_text(left), []).append(node)
                    elif (
                        left.type == "member_expression"
                        and (obj := left.child_by_field_name("object")) is not None
                        and obj.type == "this"
                    ):
                        prop = left.child_by_field_name("property")
                        body = self._enclosing(node, "class_body")
                        if prop is not None and body is not None:
                            self._bind(body, "this." + _text(prop), right)
            elif t in ("public_field_definition", "field_definition"):
                name, value = (
                    node.child_by_field_name("name") or node.child_by_field_name("property"),
                    node.child_by_field_name("value"),
                )
                body = node.parent
                if name is not None and value is not None and body is not None:
                    self._bind(body, "this." + _text(name), value)
            elif t in ("class_declaration", "class"):
                name = node.child_by_field_name("name")
                if name is not None:
                    self._bind(self._scope_of(node), _text(name), node)
            elif t == "enum_declaration" and (name := node.child_by_field_name("name")) is not None:
                self._bind(self._scope_of(node), _text(name), node)
            elif t == "call_expression":
                fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
                if fn is not None and fn.type == "identifier" and _text(fn) == "require" and args is not None:
                    strings = [c for c in args.named_children if c.type == "string"]
                    if strings:
                        self._note_specifier(_string_value(strings[0]))
            stack.extend(node.named_children)

    def _enclosing(self, node: Node, kind: str) -> Node | None:
        cur = node.parent
        while cur is not None and cur.type != kind:
            cur = cur.parent
        return cur

    def _index_named_reexports(self, node: Node, spec: str) -> None:
        """`export { Worker, Task as Job } from './worker'`: names this module passes on."""
        for clause in (c for c in node.named_children if c.type == "export_clause"):
            for item in (c for c in clause.named_children if c.type == "export_specifier"):
                name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
                if name is not None:
                    self.named_reexports[_text(alias or name)] = (spec, _text(name))

    def _note_specifier(self, spec: str) -> None:
        self.imported_specs.append(spec)

    def _index_import(self, node: Node) -> None:
        src = node.child_by_field_name("source")
        clause = next(
            (c for c in node.named_children if c.type in ("import_clause", "import_require_clause")), None
        )
        if clause is not None and clause.type == "import_require_clause":
            strings = [c for c in clause.named_children if c.type == "string"]
            ident = next((c for c in clause.named_children if c.type == "identifier"), None)
            if strings and ident is not None:
                spec = _string_value(strings[0])
                self._note_specifier(spec)
                self.imports[_text(ident)] = (spec, None)
            return
        if src is None:
            return
        spec = _string_value(src)
        self._note_specifier(spec)
        if clause is None:
            return
        for part in clause.named_children:
            if part.type == "identifier":  # default import: the module itself for CommonJS builtins
                self.imports[_text(part)] = (spec, "default")
            elif part.type == "namespace_import":
                ident = next((c for c in part.named_children if c.type == "identifier"), None)
                if ident is not None:
                    self.imports[_text(ident)] = (spec, None)
            elif part.type == "named_imports":
                for s in part.named_children:
                    if s.type != "import_specifier":
                        continue
                    name, alias = s.child_by_field_name("name"), s.child_by_field_name("alias")
                    if name is not None:
                        self.imports[_text(alias or name)] = (spec, _text(name))

    def _index_declarator(self, node: Node) -> None:
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None:
            return
        scope = self._scope_of(node)
        if name.type == "identifier":
            if value is not None:
                self._bind(scope, _text(name), value)
            else:  # `let x;` assigned later: unknown, or what the branches of an `if` assign
                self.reassigned.add(_text(name))
                self.unset.add((scope.id, _text(name)))
        elif name.type == "object_pattern" and value is not None:
            # const { join } = require('path') / const { A, B: C } = something
            for prop in name.named_children:
                if prop.type == "shorthand_property_identifier_pattern":
                    self._bind(scope, _text(prop), node)
                elif prop.type == "pair_pattern":
                    key, val = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                    if key is not None and val is not None and val.type == "identifier":
                        self._bind(scope, _text(val), node)

    # ---- lookup -----------------------------------------------------------------------------
    def calls(self) -> Iterator[Node]:
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.type in ("new_expression", "call_expression"):
                yield node
            stack.extend(reversed(node.named_children))

    def lookup(self, name: str, at: Node) -> Val:
        cur: Node | None = at
        line = _line(at)
        while cur is not None:
            if cur.type in _SCOPES:
                found = self.bindings.get(cur.id, {}).get(name, [])
                unset = (cur.id, name) in self.unset
                if found or unset:
                    if cur.type == "program":  # module-level values do not depend on a bound call
                        return self.unbound(partial(self._scoped_value, name, cur, found, unset, at))
                    return self._scoped_value(name, cur, found, unset, at)
            cur = cur.parent
        return self.unbound(partial(self.global_name, name, line))

    def unbound(self, compute: Callable[[], Val]) -> Val:
        """`compute()` outside any bound call: module-level values do not depend on one."""
        program = self.program
        if program.env is None:
            return compute()
        saved, program.env = program.env, None
        try:
            return compute()
        finally:
            program.env = saved

    def _scoped_value(self, name: str, scope: Node, found: list[Node], unset: bool, at: Node) -> Val:
        """The value of a variable declared in `scope`: its one binding, what the branches of an
        `if`/`switch` give one declared without a value, or unknown when it is reassigned."""
        once = len(found) == 1 and not (name in self.reassigned and not name.startswith("this."))
        if once and not unset:
            return self._binding_value(name, found[0])
        if unset or (len(found) == 1 and ts_flow.unset_declaration(found[0])):
            chosen = self._branch_value(name, scope, at)
            if chosen is not None:
                return chosen
        return Unknown(self.path, _line(at), f"{name} is assigned more than once")

    def _branch_value(self, name: str, scope: Node, at: Node) -> Val | None:
        """A variable declared without a value, given one in each branch of an `if`/`switch` and read
        (`at`) after it: one of those values (a `Choice`), or None when it is assigned anywhere else."""

        def declares(node: Node) -> bool:
            return node.type in _SCOPES and (
                name in self.bindings.get(node.id, {}) or (node.id, name) in self.unset
            )

        assigned = ts_flow.branch_assignments(self.assignments.get(name, []), scope, declares, at)
        if not assigned:
            return None
        values = [self.eval(node.child_by_field_name("right")) for node in assigned]
        return choice(values, self.path, _line(at))

    def _binding_value(self, name: str, node: Node) -> Val:
        if (node.id, name) in self.params:
            return self._param_value(node, name)
        if node.type in ("function_declaration", "generator_function_declaration"):
            return FuncV(self.path, _line(node), name, node, self, self.program.env)
        if node.type == "variable_declarator":  # destructuring
            source = self.eval(node.child_by_field_name("value"))
            pattern = node.child_by_field_name("name")
            key = name
            for prop in pattern.named_children if pattern is not None else []:
                if prop.type == "pair_pattern" and _text(prop.child_by_field_name("value")) == name:  # type: ignore[arg-type]
                    key = _text(prop.child_by_field_name("key"))  # type: ignore[arg-type]
            return semantics.member(source, key, self.path, _line(node))
        if node.type in ("class_declaration", "class"):
            return self._class_value(node)
        if node.type == "enum_declaration":
            return self._enum_value(node)
        return self.eval(node)

    def _enum_value(self, node: Node) -> Obj:
        """`enum Images { Api = "shop-api", Count }`: its members, a member without a value one more
        than the numeric member before it (0 first)."""
        out = Obj(self.path, _line(node))
        body = node.child_by_field_name("body")
        following: Val = Num(self.path, _line(node), 0)
        for member in body.named_children if body is not None else []:
            if member.type == "enum_assignment":
                key, value = (
                    member.child_by_field_name("name"),
                    self.eval(member.child_by_field_name("value")),
                )
            elif member.type == "property_identifier":
                key, value = member, following
            else:
                continue
            following = (
                Num(self.path, _line(member), value.value + 1)
                if isinstance(value, Num)
                else Unknown(self.path, _line(member), "enum member after a computed one")
            )
            if key is not None:
                label = _string_value(key) if key.type == "string" else _text(key)
                out.fields[label] = value
                out.key_lines[label] = _line(member)
        return out

    def _param_value(self, element: Node, name: str) -> Val:
        if self.program.env is not None:
            bound = self.program.env.lookup(self.path, element.id, name)
            if bound is not None:
                return bound
        return self.unbound(partial(self._param_choice, element, name))

    def _param_choice(self, element: Node, name: str) -> Val:
        key = (element.id, name)
        if key in self._param_values:
            return self._param_values[key]
        if key in self._param_busy:
            return Unknown(self.path, _line(element), f"parameter {name} (recursive)")
        self._param_busy.add(key)
        try:
            value = self._callers_pass(self.params[key], name, _line(element))
        finally:
            self._param_busy.discard(key)
        self._param_values[key] = value
        return value

    def _callers_pass(self, param: ts_flow.Param, name: str, line: int) -> Val:
        """What the callers pass for a parameter: one value, or a choice of theirs."""
        sites = ts_flow.callers(self, param.function)
        if sites is None:
            return Unknown(self.path, line, f"parameter {name}: more than {ts_flow.MAX_CALLERS} callers")
        values: list[Val] = []
        for file, site in sites:
            value = ts_flow.argument(file, site, param.index, param.rest)
            if param.key is not None:
                value = semantics.member(value, param.key, file.path, line)
            if isinstance(value, Null) and param.default is not None:
                value = self.eval(param.default)
            values.append(value)
        if not sites or (self.program.open_world and ts_flow.externally_callable(self, param.function)):
            values.append(Unknown(self.path, line, f"parameter {name} (callers outside the app)"))
        return choice(values, self.path, line, why="callers")

    def method_value(self, cls: Node, name: str, line: int) -> Val:
        """`this.name` / `instance.name` of a class declared here: a field or a method."""
        body = cls.child_by_field_name("body")
        found = self.bindings.get(body.id, {}).get("this." + name) if body is not None else None
        if found:
            if len(found) > 1:
                return Unknown(self.path, line, f"this.{name} is assigned more than once")
            return self._binding_value("this." + name, found[0])
        method = ts_flow.find_method(cls, name)
        if method is not None:
            return FuncV(self.path, _line(method), name, method, self)
        return Unknown(self.path, line, f"this.{name}")

    def _class_value(self, node: Node) -> ClassV:
        name = node.child_by_field_name("name")
        body = node.child_by_field_name("body")
        fields: dict[str, object] = {}
        for member in body.named_children if body is not None else []:
            if member.type in ("public_field_definition", "field_definition") and any(
                c.type == "static" for c in member.children
            ):
                key, value = (
                    member.child_by_field_name("name") or member.child_by_field_name("property"),
                    member.child_by_field_name("value"),
                )
                if key is not None and value is not None:
                    fields[_text(key)] = value
        return ClassV(self.path, _line(node), _text(name) if name is not None else "", fields, self, node)

    def top_level(self, name: str) -> Val | None:
        """An exported (or top-level) name of this module, for other files' imports."""
        found = self.bindings.get(self.root.id, {}).get(name)
        if found:
            return (
                self._binding_value(name, found[0])
                if len(found) == 1
                else Unknown(self.path, 0, f"{name} is assigned more than once")
            )
        if name in self.imports:
            return self.global_name(name, 0)
        if name in self.named_reexports:
            spec, original = self.named_reexports[name]
            other = self.program.resolve_ts(self.path, spec)
            return other.top_level(original) if other is not None and other is not self else None
        for spec in self.reexports:
            other = self.program.resolve_ts(self.path, spec)
            if other is not None and (value := other.top_level(name)) is not None:
                return value
        return None

    def global_name(self, name: str, line: int) -> Val:
        if name in self.imports:
            spec, imported = self.imports[name]
            module = semantics.cdk_module(spec)
            if module is not None:
                if imported is None or imported == "default":
                    return Ref(self.path, line, module, module=True)
                return semantics.member(Ref(self.path, line, module, module=True), imported, self.path, line)
            if is_json_module(spec):  # `import cfg from './cfg.json'`, `import { a } from './cfg.json'`
                document = self.program.json_module(self.path, spec, line)
                if imported is None or imported == "default":
                    return document
                return semantics.member(document, imported, self.path, line)
            other = self.program.resolve_ts(self.path, spec)  # a file, or a package of the repository
            if other is None:
                return Unknown(
                    self.path, line, f"{name} from {spec}" + (" (not found)" if spec[:1] == "." else "")
                )
            if imported is None:
                return ModuleV(self.path, line, other)
            value = other.top_level(imported)
            return value if value is not None else Unknown(self.path, line, f"{imported} from {spec}")
        if name == "__dirname":
            return PathV(self.path, line, posixpath.dirname(self.path) or ".")
        if name == "__filename":
            return PathV(self.path, line, self.path)
        if name == "process":
            return Ref(self.path, line, "node:process", module=True)
        if name == "require":
            return Ref(self.path, line, "node:require")
        if name in ("undefined",):
            return Null(self.path, line)
        return Unknown(self.path, line, name)

    # ---- evaluation -------------------------------------------------------------------------
    def eval(self, node: Node | None) -> Val:
        if node is None:
            return Null(self.path, 0)
        key = (node.start_byte, node.end_byte, node.type)
        env = self.program.env
        cached: tuple[object, ...] = key if env is None else (*key, env)
        if cached in self._cache:
            return self._cache[cached]
        if key in self._busy or len(self._busy) > MAX_DEPTH:
            return Unknown(self.path, _line(node), "recursive definition")
        if not self.program.budget.step(_line(node), self.path):
            return Unknown(self.path, _line(node), "over the evaluation budget")
        if not self.program.enter(_line(node), self.path):
            return Unknown(self.path, _line(node), "nested too deeply")
        self._busy.add(key)
        try:
            value = self._eval(node)
        finally:
            self._busy.discard(key)
            self.program.leave()
        self._cache[cached] = value
        return value

    def _eval(self, node: Node) -> Val:
        t, line, p = node.type, _line(node), self.path
        if t in _WRAPPERS:
            inner = node.named_children[0] if node.named_children else None
            return self.eval(inner)
        if t == "string":
            return Str(p, line, _string_value(node))
        if t == "template_string":
            return self._template(node)
        if t == "number":
            try:
                return Num(p, line, float(_text(node).replace("_", "")))
            except ValueError:
                return Unknown(p, line, _text(node))
        if t in ("true", "false"):
            return Num(p, line, 1.0 if t == "true" else 0.0)
        if t in ("null", "undefined"):
            return Null(p, line)
        if t in ("identifier", "shorthand_property_identifier"):
            return self.lookup(_text(node), node)
        if t == "this":
            return Unknown(p, line, "this")
        if t == "member_expression":
            return self._member(node)
        if t == "subscript_expression":
            return self._subscript(node)
        if t == "object":
            return self._object(node)
        if t == "array":
            return self._array(node)
        if t in ("call_expression", "new_expression"):
            return self._call(node)
        if t == "ternary_expression":
            return self._choice(
                node.child_by_field_name("condition"),
                [node.child_by_field_name("consequence"), node.child_by_field_name("alternative")],
                line,
            )
        if t == "binary_expression":
            return self._binary(node)
        if t == "class":
            return self._class_value(node)
        if t in ("arrow_function", "function_expression", "function", "generator_function"):
            return FuncV(p, line, ts_flow.function_name(node), node, self, self.program.env)
        return Unknown(p, line, _text(node)[:80])

    def _template(self, node: Node) -> Val:
        parts: list[Val] = []
        names: list[str] = []
        for child in node.named_children:
            if child.type == "string_fragment":
                parts.append(Str(self.path, _line(child), _text(child)))
                names.append("")
            elif child.type == "template_substitution":
                inner = child.named_children[0] if child.named_children else None
                parts.append(self.eval(inner))
                names.append(_text(inner) if inner is not None else "")
        return (
            concat(parts, self.path, _line(node), self.program.budget, names)
            if parts
            else Str(self.path, _line(node), "")
        )

    def _member(self, node: Node) -> Val:
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        line = _line(node)
        if obj is None or prop is None:
            return Unknown(self.path, line, _text(node))
        name = _text(prop)
        if obj.type == "this":
            cls = ts_flow.enclosing_class(node)
            if cls is not None and not self._this_bound(name, node):
                return self.method_value(cls, name, line)
            return self.lookup("this." + name, node)
        if obj.type == "import" or _text(obj) == "import.meta":
            return (
                PathV(self.path, line, self.path) if name == "url" else Unknown(self.path, line, _text(node))
            )
        base = self.eval(obj)
        if isinstance(base, ClassV):
            field_node = base.fields.get(name)
            if isinstance(field_node, Node) and isinstance(base.source, TsFile):
                return base.source.eval(field_node)
            return Unknown(self.path, line, _text(node))
        if isinstance(base, ModuleV):
            value = base.file.top_level(name)
            return value if value is not None else Unknown(self.path, line, _text(node))
        instance = instance_class(base)
        if instance is not None and isinstance(instance.source, TsFile) and isinstance(instance.node, Node):
            return instance.source.method_value(instance.node, name, line)
        return semantics.member(base, name, self.path, line)

    def _this_bound(self, name: str, at: Node) -> bool:
        cur: Node | None = at
        while cur is not None:
            if cur.type == "class_body":
                return bool(self.bindings.get(cur.id, {}).get("this." + name))
            cur = cur.parent
        return False

    def _subscript(self, node: Node) -> Val:
        obj, index = node.child_by_field_name("object"), node.child_by_field_name("index")
        base, key = self.eval(obj), self.eval(index)
        line = _line(node)
        if isinstance(key, Host) or isinstance(base, Host):
            return Host(self.path, line, (key if isinstance(key, Host) else base).source)  # type: ignore[attr-defined]
        if isinstance(base, Obj | Ref) and isinstance(key, Str):
            return semantics.member(base, key.value, self.path, line)
        if isinstance(base, Arr) and isinstance(key, Num) and 0 <= int(key.value) < len(base.items):
            return base.items[int(key.value)]
        return Unknown(self.path, line, _text(node)[:80])

    def _object(self, node: Node) -> Obj:
        out = Obj(self.path, _line(node))
        out.fields_end = _end_of_last(node) or (node.start_point.row + 1, node.start_point.column + 1)
        for child in node.named_children:
            if child.type == "pair":
                key_node, value_node = child.child_by_field_name("key"), child.child_by_field_name("value")
                if key_node is None:
                    continue
                if key_node.type == "string":
                    key = _string_value(key_node)
                elif key_node.type == "computed_property_name":
                    computed = self.eval(key_node.named_children[0] if key_node.named_children else None)
                    if not isinstance(computed, Str):
                        out.open = True
                        continue
                    key = computed.value
                else:
                    key = _text(key_node)
                out.fields[key] = self.eval(value_node)
                out.key_lines[key] = _line(key_node)
            elif child.type == "shorthand_property_identifier":
                out.fields[_text(child)] = self.lookup(_text(child), child)
                out.key_lines[_text(child)] = _line(child)
            elif child.type == "spread_element":
                spread = self.eval(child.named_children[0] if child.named_children else None)
                if isinstance(spread, Obj) or (isinstance(spread, Call) and spread.kwargs is not None):
                    inner = as_obj(spread)
                    out.fields.update(inner.fields)
                    out.key_lines.update(inner.key_lines)
                    out.open = out.open or inner.open
                elif not isinstance(spread, Null):
                    out.open = True
        return out

    def _array(self, node: Node) -> Arr:
        out = Arr(self.path, _line(node))
        for child in node.named_children:
            if child.type == "spread_element":
                spread = self.eval(child.named_children[0] if child.named_children else None)
                if isinstance(spread, Arr):
                    out.items.extend(spread.items)
                    if not self.program.budget.items_ok(len(out.items), out.line, self.path):
                        return Arr(self.path, out.line, open=True)
                    out.open = out.open or spread.open
                else:
                    out.open = True
            else:
                out.items.append(self.eval(child))
        return out

    def _args(self, node: Node | None) -> list[Val]:
        if node is None or node.type != "arguments":
            return []
        out: list[Val] = []
        for child in node.named_children:
            if child.type == "comment":
                continue
            if child.type == "spread_element":
                out.append(Unknown(self.path, _line(child), "spread arguments"))
            else:
                out.append(self.eval(child))
        return out

    def _call(self, node: Node) -> Val:
        line, text = _line(node), _text(node)
        is_new = node.type == "new_expression"
        fn = node.child_by_field_name("constructor" if is_new else "function")
        args = self._args(node.child_by_field_name("arguments"))
        if fn is None:
            return Unknown(self.path, line, text[:80])
        if fn.type == "identifier" and _text(fn) == "require" and args and isinstance(args[0], Str):
            spec = args[0].value
            module = semantics.cdk_module(spec)
            if module is not None:
                return Ref(self.path, line, module, module=True)
            if is_json_module(spec):
                return self.program.json_module(self.path, spec, line)
            other = self.program.resolve_ts(self.path, spec)
            return (
                ModuleV(self.path, line, other)
                if other is not None
                else Unknown(self.path, line, f"require({spec!r})")
            )
        app_dir = self.program.app_dir
        if fn.type == "member_expression" and not is_new:
            obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
            if obj is not None and prop is not None and obj.type != "this":
                receiver = self.eval(obj)
                if isinstance(receiver, ClassV | ModuleV) or instance_class(receiver) is not None:
                    return self._invoke(self.eval(fn), args, node)
                if self.program.bind_calls:
                    bound = self._bound_method(receiver, _text(prop), args, node)
                    if bound is not None:
                        return bound
                value = semantics.method(receiver, _text(prop), args, None, self.path, line, app_dir, text)
                return _located(value, node)
        return self._invoke(self.eval(fn), args, node)

    def _invoke(self, callee: Val, args: list[Val], node: Node) -> Val:
        """A call of a function declared in the app gives its return value."""
        if isinstance(callee, FuncV) and node.type != "new_expression":
            source, declared = callee.source, callee.node
            if isinstance(source, TsFile) and isinstance(declared, Node):
                if self.program.bind_calls:
                    return source.bound_returns(callee, declared, args, _line(node))
                return source.returns(declared)
        value = semantics.invoke(
            callee, args, None, self.path, _line(node), self.program.app_dir, _text(node)
        )
        return _located(value, node)

    def _bound_method(self, receiver: Val, name: str, args: list[Val], node: Node) -> Val | None:
        """`obj.f(...)` where `obj` holds a function of the program, and `[...].join(sep)`."""
        if isinstance(receiver, Obj):
            held = receiver.fields.get(name)
            if isinstance(held, FuncV):
                return self._invoke(held, args, node)
        if isinstance(receiver, Arr) and name == "join" and not receiver.open:
            separator = args[0] if args else Str(self.path, _line(node), ",")
            if isinstance(separator, Str):
                parts: list[Val] = []
                for index, item in enumerate(receiver.items):
                    parts += [separator, item] if index else [item]
                return concat(parts, self.path, _line(node), self.program.budget) if parts else separator
        return None

    def bound_returns(self, callee: FuncV, fn: Node, args: list[Val], line: int) -> Val:
        """What this call of `fn` gives, its parameters bound to `args` (in a new frame whose parent
        is the frame `fn` was created in); unknown past MAX_BOUND_CALLS or for a recursive call."""
        memo = (ts_flow.key_of(fn), id(callee.env), *(id(a) for a in args))
        if memo in self._bound:
            return self._bound[memo][0]
        depth, frame = 0, self.program.env
        while frame is not None:
            if frame.function == (self.path, ts_flow.key_of(fn)):
                return Unknown(self.path, line, f"recursive call of {callee.name or 'a function'}")
            depth, frame = depth + 1, frame.caller
        if depth >= ts_bind.MAX_BOUND_CALLS:
            return Unknown(self.path, line, "calls nested too deeply")
        bound = self.frame_for(callee, fn, args)
        saved, self.program.env = self.program.env, bound
        try:
            value = ts_flow.returns(self, fn)
        finally:
            self.program.env = saved
        self._bound[memo] = (value, (callee, args, bound))
        return value

    def frame_for(self, callee: FuncV, fn: Node, args: list[Val]) -> ts_bind.Frame:
        """A frame binding the parameters of `fn` to `args` (defaults where nothing is passed)."""
        parent = callee.env if isinstance(callee.env, ts_bind.Frame) else None
        frame = ts_bind.Frame(
            parent=parent, function=(self.path, ts_flow.key_of(fn)), caller=self.program.env
        )
        saved, self.program.env = self.program.env, frame
        try:
            for element, name, param in self._parameters(fn):
                line = _line(fn)
                value = args[param.index] if param.index < len(args) else Null(self.path, line)
                if param.rest:
                    value = Unknown(self.path, line, f"rest parameter {name}")
                elif param.key is not None:
                    value = semantics.member(value, param.key, self.path, line)
                if isinstance(value, Null) and param.default is not None:
                    value = self.eval(param.default)
                frame.values[(self.path, element, name)] = value
        finally:
            self.program.env = saved
        return frame

    def frame_of_call(self, site: Node, outer: ts_bind.Frame | None) -> ts_bind.Frame | None:
        """The frame a call site (evaluated in `outer`) gives the function it calls, None when the
        callee is not a function of the program."""
        is_new = site.type == "new_expression"
        callee_node = site.child_by_field_name("constructor" if is_new else "function")
        saved, self.program.env = self.program.env, outer
        try:
            callee = self.eval(callee_node) if callee_node is not None else None
            args = self._args(site.child_by_field_name("arguments"))
            if (
                isinstance(callee, FuncV)
                and isinstance(callee.node, Node)
                and isinstance(callee.source, TsFile)
            ):
                return callee.source.frame_for(callee, callee.node, args)
        finally:
            self.program.env = saved
        return None

    def _parameters(self, fn: Node) -> list[tuple[int, str, ts_flow.Param]]:
        if self._params_of is None:
            self._params_of = {}
            for (element, name), param in self.params.items():
                self._params_of.setdefault(ts_flow.key_of(param.function), []).append((element, name, param))
        return self._params_of.get(ts_flow.key_of(fn), [])

    def returns(self, fn: Node) -> Val:
        key = ts_flow.key_of(fn)
        if key not in self._returns:
            self._returns[key] = Unknown(self.path, _line(fn), "recursive function")
            self._returns[key] = ts_flow.returns(self, fn)
        return self._returns[key]

    def _choice(self, condition: Node | None, branches: list[Node | None], line: int) -> Val:
        test = self.eval(condition)
        values = [self.eval(b) for b in branches]
        if isinstance(test, Host) or any(isinstance(v, Host) for v in values):
            source = (
                test.source
                if isinstance(test, Host)
                else next(v.source for v in values if isinstance(v, Host))
            )
            return Host(self.path, line, source)
        return choice(values, self.path, line)

    def _binary(self, node: Node) -> Val:
        op_node = node.child_by_field_name("operator")
        op = _text(op_node) if op_node is not None else ""
        left, right = (
            self.eval(node.child_by_field_name("left")),
            self.eval(node.child_by_field_name("right")),
        )
        line = _line(node)
        if isinstance(left, Host) or isinstance(right, Host):
            return Host(self.path, line, (left if isinstance(left, Host) else right).source)  # type: ignore[attr-defined]
        if op == "+":
            names = [
                _text(n) if n is not None else ""
                for n in (node.child_by_field_name("left"), node.child_by_field_name("right"))
            ]
            return concat([left, right], self.path, line, self.program.budget, names)
        if op in ("??", "||"):
            return or_default(left, right, op == "||", self.path, line)
        return Unknown(self.path, line, _text(node)[:80])


class ModuleV(Val):
    """Another app file imported as a namespace (`import * as cfg from './config'`)."""

    def __init__(self, path: str, line: int, file: TsFile):
        super().__init__(path, line)
        self.file = file


def _located(value: Val, node: Node) -> Val:
    if isinstance(value, Call) and not value.column:  # not a call another node gave back
        value.column = node.start_point.column + 1
        value.end_line = node.end_point.row + 1
        value.args_end = _end_of_last(node.child_by_field_name("arguments"))
    return value


def _end_of_last(node: Node | None) -> tuple[int, int] | None:
    """(line, byte column) where the last element (argument, property) of `node` ends."""
    items = [c for c in node.named_children if c.type != "comment"] if node is not None else []
    return (items[-1].end_point.row + 1, items[-1].end_point.column) if items else None
