"""A bounded renderer of Helm chart templates (Go text/template with the Sprig functions charts use),
for the charts a repository deploys with values it writes itself (a Terraform `helm_release` of a chart
inside the repository).

It renders what a reviewer can render by reading: `{{ .Values.x }}`, `.Release`, `.Chart`, pipelines
of `default`, `quote`, `toYaml`, `nindent`, `printf`, comparisons, `if`/`with`/`range`, variables.
What it cannot know (an `include` of a named template, `.Capabilities`, `.Files`, a value the values
leave unknown) renders as an `Opaque` text (`${helm:include x}`, a YAML-safe plain scalar); a branch
decided by such a value, `fail`, or anything outside this subset makes the whole template
unrenderable (None), never a guess. Every output line records the template line it came from and
the values written on it, so a caller can say where a rendered value was written.

Hostile input stays cheap: at most `MAX_ACTIONS` actions read, `MAX_STEPS` executed, `MAX_OUTPUT`
characters rendered, `MAX_RANGE` items per `range`, `MAX_NESTING` nested pipelines and blocks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archmatch import lazyre

MAX_STEPS = 100_000
MAX_OUTPUT = 1_000_000
MAX_RANGE = 1_000
MAX_NESTING = 50
MAX_ACTIONS = 10_000  # actions in one template (a chart's longest templates have a few hundred)


class Unrenderable(Exception):
    """The template needs what a reader cannot know (or is outside the subset, or over a limit)."""


@dataclass(frozen=True)
class Opaque:
    """A value not known before the chart is installed; `source` is the caller's own value (a
    Terraform unknown with its references), if it came from one."""

    text: str
    source: Any = None


class _Lines(str):
    """Text a function produced over several lines (`toYaml`), with the values written on each."""

    line_values: tuple[tuple[Any, ...], ...] = ()


@dataclass
class Rendered:
    """A rendered template: its text, the template line of each output line and the values on each."""

    text: str
    source_lines: list[int] = field(default_factory=list)  # template line of each output line (0-based index)
    line_values: dict[int, list[Any]] = field(default_factory=dict)  # 1-based output line -> values

    def values_on(self, line: int) -> list[Any]:
        return self.line_values.get(line, [])

    def template_line(self, line: int) -> int:
        return self.source_lines[line - 1] if 0 < line <= len(self.source_lines) else 0


# --- lexing ---------------------------------------------------------------------------------------
@dataclass
class _Text:
    """Literal template text and its line."""

    text: str
    line: int


@dataclass
class _Action:
    """The text of one `{{ ... }}` action and its line."""

    text: str
    line: int


def _lex(template: str) -> list[_Text | _Action]:
    out: list[_Text | _Action] = []
    pos, line, trim_next = 0, 1, False
    while pos < len(template):
        start = template.find("{{", pos)
        text = template[pos:] if start < 0 else template[pos:start]
        trim_left = start >= 0 and template.startswith(("{{- ", "{{-\n", "{{-\t"), start)
        shown = text.lstrip(" \t\r\n") if trim_next else text
        first_line = line + text.count("\n", 0, len(text) - len(shown))
        shown = shown.rstrip(" \t\r\n") if trim_left else shown
        if shown:
            out.append(_Text(shown, first_line))
        line += text.count("\n")
        if start < 0:
            break
        inner_start = start + (3 if trim_left else 2)
        end = _action_end(template, inner_start)
        inner = template[inner_start:end]
        trim_next = inner.endswith((" -", "\n-", "\t-"))
        body = (inner[:-1] if trim_next else inner).strip()
        if not body.startswith("/*"):
            out.append(_Action(body, line))
            if len(out) > 2 * MAX_ACTIONS:
                raise Unrenderable("too many actions")
        line += template.count("\n", start, end + 2)
        pos = end + 2
    return out


def _action_end(template: str, pos: int) -> int:
    """Where the action's `}}` is, past string literals and a comment."""
    i = pos
    while i < len(template) and template[i] in " \t\r\n":
        i += 1
    if template.startswith("/*", i):
        close = template.find("*/", i + 2)
        end = template.find("}}", close + 2) if close >= 0 else -1
        if end < 0:
            raise Unrenderable("unclosed comment")
        return end
    while i < len(template):
        ch = template[i]
        if ch in '"`':
            i = _string_end(template, i) + 1
            continue
        if template.startswith("}}", i):
            return i
        i += 1
    raise Unrenderable("unclosed action")


def _string_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\" and quote == '"':
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    raise Unrenderable("unclosed string")


