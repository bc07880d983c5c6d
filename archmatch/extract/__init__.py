"""Extractors: one module per input format, each turning files into facts.

Every public module in this package that defines `extract(repo, facts)` is an extractor; they
run in module-name order and only append to `facts`. Extractors never import rules.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from archmatch import templating
from archmatch.model import DiagnosticLevel, RepoFacts
from archmatch.repo import RepoView

Extractor = Callable[[RepoView, RepoFacts], None]


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _not_a_dockerfile(path: str) -> bool:
    name = _basename(path).lower()
    return not (
        name in ("dockerfile", "containerfile")
        or name.startswith("dockerfile.")
        or name.endswith(".dockerfile")
    )


# Extractors imported only when the scan root holds a file they may read (each test is a superset
# of the extractor's own choice of files), so a small scan loads only the parsers it needs: Lark
# for HCL, tree-sitter for CDK TypeScript, the build and IaC readers. The others always run.
_GATED: dict[str, Callable[[str], bool]] = {
    "builds": _not_a_dockerfile,
    "cdk_out": lambda f: f.endswith(".assets.json"),
    "cdk_source": lambda f: (
        _basename(f) in ("cdk.json", "package.json", "setup.py", "pyproject.toml", "setup.cfg", "sst.json")
        or _basename(f).startswith("sst.config.")
    ),
    "cloudformation": lambda f: f.endswith((".yaml", ".yml", ".json", ".template", ".cfn")),
    "ecs_taskdef": lambda f: f.endswith(".json"),
    "eks_capacity": lambda f: f.endswith((".yaml", ".yml")),
    "js_programs": lambda f: f.endswith((".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".tsx", ".jsx")),
    "kubernetes": lambda f: f.endswith((".yaml", ".yml", ".json")),
    "kustomize": lambda f: _basename(f) in ("kustomization.yaml", "kustomization.yml", "Kustomization"),
    "serverless": lambda f: _basename(f) in ("serverless.yml", "serverless.yaml"),
    "terraform": lambda f: f.endswith((".tf", ".tf.json")),
}


def read_by_dockerfile_extractor_alone(path: str) -> bool:
    """True when, of every extractor, only the Dockerfile extractor may read a file at `path`: a
    Dockerfile name that no gated extractor's test takes (`Dockerfile.template` is not one: the
    CloudFormation extractor may read it). The Dockerfile extractor is the only one that always runs
    (tests/test_speed.py checks it), so `archmatch dockerfile` then runs it alone."""
    from archmatch.extract.dockerfile import is_dockerfile_name

    return is_dockerfile_name(path) and not any(test(path) for test in _GATED.values())


@dataclass(frozen=True)
class _Lazy:
    """`module.attr`, imported on the first scan that holds a file the module reads."""

    module: str
    attr: str

    def __call__(self, repo: RepoView, facts: RepoFacts) -> None:
        if not any(_GATED[self.module](f) for f in repo.files):
            return
        fn = getattr(importlib.import_module(f"{__name__}.{self.module}"), self.attr, None)
        if callable(fn):
            fn(repo, facts)


def module_names() -> list[str]:
    """The modules and subpackages of this package, sorted: what `pkgutil.iter_modules` lists from
    the source files (pkgutil imports `inspect`, ~30 M instructions of a small scan's start-up;
    tests/test_speed.py checks that both agree)."""
    names: set[str] = set()
    for folder in __path__:
        for entry in os.scandir(folder):
            stem = entry.name.removesuffix(".py")
            if stem != entry.name and "." not in stem and stem != "__init__" and entry.is_file():
                names.add(stem)
            elif "." not in entry.name and os.path.isfile(os.path.join(entry.path, "__init__.py")):
                names.add(entry.name)
    return sorted(names)


@functools.cache
def extractors() -> list[tuple[str, Extractor]]:
    """`extract` of every extractor module, then the `finalize` of those that have one (a second
    pass that may use other extractors' facts, e.g. Dockerfiles named only by a build)."""
    found: list[tuple[str, Extractor]] = []
    finals: list[tuple[str, Extractor]] = []
    for name in module_names():
        if name.startswith("_") or name in (
            "yamlsafe",
            "jsonlines",
            "budget",
            "hcl_grammar",
            "hcl_lalr",
            "hcl_lalr_tables",
            "hcl_lark",
            "hcl_parse",
            "hcl_tables",  # data, not an extractor: importing its 1 MB of literals costs ~60 M instructions
            "helm_template",
            "terraform_modules",
        ):
            continue
        if name in _GATED:
            found.append((name, _Lazy(name, "extract")))
            finals.append((f"{name}.finalize", _Lazy(name, "finalize")))
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        fn = getattr(module, "extract", None)
        if callable(fn):
            found.append((name, fn))
        final = getattr(module, "finalize", None)
        if callable(final):
            finals.append((f"{name}.finalize", final))
    return found + finals


def yaml_docs(repo: RepoView, rel: str, level: DiagnosticLevel = "warning") -> list[Any] | None:
    """All YAML documents of a file (cached), or None with a diagnostic naming file and line
    (`level` "note" for files that may legitimately not be YAML, such as Helm templates)."""

    from archmatch.extract import yamlsafe  # PyYAML loads only when a YAML file is parsed

    def parse(path: str) -> list[Any] | None:
        text = repo.read_text(path)
        if text is None:
            return None
        try:
            docs: list[Any] = yamlsafe.load_all(text)
            return docs
        except yamlsafe.YamlError as exc:
            if not exc.limit and templating.looks_templated(text):
                repo.skip_templated(path, templating.OTHER)  # counted in one note, not one per file
                return None
            repo.diag(path, str(exc), line=exc.line, level=level)
            return None

    docs: list[Any] | None = repo.cached("yaml", rel, parse)
    return docs


def json_doc(repo: RepoView, rel: str) -> Any | None:
    """A JSON document with line numbers (`jsonlines`: a JSON parser, not the YAML loader), cached."""

    from archmatch.extract import jsonlines

    def parse(path: str) -> Any | None:
        text = repo.read_text(path)
        if text is None:
            return None
        try:
            return jsonlines.loads(text)
        except jsonlines.JsonError as exc:
            if exc.limit:
                repo.diag(path, str(exc), line=exc.line, code="limit")
                return None
            if templating.looks_templated(text):
                repo.skip_templated(path, templating.OTHER)
                return None
            repo.diag(path, str(exc), line=exc.line)
            return None

    return repo.cached("json", rel, parse)
