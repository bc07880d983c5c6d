"""Docker builds that Python code runs: `subprocess.run/call/check_call/check_output/Popen([...])`,
`os.system(...)` / `os.popen(...)`, and functions of the same file that pass a parameter on to one
of them (`def execute(command): subprocess.Popen(command, shell=True)`), called with a command.

The file is read with the stdlib `ast`, never executed or imported. A command is a list literal
(one argument per item) or a string: literals, f-strings, `+`, `%` and `str.format` on a literal,
`" ".join([...])`, and names assigned earlier in the same function or at module level. Anything
else (a parameter, a call, a value assigned in a loop or a branch) is an unknown value written
`${expression}`, which the docker command parser and the linker treat as unresolved. The command
text then goes through the shell scanner (`_shellscan`) like a script line; relative paths resolve
against the repository root (or a literal `cwd=`), as for scripts.

Hostile files cost bounded time and memory: files over `MAX_SOURCE_CHARS` are not parsed, one parse
per file, evaluation depth and steps capped; a file Python itself refuses to parse (too deeply
nested: `RecursionError`, `MemoryError`) becomes a `limit` diagnostic naming the file, a syntax
error a note.
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from archmatch import lazyre
from archmatch.extract import pysource
from archmatch.extract.builds._common import DEFAULT_PLATFORM_VAR, EnvValue, HostContext, join
from archmatch.extract.builds._shellscan import ShellState, scanned_builds, script_dir_of
from archmatch.extract.builds._shellvalues import MAX_VALUE_CHARS
from archmatch.isolation import isolated
from archmatch.model import Location, RepoFacts
from archmatch.repo import RepoView

_SUBPROCESS_RUNNERS = frozenset(["run", "call", "check_call", "check_output", "Popen", "getoutput"])
_OS_RUNNERS = frozenset(["system", "popen"])
_MENTIONS_RUNNER = lazyre.compile(r"\bsubprocess\b|\bos\.(?:system|popen)\b|\bfrom\s+os\s+import\b")
MAX_EXPR_DEPTH = 32  # nested expressions and name lookups followed for one value
MAX_STEPS = 20_000  # expressions evaluated in one file
MAX_WRAPPER_ROUNDS = 4  # wrappers of wrappers followed
MAX_SOURCE_CHARS = 500_000  # the AST of a larger file costs hundreds of MB; CLI modules are far smaller
_DESCRIBABLE = lazyre.compile(r"^[\w.\[\]'\"]{1,60}$")
HOST = HostContext("no --platform: the machine that runs the Python program decides")


@dataclass(frozen=True)
class Piece:
    """Part of a command: text written in the file (at `line`), or an unknown value's `${...}`."""

    text: str
    line: int
    known: bool = True


Value = list[Piece]


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for path in repo.matching(lambda p: p.endswith(".py")):
        text = repo.read_text(path)
        if text is None or "docker" not in text or not _MENTIONS_RUNNER.search(text):
            continue
        with isolated(repo, facts, path):
            _extract_module(repo, facts, path, text)


def parse_file(repo: RepoView, path: str, text: str) -> ast.Module | None:
    if len(text) > MAX_SOURCE_CHARS:
        message = f"Python file larger than {MAX_SOURCE_CHARS} characters; its docker commands were not read"
        repo.diag(path, message, code="limit")
        return None
    try:
        return pysource.parse(text, filename=path)
    except SyntaxError as exc:  # Python 2 or a template: not this reader's business to judge
        repo.diag(path, f"not read as Python 3: {exc.msg}", line=exc.lineno or 0, level="note")
    except (RecursionError, MemoryError):
        repo.diag(
            path, "Python file nested too deeply to parse; its docker commands were not read", code="limit"
        )
    return None


