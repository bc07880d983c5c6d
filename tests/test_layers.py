"""The layer contract of docs/ARCHITECTURE.md ("Layers"), executable.

Every module of `archmatch/` is parsed (never imported); every `import` it contains counts, also
inside functions and under `if TYPE_CHECKING:` (a type-only import is still a dependency of the
design). A layer may import its own modules and the layers it lists, nothing else; no two modules
import each other, directly or through others; no two packages do either.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "archmatch"


@dataclass(frozen=True)
class Layer:
    name: str
    # `archmatch.x` is that module (or package `__init__`) only; `archmatch.x.*` is everything under it
    members: tuple[str, ...]
    # layer names, or single modules of a layer it may not import otherwise (`archmatch.x`)
    may_import: frozenset[str]


def _layers() -> tuple[Layer, ...]:
    """Bottom to top; the same table as docs/ARCHITECTURE.md."""
    util = Layer(
        "util",
        (
            "archmatch",
            "archmatch.safetext",
            "archmatch.outputs",
            "archmatch.progress",
            "archmatch.lazyre",
            "archmatch.prebuilt",
            "archmatch.prebuilt_code",
        ),
        frozenset(),
    )
    model = Layer(
        "model",
        (
            "archmatch.model",
            "archmatch.platforms",
            "archmatch.aws",
            "archmatch.aws.*",
            "archmatch.dockerfile_model",
            "archmatch.results",
            "archmatch.settings",
        ),
        frozenset({"util"}),
    )
    discover = Layer(
        "discover",
        ("archmatch.repo", "archmatch.templating", "archmatch.isolation"),
        frozenset({"model", "util"}),
    )
    fixrender = Layer(
        "fixrender", ("archmatch.fixrender", "archmatch.fixrender.*"), frozenset({"model", "util"})
    )
    extract = Layer(
        "extract",
        ("archmatch.extract", "archmatch.extract.*", "archmatch.dockercli", "archmatch.shellsyntax"),
        frozenset({"discover", "fixrender", "model", "util"}),
    )
    link = Layer("link", ("archmatch.link", "archmatch.link.*"), frozenset({"model", "util"}))
    catalogue = Layer("catalogue", ("archmatch.rules",), frozenset({"model", "util"}))
    rules = Layer(
        "rules", ("archmatch.rules.*",), frozenset({"catalogue", "fixrender", "link", "model", "util"})
    )
    report = Layer(
        "report",
        ("archmatch.report", "archmatch.report.*"),
        frozenset({"catalogue", "link", "model", "util"}),
    )
    below_engine = {
        "util",
        "model",
        "fixrender",
        "discover",
        "extract",
        "link",
        "catalogue",
        "rules",
        "report",
    }
    engine = Layer(
        "engine",
        (
            "archmatch.engine",
            "archmatch.config",
            "archmatch.config_check",
            "archmatch.suppress",
            "archmatch.changed",
            "archmatch.single_file",
            "archmatch.hadolint_config",
            "archmatch.fixapply",
        ),
        frozenset(below_engine),
    )
    integrations = Layer(
        "integrations",
        ("archmatch.integrations", "archmatch.integrations.*"),
        frozenset(below_engine | {"engine"}),
    )
    commands = Layer(
        "commands",
        ("archmatch.commands", "archmatch.commands.*", "archmatch.cli", "archmatch.__main__"),
        frozenset(below_engine | {"engine", "integrations"}),
    )
    return (
        util,
        model,
        fixrender,
        discover,
        extract,
        link,
        catalogue,
        rules,
        report,
        engine,
        integrations,
        commands,
    )


LAYERS = _layers()

# Imports that break the contract today, each with the work that removes it. The test fails when
# one of them is gone (so the entry is removed with it) as well as on any new violation.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int


def module_name(path: Path, package_dir: Path) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path, module: str, known: set[str]) -> list[Import]:
    """Every import of the module's source, function-level and TYPE_CHECKING ones included.
    `from pkg import name` is an import of `pkg.name` when that is a module, else of `pkg`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(Import(module, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, module, path.name == "__init__.py")
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                out.append(Import(module, sub if sub in known else source, node.lineno))
    return [i for i in out if i.target == "archmatch" or i.target.startswith("archmatch.")]


class Graph(dict[str, list[Import]]):
    """Module name -> its imports; `packages` are the modules that are a package's `__init__`."""

    packages: frozenset[str] = frozenset()


def import_graph(package_dir: Path) -> Graph:
    files = {module_name(p, package_dir): p for p in sorted(package_dir.rglob("*.py"))}
    known = set(files)
    graph = Graph((name, imports_of(path, name, known)) for name, path in files.items())
    graph.packages = frozenset(name for name, path in files.items() if path.name == "__init__.py")
    return graph


def _member(module: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return module.startswith(pattern[:-1])
    return module == pattern


def layer_of(module: str, layers: Iterable[Layer]) -> Layer | None:
    return next((layer for layer in layers if any(_member(module, m) for m in layer.members)), None)


@dataclass(frozen=True)
class Violation:
    importer: str
    target: str  # "" when the importer belongs to no layer
    text: str


def layer_violations(graph: Mapping[str, list[Import]], layers: tuple[Layer, ...]) -> list[Violation]:
    """Each import the importer's layer may not make, and each module that belongs to no layer."""
    out: list[Violation] = []
    for module, imports in sorted(graph.items()):
        own = layer_of(module, layers)
        if own is None:
            out.append(
                Violation(
                    module, "", f"{module} belongs to no layer: add it to LAYERS and docs/ARCHITECTURE.md"
                )
            )
            continue
        for imp in imports:
            target = layer_of(imp.target, layers)
            allowed = target is not None and (
                target.name == own.name or target.name in own.may_import or imp.target in own.may_import
            )
            if not allowed:
                where = target.name if target else "no layer"
                text = f"{module}:{imp.line} ({own.name}) imports {imp.target} ({where})"
                out.append(Violation(module, imp.target, text))
    return out


def _unit(module: str, graph: Graph) -> str:
    """The package a module belongs to; a module directly under `archmatch/` is its own unit."""
    if module.count(".") <= 1 or module in graph.packages:
        return module
    return module.rsplit(".", 1)[0]


def cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    nodes = sorted(set(edges) | {t for ts in edges.values() for t in ts})
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def module_cycles(graph: Mapping[str, list[Import]]) -> list[list[str]]:
    edges = {
        m: {i.target for i in imports if i.target in graph and i.target != m} for m, imports in graph.items()
    }
    return cycles(edges)


def package_cycles(graph: Graph) -> list[list[str]]:
    edges: dict[str, set[str]] = {}
    for module, imports in graph.items():
        source = _unit(module, graph)
        targets = edges.setdefault(source, set())
        for imp in imports:
            target = _unit(imp.target, graph) if imp.target in graph else None
            # a package may use the helpers of the packages that contain it (`extract.budget`):
            # those never import back into it
            if target is not None and target != source and not source.startswith(target + "."):
                targets.add(target)
    return cycles(edges)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(PACKAGE)


def test_every_import_respects_the_layers(graph: Graph) -> None:
    violations = layer_violations(graph, LAYERS)
    new = [v.text for v in violations if (v.importer, v.target) not in KNOWN_VIOLATIONS]
    gone = sorted(KNOWN_VIOLATIONS - {(v.importer, v.target) for v in violations})
    assert not new, "imports across the layer contract:\n" + "\n".join(new)
    assert not gone, f"no longer violated, remove from KNOWN_VIOLATIONS: {gone}"


def test_no_module_import_cycles(graph: Graph) -> None:
    assert module_cycles(graph) == []


def test_no_package_import_cycles(graph: Graph) -> None:
    assert package_cycles(graph) == []


def test_the_layer_table_is_the_documented_one() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for layer in LAYERS:
        row = next((line for line in text.splitlines() if line.startswith(f"| {layer.name} |")), None)
        assert row is not None, f"layer {layer.name} missing from the table in docs/ARCHITECTURE.md"
        for member in layer.members:
            assert f"`{member}`" in row, f"{member} not in the {layer.name} row"
        cells = row.split("|")
        for allowed in layer.may_import:
            assert allowed in cells[3], f"{layer.name} may import {allowed}: not documented"


# --- the checker can fail -------------------------------------------------------------------


def test_checker_reports_a_rule_importing_an_extractor(tmp_path: Path) -> None:
    """A copy of the package with one deliberate violation per kind, function-level and type-only."""
    copy = tmp_path / "archmatch"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    rule = next((copy / "rules" / "iac").glob("arch2*.py"))
    rule.write_text(
        rule.read_text(encoding="utf-8") + "\n\ndef _peek():\n    from archmatch.extract import terraform\n"
    )
    report = copy / "report" / "text.py"
    report.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import archmatch.engine\n"
        + report.read_text(encoding="utf-8")
    )
    (copy / "stray.py").write_text("")
    found = [v.text for v in layer_violations(import_graph(copy), LAYERS)]
    rule_module = "archmatch.rules.iac." + rule.stem
    assert any(
        v.startswith(f"{rule_module}:") and "imports archmatch.extract.terraform (extract)" in v
        for v in found
    )
    assert "archmatch.report.text:3 (report) imports archmatch.engine (engine)" in found
    assert "archmatch.stray belongs to no layer: add it to LAYERS and docs/ARCHITECTURE.md" in found


def test_checker_finds_cycles_through_several_modules(tmp_path: Path) -> None:
    pkg = tmp_path / "archmatch"
    (pkg / "extract" / "x").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "extract" / "__init__.py").write_text("")
    (pkg / "extract" / "x" / "__init__.py").write_text("from archmatch.extract.x import a\n")
    (pkg / "extract" / "x" / "a.py").write_text("from . import b\n")
    (pkg / "extract" / "x" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from archmatch.extract.x.a import A\n"
    )
    (pkg / "extract" / "y").mkdir()
    (pkg / "extract" / "y" / "__init__.py").write_text("def f():\n    from archmatch.extract.x import a\n")
    (pkg / "extract" / "x" / "c.py").write_text(
        "from archmatch.extract.y import f\nfrom archmatch.extract import z\n"
    )
    (pkg / "extract" / "z.py").write_text("from archmatch.extract.x import a\n")
    graph = import_graph(pkg)
    assert module_cycles(graph) == [["archmatch.extract.x.a", "archmatch.extract.x.b"]]
    # x -> y -> x is a cycle; x -> extract (its parent's helper z) -> x is not
    assert package_cycles(graph) == [["archmatch.extract.x", "archmatch.extract.y"]]


def test_relative_imports_resolve_to_modules(tmp_path: Path) -> None:
    pkg = tmp_path / "archmatch"
    (pkg / "link").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "model.py").write_text("")
    (pkg / "link" / "__init__.py").write_text("from . import a\nfrom .a import f\n")
    (pkg / "link" / "a.py").write_text("from .. import model\nfrom ..model import X\n")
    graph = import_graph(pkg)
    assert [i.target for i in graph["archmatch.link"]] == ["archmatch.link.a", "archmatch.link.a"]
    assert [i.target for i in graph["archmatch.link.a"]] == ["archmatch.model", "archmatch.model"]
