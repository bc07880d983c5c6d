"""Calls evaluated with their arguments bound (context-sensitive flow), for programs that ask for it.

The CDK reader's flow (`ts_flow`) gives a parameter one value for the whole program: what its callers
pass, as a choice. An ops program that builds `docker tag ${local}:${tag} ${url}:${tag}` inside a
helper called once for the api and once for the web image would then mix both callers' values. A
program with `bind_calls` instead evaluates each call of a function declared in the program with the
call's own arguments: a `Frame` binds the parameters of that call (and, through `parent`, the frame
in which the function itself was created: the values a closure sees, `createConfig("api")`'s
arrow functions reading `componentName`). Values computed under a frame are cached per frame.

Bounded: a call nested more than MAX_BOUND_CALLS bound calls deep, or a function calling itself
(directly or through others), gives an unknown value; `contexts` enumerates at most MAX_CONTEXTS
call chains of at most MAX_CONTEXT_DEPTH callers for a node (looking at MAX_CONTEXT_VISITS call
sites at most), else the node is evaluated once with the context-insensitive values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, cast

from tree_sitter import Node

from archmatch.extract.cdk_source import ts_flow
from archmatch.extract.cdk_source.values import Val

MAX_BOUND_CALLS = 12  # bound calls nested inside one another
MAX_CONTEXTS = 16  # call chains enumerated for one node
MAX_CONTEXT_DEPTH = 6  # callers followed up from one node
MAX_CONTEXT_VISITS = 256  # call sites looked at to enumerate the chains of one node


@dataclass(eq=False)
class Frame:
    """The values one call passes to the parameters of a function, keyed by (file, parameter
    element id, name); `parent` is the frame the function was created in (its closure), `caller`
    the frame of the call that made this one."""

    values: dict[tuple[str, int, str], Val] = field(default_factory=dict)
    parent: Frame | None = None
    function: tuple[str, tuple[int, int, str]] = ("", (0, 0, ""))  # its file and `ts_flow.key_of`
    caller: Frame | None = None  # the frame of the call that made this one (recursion, depth)

    def lookup(self, path: str, element: int, name: str) -> Val | None:
        frame: Frame | None = self
        while frame is not None:
            found = frame.values.get((path, element, name))
            if found is not None:
                return found
            frame = frame.parent
        return None


class TsFile(ts_flow.TsFile, Protocol):
    """What the enumeration needs of a file (`ts_front.TsFile`)."""

    def frame_of_call(self, site: Node, outer: Frame | None) -> Frame | None: ...


def enclosing_function(node: Node) -> Node | None:
    cur = node.parent
    while cur is not None and cur.type not in ts_flow.FUNCTION_TYPES:
        cur = cur.parent
    return cur


def contexts(file: TsFile, node: Node) -> list[Frame | None]:
    """The frames `node` may be evaluated in: one per chain of calls reaching its function (its
    callers' arguments bound, their own callers' too, up to MAX_CONTEXT_DEPTH); a function nobody in
    the program calls (a callback handed to a library, an entry point) is evaluated in its enclosing
    function's frames, its own parameters unknown. [None] (context-insensitive) past the bounds:
    more than MAX_CONTEXTS chains, or more than MAX_CONTEXT_VISITS call sites looked at."""
    found = _contexts(file, node, 0, [MAX_CONTEXT_VISITS])
    return found if found is not None else [None]


def _contexts(file: TsFile, node: Node, depth: int, visits: list[int]) -> list[Frame | None] | None:
    fn = enclosing_function(node)
    while fn is not None:
        sites = _callers(file, fn) if ts_flow.function_name(fn) else []
        if sites is None or depth >= MAX_CONTEXT_DEPTH:
            return [None]
        if sites:
            return _frames_from(sites, depth, visits)
        fn = enclosing_function(fn)
    return [None]


def _callers(file: TsFile, fn: Node) -> list[tuple[TsFile, Node]] | None:
    """The calls of `fn` (every file of a program is a `ts_front.TsFile`, which binds calls)."""
    return cast("list[tuple[TsFile, Node]] | None", ts_flow.callers(file, fn))


def _frames_from(
    sites: list[tuple[TsFile, Node]], depth: int, visits: list[int]
) -> list[Frame | None] | None:
    """None once the enumeration is over its bounds (the caller falls back to no frame)."""
    out: list[Frame | None] = []
    for site_file, site in sites:
        visits[0] -= 1
        outers = _contexts(site_file, site, depth + 1, visits) if visits[0] > 0 else None
        if outers is None:
            return None
        for outer in outers:
            out.append(site_file.frame_of_call(site, outer))
            if len(out) > MAX_CONTEXTS:
                return None
    return out