# --- parsing --------------------------------------------------------------------------------------
_TOKEN = lazyre.compile(
    r"""(?:(?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>:=|=|\||\(|\)|,)"""
    r"""|(?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|(?P<field>(?:\.[A-Za-z0-9_]+)+|\.)"""
    r"""|(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*))"""
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos == len(text):
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise Unrenderable(f"cannot read {text!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


@dataclass
class _Pipeline:
    """An action's pipeline: the variables it declares or assigns and its commands."""

    declare: list[str]
    assign: bool
    commands: list[list[Any]]  # operands: ("str"|"num"|"var"|"field"|"ident", text) or _Pipeline


def _pipeline(text: str) -> _Pipeline:
    tokens = _tokens(text)
    declare: list[str] = []
    assign = False
    for i, (kind, value) in enumerate(tokens):
        if kind == "op" and value in (":=", "="):
            names = [v for k, v in tokens[:i] if k == "var"]
            if not names or any(k not in ("var", "op") for k, _ in tokens[:i]):
                raise Unrenderable(f"cannot read {text!r}")
            declare, assign, tokens = names, value == "=", tokens[i + 1 :]
            break
    commands, rest = _commands(tokens, 0)
    if rest != len(tokens):
        raise Unrenderable(f"cannot read {text!r}")
    return _Pipeline(declare, assign, commands)


def _commands(tokens: list[tuple[str, str]], pos: int, depth: int = 0) -> tuple[list[list[Any]], int]:
    if depth > MAX_NESTING:
        raise Unrenderable("nesting")
    commands: list[list[Any]] = [[]]
    while pos < len(tokens):
        kind, value = tokens[pos]
        if kind == "op" and value == ")":
            break
        if kind == "op" and value == "|":
            commands.append([])
        elif kind == "op" and value == "(":
            inner, pos = _commands(tokens, pos + 1, depth + 1)
            if pos >= len(tokens) or tokens[pos] != ("op", ")"):
                raise Unrenderable("unbalanced parenthesis")
            commands[-1].append(_Pipeline([], False, inner))
        elif kind == "op":
            raise Unrenderable(f"unexpected {value!r}")
        else:
            commands[-1].append((kind, value))
        pos += 1
    if any(not c for c in commands):
        raise Unrenderable("empty command")
    return commands, pos


@dataclass
class _Node:
    """A parsed template node: text, an expression, or a block (`if`, `with`, `range`, `define`)."""

    kind: str  # text | expr | if | with | range | define
    line: int
    text: str = ""
    pipeline: _Pipeline | None = None
    body: list[_Node] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)


_KEYWORD = lazyre.compile(
    r"(if|else\s+if|else\s+with|else|with|range|end|define|block|template)\b\s*(.*)", re.S
)


def _parse(items: list[_Text | _Action]) -> list[_Node]:
    root: list[_Node] = []
    stack: list[tuple[_Node | None, list[_Node]]] = [(None, root)]
    for item in items:
        body = stack[-1][1]
        if isinstance(item, _Text):
            body.append(_Node("text", item.line, item.text))
            continue
        m = _KEYWORD.fullmatch(item.text)
        word, rest = (re.sub(r"\s+", " ", m.group(1)), m.group(2)) if m else ("", item.text)
        if word in ("if", "with", "range", "define", "block"):
            node = _Node(word, item.line, rest, None if word in ("define", "block") else _pipeline(rest))
            if word == "block":
                raise Unrenderable("block")
            body.append(node)
            stack.append((node, node.body))
            if len(stack) > MAX_NESTING:
                raise Unrenderable("nesting")
        elif word in ("else", "else if", "else with"):
            owner = stack[-1][0]
            if (
                owner is None
                or owner.kind == "define"
                or (word != "else" and owner.kind not in ("if", "with"))
            ):
                raise Unrenderable("else outside if")
            if word == "else":
                stack[-1] = (owner, owner.otherwise)
            else:  # `else if` is an `if` inside the else branch, closed by the same `end`
                nested = _Node(word.split()[1], item.line, rest, _pipeline(rest))
                owner.otherwise.append(nested)
                stack[-1] = (nested, nested.body)
        elif word == "end":
            if len(stack) == 1:
                raise Unrenderable("end without block")
            stack.pop()
        elif word == "template":
            raise Unrenderable("template action")
        else:
            body.append(_Node("expr", item.line, item.text, _pipeline(item.text)))
    if len(stack) != 1:
        raise Unrenderable("unclosed block")
    return root


# --- execution ------------------------------------------------------------------------------------
def _truth(value: Any) -> bool:
    if isinstance(value, Opaque):
        raise Unrenderable(f"a branch depends on {value.text}")
    return bool(value) and value != 0


def _text(value: Any) -> str:
    if isinstance(value, Opaque):
        return value.text
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return _go_print(value)
    return str(value)


def _go_print(value: Any) -> str:
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_text(v)}" for k, v in sorted(value.items(), key=str)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_text(v) for v in value) + "]"
    return _text(value)