def _extract_module(repo: RepoView, facts: RepoFacts, path: str, text: str) -> None:
    tree = parse_file(repo, path, text)
    if tree is None:
        return
    try:
        module = PyModule(tree, path)
        commands = [(site, site.render()) for site in module.command_sites()]
    except RecursionError:
        repo.diag(
            path, "Python file nested too deeply to read; its docker commands were not read", code="limit"
        )
        return
    for site, rendered in commands:
        if rendered is None or "docker" not in rendered.text:
            continue
        state = ShellState(path=path, script_dir=script_dir_of(path), cwd=site.cwd, walk=site.cwd)
        if site.default_platform is not None:
            state.exported[DEFAULT_PLATFORM_VAR] = site.default_platform
        where = f"Python {path}"
        facts.builds.extend(
            scanned_builds(
                repo, rendered.text, state, rendered.line_at, source="python", where=where, host=HOST
            )
        )
    if module.refused:
        repo.diag(path, module.refused, code="limit")


@dataclass
class _Rendered:
    """A command's text and the file line of each of its characters."""

    text: str
    line_at: Callable[[int], int]


def _render(pieces: Value) -> _Rendered:
    """The command's text, and the file line of each of its characters (that of its piece)."""
    starts: list[int] = []
    lines: list[int] = []
    at = 0
    for piece in pieces:
        starts.append(at)
        lines.append(piece.line)
        at += len(piece.text)
    fallback = pieces[0].line if pieces else 0

    def line_at(offset: int) -> int:
        index = bisect.bisect_right(starts, offset) - 1
        return lines[index] if index >= 0 else fallback

    return _Rendered("".join(p.text for p in pieces), line_at)


def _quote_word(item: Value, line: int) -> Value:
    """One argv item as one shell word: double-quoted, with known text escaped."""
    out = [Piece('"', line)]
    for piece in item:
        if piece.known:
            out.append(Piece(re.sub(r'(["\\$`])', r"\\\1", piece.text), piece.line))
        else:
            out.append(piece)
    out.append(Piece('" ', line))
    return out


@dataclass
class _Site:
    """A call that runs a command, with what it was found to run."""

    evaluator: Evaluator
    command: ast.expr
    at: tuple[int, int]
    cwd: str | None
    default_platform: EnvValue | None

    def render(self) -> _Rendered | None:
        node = self.command
        if isinstance(node, ast.List | ast.Tuple):
            pieces: Value = []
            for item in node.elts:
                if isinstance(item, ast.Starred):  # more arguments of unknown number
                    pieces.extend(_quote_word([self.evaluator.unknown(item)], item.lineno))
                else:
                    pieces.extend(_quote_word(self.evaluator.value(item, self.at, 0), item.lineno))
            return _render(pieces)
        if _is_split(node):  # "docker build .".split() / shlex.split(...)
            assert isinstance(node, ast.Call)
            node = node.func.value if not node.args else node.args[0]  # type: ignore[attr-defined]
        value = self.evaluator.value(node, self.at, 0)
        if sum(len(p.text) for p in value) > MAX_VALUE_CHARS:
            return None
        return _render(value)


def _is_split(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    if node.func.attr == "split" and not node.args:
        return True
    base = node.func.value
    return (
        node.func.attr == "split"
        and isinstance(base, ast.Name)
        and base.id == "shlex"
        and len(node.args) == 1
    )


@dataclass(frozen=True)
class _Assignment:
    """One assignment to a name, and whether it surely ran once."""

    at: tuple[int, int]
    value: ast.expr | None  # None: bound to something unknown (a loop target, an unpacking)
    augmented: bool  # `+=`
    conditional: bool  # inside an if/for/while/try: may or may not have run, or run many times


_CONTROL = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.Match)


def _assignments(body: list[ast.stmt]) -> dict[str, list[_Assignment]]:
    """Every name a scope's statements bind (not those of nested functions or classes), in order."""
    out: dict[str, list[_Assignment]] = {}
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in reversed(body)]
    while stack:
        node, conditional = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        at = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _bind(out, target, node.value, at, conditional, augmented=False)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            _bind(out, node.target, node.value, at, conditional, augmented=False)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            value = node.value if isinstance(node.op, ast.Add) else None
            out.setdefault(node.target.id, []).append(_Assignment(at, value, value is not None, conditional))
        elif isinstance(node, ast.For | ast.AsyncFor):
            _bind(out, node.target, None, at, True, augmented=False)
        elif isinstance(node, ast.NamedExpr):
            _bind(out, node.target, node.value, at, conditional, augmented=False)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            _bind(out, node.optional_vars, None, at, conditional, augmented=False)
        inner = conditional or isinstance(node, _CONTROL)
        stack.extend((child, inner) for child in reversed(list(ast.iter_child_nodes(node))))
    return out


