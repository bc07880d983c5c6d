"""archmatch rules as Checkov checks (`checkov --external-checks-dir $(archmatch checks-dir)`).

One Checkov check per rule and framework, made from the rule's metadata (`checkov:` in its YAML):
`CKV_ARCH_<n>`, name, guideline (the rule's help URI) and severity. The rule logic is not
repeated: a check finds the scan root, runs the same repository analysis as `archmatch scan`
(once per Checkov process; Checkov forks a process per framework), and maps the findings of its
rule onto the resource Checkov hands it:

* FAILED when a finding of the rule is in the resource's file and names the resource (`entity`
  equals the Terraform address, the CloudFormation logical id, or the name of a workload archmatch
  found inside the resource's lines) or lies within the resource's lines; also when the finding
  is elsewhere (ARCH302 at a build) and its `subject`, the workload it is about, lies within the
  resource. Related locations never count: they are evidence, and may lie in another project.
  A Dockerfile is one resource: every finding in the file counts.
* PASSED otherwise: the check is only registered for resource types the rule covers.
* UNKNOWN when the resource's file or scan root cannot be found (Checkov does not report it).

Terraform `module` blocks get a check per Terraform rule too (Checkov's module checks), since
archmatch reads calls to the public terraform-aws-modules modules through their inputs while
Checkov, without `--download-external-modules`, sees nothing inside them: FAILED as above (the
finding names `module.<name>` or lies within the block), PASSED when archmatch reads modules of
that source, UNKNOWN otherwise and for local modules (Checkov checks their resources itself).
Resources Checkov finds inside a downloaded copy of a remote module are UNKNOWN: archmatch judges a
remote module at its call, so each finding is reported once, on the `module` block, with or
without `--download-external-modules`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archmatch.integrations.checkov_profile import step
from archmatch.integrations.checkov_scope import (
    Scope,
    current_scope,
    in_module_download,
    module_download_folders,
    resolve_file,
    scan_root,
)

if TYPE_CHECKING:  # the model loads with the first analysis: registering a check does not need it
    from archmatch.model import Capacity, Finding, RepoFacts, Workload
    from archmatch.rules import RuleMeta

log = logging.getLogger("archmatch.checkov")

CHECKOV_SEVERITY = {"error": "HIGH", "warning": "MEDIUM", "info": "LOW", "style": "LOW"}
SUPPORTED_FRAMEWORKS = ("terraform", "cloudformation", "dockerfile", "kubernetes", "serverless")


Entity = tuple[str, str, int]  # (name, path, line) of a workload or capacity archmatch found


@dataclass
class Analysis:
    findings: dict[str, list[Finding]]  # rule id -> findings (paths relative to the root)
    entities: list[Entity]
    # (rule id, path) -> the rule's findings located in that file or about a workload in it, in
    # the order of `findings`; path -> the entities in that file. Built once: a check call is a
    # dict lookup, not a walk over the repository's findings.
    by_file: dict[tuple[str, str], list[Finding]] = field(init=False, repr=False, compare=False)
    entities_by_file: dict[str, list[Entity]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.by_file = {}
        for rule_id, found in self.findings.items():
            for finding in found:
                paths = {finding.location.path}
                if finding.subject is not None:
                    paths.add(finding.subject.path)
                for path in sorted(paths):
                    self.by_file.setdefault((rule_id, path), []).append(finding)
        self.entities_by_file = {}
        for entity in self.entities:
            self.entities_by_file.setdefault(entity[1], []).append(entity)

    def relevant(self, rule_id: str, rel: str) -> tuple[list[Finding], list[Entity]]:
        """The findings of `rule_id` that may match a resource in file `rel`, and its entities."""
        return self.by_file.get((rule_id, rel), []), self.entities_by_file.get(rel, [])


@dataclass(frozen=True)
class Resource:
    """What a check learns about the resource Checkov hands it."""

    reported_path: str
    names: frozenset[str] = frozenset()
    span: tuple[int, int] = (0, 0)  # 1-based, inclusive; (0, 0) is the whole file
    # a line and a text on it, to tell apart same-named files under several -d roots
    anchor: tuple[int, str] | None = field(default=None, compare=False)
    dockerfile_instructions: list[dict[str, Any]] = field(default_factory=list, hash=False, compare=False)
    terraform: bool = False  # Terraform code may come from a module Checkov downloaded

    def covers(self, line: int) -> bool:
        start, end = self.span
        return (start, end) == (0, 0) or start <= line <= end


_ANALYSES: dict[tuple[Path, tuple[str, ...] | None], Analysis | None] = {}


def analysis_for(root: Path, only: tuple[str, ...] | None) -> Analysis | None:
    """The repository analysis of `root`, computed once per process (None if it failed)."""
    key = (root, only)
    if key not in _ANALYSES:
        _ANALYSES[key] = _analyse(root, only)
    return _ANALYSES[key]


def _analyse(root: Path, only: tuple[str, ...] | None) -> Analysis | None:
    with step("first call") as outcome:
        analysis, outcome["outcome"] = _analyse_steps(root, only)
    return analysis


def _analyse_steps(root: Path, only: tuple[str, ...] | None) -> tuple[Analysis | None, str]:
    with step("config"):
        from archmatch.config import Config, ConfigError, load_config
        from archmatch.integrations import checkov_cache
        from archmatch.repo import ScanOptions, discover

        try:
            config = load_config(None, [root])
        except ConfigError as exc:
            log.warning("archmatch: %s; using the default configuration", exc)
            config = Config()
        # Modules Checkov downloaded into the tree are not the repository's code: archmatch reads a
        # remote module at its call, through the inputs it is given.
        config = dataclasses.replace(config, excludes=[*config.excludes, *module_download_folders()])
    with step("discover") as counts:
        files = (
            sorted(only)
            if only is not None
            else discover(
                root, ScanOptions(excludes=list(config.excludes), include=list(config.includes)), []
            )
        )
        counts["files"] = len(files)
    with step("cache key"):
        key = checkov_cache.cache_key(root, only, files, config.path)
    computed = False

    def compute() -> dict[str, Any] | None:
        nonlocal computed
        computed = True
        with step("analysis"), collector_skips_existing_objects():
            from archmatch.engine import analyze, evaluate  # the pipeline loads only on a cache miss

            try:
                facts, repo = analyze(root, config, list(only) if only is not None else None)
                found, _ = evaluate(facts, repo, config)
            except Exception:  # Checkov would swallow it; say so and leave the resources UNKNOWN
                log.warning("archmatch: analysis of %s failed", root, exc_info=True)
                return None
            return {"findings": checkov_cache.dump_findings(found), "entities": entities_of(facts)}

    data = checkov_cache.cached(key, compute)
    outcome = "analysed" if computed else "read"
    if data is None:
        return None, outcome
    with step("findings"):
        found = checkov_cache.load_findings(data["findings"])
        entities: list[Entity] = [(e[0], e[1], e[2]) for e in data["entities"]]
        by_rule: dict[str, list[Finding]] = {}
        for finding in found:
            by_rule.setdefault(finding.rule_id, []).append(finding)
        return Analysis(by_rule, entities), outcome


@contextlib.contextmanager
def collector_skips_existing_objects() -> Iterator[None]:
    """Within the block, Python's cyclic garbage collector leaves alone every object that existed
    before it.

    A Checkov framework process holds a few hundred thousand objects (its ~1,600 checks, the parsed
    files, the graph), and each full collection that the analysis's allocations trigger walked them
    all: a quarter of the analysis's CPU time at N=100. `gc.freeze` sets them aside for the time of
    the analysis and `gc.unfreeze` puts them back in the oldest generation, where the collections
    after it see them as before. Nothing is done when objects are already frozen (by Checkov or a
    launcher): unfreezing would undo their choice."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def entities_of(facts: RepoFacts) -> list[Entity]:
    items: list[Workload | Capacity] = [*facts.workloads, *facts.capacities]
    return [(item.name, item.location.path, item.location.line) for item in items]