def _opaque_in(values: Any) -> Opaque | None:
    return next((v for v in values if isinstance(v, Opaque)), None)


def _plain_scalar(value: Any) -> str:
    text = _text(value)
    if isinstance(value, Opaque):
        return text
    if isinstance(value, str) and (
        not text
        or text != text.strip()
        or text.lower() in ("true", "false", "yes", "no", "null", "~", "on", "off")
        or re.fullmatch(r"[-+]?[0-9][0-9_.eE+-]*", text)
        or re.search(r"[:#\[\]{},&*!|>'\"%@`]", text)
        or text[0] in "-?"
    ):
        return json.dumps(text)
    return text


def _to_yaml(value: Any) -> _Lines:
    lines: list[tuple[str, tuple[Any, ...]]] = []

    def emit(node: Any, indent: int, prefix: str) -> None:
        pad = " " * indent
        if isinstance(node, dict) and node:
            for i, (key, item) in enumerate(node.items()):
                head = (prefix if i == 0 else pad) + _plain_scalar(str(key)) + ":"
                if isinstance(item, (dict, list)) and item:
                    lines.append((head, ()))
                    emit(item, indent + (2 if isinstance(item, dict) else 0), " " * (indent + 2))
                else:
                    lines.append((head + " " + _scalar(item), (item,)))
        elif isinstance(node, list) and node:
            for item in node:
                if isinstance(item, list) and item:
                    raise Unrenderable("toYaml of nested lists")
                if isinstance(item, dict) and item:
                    emit(item, indent + 2, pad + "- ")
                else:
                    lines.append((pad + "- " + _scalar(item), (item,)))
        else:
            lines.append((prefix + _scalar(node), (node,)))

    emit(value, 0, "")
    out = _Lines("\n".join(text for text, _ in lines))
    out.line_values = tuple(values for _, values in lines)
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if value is None:
        return "null"
    return _plain_scalar(value) if isinstance(value, str | Opaque) else _text(value)


def _indented(count: Any, text: Any, newline: bool) -> Any:
    """`indent` / `nindent`. What is indented is almost always mapping content (labels, annotations
    a named template writes), so an opaque text becomes an opaque key of its own."""
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 200:
        return Opaque("${helm:indent}")
    pad = " " * count
    if isinstance(text, Opaque):
        out = _Lines(("\n" if newline else "") + pad + text.text + ":")
        out.line_values = (((),) if newline else ()) + ((text,),)
        return out
    body = "\n".join(pad + line for line in _text(text).split("\n"))
    lines = body.count("\n") + 1
    values = text.line_values if isinstance(text, _Lines) else tuple((text,) for _ in range(lines))
    out = _Lines(("\n" if newline else "") + body)
    out.line_values = (((),) if newline else ()) + tuple(values)
    return out


def _printf(fmt: Any, *args: Any) -> Any:
    if not isinstance(fmt, str) or _opaque_in(args):
        return Opaque("${helm:printf}")
    pieces = iter(args)

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "%%":
            return "%"
        value = next(pieces, None)
        return json.dumps(_text(value)) if m.group(0) == "%q" else _text(value)

    return re.sub(r"%[-+# 0-9.]*[sdvqf%]", one, fmt)


def _default(default: Any, *given: Any) -> Any:
    if not given:
        return default
    value = given[-1]
    return value if isinstance(value, Opaque) or _truth(value) else default


def _has_key(mapping: Any, key: Any) -> Any:
    # A map or key not known here may or may not hold the key: a branch on it must not be guessed.
    if isinstance(mapping, Opaque) or isinstance(key, Opaque):
        return Opaque("${helm:hasKey}")
    return isinstance(mapping, dict) and key in mapping


def _compare(op: Callable[[Any, Any], bool]) -> Callable[..., Any]:
    def run(a: Any, b: Any) -> Any:
        if isinstance(a, Opaque) or isinstance(b, Opaque):
            return Opaque("${helm:comparison}")
        try:
            return op(a, b)
        except TypeError as exc:
            raise Unrenderable("comparison of different types") from exc

    return run


