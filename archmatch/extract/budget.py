"""Evaluation budgets: what static evaluation of one input may cost, whatever the input contains.

Every evaluator (Terraform, CloudFormation, Serverless, bake, CDK values) takes a `Budget` for
the file or module it evaluates. It spends one step per expression it evaluates, asks before it
builds a long string, a long list or a huge number, and turns a refusal into its own "unknown"
value. The first refusal is remembered with the file and line where it happened; `report` turns
it into ONE `limit` diagnostic, so a hostile file costs a bounded amount of time and memory and
says so, while every value that fits stays resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from archmatch.model import DiagnosticCode, DiagnosticLevel

MAX_STEPS = 1_000_000  # expression evaluations (nodes, lookups, substitutions) per budget
MAX_DEPTH = 100  # nested evaluations (references of references, nested calls)
MAX_STRING_CHARS = 1_000_000  # characters of one computed string
MAX_ITEMS = 10_000  # items of one computed list or map
MAX_INT_DIGITS = 100  # decimal digits of one computed integer (or integer literal)
_MAX_INT_BITS = int(MAX_INT_DIGITS * 3.33)
_NODES_PER_STEP = 32  # measuring a value costs one step per this many nodes walked


class _Diagnoses(Protocol):
    def diag(
        self,
        path: str,
        message: str,
        line: int = 0,
        level: DiagnosticLevel = "warning",
        code: DiagnosticCode = "parse",
    ) -> None: ...


@dataclass
class Exceeded:
    """A file that went over a parsing limit: which limit, and where."""

    what: str
    path: str
    line: int


class Budget:
    """The allowance of one evaluation scope; `path` names the file a refusal is reported on."""

    def __init__(self, path: str, steps: int = MAX_STEPS):
        self.path = path
        self.steps_left = steps
        self.max_steps = steps
        self.depth = 0  # current nesting, kept by the evaluator
        self.exceeded: Exceeded | None = None

    def refuse(self, what: str, line: int = 0, path: str | None = None) -> bool:
        """Record a refusal (the first one is reported) and return False, for `return budget.refuse(...)`."""
        if self.exceeded is None:
            self.exceeded = Exceeded(what, path or self.path, line)
        return False

    def step(self, line: int = 0, path: str | None = None) -> bool:
        """Spend one step; False once the scope has used all of them."""
        self.steps_left -= 1
        if self.steps_left >= 0:
            return True
        return self.refuse(f"more than {self.max_steps} evaluation steps", line, path)

    def spend(self, steps: int, what: str, line: int = 0, path: str | None = None) -> bool:
        """Spend `steps` at once for all-or-nothing work (expanding resource instances); when they are
        not left, nothing is spent, so smaller work after it still fits."""
        if steps <= self.steps_left:
            self.steps_left -= steps
            return True
        return self.refuse(what, line, path)

    def depth_ok(self, depth: int, line: int = 0, path: str | None = None) -> bool:
        return depth <= MAX_DEPTH or self.refuse(
            f"values nested more than {MAX_DEPTH} levels deep", line, path
        )

    def text_ok(self, length: int, line: int = 0, path: str | None = None) -> bool:
        return length <= MAX_STRING_CHARS or self.refuse(
            f"a string longer than {MAX_STRING_CHARS} characters", line, path
        )

    def items_ok(self, count: int, line: int = 0, path: str | None = None) -> bool:
        return count <= MAX_ITEMS or self.refuse(f"a list or map of more than {MAX_ITEMS} items", line, path)

    def number_ok(self, value: Any, line: int = 0, path: str | None = None) -> bool:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value).bit_length() > _MAX_INT_BITS:
            return self.refuse(f"an integer of more than {MAX_INT_DIGITS} digits", line, path)
        return True

    def measure(self, value: Any) -> int:
        """Characters plus items in a nested value (up to just past the string limit); the walk is
        paid for in steps, so measuring cannot cost more than the budget."""
        size, nodes, _ = _walk(value, MAX_STRING_CHARS)
        self.steps_left -= nodes // _NODES_PER_STEP
        return size

    def value_ok(self, value: Any, line: int = 0, path: str | None = None) -> bool:
        """A computed value fits: every string, collection and integer in it within the limits, and
        no more than MAX_STRING_CHARS characters and items in all."""
        _, nodes, ok = _walk(value, MAX_STRING_CHARS)
        self.steps_left -= nodes // _NODES_PER_STEP
        return ok or self.refuse(
            f"a value over the size limits ({MAX_STRING_CHARS} characters, {MAX_ITEMS} items)", line, path
        )

    def report(self, repo: _Diagnoses) -> None:
        """One `limit` diagnostic for the first refusal, if there was one."""
        if self.exceeded is not None:
            e = self.exceeded
            repo.diag(
                e.path,
                f"evaluation limit reached ({e.what}); the values concerned are left unknown",
                line=e.line,
                code="limit",
            )


def _walk(value: Any, stop: int) -> tuple[int, int, bool]:
    """(size, nodes visited, within limits) of a nested value; size counts characters plus items,
    and the walk (iterative: no recursion) stops once the size passes `stop`."""
    total = nodes = 0
    pending = [value]
    while pending and total <= stop:
        item = pending.pop()
        nodes += 1
        if isinstance(item, str):
            total += len(item)
            if len(item) > MAX_STRING_CHARS:
                return total, nodes, False
        elif isinstance(item, dict | list | tuple):
            total += len(item)
            if len(item) > MAX_ITEMS:
                return total, nodes, False
            pending.extend(item.values() if isinstance(item, dict) else item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item).bit_length() > _MAX_INT_BITS:
            return total, nodes, False
        else:
            total += 1
    return total, nodes, total <= stop
