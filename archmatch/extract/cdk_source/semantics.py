"""What names mean, shared by both front ends: which module an import names, and how member
access and calls on known names (CDK enums and factories, `path`, `os`, `platform`) evaluate."""

from __future__ import annotations

import posixpath

from archmatch.extract.cdk_source.values import (
    Call,
    Choice,
    Host,
    Null,
    Obj,
    PathV,
    Ref,
    Str,
    Unknown,
    Val,
    camel,
    choice,
    get,
    join_paths,
)

_NODE_BUILTINS = {"path", "os", "url", "process"}
_PY_MODULES = {"os", "os.path", "platform", "pathlib", "sys"}

# Reading any of these gives the deploy machine's architecture (or a value derived from it).
HOST_VALUES = frozenset({"node:process.arch", "py:sys.platform"})
HOST_CALLS = frozenset(
    {
        "node:os.arch",
        "node:os.machine",
        "py:platform.machine",
        "py:platform.processor",
        "py:platform.uname",
        "py:platform.architecture",
        "py:os.uname",
    }
)
_JOIN = frozenset(
    {
        "node:path.join",
        "node:path.resolve",
        "node:path.posix.join",
        "py:os.path.join",
        "py:pathlib.Path",
        "py:pathlib.PurePath",
    }
)
_DIRNAME = frozenset({"node:path.dirname", "py:os.path.dirname"})
_IDENTITY = frozenset(
    {
        "node:path.normalize",
        "py:os.path.abspath",
        "py:os.path.realpath",
        "py:os.path.normpath",
        "node:url.fileURLToPath",
        "py:str",
    }
)
_CWD = frozenset({"node:process.cwd", "py:os.getcwd"})
_PATH_METHODS_IDENTITY = frozenset({"resolve", "absolute", "asPosix", "toString"})


def cdk_module(spec: str) -> str | None:
    """Canonical module for an import specifier: `aws-cdk-lib/aws-lambda`, `@aws-cdk/aws-lambda`
    and `aws_cdk.aws_lambda` all give `aws_lambda`; the root package gives ``; Node and Python
    standard modules give `node:path`, `py:platform`; anything else None."""
    spec = spec.strip()
    if spec in ("aws-cdk-lib", "aws_cdk", "@aws-cdk/core", "monocdk"):
        return ""
    for prefix in ("aws-cdk-lib/", "@aws-cdk/", "monocdk/", "aws_cdk."):
        if spec.startswith(prefix):
            return _module_name(spec[len(prefix) :])
    bare = spec.removeprefix("node:")
    if bare in _NODE_BUILTINS and not spec.startswith("py:"):
        return f"node:{bare}"
    return None


def py_module(spec: str) -> str | None:
    if spec in _PY_MODULES:
        return f"py:{spec}"
    return cdk_module(spec)


def _module_name(name: str) -> str:
    name = name.replace("-", "_")
    return name.removesuffix("_alpha")


def member(base: Val, attr: str, path: str, line: int) -> Val:
    """`base.attr` for values the front ends cannot resolve themselves."""
    if isinstance(base, Choice):
        return choice([member(o, attr, path, line) for o in base.options], path, line, base.why)
    if isinstance(base, Host):
        return Host(path, line, base.source)
    if isinstance(base, Null):  # `props?.architecture` when no props are passed
        return Null(path, line)
    if isinstance(base, Ref):
        if base.module and base.qual == "":
            if attr.startswith("aws_"):
                return Ref(path, line, _module_name(attr), module=True)
            return Ref(path, line, attr)
        if base.qual.startswith(("node:", "py:")):
            qual = f"{base.qual}.{attr}"
            if qual in HOST_VALUES:
                return Host(path, line, qual.split(":", 1)[1])
            if qual == "node:process.env" or qual.startswith("node:process.env."):
                return Unknown(path, line, f"environment variable {attr}")
            return Ref(path, line, qual, module=qual in ("py:os.path", "node:path.posix"))
        return Ref(path, line, f"{base.qual}.{camel(attr)}")
    if isinstance(base, PathV) and attr == "parent":
        return PathV(path, line, posixpath.dirname(base.rel) or ".")
    if isinstance(base, Obj):
        found = get(base, attr)
        return found if found is not None else Null(path, line)  # absent from a closed object
    if isinstance(base, Call):
        if base.callee in HOST_CALLS:
            return Host(path, line, base.callee.split(":", 1)[1] + "()")
        return Unknown(path, line, f"{attr} of {base.describe()}", owner=base, attr=camel(attr))
    return Unknown(path, line, f"property {attr} of {base.describe()}")


def invoke(
    callee: Val, args: list[Val], kwargs: Obj | None, path: str, line: int, app_dir: str, text: str
) -> Val:
    """Evaluate a call whose callee has already been evaluated."""
    if isinstance(callee, Host):
        return Host(path, line, callee.source)
    if isinstance(callee, Ref) and not callee.module:
        qual = callee.qual
        if qual in HOST_CALLS:
            return Host(path, line, qual.split(":", 1)[1] + "()")
        if qual == "node:path.resolve" and not args:  # the working directory
            return PathV(path, line, app_dir)
        if qual in _JOIN:
            return join_paths(args, path, line)
        if qual in _DIRNAME and args:
            return _dirname(args[0], path, line)
        if qual in _IDENTITY and args:
            return args[0]
        if qual in _CWD:
            return PathV(path, line, app_dir)
        return Call(path, line, callee=qual, args=args, kwargs=kwargs, text=text)
    return Call(path, line, callee=None, receiver=callee, args=args, kwargs=kwargs, text=text)


def method(
    receiver: Val,
    name: str,
    args: list[Val],
    kwargs: Obj | None,
    path: str,
    line: int,
    app_dir: str,
    text: str,
) -> Val:
    """`receiver.name(args)`."""
    if isinstance(receiver, Host):
        return Host(path, line, receiver.source)
    if isinstance(receiver, PathV):
        if name in _PATH_METHODS_IDENTITY:
            return receiver
        if name == "joinpath":
            return join_paths([receiver, *args], path, line)
    if isinstance(receiver, Ref):
        return invoke(member(receiver, name, path, line), args, kwargs, path, line, app_dir, text)
    if isinstance(receiver, Str) and name in ("toString", "trim"):
        return receiver
    return Call(
        path, line, callee=None, receiver=receiver, method=camel(name), args=args, kwargs=kwargs, text=text
    )


def _dirname(value: Val, path: str, line: int) -> Val:
    if isinstance(value, PathV):
        return PathV(path, line, posixpath.dirname(value.rel) or ".")
    if isinstance(value, Host):
        return value
    return Unknown(path, line, "dirname of a computed path")
