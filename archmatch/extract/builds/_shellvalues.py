"""Static values of shell variables: what `IMAGE=api; docker build -t "$IMAGE:$TAG" .` builds.

Nothing is executed. A variable assigned in the script has the value written there, with the
variables it names expanded when it is assigned (so `A=$A:x` cannot grow by itself later). A value
that comes from a command substitution, `read`, a `for` loop or the environment is unknown and stays
written as it was (`$NAME`), which the linker treats as a wildcard. `${NAME:-default}` takes its
default when the script never assigns NAME and sources no file that could (the shell scanner keeps
an unquoted `${NAME:-}` standing alone as written: empty unless the caller sets it); positional
parameters (`$1`, `${2:-latest}`) are bound inside functions called by the script and unknown at
the top level. A value assigned inside an `if`/`case` that tests the host (`uname`, `Darwin`,
`$OSTYPE`, ...) remembers that condition: a platform taken from it is set on some hosts only.

Every expansion is paid for from a `Budget`, and values longer than `MAX_VALUE_CHARS` become
unknown, so self-referencing variables and huge strings cost a bounded amount.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from archmatch import lazyre
from archmatch.extract.budget import Budget

MAX_VALUE_CHARS = 4096  # longer values are not image names, platforms or paths: unknown
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SIMPLE = lazyre.compile(rf"\$(?:({_NAME})|([0-9]))")
_BRACED = lazyre.compile(rf"\$\{{({_NAME}|[0-9]+)(?:(:?[-=?+])(.*))?\}}$", re.DOTALL)
_SPECIAL = lazyre.compile(r"\$[@*#?$!-]")
# a test of the machine the script runs on
HOST_TEST = lazyre.compile(
    r"uname|darwin|\$\{?OSTYPE|\$\{?HOSTTYPE|\$\{?MACHTYPE|(?:\$\(|`)\s*arch\b|sysctl|/proc/cpuinfo", re.I
)


@dataclass(frozen=True)
class Value:
    """What a shell variable holds at a point of a script."""

    text: str | None  # None: unknown
    host_note: str = ""  # the host test this value was assigned under, "" if unconditional


@dataclass
class ShellValues:
    """Variables of one script run, and the positional parameters of the innermost function call."""

    budget: Budget
    values: dict[str, Value] = field(default_factory=dict)
    positional: list[str] | None = None  # None at the top level: the caller's arguments are unknown
    sourced: bool = False  # a sourced file may set any variable not assigned since
    external: Callable[[str], str] | None = None  # the CI's own variables (`env:`), if any
    host_vars: set[str] = field(default_factory=set)  # variables holding $(uname -m) and the like

    def assign(self, name: str, raw: str, host_note: str = "") -> None:
        if HOST_TEST.search(raw):
            self.host_vars.add(name)
        if "$(" in raw or "`" in raw:
            self.values[name] = Value(None, host_note)
            return
        notes: list[str] = []
        text = self._expand(raw, notes, 0)
        if text is None or len(text) > MAX_VALUE_CHARS:
            self._too_long()
            self.values[name] = Value(None, host_note)
            return
        self.values[name] = Value(text, host_note or (notes[0] if notes else ""))

    def is_set(self, name: str) -> bool:
        """Whether the variable has a value here (known or not), so that its default is not used."""
        return self._known(name) is not None or self._may_be_set(name)

    def forget(self, name: str) -> None:
        self.values[name] = Value(None)

    def expand(self, text: str) -> tuple[str, str]:
        """The text with known variables replaced, and the host test any of them was set under."""
        notes: list[str] = []
        out = self._expand(text, notes, 0)
        if out is None or len(out) > MAX_VALUE_CHARS:
            self._too_long()
            return text, ""
        return out, (notes[0] if notes else "")

    def _too_long(self) -> None:
        if self.budget.exceeded is None:
            self.budget.refuse(f"a shell value longer than {MAX_VALUE_CHARS} characters or nested too deep")

    def tests_host(self, text: str) -> bool:
        if HOST_TEST.search(text):
            return True
        return any(re.search(rf"\$\{{?{re.escape(v)}\b", text) for v in self.host_vars)

    def _expand(self, text: str, notes: list[str], depth: int) -> str | None:
        if "$" not in text:
            return text
        if not self.budget.depth_ok(depth) or not self.budget.step():
            return None
        out: list[str] = []
        i = start = size = 0
        while i < len(text):
            j = text.find("$", i)
            if j < 0:
                out.append(text[i:])
                break
            out.append(text[i:j])
            piece, i = self._one(text, j, notes, depth)
            if piece is None:
                return None
            out.append(piece)
            size += len(piece) + j - start
            start = i
            if size > MAX_VALUE_CHARS:
                return None
        return "".join(out)

    def _one(self, text: str, at: int, notes: list[str], depth: int) -> tuple[str | None, int]:
        """The expansion of the `$` expression at `at`, and where the text goes on after it."""
        if text.startswith("${", at):
            end = _closing(text, at + 1, "{", "}")
            return self._braced(text[at:end], notes, depth), end
        if text.startswith("$(", at):
            end = _closing(text, at + 1, "(", ")")
            return text[at:end], end  # command substitution: unknown, kept as written
        m = _SIMPLE.match(text, at)
        if m:
            name = m.group(1) or m.group(2)
            value = self._lookup(name, None, notes, depth)
            return (text[at : m.end()] if value is None else value), m.end()
        s = _SPECIAL.match(text, at)
        if s:
            return s.group(0), s.end()
        return "$", at + 1

    def _braced(self, expr: str, notes: list[str], depth: int) -> str | None:
        m = _BRACED.match(expr)
        if not m:
            return expr  # ${#X}, ${X%%y}, ${X/a/b}, ${ARR[@]}: unknown, kept as written
        name, op, default = m.group(1), m.group(2), m.group(3)
        value = self._lookup(name, (op, default or ""), notes, depth)
        return expr if value is None else value

    def _lookup(self, name: str, op: tuple[str, str] | None, notes: list[str], depth: int) -> str | None:
        """The value of `$name` (with a `${name:-default}`-style operator), or None when unknown."""
        known = self._known(name)
        if known is not None and known.host_note:
            notes.append(known.host_note)
        text = known.text if known is not None else None
        if op is None:
            return text
        kind, default = op
        if kind in (":-", ":="):
            if text is not None and text != "":
                return text
            if known is not None and text is None:
                return None
            return None if self._may_be_set(name) else self._expand(default, notes, depth + 1)
        if kind in ("-", "="):
            if known is not None:
                return text
            return None if self._may_be_set(name) else self._expand(default, notes, depth + 1)
        if kind in (":+", "+"):
            return self._expand(default, notes, depth + 1) if text else None
        return text  # ${X:?message}

    def _known(self, name: str) -> Value | None:
        if name.isdigit():
            index = int(name)
            if index == 0:
                return Value(None)
            if self.positional is None:
                return None  # the script's own arguments: unknown, but `${1:-x}` defaults to x
            return Value(self.positional[index - 1]) if index <= len(self.positional) else None
        if name in self.values:
            return self.values[name]
        if self.external is not None:
            resolved = self.external(f"${{{name}}}")
            if resolved != f"${{{name}}}":
                return Value(resolved)
        return None

    def _may_be_set(self, name: str) -> bool:
        """An unassigned variable that the caller or a sourced file may still have set."""
        return not name.isdigit() and self.sourced


def _closing(text: str, at: int, opener: str, closer: str) -> int:
    """Index just past the `closer` that balances the `opener` at `at`."""
    depth = 0
    for i in range(at, len(text)):
        if text[i] == opener:
            depth += 1
        elif text[i] == closer:
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)
