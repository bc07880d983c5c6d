"""AWS CDK app source (TypeScript, JavaScript, Python), read without synthesis.

Finds apps through `cdk.json` (and SST apps through `sst.json` / `sst.config.ts`), and construct libraries / monorepo packages without one through
their package manifest (`discovery.py`), parses the entry (or seed) files and the files they import
(tree-sitter for TypeScript/JavaScript, `ast` for Python), evaluates construct arguments the way a
reviewer would (constants, enum members, spreads, imports; `process.arch` / `platform.machine()`
are host-derived; parameters take what their callers pass and calls give the function's return
value, `ts_flow.py` / `py_flow.py`; a conditional is a `Choice` of its branches), and emits
Lambda/ECS/Batch workloads, image-asset builds and EC2/EKS capacity. Nothing from the scanned
repository is executed or imported.

Linking: the asset expression's `cdk:src:<file>:<line>` key is in both the `ImageBuild.link_keys`
and the workload's `ImageRef.link_keys`. Host-derived values: the workload gets
`cdk.host_source` (`cdk.host_derived`); the build's `link_keys` also hold
`cdk:hostarch` and its platforms are `ArchFact.host(...)` with a note naming the source.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from archmatch.extract.cdk_source.discovery import (
    TS_SUFFIXES,
    CdkApp,
    find_apps,
    find_libraries,
    is_sst_config,
)
from archmatch.isolation import isolated_unit, note_position
from archmatch.model import CdkSyntax, Project, RepoFacts
from archmatch.repo import RepoView

if TYPE_CHECKING:
    from archmatch.extract.cdk_source.py_front import PyFile
    from archmatch.extract.cdk_source.ts_front import TsFile
    from archmatch.extract.cdk_source.values import Call


def extract(repo: RepoView, facts: RepoFacts) -> None:
    done: set[str] = set()  # a file shared by two apps is reported once
    sources = repo.matching(lambda f: f.endswith((*TS_SUFFIXES, ".py")))
    for app in find_apps(repo):
        if is_sst_config(app.config.rsplit("/", 1)[-1]):  # a project like a `cdk.json` app
            facts.projects.append(Project(app.app_dir, "cdk", app.config))
        # an app's files are read together: one that breaks is left out and the app read again
        files = [app.entry, *(f for f in sources if f != app.entry)]
        isolated_unit(repo, facts, files, lambda left_out, a=app: _app(repo, facts, a, done, left_out))  # type: ignore[misc]  # a lambda with defaults
    for library in find_libraries(repo, done):
        files = [*library.seeds, *(f for f in sources if f not in library.seeds)]
        isolated_unit(repo, facts, files, partial(_library, repo, facts, library, done))


def _library(
    repo: RepoView, facts: RepoFacts, library: CdkApp, done: set[str], left_out: frozenset[str]
) -> None:
    """A construct library or monorepo package: its constructs are checked where they are defined,
    and the package is their project."""
    before = len(facts.workloads) + len(facts.builds)
    _app(repo, facts, library, done, left_out)
    if len(facts.workloads) + len(facts.builds) != before:
        facts.projects.append(Project(library.app_dir, "cdk-library", library.config))


def _app(repo: RepoView, facts: RepoFacts, app: CdkApp, done: set[str], left_out: frozenset[str]) -> None:
    # tree-sitter is imported only when the repository holds CDK source to read
    from archmatch.extract.cdk_source.constructs import Interpreter
    from archmatch.extract.cdk_source.program import Program
    from archmatch.extract.cdk_source.values import Call

    program = Program(repo, app, left_out)
    files = program.load()
    calls: list[Call] = []
    seen: set[int] = set()
    syntax_of: dict[str, CdkSyntax] = {}
    platform_names: dict[str, str | None] = {}
    reported: set[str] = set()
    for source in files:
        syntax_of[source.path] = source.syntax
        platform_names[source.path] = platform_name(source)
        if source.path in done or source.path in reported:
            continue
        reported.add(source.path)
        for node in source.calls():
            note_position(repo, source.path, _line_of(node))
            value = source.eval(node)  # type: ignore[arg-type]
            if isinstance(value, Call) and id(value) not in seen and value.path == source.path:
                seen.add(id(value))
                calls.append(value)
    Interpreter(repo, facts, program.app_dir, app.config, syntax_of, platform_names).run(calls)
    program.budget.report(repo)
    done |= reported


def platform_name(source: TsFile | PyFile) -> str | None:
    """How a file names `aws_ecr_assets.Platform` through its imports: `Platform` itself, else
    `<module alias>.Platform`; None when it imports neither (a fix must not use the name then)."""
    from archmatch.extract.cdk_source.values import Ref

    via_module = None
    for name in sorted(source.imports):
        value = source.global_name(name, 0)
        if isinstance(value, Ref) and value.qual == "aws_ecr_assets.Platform":
            return name
        if isinstance(value, Ref) and value.module and value.qual == "aws_ecr_assets":
            via_module = via_module or f"{name}.Platform"
    return via_module


def _line_of(node: Any) -> int:
    """1-based line of a tree-sitter node or a Python ast node."""
    point = getattr(node, "start_point", None)
    return point.row + 1 if point is not None else getattr(node, "lineno", 0)


def finalize(repo: RepoView, facts: RepoFacts) -> None:
    """When an app's source is read, its synthesised `cdk.out/` would report the same functions
    and assets a second time (often stale): keep the source's view and say so once."""
    for app in find_apps(repo):
        out = f"{app.app_dir}/cdk.out/" if app.app_dir not in ("", ".") else "cdk.out/"
        before = len(facts.workloads) + len(facts.builds)
        facts.workloads = [w for w in facts.workloads if not w.location.path.startswith(out)]
        facts.builds = [b for b in facts.builds if not b.location.path.startswith(out)]
        if len(facts.workloads) + len(facts.builds) != before:
            repo.diag(
                out.rstrip("/"),
                f"CDK app source {app.entry} is read instead of its synthesised cdk.out (same constructs)",
                level="note",
                code="input",
            )