def _names_inside(entities: list[Entity], rel: str, resource: Resource) -> set[str]:
    """Names of the workloads and capacities archmatch found within the resource's lines."""
    if resource.span == (0, 0):
        return set()
    return {name for name, path, line in entities if path == rel and resource.covers(line)}


def matching_findings(
    findings: Iterable[Finding], rel: str, resource: Resource, entities: list[Entity]
) -> list[Finding]:
    names = resource.names | _names_inside(entities, rel, resource)
    out = []
    for f in findings:
        if f.location.path == rel:
            hit = f.entity in names or resource.covers(f.location.line)
        else:  # located elsewhere (at a build): only the workload it is about; never a related location
            subject = f.subject
            hit = (
                subject is not None
                and subject.path == rel
                and resource.span != (0, 0)
                and resource.covers(subject.line)
            )
        if hit:
            out.append(f)
    return out


@dataclass(frozen=True)
class Place:
    """Where a resource's file is: the file, the folder analysed for it and the path in that folder."""

    file: Path
    root: Path
    only: tuple[str, ...] | None
    rel: str
    module_copy: bool  # a copy of a remote module Checkov downloaded (see in_module_download)


_PLACES: dict[tuple[Scope, str, tuple[int, str] | None], Place] = {}


def place_of(scope: Scope, reported: str, anchor: tuple[int, str] | None) -> Place | None:
    """The place of a reported path, found once per process and path: Checkov calls ~20 checks
    per resource, and finding the file resolves paths and looks for repository markers. A kept
    place is served while its file still exists (the findings themselves come from the analysis,
    whose cache is keyed by the content of the files); a path not found is looked up again."""
    key = (scope, reported, anchor)
    kept = _PLACES.get(key)
    if kept is not None and os.path.isfile(kept.file):
        return kept
    file = resolve_file(scope, reported, anchor)
    if file is None:
        return None
    root, only = scan_root(scope, file)
    rel = file.relative_to(root.resolve()).as_posix()
    place = _PLACES[key] = Place(file, root, only, rel, in_module_download(scope, file))
    return place


