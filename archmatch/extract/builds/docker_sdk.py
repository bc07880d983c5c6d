"""Docker builds that Python code makes through the Docker SDK (docker-py):
`docker.from_env().images.build(path=..., tag=..., dockerfile=..., platform=..., target=...,
buildargs=...)`, the low-level `client.api.build(...)` and `docker.APIClient(...).build(...)` (whose
first two arguments may be given by position: `path`, `tag`), and the names given to the built
image afterwards: `image.tag(repository, tag)` on the image `images.build` returns, and
`client.api.tag(image, repository, tag)` naming one of the file's builds.

The file is read with the stdlib `ast`, never executed or imported, by the evaluator of
`python_calls` (constants, f-strings, `+`, `%`, `str.format`, names assigned earlier in the same
function or at module level). A call inside a function of the same file whose arguments use the
function's parameters is read once per call of that function in the file, its parameters bound to
the caller's arguments (wrappers of wrappers too, a few levels deep); a parameter no call binds is
an unknown value. `images.push(...)` adds nothing: what it pushes is named by a build's tag or a
`tag()` call.

docker-py reads no `DOCKER_DEFAULT_PLATFORM`: without `platform=` the Docker engine builds for its
own platform, the machine that runs the program for a local engine. `dockerfile` is relative to
`path` (the build context), unlike `docker build -f`; `path` is relative to the directory the
program runs in: the repository root, as for the commands `python_calls` reads, unless only the
program's own folder holds the Dockerfile that way (a `deploy.py` run from its folder). A call passing `**options` may set any of these: what it does
not write is unknown, never the host's.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from archmatch import lazyre
from archmatch.extract.builds._common import HostContext, default_dockerfile, image_label, join, platform_fact
from archmatch.extract.builds.python_calls import Evaluator, PyModule, Scope, Value, parse_file
from archmatch.isolation import isolated
from archmatch.model import ImageBuild, Location, RepoFacts
from archmatch.platforms import ArchFact
from archmatch.repo import RepoView

_IMPORTS_DOCKER = lazyre.compile(
    r"^[ \t]*(?:import[ \t]+(?:[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*,[ \t]*)*docker\b|from[ \t]+docker\b[\w.]*[ \t]+import\b)",
    re.M,
)
MAX_CALL_CONTEXTS = 16  # calls of a wrapper read for one build call
MAX_WRAPPER_DEPTH = 3  # wrappers of wrappers followed
HOST = HostContext("no platform=: the Docker engine the Python program uses builds for its own platform")
# the low-level build's parameters given by position, in docker-py's order
_POSITIONAL = ("path", "tag")


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for path in repo.matching(lambda p: p.endswith(".py")):
        text = repo.read_text(path)
        if text is None or ".build(" not in text or not _IMPORTS_DOCKER.search(text):
            continue
        with isolated(repo, facts, path):
            _extract_module(repo, facts, path, text)


def _extract_module(repo: RepoView, facts: RepoFacts, path: str, text: str) -> None:
    tree = parse_file(repo, path, text)
    if tree is None:
        return
    try:
        reader = _Reader(PyModule(tree, path), tree)
        builds = reader.builds(repo)
    except RecursionError:
        repo.diag(
            path, "Python file nested too deeply to read; its Docker SDK builds were not read", code="limit"
        )
        return
    facts.builds.extend(builds)
    if reader.module.refused:
        repo.diag(path, reader.module.refused, code="limit")


@dataclass(frozen=True)
class _Call:
    """A build call of the SDK: which API, and its arguments by parameter name."""

    node: ast.Call
    api: str  # "images.build" or "APIClient.build"
    arguments: dict[str, ast.expr]
    spread: bool  # `**options`: parameters not written may be set


def _text(value: Value) -> str:
    return "".join(p.text for p in value)


class _Reader:
    """The SDK build calls of one file, read in every context that calls them."""

    def __init__(self, module: PyModule, tree: ast.Module):
        self.module = module
        self.api_clients = _api_client_names(tree)
        self.result_names = _result_names(tree)  # id(build call) -> name bound to the image it returns
        self.memo: dict[int, list[Evaluator]] = {}  # id(scope) -> the contexts its function runs in
        self.defined: dict[str, int] = {}  # function name -> how many functions and methods have it
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.defined[node.name] = self.defined.get(node.name, 0) + 1

    def builds(self, repo: RepoView) -> list[ImageBuild]:
        out: list[ImageBuild] = []
        seen: set[tuple[object, ...]] = set()
        for call in self.module.calls:
            sdk = self._build_call(call)
            scope = self.module.enclosing.get(id(call))
            if sdk is None or scope is None:
                continue
            for evaluator in self._contexts(scope, sdk, 0):
                build = self._build(repo, sdk, evaluator)
                key = (build.location, tuple(build.tags), build.platforms, build.context, build.dockerfile)
                if key not in seen:
                    seen.add(key)
                    out.append(build)
        return out

    # --- which calls build -------------------------------------------------------------------------
    def _build_call(self, call: ast.Call) -> _Call | None:
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr != "build":
            return None
        receiver = func.value
        if isinstance(receiver, ast.Attribute) and receiver.attr == "images":
            return _Call(call, "images.build", _keywords(call), _spread(call))
        if (isinstance(receiver, ast.Attribute) and receiver.attr == "api") or self._is_api_client(receiver):
            spread = _spread(call) or any(isinstance(a, ast.Starred) for a in call.args)
            return _Call(call, "APIClient.build", _arguments(call, _POSITIONAL), spread)
        return None

    def _is_api_client(self, node: ast.expr) -> bool:
        """`docker.APIClient(...)` itself, or a name or `self.<attribute>` the file assigns one to."""
        if isinstance(node, ast.Call):
            return _constructs_api_client(node)
        return _target_key(node) in self.api_clients

    # --- the contexts a call is read in ----------------------------------------------------------
    def _contexts(self, scope: Scope, sdk: _Call, depth: int) -> list[Evaluator]:
        """An evaluator per call of the enclosing function that binds the parameters the build's
        arguments use; one evaluator (parameters unknown) when none does or none is found."""
        plain = [Evaluator(self.module, scope)]
        function = scope.node
        if isinstance(function, ast.Module) or not self._uses_params(sdk, scope):
            return plain
        return self._callers(scope, function.name, depth) or plain

    def _uses_params(self, sdk: _Call, scope: Scope) -> bool:
        names = {n.id for arg in sdk.arguments.values() for n in ast.walk(arg) if isinstance(n, ast.Name)}
        return bool(names & set(scope.params))

    def _callers(self, scope: Scope, name: str, depth: int) -> list[Evaluator]:
        if depth >= MAX_WRAPPER_DEPTH:
            return []
        out: list[Evaluator] = []
        if self.defined.get(name, 0) != 1:  # which of the same-named functions a call reaches is unknown
            return out
        method = bool(scope.params) and scope.params[0] in ("self", "cls")
        for call in self.module.calls:
            shift = _called_as(call, name, method)
            outer = self.module.enclosing.get(id(call))
            if shift is None or outer is None or outer is scope or self._build_call(call) is not None:
                continue
            for caller in self._caller_contexts(outer, depth + 1):
                out.append(Evaluator(self.module, scope, _bound(scope, call, shift, caller)))
                if len(out) >= MAX_CALL_CONTEXTS:
                    return out
        return out

    def _caller_contexts(self, scope: Scope, depth: int) -> list[Evaluator]:
        """The contexts a calling function runs in (each of its own calls, when it has parameters),
        found once per function."""
        found = self.memo.get(id(scope))
        if found is None:
            function = scope.node
            if not isinstance(function, ast.Module) and scope.params:
                found = self._callers(scope, function.name, depth)
            found = found or [Evaluator(self.module, scope)]
            self.memo[id(scope)] = found
        return found

    # --- the build -----------------------------------------------------------------------------------
    def _build(self, repo: RepoView, sdk: _Call, evaluator: Evaluator) -> ImageBuild:
        node, args = sdk.node, sdk.arguments
        at = (node.lineno, node.col_offset)
        path = self.module.path

        def value(name: str) -> str | None:
            return _text(evaluator.value(args[name], at, 0)) if name in args else None

        written_dockerfile = value("dockerfile")
        context = _context(repo, path, value("path"), written_dockerfile) if "path" in args else None
        if written_dockerfile is None:
            dockerfile = default_dockerfile(repo, context) if "fileobj" not in args else None
        else:
            dockerfile = join(context, written_dockerfile)
        tags = [tag for tag in [value("tag")] if tag]
        tags += self._tagged(sdk, evaluator, tags)
        platforms, platform_location, platform_via = self._platforms(sdk, evaluator)
        label = image_label(tags)
        return ImageBuild(
            source="python",
            name=f"Python {path}: docker SDK {sdk.api}" + (f" {label}" if label else ""),
            location=Location(path, node.lineno),
            dockerfile=dockerfile,
            context=context,
            target=value("target"),
            platforms=platforms,
            platform_location=platform_location,
            platform_via=platform_via,
            tags=tags,
            fix_syntax="docker-sdk-py",
            build_args=_build_arg_names(args.get("buildargs"), sdk.spread),
        )

    def _platforms(
        self, sdk: _Call, evaluator: Evaluator
    ) -> tuple[ArchFact, Location | None, Location | None]:
        """The requested platform, where its value is written (a constant's line when the argument
        names one), and the argument that only refers to it."""
        argument = sdk.arguments.get("platform")
        if argument is None:
            if sdk.spread:
                return ArchFact.unknown("platform= may come from the **options the call passes"), None, None
            return HOST.fact(), None, None
        value = evaluator.value(argument, (sdk.node.lineno, sdk.node.col_offset), 0)
        line = next((p.line for p in value if p.known and p.text.strip()), argument.lineno)
        written = Location(self.module.path, line)
        via = Location(self.module.path, argument.lineno) if line != argument.lineno else None
        return platform_fact([_text(value)], "platform="), written, via

    def _tagged(self, sdk: _Call, evaluator: Evaluator, tags: list[str]) -> list[str]:
        """The names later calls of the same function give the built image."""
        scope = self.module.enclosing.get(id(sdk.node))
        image = self.result_names.get(id(sdk.node))
        out: list[str] = []
        for call in self.module.calls:
            if self.module.enclosing.get(id(call)) is not scope or call.lineno < sdk.node.lineno:
                continue
            named = self._tag_call(call, image, tags, evaluator)
            if named and named not in tags and named not in out:
                out.append(named)
        return out

    def _tag_call(self, call: ast.Call, image: str | None, tags: list[str], ev: Evaluator) -> str | None:
        """`image.tag(repository, tag)`, or `api.tag(image, repository, tag)` naming one of `tags`."""
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr != "tag":
            return None
        at = (call.lineno, call.col_offset)
        receiver = func.value
        if image is not None and isinstance(receiver, ast.Name) and receiver.id == image:
            return _reference(_arguments(call, ("repository", "tag")), ev, at)
        low_level = (isinstance(receiver, ast.Attribute) and receiver.attr == "api") or self._is_api_client(
            receiver
        )
        if not low_level:
            return None
        arguments = _arguments(call, ("image", "repository", "tag"))
        if "image" not in arguments or _text(ev.value(arguments["image"], at, 0)) not in tags:
            return None
        return _reference(arguments, ev, at)


def _context(repo: RepoView, program: str, written: str | None, dockerfile: str | None) -> str | None:
    """The build context `path` names: from the repository root, or from the program's own folder
    when only there it holds the Dockerfile (a program run from its folder, `python deploy.py`)."""
    at_root = join(".", written)
    beside = join(posixpath.dirname(program) or ".", written)
    if beside is None or beside == at_root:
        return at_root
    name = dockerfile if dockerfile is not None else "Dockerfile"
    found_at_root = at_root is not None and _exists(repo, join(at_root, name))
    return beside if not found_at_root and _exists(repo, join(beside, name)) else at_root


def _exists(repo: RepoView, path: str | None) -> bool:
    return path is not None and repo.exists(path)


def _reference(arguments: dict[str, ast.expr], ev: Evaluator, at: tuple[int, int]) -> str | None:
    if "repository" not in arguments:
        return None
    repository = _text(ev.value(arguments["repository"], at, 0))
    tag = _text(ev.value(arguments["tag"], at, 0)) if "tag" in arguments else ""
    return f"{repository}:{tag}" if tag else repository


def _arguments(call: ast.Call, names: tuple[str, ...]) -> dict[str, ast.expr]:
    out = _keywords(call)
    for name, arg in zip(names, call.args, strict=False):
        if isinstance(arg, ast.Starred):
            break
        out.setdefault(name, arg)
    return out


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def _spread(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords)


def _build_arg_names(node: ast.expr | None, spread: bool) -> frozenset[str] | None:
    """The names `buildargs={...}` passes; None when they are not all written out."""
    if node is None:
        return None if spread else frozenset()
    if not isinstance(node, ast.Dict):
        return None
    names = []
    for key in node.keys:
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None  # `**more`, or a computed name
        names.append(key.value)
    return frozenset(names)


def _called_as(call: ast.Call, name: str, method: bool) -> int | None:
    """How many leading parameters the call does not write when it calls function `name`: 0 for
    `name(...)`, 1 for `<object>.name(...)` of a method (`self.name(...)`, `Images().name(...)`);
    None when it calls something else."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == name:
        return 0
    if method and isinstance(func, ast.Attribute) and func.attr == name:
        return 1
    return None


