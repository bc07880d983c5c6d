"""Rule fixture cases, how a case is scanned, and the text snapshot of its findings.

A case is a file or a folder under tests/fixtures/rules/<RULE>/ (sidecar `<file>.expect` files
are not cases). Its snapshot, tests/snapshots/rules/<RULE>/<case>.snap, holds every finding the
scan reports (rule, severity, location, entity, message, subject, related locations, properties,
fixes with their edits and diffs) and every diagnostic, one block per finding: reviewed like code.
"""

from __future__ import annotations

import json
from pathlib import Path

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.model import Finding, Location
from archmatch.results import ScanResult

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures" / "rules"
SNAPSHOTS = TESTS / "snapshots" / "rules"
# a passing case fails on any of these: the input did not reach the rules as written
INPUT_PROBLEMS = frozenset({"input", "parse", "limit", "internal"})


def cases() -> list[Path]:
    return sorted(
        p
        for rule_dir in FIXTURES.iterdir()
        if rule_dir.is_dir()
        for p in rule_dir.iterdir()
        if not p.name.endswith(".expect")
    )


def case_id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


def is_passing(case: Path) -> bool:
    return case.name.startswith(("pass", "good"))


def scan_case(case: Path) -> ScanResult:
    """Scan a case the way a user would from its folder (cwd must be the case root)."""
    target = Path(".") if case.is_dir() else Path(case.name)
    return scan([target], Config())


def snapshot_path(case: Path) -> Path:
    return SNAPSHOTS / case.parent.name / f"{case.name}.snap"


def _where(loc: Location) -> str:
    text = f"{loc.path}:{loc.line}"
    if loc.column or loc.end_line or loc.end_column:
        text += f":{loc.column}-{loc.end_line}:{loc.end_column}"
    return text


def _block(label: str, text: str, indent: str) -> list[str]:
    """`label: text`, continuation lines indented so that a multi-line text stays readable."""
    first, *rest = text.split("\n")
    return [f"{indent}{label}: {first}".rstrip(), *(f"{indent}  | {line}".rstrip() for line in rest)]


def _finding(f: Finding) -> list[str]:
    out = [f"{f.rule_id} {f.severity} at {_where(f.location)} entity={f.entity}"]
    out += _block("message", f.message, "  ")
    if f.subject is not None:
        out.append(f"  subject: {_where(f.subject)}")
    for rel in f.related:
        out += _block(f"related {_where(rel.location)}", rel.message, "  ")
    for key, value in sorted(f.properties.items()):
        out.append(f"  property {key}: {json.dumps(value, sort_keys=True)}")
    for fix in f.fixes:
        out += _block(f"fix ({fix.applicability.value})", fix.description, "  ")
        for edit in fix.edits:
            out.append(f"    edit {_where(edit.location)}: {json.dumps(edit.text)}")
        if fix.diff:
            out += _block("diff", "\n" + fix.diff.rstrip("\n"), "    ")
    return out


def render(result: ScanResult) -> str:
    """The snapshot text of one scan: findings in output order, then diagnostics."""
    blocks = ["\n".join(_finding(f)) for f in result.findings]
    blocks += [
        "\n".join(_block(f"diagnostic {d.level} {d.code} at {_where(d.location)}", d.message, ""))
        for d in sorted(result.diagnostics)
    ]
    return "\n\n".join(blocks) + "\n" if blocks else "no findings, no diagnostics\n"
