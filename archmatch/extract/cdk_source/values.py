"""The language-neutral values a CDK app's source evaluates to, as far as a reviewer resolves it.

Both front ends (TypeScript/JavaScript via tree-sitter, Python via `ast`) produce these values;
`constructs.py` interprets them without knowing which language they came from. Python keyword
arguments and method names are camel-cased on the way in (`runtime_platform` -> `runtimePlatform`,
`from_asset` -> `fromAsset`), so both languages share one vocabulary.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from archmatch import lazyre
from archmatch.extract.budget import Budget


@dataclass(eq=False)
class Val:
    path: str  # file, root-relative
    line: int

    def describe(self) -> str:
        return type(self).__name__.lower()


@dataclass(eq=False)
class Str(Val):
    value: str = ""

    def describe(self) -> str:
        return repr(self.value)


@dataclass(eq=False)
class Num(Val):
    value: float = 0

    def describe(self) -> str:
        return str(self.value)


@dataclass(eq=False)
class Null(Val):
    """`undefined` / `null` / `None`: the same as leaving the property out."""


@dataclass(eq=False)
class PathV(Val):
    """A filesystem path anchored in the repository (from `__dirname`, `__file__`, cwd)."""

    rel: str = "."

    def describe(self) -> str:
        return f"path {self.rel}"


@dataclass(eq=False)
class Ref(Val):
    """A name imported from a known module: `aws_lambda.Architecture.ARM_64`, a module itself
    (`aws_lambda`, `node:path`, `py:platform`), or `""` for the root `aws-cdk-lib` module."""

    qual: str = ""
    module: bool = False

    def describe(self) -> str:
        return self.qual or "aws-cdk-lib"


@dataclass(eq=False)
class Obj(Val):
    """An object literal, a dict, Python keyword arguments. `open`: an unresolved spread may
    supply more keys, so a missing key is unknown rather than absent."""

    fields: dict[str, Val] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    open: bool = False
    # an object literal of the source: (line, byte column) where its last property ends, or just
    # after its `{` when it has none (where a fix adds a property)
    fields_end: tuple[int, int] | None = None

    def describe(self) -> str:
        return "{" + ", ".join(f"{k}: {v.describe()}" for k, v in self.fields.items()) + "}"


@dataclass(eq=False)
class Arr(Val):
    items: list[Val] = field(default_factory=list)
    open: bool = False

    def describe(self) -> str:
        return "[" + ", ".join(v.describe() for v in self.items) + "]"


@dataclass(eq=False)
class Call(Val):
    """`new X(...)`, `X.of(...)`, `obj.method(...)`. `callee` is the qualified name when the
    function is a known import (`aws_ecs.ContainerImage.fromAsset`), else None and `receiver` /
    `method` say what was called. Python keyword arguments are in `kwargs`."""

    callee: str | None = None
    receiver: Val | None = None
    method: str = ""
    args: list[Val] = field(default_factory=list)
    kwargs: Obj | None = None
    column: int = 0
    end_line: int = 0
    text: str = ""
    # (line, byte column) where its last argument ends, None without arguments (where a fix adds one)
    args_end: tuple[int, int] | None = None

    def describe(self) -> str:
        return self.text or f"{self.callee or self.method}(...)"

    def arg(self, index: int, name: str = "") -> Val | None:
        """Positional argument `index`, or the keyword argument `name` (Python)."""
        if index < len(self.args):
            return self.args[index]
        if name and self.kwargs is not None:
            return self.kwargs.fields.get(name)
        return None

    def props(self, index: int) -> Obj:
        """The props object at positional `index` (TypeScript) merged with the keyword
        arguments (Python). Unresolvable props give an open, empty object."""
        base = self.args[index] if index < len(self.args) else None
        merged = as_obj(base) if base is not None else Obj(self.path, self.line)
        if self.kwargs is not None:
            merged = Obj(
                self.path,
                self.line,
                {**merged.fields, **self.kwargs.fields},
                {**merged.key_lines, **self.kwargs.key_lines},
                merged.open or self.kwargs.open,
            )
        return merged


@dataclass(eq=False)
class Host(Val):
    """A value computed from the machine that runs the CDK app (`process.arch`, `os.arch()`,
    `platform.machine()`): it differs per deploy machine."""

    source: str = ""

    def describe(self) -> str:
        return f"host-derived ({self.source})"


@dataclass(eq=False)
class Unknown(Val):
    text: str = ""
    # `asset.repository`, `service.taskDefinition`: a property of a known call, kept so the
    # interpreter can follow it back to the construct.
    owner: Val | None = None
    attr: str = ""
    # a computed path's literal end (`path.join(findUp(...), 'src', 'docker')` -> "src/docker"),
    # kept so an asset directory can still be found by the folder it must end in
    path_tail: str = ""
    # a string built from known and unknown parts (a template literal, an f-string, `+`), written
    # with `${name}` for each unknown part (`cd ${props.dir}`), so that shell text built this way (a
    # CodeBuild buildspec's commands) is still read, its unknown parts as unresolved variables
    template: str = ""

    def describe(self) -> str:
        return self.text or "unresolved value"


@dataclass(eq=False)
class ClassV(Val):
    """A class declared in the app; static fields resolve through `lookup`."""

    name: str = ""
    fields: dict[str, object] = field(default_factory=dict)  # name -> language node
    source: object = None  # the front-end file that declares it (evaluates `fields`)
    node: object = None  # its declaration (the constructor's callers are found through it)


@dataclass(eq=False)
class FuncV(Val):
    """A function or method declared in the app: calling it gives its return value, and its
    parameters take the values its callers pass (`source` is the front-end file declaring it)."""

    name: str = ""
    node: object = None
    source: object = None
    env: object = None  # the frame of the bound call that created it (`ts_bind.Frame`), None if none

    def describe(self) -> str:
        return f"function {self.name}" if self.name else "function"


MAX_CHOICES = 8  # alternatives one value may hold before it is simply unknown


@dataclass(eq=False)
class Choice(Val):
    """One of several values: the branches of a conditional (`cond ? a : b`, `x ?? d`), or the
    different arguments a function's callers pass. `why` says which, for messages."""

    options: list[Val] = field(default_factory=list)
    why: str = "conditional"

    def describe(self) -> str:
        return f"{self.why}: " + " | ".join(o.describe() for o in self.options)


