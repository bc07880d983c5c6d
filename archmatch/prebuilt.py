"""Dataclass methods and regular expressions compiled ahead of time, so that start-up compiles neither.

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
nothing is installed.

Regular expressions: compiling a pattern is pure Python (`re._parser`, `re._compiler`), ~0.8 M
instructions a pattern, and linting one Dockerfile uses ~35 of archmatch's patterns. The module
also holds, for each pattern made with `archmatch.lazyre.compile` at import time, what
`re._compiler.compile` hands to `_sre.compile` (the flags, the pattern's code, its groups);
`regex()` builds the pattern from that, the same `re.Pattern` (they compare equal), under the
exact Python version and `_sre` format it was built with (`PATTERNS_FOR`), and compiles any other
pattern as `re.compile` does. `install_patterns()` also serves `re`'s own compilations from the
table (it wraps `re._compiler.compile`, what `re` calls when its cache misses): the table holds the
patterns that the standard library and the dependencies compile on archmatch's common paths (json,
textwrap, logging, argparse, dockerfile-parse, PyYAML: ~25 patterns, ~20 M instructions to lint
one Dockerfile), recorded by running those commands when the module is built. A pattern built from
the table is equal to the one `re._compiler.compile` makes (the same `_sre.compile` call), so
this holds for any caller, Checkov's included. Those arguments are kept marshalled (`marshal.dumps(form, 2)`) and
read when the pattern is first used: a command uses a third of the ~160 patterns, and loading
every pattern's code as tuples of ints cost ~4.5 M instructions.

`install()` also gives `dataclasses` a stand-in for `inspect`, imported for real on first use
(`defer_inspect`): `dataclasses` imports it at the top but only calls it for a class without a
docstring.

`python scripts/prebuilt_methods.py` rebuilds the module (`--check`: exit 1 when it is out of
date); tests/test_speed.py checks that it is current.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # no stub: the constructor `re` itself calls
import importlib
import marshal
import re
import sys
import types
import zlib
from collections.abc import Callable
from typing import Any

# Where `dataclasses` (3.10-3.12) stores the return annotation of a created method.
_RETURN_NAME = "__dataclass_return_type__" if sys.version_info >= (3, 12) else "_return_type"
_PACKAGE = __name__.partition(".")[0]

# `dataclasses` is imported by the functions that need it, not here: `install_patterns` runs first,
# so that the patterns `dataclasses`, `inspect` and `tokenize` compile at import come from the table.
_original: Callable[..., Any] | None = None
_NOT_GIVEN: Any = object()  # `return_type` not passed (dataclasses' own default is its MISSING)
_missing: Any = _NOT_GIVEN  # dataclasses.MISSING, once `_wrap` has imported it
_table: dict[str, types.CodeType] = {}
# Texts compiled because they were not in the table (what `record` collects to build it).
missed: dict[str, None] = {}
# (pattern, flags) -> the arguments of `_sre.compile` but the pattern (see `compiled_form`)
_patterns: dict[tuple[str, int], bytes] | None = None
_original_compiler_compile: Callable[..., Any] | None = None  # `re._compiler.compile` before wrapping
MARSHAL_VERSION = 2  # of the patterns' forms (format 2 writes the same bytes whatever the reference counts)


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
    return_type: Any = _NOT_GIVEN,
) -> Any:
    """`dataclasses._create_fn`, with the compiled code of archmatch's texts taken from the table."""
    assert _original is not None
    if return_type is _NOT_GIVEN:
        return_type = _missing
    if str((globals or {}).get("__name__", "")).partition(".")[0] != _PACKAGE:
        return _original(name, args, body, globals=globals, locals=locals, return_type=return_type)
    local_values = {} if locals is None else locals
    return_annotation = ""
    if return_type is not _missing:
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
    global _original, _missing
    import dataclasses

    current = getattr(dataclasses, "_create_fn", None)
    if current is _create_fn:
        return True
    if current is None or not (3, 10) <= sys.version_info[:2] <= (3, 12):
        return False  # 3.13 compiles a class's methods in one `exec`, through another function
    _original, _missing = current, dataclasses.MISSING
    dataclasses._create_fn = _create_fn  # type: ignore[attr-defined]
    return True


