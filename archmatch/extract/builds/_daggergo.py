"""Dagger pipelines written with the Go SDK, evaluated as a reviewer reads them.

The evaluator walks a Go package's functions from an entry point (a module function, or `main` of
a program that calls `dagger.Connect`) with its parameters bound, follows calls to the package's
own functions and methods (arguments bound, return values back), and tracks what a Dagger
pipeline holds: containers (`dag.Container(dagger.ContainerOpts{Platform: ...})`, `.From`,
`.Build`, `Directory.DockerBuild`), directories, strings (literals, constants, `+`,
`fmt.Sprintf` with known parts) and lists (`[]string{...}`, `append`, `for ... range` over a
known list). What it records are events: a container `Publish`ed to an address, and a `WithExec`
whose argv is known (an `aws` deploy command). Anything else is unknown; an unknown part of a
string is written `${name}` so that it never matches a real value.

Branches: an `if`/`switch` body assigns a variable only when both sides agree (the same string, or
containers with the same platform); otherwise it becomes unknown. Loops over a known list run once
per item; over anything else once. Recursion and calls deeper than MAX_CALL_DEPTH are unknown.
Every expression costs one step of the package's `Budget`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from tree_sitter import Node

from archmatch import lazyre
from archmatch.extract.budget import Budget
from archmatch.extract.builds._common import join
from archmatch.model import FixSyntax, Location

MAX_CALL_DEPTH = 24
MAX_LOOP_ITEMS = 32
CHARS_PER_STEP = 256  # building a computed string costs one step per this many characters
MAX_NESTING = 120  # nested expressions and statements (a chain of 50,000 `.WithExec` calls nests as deep)


# --- values ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Unknown:
    name: str = "?"


@dataclass(frozen=True)
class Text:
    text: str
    known: bool = True
    where: Location | None = None  # where the literal is written


@dataclass(frozen=True)
class Items:
    items: tuple[Val, ...]


@dataclass(frozen=True)
class Fields:
    type_name: str
    fields: tuple[tuple[str, Val], ...]

    def get(self, name: str) -> Val | None:
        return next((v for k, v in self.fields if k == name), None)


@dataclass(frozen=True)
class Client:
    """`dag`, or the client `dagger.Connect` returns."""


@dataclass(frozen=True)
class HostV:
    """`dag.Host()`."""


@dataclass(frozen=True)
class EnginePlatform:
    """`dag.DefaultPlatform(ctx)`: the engine's own platform, as if none was given."""


@dataclass(frozen=True)
class Ctr:
    """A container: where it was created and with which platform (None: the engine's default)."""

    origin: Location
    platform: Val | None = None
    base: str | None = None
    dockerfile: str | None = None
    context: str | None = None
    target: str | None = None
    build_args: frozenset[str] | None = frozenset()
    dockerfile_build: bool = False


@dataclass(frozen=True)
class Dir:
    path: str | None  # root-relative folder of the repository, None when not known
    ctr: Ctr | None = None  # a directory taken from a container


Val = Unknown | Text | Items | Fields | Client | HostV | EnginePlatform | Ctr | Dir


@dataclass(frozen=True)
class Published:
    ctr: Ctr
    address: Text
    variants: tuple[Ctr, ...]
    location: Location


@dataclass(frozen=True)
class Exec:
    argv: tuple[Val, ...]
    lines: tuple[int, ...]  # the line of each argv element
    location: Location


Event = Published | Exec


# --- declarations ---------------------------------------------------------------------------------
@dataclass
class Param:
    name: str
    type_text: str
    default_path: str | None = None  # `// +defaultPath="..."` of a module function parameter


@dataclass
class FuncDecl:
    path: str
    node: Node
    name: str
    receiver: str | None  # the receiver variable's name, for methods
    receiver_type: str | None
    params: list[Param]

    @property
    def line(self) -> int:
        return self.node.start_point[0] + 1