def choice(options: list[Val], path: str, line: int, why: str = "conditional") -> Val:
    """The value that is one of `options`: nested choices are flattened, equal options merged;
    a single option is itself, and more than MAX_CHOICES are unknown."""
    flat: list[Val] = []
    for option in options:
        if isinstance(option, Choice) and option.why == "conditional":
            why = "conditional"
        for inner in option.options if isinstance(option, Choice) else [option]:
            if not any(same(inner, seen) for seen in flat):
                flat.append(inner)
    if len(flat) == 1:
        return flat[0]
    if len(flat) > MAX_CHOICES:
        return Unknown(path, line, f"{why} with more than {MAX_CHOICES} alternatives")
    return Choice(path, line, flat, why)


def as_obj(value: Val | None) -> Obj:
    """A props-like value as an object: object literal, or a Python struct call's kwargs."""
    if isinstance(value, Obj):
        return value
    if isinstance(value, Call) and value.kwargs is not None and not value.args:
        return value.kwargs
    path, line = (value.path, value.line) if value is not None else ("", 0)
    return Obj(path, line, open=value is not None and not isinstance(value, Null))


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def camel(name: str) -> str:
    """`from_image_asset` -> `fromImageAsset`; UPPER_CASE enum members and CapWords stay."""
    if "_" not in name or not any(c.islower() for c in name) or name[:1].isupper():
        return name
    head, *rest = name.strip("_").split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def get(obj: Val | None, key: str) -> Val | None:
    """The value at `key` (camelCase; snake_case also accepted for Python dict literals).

    None when certainly absent (`undefined`/`None` count as absent); Unknown when an unresolved
    spread or the object itself is unknown.
    """
    if obj is None or isinstance(obj, Null):
        return None
    if isinstance(obj, Choice):
        found = [get(option, key) for option in obj.options]
        if all(v is None for v in found):
            return None
        return choice(
            [v if v is not None else Null(obj.path, obj.line) for v in found], obj.path, obj.line, obj.why
        )
    o = as_obj(obj)
    for k in (key, snake(key)):
        if k in o.fields:
            value = o.fields[k]
            return None if isinstance(value, Null) else value
    if o.open:
        return Unknown(o.path, o.line, f"{key} (from an unresolved object)")
    return None


