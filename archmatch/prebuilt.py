"""Dataclass methods compiled ahead of time, so that creating archmatch's dataclasses compiles nothing.

`@dataclass` writes the source text of each method it adds (`__init__`, `__repr__`, `__eq__`,
`__hash__`, `__setattr__`, the ordering methods) and compiles it with `exec`: about 0.6 M
instructions a method, 3-7 M a class. archmatch creates ~70 dataclasses to lint one Dockerfile
and ~100 to scan a small repository, so compiling them was a third of the start-up time.

`install()` (run when the `archmatch` package is imported) wraps `dataclasses._create_fn`, the one
function that compiles those texts. For a class defined in an `archmatch` module it looks the text
up in `archmatch/prebuilt_code.py`, a module holding each known text followed by its compiled
code (so Python's own bytecode cache stores the compilation), and runs that code with the same
globals and arguments the text would have run with: the method is the one `exec` would have
made, but for the file name and line numbers in its code object. A text that is not there (a
class added or changed since the module was built) is compiled as before. Classes of other
modules (Checkov's, when the pack runs inside Checkov) always go to the original function.

The texts are those of one Python version's `dataclasses` (`BUILT_FOR`); under another version, or
if that version's `_create_fn` is not the one the module was built against (`FINGERPRINT`),
nothing is installed. `python scripts/prebuilt_methods.py` rebuilds the module (`--check`: exit 1
when it is out of date); tests/test_speed.py checks that it is current.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import zlib
from collections.abc import Callable
from typing import Any

# Where `dataclasses` (3.10-3.12) stores the return annotation of a created method.
_RETURN_NAME = "__dataclass_return_type__" if sys.version_info >= (3, 12) else "_return_type"
_PACKAGE = __name__.partition(".")[0]

_original: Callable[..., Any] | None = None
_table: dict[str, types.CodeType] = {}
# Texts compiled because they were not in the table (what `record` collects to build it).
missed: dict[str, None] = {}


def fingerprint(function: Callable[..., Any]) -> str:
    """A digest of a function's bytecode and constants: which `_create_fn` the texts came from."""
    return f"{zlib.crc32(repr(_code_parts(function.__code__)).encode()):08x}"


def _code_parts(code: types.CodeType) -> tuple[object, ...]:
    consts = tuple(_code_parts(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames)


def function_text(
    name: str, args: list[str], body: list[str], local_names: list[str], return_annotation: str
) -> str:
    """The text `dataclasses._create_fn` compiles (the same steps, in the same order)."""
    lines = "\n".join(f"  {b}" for b in body)
    inner = f" def {name}({','.join(args)}){return_annotation}:\n{lines}"
    return f"def __create_fn__({', '.join(local_names)}):\n{inner}\n return {name}"


def _create_fn(
    name: str,
    args: list[str],
    body: list[str],
    *,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
    return_type: Any = dataclasses.MISSING,
) -> Any:
    """`dataclasses._create_fn`, with the compiled code of archmatch's texts taken from the table."""
    assert _original is not None
    if str((globals or {}).get("__name__", "")).partition(".")[0] != _PACKAGE:
        return _original(name, args, body, globals=globals, locals=locals, return_type=return_type)
    local_values = {} if locals is None else locals
    return_annotation = ""
    if return_type is not dataclasses.MISSING:
        local_values[_RETURN_NAME] = return_type
        return_annotation = "->" + _RETURN_NAME
    text = function_text(name, args, body, list(local_values), return_annotation)
    code = _table.get(text)
    if code is None:
        missed[text] = None
        namespace: dict[str, Any] = {}
        exec(text, globals, namespace)
        return namespace["__create_fn__"](**local_values)
    return types.FunctionType(code, globals if globals is not None else {})(**local_values)


def _wrap() -> bool:
    global _original
    current = getattr(dataclasses, "_create_fn", None)
    if current is _create_fn:
        return True
    if current is None or not (3, 10) <= sys.version_info[:2] <= (3, 12):
        return False  # 3.13 compiles a class's methods in one `exec`, through another function
    _original = current
    dataclasses._create_fn = _create_fn  # type: ignore[attr-defined]
    return True


def install() -> bool:
    """Take dataclass methods from the table from now on; False (nothing done) where it does not
    apply: another Python version, or another `_create_fn` than the one it was built against."""
    from archmatch import prebuilt_code

    current = getattr(dataclasses, "_create_fn", None)
    original = _original if current is _create_fn else current
    if original is None or sys.version_info[:2] != prebuilt_code.BUILT_FOR:
        return False
    if fingerprint(original) != prebuilt_code.FINGERPRINT or not _wrap():
        return False
    _table.update(prebuilt_code.CODE)
    return True


def record() -> bool:
    """Compile every text from now on and collect it in `missed` (to build the table)."""
    _table.clear()
    missed.clear()
    return _wrap()


def original_fingerprint() -> str:
    """The fingerprint of this Python's own `dataclasses._create_fn`."""
    current = getattr(dataclasses, "_create_fn", None)
    original = _original if current is _create_fn else current
    return fingerprint(original) if original is not None else ""


def render(texts: list[str]) -> str:
    """The source of `archmatch/prebuilt_code.py` for these method texts."""
    out = [
        "# mypy: ignore-errors",
        '"""Generated by scripts/prebuilt_methods.py: the methods of archmatch\'s dataclasses, compiled',
        'with the package (see archmatch/prebuilt.py). Do not edit: rebuild it."""',
        "",
        f"BUILT_FOR = {sys.version_info[:2]!r}",
        f"FINGERPRINT = {original_fingerprint()!r}",
        "CODE = {}",
        "",
    ]
    for text in sorted(texts):
        out += [text, f"CODE[{text!r}] = __create_fn__.__code__", ""]
    out.append("del __create_fn__")
    return "\n".join(out) + "\n"