def text_of(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def line_of(node: Node) -> int:
    return node.start_point[0] + 1


def _named(node: Node | None) -> list[Node]:
    return [c for c in node.named_children if c.type != "comment"] if node is not None else []


_DEFAULT_PATH = lazyre.compile(r'\+defaultPath\s*=\s*"([^"]*)"')


def _params(node: Node | None) -> list[Param]:
    out: list[Param] = []
    pending_default: str | None = None
    for child in node.named_children if node is not None else []:
        if child.type == "comment":
            m = _DEFAULT_PATH.search(text_of(child))
            pending_default = m.group(1) if m else pending_default
            continue
        if child.type in ("parameter_declaration", "variadic_parameter_declaration"):
            type_text = text_of(child.child_by_field_name("type"))
            names = [text_of(c) for c in child.named_children if c.type == "identifier"]
            for name in names or ["_"]:
                out.append(Param(name, type_text, pending_default))
            pending_default = None
    return out


def imported_names(root: Node) -> set[str]:
    """The names a file's imports bind (`fmt`, `dagger`, an alias)."""
    names: set[str] = set()
    for node in root.named_children:
        if node.type != "import_declaration":
            continue
        specs = [c for c in node.named_children if c.type == "import_spec"]
        for group in (c for c in node.named_children if c.type == "import_spec_list"):
            specs.extend(c for c in group.named_children if c.type == "import_spec")
        for spec in specs:
            alias = spec.child_by_field_name("name")
            path = text_of(spec.child_by_field_name("path")).strip('"`')
            names.add(text_of(alias) if alias is not None else path.rsplit("/", 1)[-1])
    return names


def declarations(path: str, root: Node) -> tuple[list[FuncDecl], dict[str, Node]]:
    """The functions and methods of one file, and its package-level constants and variables."""
    funcs: list[FuncDecl] = []
    consts: dict[str, Node] = {}
    for node in root.named_children:
        if node.type == "function_declaration":
            name = text_of(node.child_by_field_name("name"))
            funcs.append(
                FuncDecl(path, node, name, None, None, _params(node.child_by_field_name("parameters")))
            )
        elif node.type == "method_declaration":
            receiver = _params(node.child_by_field_name("receiver"))
            recv = receiver[0] if receiver else None
            funcs.append(
                FuncDecl(
                    path,
                    node,
                    text_of(node.child_by_field_name("name")),
                    recv.name if recv else None,
                    recv.type_text.lstrip("*") if recv else None,
                    _params(node.child_by_field_name("parameters")),
                )
            )
        elif node.type in ("const_declaration", "var_declaration"):
            for spec in node.named_children:
                if spec.type not in ("const_spec", "var_spec"):
                    continue
                idents = [c for c in spec.named_children if c.type == "identifier"]
                values = _named(spec.child_by_field_name("value"))
                for ident, value in zip(idents, values, strict=False):
                    consts[text_of(ident)] = value
    return funcs, consts


# --- evaluation -----------------------------------------------------------------------------------
@dataclass
class Frame:
    func: FuncDecl | None
    scope: dict[str, Val] = field(default_factory=dict)
    returns: list[tuple[Val, ...]] = field(default_factory=list)
    error_returns: list[tuple[Val, ...]] = field(default_factory=list)  # `return x, err`
    branch: int = 0  # inside an if/switch body


_FORMAT_VERB = lazyre.compile(r"%[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])")


class Package:
    """One Go package (a Dagger module's source folder, or a program's folder)."""

    fix_syntax: FixSyntax = "dagger-go"

    def __init__(self, files: list[tuple[str, Node]], budget: Budget, cwd: str | None):
        self.budget = budget
        self.cwd = cwd  # the folder host paths are relative to (`dag.Host().Directory(".")`)
        self.funcs: dict[str, list[FuncDecl]] = {}
        self.consts: dict[str, tuple[str, Node]] = {}
        self.imports: set[str] = set()
        for path, root in files:
            self.imports |= imported_names(root)
            funcs, consts = declarations(path, root)
            for f in funcs:
                self.funcs.setdefault(f.name, []).append(f)
            for name, node in consts.items():
                self.consts[name] = (path, node)
        self.events: list[Event] = []
        self._stack: list[FuncDecl] = []
        self._depth = 0
        # (function, arguments) -> (results, events): a function called again with the same
        # arguments is not walked again (2^n calls for n functions that each call the next twice)
        self._memo: dict[tuple[int, tuple[Val, ...]], tuple[tuple[Val, ...], list[Event]]] = {}
        self._const_eval: set[str] = set()
        self._path = files[0][0] if files else ""

    # entry points
    def entries(self) -> Iterator[FuncDecl]:
        """Exported methods (module functions) and `main`."""
        for decls in self.funcs.values():
            for f in decls:
                if (f.receiver_type and f.name[:1].isupper()) or (
                    f.receiver_type is None and f.name == "main"
                ):
                    yield f

    def run(self, func: FuncDecl, bound: dict[str, Val]) -> tuple[Val, ...]:
        args = [bound.get(p.name, self._param_default(func, p)) for p in func.params]
        return self.invoke(func, args)

    def _param_default(self, func: FuncDecl, param: Param) -> Val:
        if param.type_text.endswith("dagger.Client"):
            return Client()
        if param.type_text.endswith("dagger.Directory"):
            return Dir(None)  # a directory the caller passes (or `+defaultPath`): folder not known
        return Unknown(param.name)

    def invoke(self, func: FuncDecl, args: list[Val]) -> tuple[Val, ...]:
        if func in self._stack or len(self._stack) >= MAX_CALL_DEPTH:
            return (Unknown(func.name),)
        key = (id(func.node), tuple(args))
        if key in self._memo:
            results, events = self._memo[key]
            self.events.extend(events)
            return results
        first = len(self.events)
        results = self._walk(func, args)
        self._memo[key] = (results, self.events[first:])
        return results

    def _walk(self, func: FuncDecl, args: list[Val]) -> tuple[Val, ...]:
        frame = Frame(func)
        for i, param in enumerate(func.params):
            value = args[i] if i < len(args) else Unknown(param.name)
            if isinstance(value, Unknown) and param.type_text.endswith("dagger.Client"):
                value = Client()
            frame.scope[param.name] = value
        self._stack.append(func)
        self._path = func.path
        try:
            self.block(func.node.child_by_field_name("body"), frame)
        finally:
            self._stack.pop()
            if self._stack:
                self._path = self._stack[-1].path
        return _join_returns(frame.returns or frame.error_returns)

    # statements
    def block(self, node: Node | None, frame: Frame) -> None:
        if node is None:
            return
        for stmt in node.named_children:
            if stmt.type == "statement_list":
                self.block(stmt, frame)
            else:
                self.statement(stmt, frame)

    def statement(self, node: Node, frame: Frame) -> None:
        if not self._enter(node):
            return
        try:
            self._statement(node, frame)
        finally:
            self._depth -= 1

    def _enter(self, node: Node) -> bool:
        """Spend a step and one level of nesting; False (the value is unknown) when either is out."""
        if not self.budget.step(line_of(node), self._path):
            return False
        if self._depth >= MAX_NESTING:
            return self.budget.refuse(
                f"Go code nested more than {MAX_NESTING} levels deep", line_of(node), self._path
            )
        self._depth += 1
        return True

    def _statement(self, node: Node, frame: Frame) -> None:
        kind = node.type
        if kind in ("short_var_declaration", "assignment_statement"):
            self._assign(node, frame)
        elif kind in ("var_declaration", "const_declaration"):
            for spec in node.named_children:
                if spec.type in ("var_spec", "const_spec"):
                    names = [text_of(c) for c in spec.named_children if c.type == "identifier"]
                    self._bind(names, _named(spec.child_by_field_name("value")), frame)
        elif kind == "expression_statement":
            for child in _named(node):
                self.eval(child, frame)
        elif kind == "return_statement":
            values = _named(node.named_children[0]) if node.named_children else []
            result = self._values(values, frame) if values else (Unknown("return"),)
            failed = len(values) > 1 and text_of(values[-1]) != "nil"
            (frame.error_returns if failed else frame.returns).append(result)
        elif kind == "if_statement":
            self._if(node, frame)
        elif kind in ("for_statement",):
            self._for(node, frame)
        elif kind in ("expression_switch_statement", "type_switch_statement", "select_statement"):
            init = node.child_by_field_name("initializer")
            if init is not None:
                self.statement(init, frame)
            for case in node.named_children:
                if case.type in ("expression_case", "default_case", "type_case", "communication_case"):
                    frame.branch += 1
                    for stmt in case.named_children:
                        if stmt.type == "statement_list":
                            self.block(stmt, frame)
                    frame.branch -= 1
        elif kind == "block":
            self.block(node, frame)
        elif kind in ("go_statement", "defer_statement"):
            for child in _named(node):
                self.eval(child, frame)
        elif kind == "labeled_statement":
            for child in _named(node):
                if child.type != "label_name":
                    self.statement(child, frame)

    def _assign(self, node: Node, frame: Frame) -> None:
        left = [text_of(c) for c in _named(node.child_by_field_name("left"))]
        right = _named(node.child_by_field_name("right"))
        operator = text_of(node.child_by_field_name("operator"))
        if operator == "+=" and len(left) == 1 and len(right) == 1:
            old, new = frame.scope.get(left[0], Unknown(left[0])), self.eval(right[0], frame)
            value = concat(old, new, self.budget, line_of(node), self._path)
            self._set(left[0], value, frame)
            return
        self._bind(left, right, frame)

    def _bind(self, names: list[str], right: list[Node], frame: Frame) -> None:
        values: tuple[Val, ...]
        if len(names) > 1 and len(right) == 1:
            values = self.multi(right[0], frame)
        else:
            values = self._values(right, frame)
        for i, name in enumerate(names):
            self._set(name, values[i] if i < len(values) else Unknown(name), frame)

    def _set(self, name: str, value: Val, frame: Frame) -> None:
        if name == "_" or "." in name or "[" in name:
            return
        if frame.branch and name in frame.scope:
            value = merge(frame.scope[name], value)
        frame.scope[name] = value

    def _values(self, nodes: list[Node], frame: Frame) -> tuple[Val, ...]:
        return tuple(self.eval(n, frame) for n in nodes)

    def _if(self, node: Node, frame: Frame) -> None:
        init = node.child_by_field_name("initializer")
        if init is not None:
            self.statement(init, frame)
        self.eval(node.child_by_field_name("condition"), frame)
        frame.branch += 1
        self.block(node.child_by_field_name("consequence"), frame)
        alternative = node.child_by_field_name("alternative")
        if alternative is not None:
            if alternative.type == "if_statement":
                self._if(alternative, frame)
            else:
                self.block(alternative, frame)
        frame.branch -= 1

    def _for(self, node: Node, frame: Frame) -> None:
        body = node.child_by_field_name("body")
        clause = next((c for c in node.named_children if c.type == "range_clause"), None)
        if clause is None:
            self.block(body, frame)
            return
        names = [text_of(c) for c in _named(clause.child_by_field_name("left"))]
        collection = self.eval(clause.child_by_field_name("right"), frame)
        items = collection.items if isinstance(collection, Items) else None
        if items is None or len(items) > MAX_LOOP_ITEMS:
            for name in names:
                frame.scope[name] = Unknown(name)
            self.block(body, frame)
            return
        for index, item in enumerate(items):
            if len(names) == 1:
                frame.scope[names[0]] = Text(str(index))
            elif len(names) >= 2:
                frame.scope[names[0]] = Text(str(index))
                frame.scope[names[1]] = item
            self.block(body, frame)

    # expressions
    def eval(self, node: Node | None, frame: Frame) -> Val:
        return self.multi(node, frame)[0]

    def multi(self, node: Node | None, frame: Frame) -> tuple[Val, ...]:
        if node is None:
            return (Unknown(),)
        if not self._enter(node):
            return (Unknown("limit"),)
        try:
            if node.type == "call_expression":
                return self._call(node, frame)
            return (self._single(node, frame),)
        finally:
            self._depth -= 1

    def _single(self, node: Node, frame: Frame) -> Val:
        kind = node.type
        if kind == "interpreted_string_literal":
            return Text(_go_string(node), True, Location(self._path, line_of(node)))
        if kind == "raw_string_literal":
            return Text(text_of(node)[1:-1], True, Location(self._path, line_of(node)))
        if kind == "identifier":
            return self._lookup(text_of(node), frame)
        if kind == "binary_expression":
            left = self.eval(node.child_by_field_name("left"), frame)
            right = self.eval(node.child_by_field_name("right"), frame)
            if text_of(node.child_by_field_name("operator")) == "+":
                return concat(left, right, self.budget, line_of(node), self._path)
            return Unknown("expression")
        if kind in ("parenthesized_expression", "unary_expression"):
            inner = _named(node)
            return self.eval(inner[-1], frame) if inner else Unknown()
        if kind == "composite_literal":
            return self._composite(node, frame)
        if kind == "func_literal":
            frame.branch += 1
            self.block(node.child_by_field_name("body"), frame)
            frame.branch -= 1
            return Unknown("func")
        if kind == "selector_expression":
            self.eval(node.child_by_field_name("operand"), frame)
            return Unknown(text_of(node.child_by_field_name("field")))
        return Unknown(kind)

    def _lookup(self, name: str, frame: Frame) -> Val:
        if name in frame.scope:
            return frame.scope[name]
        if name == "dag":
            return Client()
        if name in self.consts and name not in self._const_eval:
            path, node = self.consts[name]
            self._const_eval.add(name)
            outer, self._path = self._path, path
            try:
                return self.eval(node, Frame(None))
            finally:
                self._path = outer
                self._const_eval.discard(name)
        return Unknown(name)

    def _composite(self, node: Node, frame: Frame) -> Val:
        type_text = text_of(node.child_by_field_name("type"))
        body = node.child_by_field_name("body")
        elements = _named(body)
        if elements and all(e.type == "keyed_element" for e in elements):
            fields: list[tuple[str, Val]] = []
            for e in elements:
                parts = _named(e)
                if len(parts) == 2:
                    fields.append((text_of(parts[0]), self.eval(_unwrap(parts[1]), frame)))
            return Fields(type_text, tuple(fields))
        if type_text.startswith("[") or type_text.startswith("map["):
            if not self.budget.items_ok(len(elements), line_of(node), self._path):
                return Unknown("limit")
            return Items(tuple(self.eval(_unwrap(e), frame) for e in elements))
        return Fields(type_text, ())

    def _args(self, node: Node | None, frame: Frame) -> list[Val]:
        out: list[Val] = []
        for a in _named(node):
            if a.type == "variadic_argument":
                value = self.eval(_named(a)[0] if _named(a) else None, frame)
                out.extend(value.items if isinstance(value, Items) else [Unknown("...")])
            else:
                out.append(self.eval(a, frame))
        return out

    def _call(self, node: Node, frame: Frame) -> tuple[Val, ...]:
        fn = node.child_by_field_name("function")
        arg_nodes = node.child_by_field_name("arguments")
        where = Location(self._path, line_of(node))
        if fn is not None and fn.type == "identifier":
            name = text_of(fn)
            args = self._args(arg_nodes, frame)
            if name == "append" and args:
                base = args[0]
                rest = tuple(args[1:])
                if isinstance(base, Items) and self.budget.items_ok(len(base.items) + len(rest), where.line):
                    return (Items(base.items + rest),)
                return (Unknown("append"),)
            if name == "string" and args:
                return (args[0],)
            local = self._local(name, receiver=False)
            return self.invoke(local, args) if local is not None else (Unknown(name),)
        if fn is None or fn.type != "selector_expression":
            self._args(arg_nodes, frame)
            return (Unknown("call"),)
        operand = fn.child_by_field_name("operand")
        method = text_of(fn.child_by_field_name("field"))
        package = text_of(operand) if operand is not None and operand.type == "identifier" else ""
        if package and package not in frame.scope and package != "dag":
            special = self._package_call(package, method, arg_nodes, frame)
            if special is not None:
                return special
            if package in self.imports:  # another package's function: not followed
                self._args(arg_nodes, frame)
                return (Unknown(f"{package}.{method}"), Unknown("err"))
        receiver = self.eval(operand, frame)
        args = self._args(arg_nodes, frame)
        if isinstance(receiver, Client):
            return (self._client(method, args, where),)
        if isinstance(receiver, HostV):
            if method == "Directory" and args and isinstance(args[0], Text) and args[0].known:
                return (Dir(join(self.cwd, args[0].text)),)
            return (Unknown(method),)
        if isinstance(receiver, Dir):
            return (self._dir(receiver, method, args, where),)
        if isinstance(receiver, Ctr):
            return self._ctr(receiver, method, args, where, arg_nodes)
        local = self._local(method, receiver=True)
        if local is not None and isinstance(receiver, Unknown):
            return self.invoke(local, args)
        return (Unknown(method),)

    def _local(self, name: str, receiver: bool) -> FuncDecl | None:
        decls = [f for f in self.funcs.get(name, []) if (f.receiver_type is not None) == receiver]
        return decls[0] if len(decls) == 1 else None

    def _package_call(
        self, package: str, method: str, arg_nodes: Node | None, frame: Frame
    ) -> tuple[Val, ...] | None:
        if package == "fmt" and method == "Sprintf":
            args = self._args(arg_nodes, frame)
            return (_sprintf(args, self.budget, line_of(arg_nodes) if arg_nodes else 0, self._path),)
        if package == "dagger" and method == "Platform":
            args = self._args(arg_nodes, frame)
            return (args[0] if args else Unknown("platform"),)
        if package == "dagger" and method == "Connect":
            self._args(arg_nodes, frame)
            return (Client(), Unknown("err"))
        if package in ("fmt", "strings", "errors", "os", "log", "filepath", "path", "strconv", "context"):
            self._args(arg_nodes, frame)
            return (Unknown(f"{package}.{method}"),)
        return None

    def _client(self, method: str, args: list[Val], where: Location) -> Val:
        if method == "Container":
            opts = next((a for a in args if isinstance(a, Fields)), None)
            return Ctr(where, opts.get("Platform") if opts is not None else None)
        if method == "Host":
            return HostV()
        if method == "DefaultPlatform":
            return EnginePlatform()
        return Unknown(method)

    def _dir(self, receiver: Dir, method: str, args: list[Val], where: Location) -> Val:
        if method == "DockerBuild":
            opts = next((a for a in args if isinstance(a, Fields)), None)
            platform = opts.get("Platform") if opts is not None else None
            return _dockerfile_build(Ctr(where, platform), receiver, opts)
        if method == "Directory" and args and isinstance(args[0], Text) and args[0].known:
            return Dir(join(receiver.path, args[0].text), receiver.ctr)
        if method.startswith(("With", "Without")):
            return receiver
        return Unknown(method)

    def _ctr(
        self, ctr: Ctr, method: str, args: list[Val], where: Location, arg_nodes: Node | None
    ) -> tuple[Val, ...]:
        if method == "From":
            ref = args[0] if args else None
            return (replace(ctr, base=ref.text if isinstance(ref, Text) else "${image}"),)
        if method == "Build":
            context = args[0] if args and isinstance(args[0], Dir) else Dir(None)
            opts = next((a for a in args if isinstance(a, Fields)), None)
            return (_dockerfile_build(ctr, context, opts),)
        if method == "Publish":
            address = args[1] if len(args) > 1 else Unknown("address")
            opts = next((a for a in args[2:] if isinstance(a, Fields)), None)
            variants = opts.get("PlatformVariants") if opts is not None else None
            text = address if isinstance(address, Text) else Text("${address}", False)
            found = (
                tuple(v for v in variants.items if isinstance(v, Ctr)) if isinstance(variants, Items) else ()
            )
            self.events.append(Published(ctr, text, found, where))
            return (replace(text, where=None), Unknown("err"))
        if method == "WithExec":
            argv = args[0] if args else None
            if isinstance(argv, Items):
                lines = _element_lines(arg_nodes, len(argv.items), where.line)
                self.events.append(Exec(argv.items, lines, where))
            return (ctr,)
        if method == "Directory":
            return (Dir(None, ctr),)
        if method == "Platform":
            return (ctr.platform if ctr.platform is not None else EnginePlatform(), Unknown("err"))
        if method in ("Sync",):
            return (ctr, Unknown("err"))
        if method.startswith(("With", "Without")):
            return (ctr,)
        return (Unknown(method), Unknown("err"))


def _dockerfile_build(ctr: Ctr, context: Dir, opts: Fields | None) -> Ctr:
    dockerfile = opts.get("Dockerfile") if opts is not None else None
    target = opts.get("Target") if opts is not None else None
    build_args = opts.get("BuildArgs") if opts is not None else None
    name = dockerfile.text if isinstance(dockerfile, Text) and dockerfile.known else None
    if dockerfile is None:
        name = "Dockerfile"
    arg_names: frozenset[str] | None = frozenset()
    if isinstance(build_args, Items):
        names = [a.get("Name") for a in build_args.items if isinstance(a, Fields)]
        known = [n.text for n in names if isinstance(n, Text) and n.known]
        arg_names = frozenset(known) if len(known) == len(build_args.items) else None
    elif build_args is not None:
        arg_names = None
    return replace(
        ctr,
        base=None,
        dockerfile=join(context.path, name) if name is not None and context.ctr is None else None,
        context=context.path if context.ctr is None else None,
        target=target.text if isinstance(target, Text) and target.known else None,
        build_args=arg_names,
        dockerfile_build=True,
    )


def _element_lines(arg_nodes: Node | None, count: int, default: int) -> tuple[int, ...]:
    first = _named(arg_nodes)[0] if _named(arg_nodes) else None
    body = (
        first.child_by_field_name("body") if first is not None and first.type == "composite_literal" else None
    )
    lines = [line_of(e) for e in _named(body)]
    return tuple(lines) if len(lines) == count else tuple([default] * count)


def _unwrap(node: Node) -> Node:
    """The expression of a `literal_element`."""
    if node.type == "literal_element":
        inner = _named(node)
        return inner[0] if inner else node
    return node


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r"}


def _go_string(node: Node) -> str:
    out: list[str] = []
    for child in node.named_children:
        if child.type == "escape_sequence":
            raw = text_of(child)
            out.append(_ESCAPES.get(raw[1:2], raw))
        else:
            out.append(text_of(child))
    return "".join(out)


def as_text(value: Val) -> Text:
    if isinstance(value, Text):
        return value
    name = value.name if isinstance(value, Unknown) else type(value).__name__.lower()
    return Text(f"${{{name}}}", False)


def text_fits(size: int, budget: Budget, line: int, path: str) -> bool:
    """A computed string of `size` characters may be built: within the string limit, and paid for
    in steps by its length (a string built again and again by `s += s` or `s += "..."` on every line
    costs what copying it costs)."""
    if not budget.text_ok(size, line, path):
        return False
    budget.steps_left -= size // CHARS_PER_STEP
    return True


def concat(left: Val, right: Val, budget: Budget, line: int, path: str) -> Val:
    if not isinstance(left, Text) and not isinstance(right, Text):
        return Unknown("expression")
    a, b = as_text(left), as_text(right)
    if not text_fits(len(a.text) + len(b.text), budget, line, path):
        return Unknown("limit")
    return Text(a.text + b.text, a.known and b.known)


def _sprintf(args: list[Val], budget: Budget, line: int, path: str) -> Val:
    if not args or not isinstance(args[0], Text) or not args[0].known:
        return Unknown("sprintf")
    if not text_fits(sum(len(as_text(a).text) for a in args), budget, line, path):
        return Unknown("limit")
    fmt_text, rest = args[0].text, iter(args[1:])
    out: list[str] = []
    known = True
    pos = 0
    for m in _FORMAT_VERB.finditer(fmt_text):
        out.append(fmt_text[pos : m.start()])
        pos = m.end()
        if m.group(1) == "%":
            out.append("%")
            continue
        following = next(rest, None)
        value = as_text(following) if following is not None else Text("${missing}", False)
        if m.group(1) not in ("s", "v", "d", "q") or (m.group(1) == "q" and value.known):
            value = Text("${format}", False) if m.group(1) != "q" else Text(f'"{value.text}"')
        out.append(value.text)
        known = known and value.known
    out.append(fmt_text[pos:])
    return Text("".join(out), known)


def merge(old: Val, new: Val) -> Val:
    """The value of a variable after a branch that may or may not have assigned `new`."""
    if old == new:
        return new
    if isinstance(old, Ctr) and isinstance(new, Ctr) and old.platform == new.platform:
        return new
    return Unknown("branch")


def _join_returns(returns: list[tuple[Val, ...]]) -> tuple[Val, ...]:
    if not returns:
        return (Unknown("no return"),)
    first = returns[0]
    for other in returns[1:]:
        first = tuple(merge(a, b) for a, b in zip(first, other, strict=False))
    return first