def evaluate_resource(
    rule_id: str, resource: Resource, scope: Scope | None = None
) -> tuple[str, list[Finding]]:
    """("FAILED" | "PASSED" | "UNKNOWN", the matching findings)."""
    scope = scope or current_scope()
    place = place_of(scope, resource.reported_path, resource.anchor)
    if place is None:
        log.warning(
            "archmatch: cannot find %s under %s",
            resource.reported_path,
            [str(d) for d in scope.dirs] or scope.cwd,
        )
        return "UNKNOWN", []
    if resource.terraform and place.module_copy:
        return "UNKNOWN", []  # the verdict is on the module block that calls it
    analysis = analysis_for(place.root, place.only)
    if analysis is None:
        return "UNKNOWN", []
    findings, entities = analysis.relevant(rule_id, place.rel)
    hits = matching_findings(findings, place.rel, resource, entities) if findings else []
    return ("FAILED" if hits else "PASSED"), hits


# --- resources per framework ----------------------------------------------------------------


def _entity_file(entity_path: str) -> str:
    return entity_path.split(":", 1)[0]


def _line(value: Any) -> int:
    return value if isinstance(value, int) else 0


def terraform_resource(conf: dict[str, Any], entity_path: str) -> Resource:
    address = str(conf.get("__address__", ""))
    names = {address, re.sub(r"^(module\.[^.]+\.)+", "", address)} - {""}
    start = _line(conf.get("__start_line__"))
    anchor = (start, f'"{address.rsplit(".", 1)[-1]}"') if start and "." in address else None
    return Resource(
        _entity_file(entity_path),
        frozenset(names),
        (start, _line(conf.get("__end_line__"))),
        anchor,
        terraform=True,
    )


def cloudformation_resource(conf: dict[str, Any], entity_path: str) -> Resource:
    logical_id = entity_path.rsplit(":", 1)[-1]
    props = given if isinstance(given := conf.get("Properties"), dict) else {}
    reported = str(props.get("__file__") or _entity_file(entity_path))
    start, end = _line(props.get("__startline__")), _line(props.get("__endline__"))
    # Checkov's Properties lines are one too far: __startline__ is the line after the logical id
    # (`Type`), __endline__ the next resource's logical id.
    span = (max(start - 1, 1), max(end - 1, start - 1)) if start else (0, 0)
    return Resource(reported, frozenset({logical_id}), span, (span[0], logical_id) if start else None)


def kubernetes_resource(conf: dict[str, Any], entity_path: str) -> Resource:
    meta = given if isinstance(given := conf.get("metadata"), dict) else {}
    kind, name = str(conf.get("kind", "")), str(meta.get("name", ""))
    ns = str(meta.get("namespace", "default"))
    names = {name, f"{kind}/{name}", f"{kind}.{ns}.{name}", f"{ns}/{name}"} if name else set()
    return Resource(
        _entity_file(entity_path),
        frozenset(names),
        (_line(conf.get("__startline__")), _line(conf.get("__endline__"))),
    )


def serverless_resource(conf: dict[str, Any], entity_path: str) -> Resource:
    start, end = _line(conf.get("__startline__")), _line(conf.get("__endline__"))
    span = (max(start - 1, 1), end) if start else (0, 0)  # include the function's own key line
    return Resource(str(conf.get("__file__") or _entity_file(entity_path)), frozenset(), span)