def _strings(fn: Callable[..., str]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        if _opaque_in(args):
            return Opaque("${helm:" + fn.__name__.strip("_") + "}")
        return fn(*(_text(a) if not isinstance(a, int) or isinstance(a, bool) else a for a in args))

    return run


def _fail(*_: Any) -> Any:
    raise Unrenderable("fail")


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "default": _default,
    "quote": _strings(lambda *s: " ".join(json.dumps(_text(x)) for x in s)),
    "squote": _strings(lambda *s: " ".join(f"'{_text(x)}'" for x in s)),
    "toYaml": _to_yaml,
    "toJson": lambda v: Opaque("${helm:toJson}") if _opaque_in([v]) else json.dumps(v, sort_keys=True),
    "nindent": lambda n, s: _indented(n, s, True),
    "indent": lambda n, s: _indented(n, s, False),
    "printf": _printf,
    "print": lambda *a: Opaque("${helm:print}") if _opaque_in(a) else "".join(_text(x) for x in a),
    "trim": _strings(lambda s: s.strip()),
    "trimSuffix": _strings(lambda suffix, s: s.removesuffix(suffix)),
    "trimPrefix": _strings(lambda prefix, s: s.removeprefix(prefix)),
    "lower": _strings(lambda s: s.lower()),
    "upper": _strings(lambda s: s.upper()),
    "replace": _strings(lambda old, new, s: s.replace(old, new)),
    "trunc": _strings(lambda n, s: s[:n] if n >= 0 else s[n:]),
    "toString": lambda v: v if isinstance(v, Opaque) else _text(v),
    "eq": _compare(lambda a, b: a == b),
    "ne": _compare(lambda a, b: a != b),
    "lt": _compare(lambda a, b: a < b),
    "gt": _compare(lambda a, b: a > b),
    "le": _compare(lambda a, b: a <= b),
    "ge": _compare(lambda a, b: a >= b),
    "not": lambda v: not _truth(v),
    "and": lambda *vs: next((v for v in vs if not _truth(v)), vs[-1]),
    "or": lambda *vs: next((v for v in vs if _truth(v)), vs[-1]),
    "empty": lambda v: not _truth(v),
    "hasKey": _has_key,
    "ternary": lambda a, b, cond: a if _truth(cond) else b,
    "coalesce": lambda *vs: next((v for v in vs if isinstance(v, Opaque) or _truth(v)), None),
    "required": lambda _msg, v: v,
    "fail": _fail,
}