def key_line(obj: Val | None, key: str) -> int:
    if obj is None:
        return 0
    if isinstance(obj, Choice):
        return next((line for o in obj.options if (line := key_line(o, key))), 0)
    o = as_obj(obj)
    for k in (key, snake(key)):
        if k in o.key_lines:
            return o.key_lines[k]
    return 0


def host_in(values: list[Val | None]) -> Host | None:
    for v in values:
        if isinstance(v, Host):
            return v
    return None


def concat(
    parts: list[Val], path: str, line: int, budget: Budget | None = None, names: list[str] | None = None
) -> Val:
    """String concatenation / template literal (unknown past the budget's string size). `names`
    are the parts as written (for the `${name}` of an unknown part in `Unknown.template`)."""
    if host := host_in(list(parts)):
        return Host(path, line, host.source)
    length = sum(
        len(p.value) if isinstance(p, Str) else len(p.rel) if isinstance(p, PathV) else 0 for p in parts
    )
    if budget is not None and not budget.text_ok(length, line, path):
        return Unknown(path, line, "string over the size limit")
    if parts and isinstance(parts[0], PathV) and all(isinstance(p, Str) for p in parts[1:]):
        tail = "".join(p.value for p in parts[1:] if isinstance(p, Str))
        return PathV(path, line, posixpath.normpath(parts[0].rel + tail))
    if all(isinstance(p, Str | Num) for p in parts):
        return Str(path, line, "".join(p.value if isinstance(p, Str) else _num(p) for p in parts))
    return Unknown(path, line, "computed string", template=_template_text(parts, names or []))


_PLACEHOLDER_NAME = lazyre.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


def _template_text(parts: list[Val], names: list[str]) -> str:
    """The parts joined, an unknown one as `${name}` (`${...}` when its expression is not a plain
    name or member path, which a shell reader could mistake for syntax)."""
    out: list[str] = []
    for index, part in enumerate(parts):
        if isinstance(part, Str):
            out.append(part.value)
        elif isinstance(part, Num):
            out.append(_num(part))
        elif isinstance(part, Unknown) and part.template:
            out.append(part.template)
        else:
            name = names[index] if index < len(names) else ""
            placeholder = "${" + (name if _PLACEHOLDER_NAME.fullmatch(name) else "...") + "}"
            out.append(_with_word_breaks(placeholder, part))
    return "".join(out)


# a text made of command-line options or nothing (`-f app/x `, `--no-cache`, ``), and one naming a file
_OPTIONS = lazyre.compile(r"^(?:\s*-.*)?\s*$", re.DOTALL)
_FILE_OPTION = lazyre.compile(r"(?:^|\s)(?:-f|--file(?:[\s=]|$))")


def _with_word_breaks(placeholder: str, part: Val) -> str:
    """A conditional's placeholder with the blanks every branch has around it (`cond ? '-f x ' :
    ''` ends a word in both branches), so it does not glue onto the next word (`--platform`)."""
    if not isinstance(part, Choice):
        return placeholder
    texts = [_text_of(option) for option in part.options]
    if any(t is None for t in texts):
        return placeholder
    known = [t for t in texts if t is not None]
    if len(set(known)) == 1:
        return known[0]
    if any("platform" in t.lower() for t in known):  # some branch may choose the platform: unknown
        placeholder = "--platform=" + placeholder
    elif all(_OPTIONS.match(t) for t in known):  # options only, none the platform: read as one option
        placeholder = (
            "--file=" if any(_FILE_OPTION.search(t) for t in known) else "--options="
        ) + placeholder
    before = " " if all(t == "" or t[0].isspace() for t in known) else ""
    after = " " if all(t == "" or t[-1].isspace() for t in known) else ""
    return before + placeholder + after


