"""Rule registry.

Each rule is a module `archNNN_<name>.py` with its metadata beside it in `archNNN_<name>.yaml`
(validated against `rule-metadata.schema.json` by the tests): one source of truth for the CLI, the Checkov
checks, SARIF `tool.driver.rules` and the generated docs. A rule module defines
`check(facts: RepoFacts) -> Iterable[Finding]` and never reads files.
"""

from __future__ import annotations

import functools
import importlib
import json
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from archmatch.model import Finding, RepoFacts

RULES_DIR = Path(__file__).parent
FAMILIES = ("dockerfile", "iac", "crossfile", "cdk")
SEVERITY_ORDER = {"style": 0, "info": 1, "warning": 2, "error": 3}
DOCS_BASE = "https://github.com/archmatch/archmatch/blob/main/docs/rules/"


@dataclass(frozen=True)
class RuleMeta:
    id: str
    name: str
    title: str
    severity: str
    family: str
    message: str
    rationale: str
    fix: str
    example: dict[str, str]
    checkov_id: str
    checkov_frameworks: tuple[str, ...]
    checkov_resources: tuple[str, ...]
    yaml_policy: bool
    not_caught: str = ""
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    @property
    def help_uri(self) -> str:
        return f"{DOCS_BASE}{self.id}.md"

    @property
    def in_checkov(self) -> bool:
        """True when Checkov reports this rule (a check exists for at least one framework); the
        Checkov id of a rule that Checkov never reports is not shown anywhere."""
        return any(fw != "none" for fw in self.checkov_frameworks)


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    check: Callable[[RepoFacts], Iterable[Finding]]
    module: str


_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((RULES_DIR / "rule-metadata.schema.json").read_text())
    return schema


def load_meta(path: Path) -> RuleMeta:
    # validated against the schema by tests/test_rules_metadata.py, not at every start-up
    data = yaml.load(path.read_text(), Loader=_YamlLoader)  # noqa: S506 - a safe loader
    ck = data["checkov"]
    return RuleMeta(
        id=data["id"],
        name=data["name"],
        title=data["title"],
        severity=data["severity"],
        family=data["family"],
        message=data["message"],
        rationale=data["rationale"].strip(),
        fix=data["fix"].strip(),
        example=data["example"],
        checkov_id=ck["id"],
        checkov_frameworks=tuple(ck["frameworks"]),
        checkov_resources=tuple(ck.get("resources", ())),
        yaml_policy=bool(ck.get("yaml_policy", False)),
        not_caught=data.get("not_caught", "").strip(),
        tags=tuple(data.get("tags", ())),
        references=tuple(data.get("references", ())),
    )


def _family_files(family: str) -> list[tuple[str, Path]]:
    """(module name, metadata path) of every rule of a family."""
    folder = RULES_DIR / family
    out = []
    for info in pkgutil.iter_modules([str(folder)]):
        if info.name.startswith("_"):
            continue
        meta_path = folder / f"{info.name}.yaml"
        if not meta_path.exists():
            raise RuntimeError(f"rule module {family}/{info.name}.py has no {meta_path.name}")
        out.append((info.name, meta_path))
    return out


@functools.cache
def family_metadata(family: str) -> tuple[tuple[str, RuleMeta], ...]:
    found = []
    for name, meta_path in _family_files(family):
        meta = load_meta(meta_path)
        if meta.family != family:
            raise RuntimeError(f"{meta.id}: family {meta.family!r} but lives in {family}/")
        found.append((name, meta))
    return tuple(found)


@functools.cache
def family_rules(family: str) -> tuple[Rule, ...]:
    """The rules of one family, importing only their modules (`archmatch dockerfile` needs one)."""
    package = f"{__name__}.{family}"
    rules = [
        Rule(meta, importlib.import_module(f"{package}.{name}").check, f"{package}.{name}")
        for name, meta in family_metadata(family)
    ]
    return tuple(sorted(rules, key=lambda r: r.meta.id))


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    rules = sorted((r for family in FAMILIES for r in family_rules(family)), key=lambda r: r.meta.id)
    ids = [r.meta.id for r in rules]
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"duplicate rule ids: {ids}")
    return tuple(rules)


@functools.cache
def metadata() -> dict[str, RuleMeta]:
    """Every rule's metadata, read without importing the rule modules."""
    return {meta.id: meta for family in FAMILIES for _, meta in family_metadata(family)}


def make(rule_id: str, location: Any, entity: str, **fields: Any) -> Finding:
    """A finding whose message is the rule's template filled with `fields`.

    Keyword-only extras `related`, `fixes`, `properties` and `subject` are passed to the Finding.
    """
    related = fields.pop("related", ())
    fixes = fields.pop("fixes", ())
    properties = fields.pop("properties", {})
    subject = fields.pop("subject", None)
    meta = metadata()[rule_id]
    return Finding(
        rule_id=rule_id,
        message=meta.message.format(**fields),
        location=location,
        entity=entity,
        related=tuple(related),
        fixes=tuple(fixes),
        properties=dict(properties),
        subject=subject,
    )