def _bind(
    out: dict[str, list[_Assignment]],
    target: ast.expr,
    value: ast.expr | None,
    at: tuple[int, int],
    conditional: bool,
    augmented: bool,
) -> None:
    if isinstance(target, ast.Name):
        out.setdefault(target.id, []).append(_Assignment(at, value, augmented, conditional))
    elif isinstance(target, ast.Tuple | ast.List):
        for item in target.elts:
            _bind(
                out, item.value if isinstance(item, ast.Starred) else item, None, at, conditional, augmented
            )


class Scope:
    def __init__(self, node: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef, parent: Scope | None):
        self.node, self.parent = node, parent
        self.params: list[str] = []
        if not isinstance(node, ast.Module):
            a = node.args
            self.params = [p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]]
            self.params += [p.arg for p in (a.vararg, a.kwarg) if p is not None]

    @functools.cached_property
    def assigned(self) -> dict[str, list[_Assignment]]:  # read only when a name is looked up here
        return _assignments(self.node.body)


class Evaluator:
    """String values of expressions in one scope, as pieces (bounded by depth and the module's steps).
    `bound`: values of the scope's parameters for one call of its function (the call's arguments);
    a parameter without one is unknown."""

    def __init__(self, module: PyModule, scope: Scope, bound: dict[str, Value] | None = None):
        self.module, self.scope = module, scope
        self.bound = bound or {}

    def unknown(self, node: ast.AST) -> Piece:
        return Piece("${" + _describe(node) + "}", getattr(node, "lineno", 0), known=False)

    def value(self, node: ast.expr, at: tuple[int, int], depth: int) -> Value:
        if depth > MAX_EXPR_DEPTH or not self.module.step():
            return [self.unknown(node)]
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float):
            return [Piece(str(node.value), line)]
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, at, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.value(node.left, at, depth + 1) + self.value(node.right, at, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return self._percent(node, at, depth)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "format":
                return self._format(node, at, depth)
            if (
                node.func.attr == "join"
                and len(node.args) == 1
                and isinstance(node.args[0], ast.List | ast.Tuple)
            ):
                return self._join(node, at, depth)
        if isinstance(node, ast.Name):
            return self._name(node, at, depth)
        return [self.unknown(node)]

    def _fstring(self, node: ast.JoinedStr, at: tuple[int, int], depth: int) -> Value:
        out: Value = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                plain = part.format_spec is None and part.conversion in (-1, ord("s"))
                out.extend(self.value(part.value, at, depth + 1) if plain else [self.unknown(part.value)])
            else:
                out.extend(self.value(part, at, depth + 1))
        return out

    def _percent(self, node: ast.BinOp, at: tuple[int, int], depth: int) -> Value:
        template = self.value(node.left, at, depth + 1)
        if not all(p.known for p in template):
            return [self.unknown(node)]
        items = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        text = "".join(p.text for p in template)
        out: Value = []
        index, last = 0, 0
        for m in re.finditer(r"%(?:%|[-#0 +]*\d*(?:\.\d+)?[sdirfx])", text):
            out.append(Piece(text[last : m.start()], template[0].line))
            last = m.end()
            if m.group(0) == "%%":
                out.append(Piece("%", template[0].line))
                continue
            if index >= len(items) or isinstance(node.right, ast.Dict):
                return [self.unknown(node)]
            out.extend(self.value(items[index], at, depth + 1))
            index += 1
        out.append(Piece(text[last:], template[0].line))
        return out

    def _format(self, node: ast.Call, at: tuple[int, int], depth: int) -> Value:
        assert isinstance(node.func, ast.Attribute)
        template = self.value(node.func.value, at, depth + 1)
        if not all(p.known for p in template):
            return [self.unknown(node)]
        text, line = "".join(p.text for p in template), template[0].line if template else node.lineno
        keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
        out: Value = []
        auto = 0
        try:
            fields = list(string.Formatter().parse(text))
        except ValueError:
            return [self.unknown(node)]
        for literal, field_name, spec, conversion in fields:
            out.append(Piece(literal, line))
            if field_name is None:
                continue
            if field_name == "":
                field_name, auto = str(auto), auto + 1
            arg: ast.expr | None = None
            if field_name.isdigit() and int(field_name) < len(node.args):
                arg = node.args[int(field_name)]
            elif field_name in keywords:
                arg = keywords[field_name]
            if arg is None or spec or conversion not in (None, "s") or isinstance(arg, ast.Starred):
                out.append(
                    Piece("${" + (field_name if _DESCRIBABLE.match(field_name) else "...") + "}", line, False)
                )
            else:
                out.extend(self.value(arg, at, depth + 1))
        return out

    def _join(self, node: ast.Call, at: tuple[int, int], depth: int) -> Value:
        assert isinstance(node.func, ast.Attribute)
        separator = self.value(node.func.value, at, depth + 1)
        items = node.args[0].elts  # type: ignore[attr-defined]
        out: Value = []
        for i, item in enumerate(items):
            if i:
                out.extend(separator)
            out.extend(
                [self.unknown(item)] if isinstance(item, ast.Starred) else self.value(item, at, depth + 1)
            )
        return out

    def _name(self, node: ast.Name, at: tuple[int, int], depth: int) -> Value:
        scope: Scope | None = self.scope
        while scope is not None:
            found = [a for a in scope.assigned.get(node.id, []) if scope is not self.scope or a.at < at]
            if found:
                value = self._fold(node, found, scope, depth)
                if len(value) == 1 and value[0].text == "${...}":  # `path = os.getcwd()`: say `${path}`
                    return [self.unknown(node)]
                return value
            if node.id in scope.params:
                bound = self.bound.get(node.id) if scope is self.scope else None
                return bound if bound is not None else [self.unknown(node)]
            scope = scope.parent
            at = (1 << 30, 0)  # an enclosing scope has run all its statements by the time of the call
        return [self.unknown(node)]

    def _fold(self, node: ast.Name, found: list[_Assignment], scope: Scope, depth: int) -> Value:
        """The value after the assignments in order: a conditional one makes it unknown."""
        inner = self if scope is self.scope else Evaluator(self.module, scope)
        value: Value = [self.unknown(node)]
        for assignment in found:
            if assignment.conditional or assignment.value is None:
                value = [self.unknown(node)]
                continue
            new = inner.value(assignment.value, assignment.at, depth + 1)
            value = value + new if assignment.augmented else new
        return value


def _describe(node: ast.AST) -> str:
    """A short name for an unknown value: the expression when it is a plain name, attribute or
    constant subscript (`node_config["docker_repo"]`), else `...`."""
    parts: list[str] = []
    current: ast.AST = node
    for _ in range(8):
        if isinstance(current, ast.Name):
            parts.append(current.id)
            text = "".join(reversed(parts))
            return text if _DESCRIBABLE.match(text) else "..."
        if isinstance(current, ast.Attribute):
            parts.append("." + current.attr)
            current = current.value
        elif isinstance(current, ast.Subscript) and isinstance(current.slice, ast.Constant):
            parts.append(f"[{current.slice.value!r}]".replace("'", '"'))
            current = current.value
        elif isinstance(current, ast.Starred):
            current = current.value
        else:
            break
    return "..."


class PyModule:
    """The functions of one file, the calls that run commands, and the wrappers that pass theirs on."""

    def __init__(self, tree: ast.Module, path: str):
        self.tree, self.path = tree, path
        self.steps = 0
        self.refused = ""
        self.subprocess_names, self.os_names, self.direct = {"subprocess"}, {"os"}, set[str]()
        self.calls: list[ast.Call] = []
        self.enclosing: dict[int, Scope] = {}  # id(call) -> the scope it is written in
        self._index(tree)
        self.wrappers: dict[str, tuple[int, str]] = {}  # function name -> (command parameter index, name)
        self._find_wrappers()

    def step(self) -> bool:
        self.steps += 1
        if self.steps > MAX_STEPS:
            self.refused = (
                self.refused or f"more than {MAX_STEPS} Python expressions evaluated; the rest unknown"
            )
            return False
        return True

    def _index(self, tree: ast.Module) -> None:
        """One pass over the tree: the calls with their scopes, and the imports of runners."""
        stack: list[tuple[ast.AST, Scope]] = [(tree, Scope(tree, None))]
        while stack:
            node, scope = stack.pop()
            for child in ast.iter_child_nodes(node):
                inner = scope
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    inner = Scope(child, scope)
                elif isinstance(child, ast.Call):
                    self.enclosing[id(child)] = scope
                    self.calls.append(child)
                elif isinstance(child, ast.Import | ast.ImportFrom):
                    self._imported(child)
                stack.append((child, inner))
        self.calls.sort(key=lambda c: (c.lineno, c.col_offset))

    def _imported(self, node: ast.Import | ast.ImportFrom) -> None:
        """Names bound to the subprocess and os modules, and runner functions imported by name."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("subprocess", "os"):
                    names = self.subprocess_names if alias.name == "subprocess" else self.os_names
                    names.add(alias.asname or alias.name)
        elif node.module in ("subprocess", "os"):
            runners = _SUBPROCESS_RUNNERS if node.module == "subprocess" else _OS_RUNNERS
            self.direct.update(alias.asname or alias.name for alias in node.names if alias.name in runners)

    def _runner(self, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            base = func.value.id
            return (base in self.subprocess_names and func.attr in _SUBPROCESS_RUNNERS) or (
                base in self.os_names and func.attr in _OS_RUNNERS
            )
        return isinstance(func, ast.Name) and func.id in self.direct

    def _wrapper_of(self, call: ast.Call) -> tuple[int, str] | None:
        func = call.func
        if isinstance(func, ast.Name) and func.id in self.wrappers:
            return self.wrappers[func.id]
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
            and func.attr in self.wrappers
        ):
            index, name = self.wrappers[func.attr]
            return index - 1, name  # the method's `self` is not written in the call
        return None

    def _command_arg(self, call: ast.Call) -> ast.expr | None:
        """The command a runner or wrapper call passes, or None."""
        if self._runner(call):
            index, keyword = 0, "args"
        else:
            wrapper = self._wrapper_of(call)
            if wrapper is None:
                return None
            index, keyword = wrapper
        if index < 0:
            return None
        if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
            return call.args[index]
        return next((k.value for k in call.keywords if k.arg == keyword), None)

    def _find_wrappers(self) -> None:
        for _ in range(MAX_WRAPPER_ROUNDS):
            added = False
            for call in self.calls:
                scope = self.enclosing.get(id(call))
                command = self._command_arg(call)
                if scope is None or not isinstance(command, ast.Name) or command.id not in scope.params:
                    continue
                function = scope.node
                assert not isinstance(function, ast.Module)
                if function.name not in self.wrappers:
                    self.wrappers[function.name] = (scope.params.index(command.id), command.id)
                    added = True
            if not added:
                break

    def command_sites(self) -> list[_Site]:
        sites = []
        for call in self.calls:
            command = self._command_arg(call)
            scope = self.enclosing.get(id(call))
            if command is None or scope is None:
                continue
            if isinstance(command, ast.Name) and command.id in scope.params:
                continue  # a wrapper passing its parameter on: its callers are the sites
            evaluator = Evaluator(self, scope)
            at = (call.lineno, call.col_offset)
            sites.append(_Site(evaluator, command, at, _cwd(call), _default_platform(call, evaluator, at)))
        return sites


def _cwd(call: ast.Call) -> str | None:
    """The command's working directory: the repository root unless `cwd=` says otherwise."""
    value = next((k.value for k in call.keywords if k.arg == "cwd"), None)
    if value is None:
        return "."
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return join(".", value.value)
    return None


def _default_platform(call: ast.Call, evaluator: Evaluator, at: tuple[int, int]) -> EnvValue | None:
    """`env={..., "DOCKER_DEFAULT_PLATFORM": "linux/amd64"}` given to the call."""
    env = next((k.value for k in call.keywords if k.arg == "env"), None)
    if not isinstance(env, ast.Dict):
        return None
    for key, value in zip(env.keys, env.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == DEFAULT_PLATFORM_VAR:
            text = "".join(p.text for p in evaluator.value(value, at, 0))
            return EnvValue(text, Location(evaluator.module.path, value.lineno))
    return None