def _bound(scope: Scope, call: ast.Call, shift: int, caller: Evaluator) -> dict[str, Value]:
    """The function's parameters bound to the call's arguments, evaluated where the call is;
    parameters after a `*args` of the call, or given by `**options`, stay unknown."""
    at = (call.lineno, call.col_offset)
    params = scope.params[shift:]
    bound: dict[str, Value] = {}
    for param, arg in zip(params, call.args, strict=False):
        if isinstance(arg, ast.Starred):
            break
        bound[param] = caller.value(arg, at, 0)
    for keyword in call.keywords:
        if keyword.arg is not None and keyword.arg in params:
            bound[keyword.arg] = caller.value(keyword.value, at, 0)
    bound.update(_defaults(scope, bound, caller.module))
    return bound


def _defaults(scope: Scope, bound: dict[str, Value], module: PyModule) -> Iterator[tuple[str, Value]]:
    """Default values of the parameters the call leaves out, evaluated where the function is
    defined (as Python does, once, when the `def` runs)."""
    function = scope.node
    if isinstance(function, ast.Module) or scope.parent is None:
        return
    a = function.args
    positional = [*a.posonlyargs, *a.args]
    pairs = list(zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=True))
    pairs += [(p, d) for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None]
    outer = Evaluator(module, scope.parent)
    for param, default in pairs:
        if param.arg not in bound and not (isinstance(default, ast.Constant) and default.value is None):
            yield param.arg, outer.value(default, (function.lineno, function.col_offset), 0)


