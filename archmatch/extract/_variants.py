"""Facts evaluated once per candidate set of command-line values, as one list: a Terraform root
module per set of `-var-file`/`-var` values (`terraform/cmdvars.py`), a CloudFormation template per
set of parameter values its deploy commands give (`cloudformation/parameters.py`). A fact every set
gives alike is kept once, a fact some sets give (or give differently) once per distinct version. A
workload that differs from what the source gives without command-line values says which sets it
comes from (`Workload.values`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

from archmatch.model import Capacity, ImageBuild, Location, RepoFacts, ValuesKind, ValueSource, Workload
from archmatch.repo import RepoView

Fact = Workload | ImageBuild | Capacity


class ValueSetLike(Protocol):
    """One candidate set of values: the files and commands that name it, the runs they are in."""

    @property
    def files(self) -> tuple[str, ...]: ...

    @property
    def named_at(self) -> tuple[str, ...]: ...

    @property
    def where(self) -> Location: ...

    @property
    def runs(self) -> frozenset[str]: ...


def _key(item: Fact) -> tuple[str, str, Location]:
    return type(item).__name__, item.name, item.location


def merge(
    baseline: list[Fact],
    variants: Sequence[list[Fact]],
    sets: Sequence[ValueSetLike],
    kind: ValuesKind = "terraform",
) -> list[Fact]:
    groups: dict[tuple[str, str, Location], list[tuple[Fact, set[int]]]] = {}
    order: list[tuple[Fact, set[int]]] = []
    for index, items in enumerate(variants):
        for item in items:
            versions = groups.setdefault(_key(item), [])
            same = next((g for g in versions if g[0] == item), None)
            if same is not None:
                same[1].add(index)
            else:
                versions.append((item, {index}))
                order.append(versions[-1])
    plain: dict[tuple[str, str, Location], list[Fact]] = {}
    for item in baseline:
        plain.setdefault(_key(item), []).append(item)
    out: list[Fact] = []
    for item, given in order:
        unchanged = len(given) == len(sets) and item in plain.get(_key(item), [])
        if isinstance(item, Workload) and not unchanged:
            item = replace(item, values=_source(given, sets, kind))
        out.append(item)
    return out


def _source(given: set[int], sets: Sequence[ValueSetLike], kind: ValuesKind) -> ValueSource:
    files: list[str] = []
    named: list[str] = []
    for index in sorted(given):
        files.extend(f for f in sets[index].files if f not in files)
        named.extend(n for n in sets[index].named_at if n not in named)
    runs: dict[str, set[int]] = {}
    for index, values in enumerate(sets):
        for run in values.runs:
            runs.setdefault(run, set()).add(index)
    by_run = tuple((run, frozenset(found)) for run, found in sorted(runs.items()))
    where = sets[min(given)].where
    return ValueSource(tuple(files), tuple(named), frozenset(given), len(sets), by_run, kind, where)


def taken(facts: RepoFacts, produce: Callable[[], None]) -> list[Fact]:
    """What `produce` adds to the workloads, builds and capacities, taken back out of them."""
    before = (len(facts.workloads), len(facts.builds), len(facts.capacities))
    produce()
    out: list[Fact] = [
        *facts.workloads[before[0] :],
        *facts.builds[before[1] :],
        *facts.capacities[before[2] :],
    ]
    del facts.workloads[before[0] :], facts.builds[before[1] :], facts.capacities[before[2] :]
    return out


def append(facts: RepoFacts, item: Fact) -> None:
    if isinstance(item, Workload):
        facts.workloads.append(item)
    elif isinstance(item, ImageBuild):
        facts.builds.append(item)
    else:
        facts.capacities.append(item)


MAX_VALUE_SETS = 8  # value sets evaluated for one template or root module; more are left out with a note
T = TypeVar("T")
S = TypeVar("S", bound="ValueSetLike")


def capped(repo: RepoView, sets: list[S], what: str) -> list[S]:
    """The first MAX_VALUE_SETS value sets, with a note at the first one when more were found
    (`what`: "sets of ... for ...", as the note names them)."""
    if len(sets) > MAX_VALUE_SETS:
        repo.diag(
            sets[0].where.path,
            f"more than {MAX_VALUE_SETS} {what}; only the first {MAX_VALUE_SETS} were evaluated",
            line=sets[0].where.line,
            level="note",
            code="limit",
        )
    return sets[:MAX_VALUE_SETS]


def unique(items: list[T]) -> list[T]:
    """The items in order, each once (equal facts found by several value sets)."""
    out: list[T] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