def dockerfile_resource(conf: dict[str, list[dict[str, Any]]], entity_path: str) -> Resource:
    instructions = sorted((i for items in conf.values() for i in items), key=lambda i: i.get("startline", 0))
    first = instructions[0] if instructions else None
    anchor = (
        (first["startline"] + 1, str(first["content"]).splitlines()[0].strip())
        if first and first.get("content")
        else None
    )
    return Resource(_entity_file(entity_path), frozenset(), (0, 0), anchor, instructions)


def offending_instructions(resource: Resource, hits: list[Finding]) -> list[dict[str, Any]] | None:
    """The Dockerfile instructions the findings point at (Checkov reports one result per item)."""
    lines = {f.location.line for f in hits}
    picked = [
        i
        for i in resource.dockerfile_instructions
        if any(i["startline"] + 1 <= ln <= i["endline"] + 1 for ln in lines)
    ]
    return picked or None


# --- Terraform module blocks ------------------------------------------------------------------


def module_call_name(checkov_address: str) -> str:
    """archmatch's name of a module call from Checkov's `__address__` of the `module` block:
    `orders` -> `module.orders`; in a module: `module.app.orders` -> `module.app.module.orders`."""
    head, _, name = checkov_address.rpartition(".")
    return f"{head}.module.{name}" if head else f"module.{name}"


def module_resource(conf: dict[str, Any], entity_path: str) -> Resource:
    address = str(conf.get("__address__") or entity_path.rsplit(":", 1)[-1])
    start = _line(conf.get("__start_line__"))
    anchor = (start, f'"{address.rsplit(".", 1)[-1]}"') if start else None
    span = (start, _line(conf.get("__end_line__"))) if start else (0, 0)
    return Resource(
        _entity_file(entity_path), frozenset({module_call_name(address)}), span, anchor, terraform=True
    )


def module_source(conf: dict[str, Any]) -> str | None:
    source = conf.get("source")
    value = source[0] if isinstance(source, list) and source else source
    return value if isinstance(value, str) else None


def is_local_source(source: str) -> bool:
    return source.startswith(("./", "../", "/")) or source in (".", "..")


def evaluate_module(
    rule_id: str, conf: dict[str, Any], entity_path: str, scope: Scope | None = None
) -> tuple[str, list[Finding]]:
    """The verdict of one rule on a `module` block; see the module docstring."""
    source = module_source(conf)
    if source is None or is_local_source(source):
        return "UNKNOWN", []
    from archmatch.extract.terraform_modules import module_resource_types
    from archmatch.rules import metadata

    result, hits = evaluate_resource(rule_id, module_resource(conf, entity_path), scope)
    if result == "PASSED":
        creates = module_resource_types(source)
        if creates is None or not creates & set(metadata()[rule_id].checkov_resources):
            return "UNKNOWN", []  # unknown module, or one that creates nothing this rule judges
    return result, hits


# --- registration ---------------------------------------------------------------------------


def resources_for(meta: RuleMeta, framework: str) -> list[str]:
    """Checkov entity types a rule's check registers for in one framework."""
    listed = meta.checkov_resources
    if framework == "terraform":
        return [r for r in listed if re.fullmatch(r"[a-z0-9_]+", r)]
    if framework == "cloudformation":
        return [r for r in listed if "::" in r]
    if framework == "kubernetes":
        return [r for r in listed if re.fullmatch(r"[A-Z][A-Za-z]+", r)]
    if framework == "serverless":
        return ["serverless_aws"]  # Checkov's entity for every function of an AWS service
    if framework == "dockerfile":
        return ["*"]  # one call per Dockerfile with all its instructions
    return []


def has_module_check(meta: RuleMeta) -> bool:
    """Rules that can report on a Terraform workload or capacity also check `module` blocks."""
    return "terraform" in meta.checkov_frameworks and bool(resources_for(meta, "terraform"))


def check_name(meta: RuleMeta) -> str:
    return f"{meta.title} (archmatch {meta.id})"


def failure_name(title: str, hits: list[Finding]) -> str:
    """The check name of a failed result: its title, then each finding's masked message."""
    from archmatch.safetext import one_line

    reasons = " | ".join(one_line(" ".join(f.message.split())) for f in hits)
    return f"{title}: {reasons}" if reasons else title