class _ImportedOnFirstUse(types.ModuleType):
    """Stands in `sys.modules` for a standard module until an attribute of it is first read: then
    the module is imported for real (it replaces the stand-in in `sys.modules`) and the stand-in
    forwards every read to it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_real_module(self), name)

    def __dir__(self) -> list[str]:
        return dir(_real_module(self))


def _real_module(standin: types.ModuleType) -> types.ModuleType:
    name = standin.__name__
    module = sys.modules.get(name)
    if module is None or module is standin:
        sys.modules.pop(name, None)
        module = importlib.import_module(name)
    return module


def defer_inspect() -> None:
    """Let `dataclasses` import `inspect` without loading it. `dataclasses` calls it only for a class
    without a docstring (`inspect.signature` writes one), and every class on archmatch's start-up
    paths has one; loading `inspect` (with `ast`, `dis`, `tokenize`) costs ~30 M instructions, a
    tenth of `archmatch dockerfile`. The stand-in imports the real module on first use, for
    `dataclasses` or anyone else. Nothing is done when either module is already imported (inside
    Checkov, under pytest)."""
    if "inspect" not in sys.modules and "dataclasses" not in sys.modules:
        sys.modules["inspect"] = _ImportedOnFirstUse("inspect")


def install() -> bool:
    """Take dataclass methods from the table from now on; False (nothing done) where it does not
    apply: another Python version, or another `_create_fn` than the one it was built against."""
    defer_inspect()
    import dataclasses

    from archmatch import prebuilt_code

    current = getattr(dataclasses, "_create_fn", None)
    original = _original if current is _create_fn else current
    if original is None or sys.version_info[:2] != prebuilt_code.BUILT_FOR:
        return False
    if fingerprint(original) != prebuilt_code.FINGERPRINT or not _wrap():
        return False
    _table.update(prebuilt_code.CODE)
    return True


def regex_form() -> tuple[object, ...]:
    """What a compiled pattern's code depends on: the exact Python version and `_sre`'s format."""
    return (*sys.version_info[:3], _sre.MAGIC, _sre.CODESIZE)


def compiled_form(pattern: str, flags: int) -> tuple[Any, ...]:
    """What `re._compiler.compile` passes to `_sre.compile` after the pattern (the same steps)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    code = tuple(int(op) for op in _compiler._code(parsed, flags))  # opcodes are named ints
    return (flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup))


def regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, built from the table when it holds the pattern."""
    found = (_patterns if _patterns is not None else _load_patterns()).get((pattern, flags))
    if found is None:
        return re.compile(pattern, flags)
    return _built(pattern, found)


def _built(pattern: str, form: bytes) -> re.Pattern[str]:
    final_flags, code, groups, groupindex, indexgroup = marshal.loads(form)
    compiled: re.Pattern[str] = _sre.compile(pattern, final_flags, list(code), groups, groupindex, indexgroup)
    return compiled


def _compile_known(pattern: Any, flags: int = 0) -> Any:
    """`re._compiler.compile`, building the patterns the table holds from it."""
    if isinstance(pattern, str):
        found = (_patterns if _patterns is not None else _load_patterns()).get((pattern, flags))
        if found is not None:
            return _built(pattern, found)
    assert _original_compiler_compile is not None
    return _original_compiler_compile(pattern, flags)


def install_patterns() -> bool:
    """Build the patterns the table holds whoever compiles them, through `re` (see the module
    docstring); False (nothing done) where the table does not apply (another Python or `_sre`)."""
    global _original_compiler_compile
    from re import _compiler  # type: ignore[attr-defined]

    if _compiler.compile is _compile_known:
        return True
    if not (_patterns if _patterns is not None else _load_patterns()):
        return False
    _original_compiler_compile = _compiler.compile
    _compiler.compile = _compile_known
    return True


def _load_patterns() -> dict[tuple[str, int], bytes]:
    global _patterns
    from archmatch import prebuilt_code

    applies = getattr(prebuilt_code, "PATTERNS_FOR", None) == regex_form()
    _patterns = dict(getattr(prebuilt_code, "PATTERNS", {})) if applies else {}
    return _patterns


def record() -> bool:
    """Compile every text and pattern from now on, and collect the texts in `missed` (to build the
    table)."""
    global _patterns
    from re import _compiler  # type: ignore[attr-defined]

    _table.clear()
    missed.clear()
    _patterns = {}
    if _compiler.compile is _compile_known:
        _compiler.compile = _original_compiler_compile
    re.purge()  # so that the patterns compiled from now on are compiled, and can be recorded
    return _wrap()


def original_fingerprint() -> str:
    """The fingerprint of this Python's own `dataclasses._create_fn`."""
    import dataclasses

    current = getattr(dataclasses, "_create_fn", None)
    original = _original if current is _create_fn else current
    return fingerprint(original) if original is not None else ""


def render(texts: list[str], patterns: list[tuple[str, int]]) -> str:
    """The source of `archmatch/prebuilt_code.py` for these method texts and patterns."""
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
    out += ["del __create_fn__", "", f"PATTERNS_FOR = {regex_form()!r}", "PATTERNS = {"]
    out += [
        f"    {key!r}: {marshal.dumps(compiled_form(*key), MARSHAL_VERSION)!r},"
        for key in sorted(set(patterns))
    ]
    out.append("}")
    return "\n".join(out) + "\n"
