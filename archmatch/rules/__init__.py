"""Rule registry.

Each rule is a module `archNNN_<name>.py` with its metadata beside it in `archNNN_<name>.yaml`
(validated against `rule-metadata.schema.json` by the tests): one source of truth for the CLI, the Checkov
checks, SARIF `tool.driver.rules` and the generated docs. A rule module defines
`check(facts: RepoFacts) -> Iterable[Finding]` and never reads files.

At run time the metadata is read from `metadata.json`, built from the YAML files by
`python scripts/rule_metadata.py` and committed (tests/test_rules_metadata.py fails when it is out
of date): one JSON read instead of importing PyYAML and parsing 30 files at every start-up.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded by `make`: reading metadata (the Checkov pack registering) does not need it
    from archmatch.model import Finding, RepoFacts

RULES_DIR = Path(__file__).parent
BUILT_METADATA = RULES_DIR / "metadata.json"
FAMILIES = ("dockerfile", "iac", "crossfile", "cdk")
SEVERITY_ORDER = {"style": 0, "info": 1, "warning": 2, "error": 3}
DOCS_BASE = "https://github.com/archmatch/archmatch/blob/main/docs/rules/"


@dataclass(frozen=True)
class RuleMeta:
    """A rule's metadata (from its YAML file)."""

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
    """A rule: its metadata and its check function."""

    meta: RuleMeta
    check: Callable[[RepoFacts], Iterable[Finding]]
    module: str


@functools.cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((RULES_DIR / "rule-metadata.schema.json").read_text())
    return schema


def _meta_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The RuleMeta fields of one rule's YAML metadata (as JSON values: lists, not tuples)."""
    ck = data["checkov"]
    return {
        "id": data["id"],
        "name": data["name"],
        "title": data["title"],
        "severity": data["severity"],
        "family": data["family"],
        "message": data["message"],
        "rationale": data["rationale"].strip(),
        "fix": data["fix"].strip(),
        "example": data["example"],
        "checkov_id": ck["id"],
        "checkov_frameworks": list(ck["frameworks"]),
        "checkov_resources": list(ck.get("resources", ())),
        "yaml_policy": bool(ck.get("yaml_policy", False)),
        "not_caught": data.get("not_caught", "").strip(),
        "tags": list(data.get("tags", ())),
        "references": list(data.get("references", ())),
    }


def _meta(fields: dict[str, Any]) -> RuleMeta:
    tuples = ("checkov_frameworks", "checkov_resources", "tags", "references")
    values: dict[str, Any] = {k: tuple(v) if k in tuples else v for k, v in fields.items()}
    return RuleMeta(**values)


def load_meta(path: Path) -> RuleMeta:
    """The metadata of one rule, read from its YAML file (the tests and the metadata build)."""
    import yaml  # only here: a scan reads the built metadata.json

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # validated against the schema by tests/test_rules_metadata.py, not at every start-up
    return _meta(_meta_fields(yaml.load(path.read_text(), Loader=loader)))  # noqa: S506 - a safe loader


def _family_files(family: str, rules_dir: Path = RULES_DIR) -> list[tuple[str, Path]]:
    """(module name, metadata path) of every rule of a family."""
    import pkgutil  # here: only the tests and the metadata build list the rule modules (start-up time)

    folder = rules_dir / family
    out = []
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        meta_path = folder / f"{info.name}.yaml"
        if not meta_path.exists():
            raise RuntimeError(f"rule module {family}/{info.name}.py has no {meta_path.name}")
        out.append((info.name, meta_path))
    return out


def build_metadata(rules_dir: Path = RULES_DIR) -> str:
    """The text of `metadata.json`: {family: [[module name, RuleMeta fields], ...]}, from the YAML."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    built: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for family in FAMILIES:
        built[family] = []
        for name, meta_path in _family_files(family, rules_dir):
            fields = _meta_fields(yaml.load(meta_path.read_text(), Loader=loader))  # noqa: S506 - a safe loader
            if fields["family"] != family:
                raise RuntimeError(f"{fields['id']}: family {fields['family']!r} but lives in {family}/")
            built[family].append((name, fields))
    return json.dumps(built, indent=1, ensure_ascii=False) + "\n"


@functools.cache
def _built() -> dict[str, list[tuple[str, dict[str, Any]]]]:
    built: dict[str, list[tuple[str, dict[str, Any]]]] = json.loads(
        BUILT_METADATA.read_text(encoding="utf-8")
    )
    return built


@functools.cache
def family_metadata(family: str) -> tuple[tuple[str, RuleMeta], ...]:
    """(module name, metadata) of the rules of one family, in module-name order."""
    return tuple((name, _meta(fields)) for name, fields in _built()[family])


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
    from archmatch.model import Finding

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