class _Renderer:
    def __init__(self, root: dict[str, Any]):
        self.root = root
        self.steps = 0
        self.size = 0
        self.chunks: list[tuple[str, int, tuple[tuple[Any, ...], ...]]] = []
        self.read: list[Any] = []  # the scalar values the current action read

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Unrenderable("over the step limit")

    def run(self, nodes: list[_Node], dot: Any, scopes: list[dict[str, Any]]) -> None:
        for node in nodes:
            self.step()
            if node.kind == "text":
                self.write(node.text, node.line, ())
            elif node.kind == "expr":
                assert node.pipeline is not None
                self.read = []
                value = self.pipeline(node.pipeline, dot, scopes)
                if not node.pipeline.declare:
                    self.write_value(value, node.line)
            elif node.kind in ("if", "with"):
                self.branch(node, dot, scopes)
            elif node.kind == "range":
                self.range(node, dot, scopes)

    def branch(self, node: _Node, dot: Any, scopes: list[dict[str, Any]]) -> None:
        assert node.pipeline is not None
        inner = [*scopes, {}]
        value = self.pipeline(node.pipeline, dot, inner)
        if _truth(value):
            self.run(node.body, value if node.kind == "with" else dot, inner)
        else:
            self.run(node.otherwise, dot, [*scopes, {}])

    def range(self, node: _Node, dot: Any, scopes: list[dict[str, Any]]) -> None:
        assert node.pipeline is not None
        names = node.pipeline.declare
        node.pipeline.declare = []
        try:
            value = self.pipeline(node.pipeline, dot, scopes)
        finally:
            node.pipeline.declare = names
        if isinstance(value, Opaque):
            raise Unrenderable(f"range over {value.text}")
        pairs = (
            sorted(value.items(), key=lambda kv: str(kv[0]))
            if isinstance(value, dict)
            else list(enumerate(value))
            if isinstance(value, list)
            else []
        )
        if len(pairs) > MAX_RANGE:
            raise Unrenderable("range over too many items")
        if not pairs:
            self.run(node.otherwise, dot, [*scopes, {}])
        for key, item in pairs:
            bound = dict(zip(names[::-1], (item, key), strict=False)) if names else {}
            self.run(node.body, item, [*scopes, bound])

    def write_value(self, value: Any, line: int) -> None:
        text = _text(value)
        read = tuple(v for v in self.read if v is not value)
        if isinstance(value, _Lines):
            per_line = tuple((*values, *read) for values in value.line_values)
        else:
            per_line = tuple((value, *read) for _ in range(text.count("\n") + 1))
        self.write(text, line, per_line)

    def write(self, text: str, line: int, values: tuple[tuple[Any, ...], ...]) -> None:
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            raise Unrenderable("over the output limit")
        self.chunks.append((text, line, values))

    def pipeline(self, pipe: _Pipeline, dot: Any, scopes: list[dict[str, Any]]) -> Any:
        value: Any = None
        for i, command in enumerate(pipe.commands):
            value = self.command(command, dot, scopes, [value] if i else [])
        for name in pipe.declare[-1:]:
            target = next((s for s in reversed(scopes) if name in s), None) if pipe.assign else scopes[-1]
            if target is None:
                raise Unrenderable(f"assignment to undeclared {name}")
            target[name] = value
        return value

    def command(self, command: list[Any], dot: Any, scopes: list[dict[str, Any]], piped: list[Any]) -> Any:
        self.step()
        head = command[0]
        if isinstance(head, tuple) and head[0] == "ident" and head[1] not in ("true", "false", "nil"):
            args = [self.operand(a, dot, scopes) for a in command[1:]] + piped
            return self.call(head[1], args)
        if len(command) > 1 or piped:  # a method call (`.Files.Get "x"`) or a value piped into a value
            return Opaque("${helm:call}")
        return self.operand(head, dot, scopes)

    def call(self, name: str, args: list[Any]) -> Any:
        if name in ("include", "tpl", "lookup", "template"):
            label = args[0] if args and isinstance(args[0], str) else "?"
            return Opaque(
                f"${{helm:{name} {label}}}" if re.fullmatch(r"[\w.-]+", label) else f"${{helm:{name}}}"
            )
        fn = _FUNCTIONS.get(name)
        if fn is None:
            return Opaque(f"${{helm:{name}}}")
        try:
            return fn(*args)
        except Unrenderable:
            raise
        except (TypeError, ValueError, IndexError, AttributeError):
            return Opaque(f"${{helm:{name}}}")

    def operand(self, operand: Any, dot: Any, scopes: list[dict[str, Any]]) -> Any:
        if isinstance(operand, _Pipeline):
            return self.pipeline(operand, dot, scopes)
        kind, text = operand
        if kind == "str":
            return text[1:-1] if text.startswith("`") else json.loads(text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "ident":
            return {"true": True, "false": False, "nil": None}[text]
        if kind == "field":
            return self.noted(_fields(dot, text.split(".")[1:] if text != "." else []))
        name, *path = text.split(".")
        scope = next((s for s in reversed(scopes) if name in s), None)
        if scope is None:
            raise Unrenderable(f"undefined variable {name}")
        return self.noted(_fields(scope[name], path))

    def noted(self, value: Any) -> Any:
        if not isinstance(value, dict | list) and len(self.read) < 100:
            self.read.append(value)
        return value


def _fields(value: Any, path: list[str]) -> Any:
    for name in path:
        if isinstance(value, Opaque):
            return value
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def render(template: str, root: dict[str, Any]) -> Rendered | None:
    """The template rendered with `root` (`Values`, `Release`, `Chart`, ...), or None when it cannot
    be rendered without guessing."""
    try:
        nodes = _parse(_lex(template))
        renderer = _Renderer(root)
        renderer.run(nodes, root, [{"$": root}])
    except (Unrenderable, RecursionError, ValueError):
        return None
    return _assemble(renderer.chunks)


def _assemble(chunks: list[tuple[str, int, tuple[tuple[Any, ...], ...]]]) -> Rendered:
    out = Rendered("")
    parts: list[str] = []
    line = 1
    out.source_lines.append(chunks[0][1] if chunks else 1)
    for text, source, values in chunks:
        for i, piece in enumerate(text.split("\n")):
            if i:
                line += 1
                out.source_lines.append(source + (i if not values else 0))
            written = values[i] if i < len(values) else ()
            if piece or written:
                out.line_values.setdefault(line, []).extend(v for v in written if v is not None)
        parts.append(text)
    out.text = "".join(parts)
    return out