def _constructs_api_client(call: ast.Call) -> bool:
    """`APIClient(...)`, `docker.APIClient(...)`, `docker.api.APIClient(...)`."""
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "APIClient") or (
        isinstance(func, ast.Attribute) and func.attr == "APIClient"
    )


def _target_key(node: ast.AST) -> str | None:
    """`name`, or `self.attribute`: what an assignment binds and a later call may read."""
    if isinstance(node, ast.Name):
        return node.id
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("self", "cls")
    ):
        return f"{node.value.id}.{node.attr}"
    return None


def _api_client_names(tree: ast.Module) -> set[str]:
    """Names and `self.` attributes the file assigns a low-level client to (`docker.APIClient()`,
    `client.api`)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        value = node.value
        low_level = (isinstance(value, ast.Call) and _constructs_api_client(value)) or (
            isinstance(value, ast.Attribute) and value.attr == "api"
        )
        if not low_level:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names.update(key for key in map(_target_key, targets) if key is not None)
    return names


def _result_names(tree: ast.Module) -> dict[int, str]:
    """For `image, logs = client.images.build(...)` (or `image = ...build(...)[0]`): the build call's
    id, and the name of the image it returns."""
    out: dict[int, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        if isinstance(target, ast.Tuple | ast.List) and target.elts and isinstance(target.elts[0], ast.Name):
            if isinstance(value, ast.Call):
                out[id(value)] = target.elts[0].id
        elif isinstance(target, ast.Name) and isinstance(value, ast.Subscript):
            index = value.slice
            if isinstance(value.value, ast.Call) and isinstance(index, ast.Constant) and index.value == 0:
                out[id(value.value)] = target.id
    return out