def _text_of(value: Val) -> str | None:
    if isinstance(value, Str):
        return value.value
    if isinstance(value, Null):
        return ""
    if isinstance(value, Unknown) and value.template:
        return value.template
    return None


def _num(n: Val) -> str:
    value = n.value  # type: ignore[attr-defined]
    return str(int(value)) if float(value).is_integer() else str(value)


def join_paths(parts: list[Val], path: str, line: int) -> Val:
    """`path.join(...)` / `os.path.join(...)` / `Path / "x"`; a part chosen by a condition gives
    the choice of the paths each of its branches makes."""
    if host := host_in(list(parts)):
        return Host(path, line, host.source)
    for index, part in enumerate(parts):
        if isinstance(part, Choice) and part.why == "conditional":
            branches = [
                join_paths([*parts[:index], option, *parts[index + 1 :]], path, line)
                for option in part.options
            ]
            return choice(branches, part.path, part.line)
    if not parts or not all(isinstance(p, Str | PathV) for p in parts):
        return Unknown(path, line, "computed path", path_tail=literal_tail(parts))
    anchor: PathV | None = None
    pieces: list[str] = []
    for p in parts:
        if isinstance(p, PathV):
            anchor, pieces = p, []
        elif isinstance(p, Str) and p.value.startswith("/"):
            return Unknown(path, line, f"absolute path {p.value}")
        elif isinstance(p, Str):
            pieces.append(p.value)
    joined = posixpath.join(*pieces) if pieces else ""
    if anchor is not None:
        return PathV(
            path, line, posixpath.normpath(posixpath.join(anchor.rel, joined)) if joined else anchor.rel
        )
    return Str(path, line, joined)


def literal_tail(parts: list[Val]) -> str:
    """The relative segments written after the last part that is not a literal string, without
    the `..` and `.` that climb from that unknown part: `[dir(), '..', 'app', 'docker']` ->
    "app/docker". Empty when the path ends in a computed part or an absolute string."""
    segments: list[str] = []
    for part in parts:
        if not isinstance(part, Str) or part.value.startswith("/"):
            segments = []
            continue
        segments.extend(s for s in part.value.split("/") if s)
    while segments and segments[0] in ("..", "."):
        segments.pop(0)
    if any(s in ("..", ".") for s in segments):
        return ""
    return "/".join(segments)


def _falsy(value: Val) -> bool:
    return isinstance(value, Null) or (isinstance(value, Str | Num) and not value.value)


def or_default(left: Val, right: Val, falsy_too: bool, path: str, line: int) -> Val:
    """`left ?? right` (`falsy_too`: `left || right`, Python `left or right`): `right` where `left`
    is absent; a left value that may be absent (unknown, or a choice with an absent alternative)
    gives a choice that includes `right`, so a default image is still seen as a candidate."""
    absent = _falsy if falsy_too else (lambda v: isinstance(v, Null))
    if absent(left):
        return right
    if isinstance(left, Choice) and any(absent(o) for o in left.options):
        return choice([*(o for o in left.options if not absent(o)), right], path, line, left.why)
    if isinstance(left, Unknown):
        return choice([left, right], path, line)
    return left


def same(a: Val | None, b: Val | None) -> bool:
    """Two values a reviewer would call equal (both branches of a conditional, for instance)."""
    if a is None or b is None:
        return a is b
    if type(a) is not type(b):
        return False
    if isinstance(a, Null):
        return True
    if isinstance(a, Str | Num) and isinstance(b, Str | Num):
        return bool(a.value == b.value)
    if isinstance(a, Ref) and isinstance(b, Ref):
        return a.qual == b.qual
    if isinstance(a, PathV) and isinstance(b, PathV):
        return a.rel == b.rel
    return a is b


def instance_class(value: Val) -> ClassV | None:
    """The app class a value is an instance of (`new Stack(...)` of a class declared here, in either language)."""
    if (
        isinstance(value, Call)
        and value.callee is None
        and not value.method
        and isinstance(value.receiver, ClassV)
    ):
        return value.receiver
    return None
