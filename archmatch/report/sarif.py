"""SARIF 2.1.0 output that GitHub code scanning accepts.

Notes that shaped this (see docs/integrations.md): GitHub computes `primaryLocationLineHash`
itself, so our fingerprint lives under `archmatch/v1`; URIs stay relative to the directory the
scan ran from, even though `uriBaseId` is also set, and are percent-encoded relative references
(a folder named `file:` or `a b#frag?q` stays a path). Results and notifications are cleaned and
masked as a whole by `archmatch.safetext.masked_tree`.
"""

from __future__ import annotations

import json
from typing import Any

from archmatch import __version__
from archmatch.model import Applicability, Diagnostic, Finding, Fix, Location
from archmatch.report.common import SECURITY_SEVERITY, SEVERITY_TO_SARIF, fingerprints
from archmatch.report.docs import rule_markdown
from archmatch.results import ScanResult
from archmatch.rules import RuleMeta, all_rules
from archmatch.safetext import json_inert, masked_tree, uri_reference

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFO_URI = "https://github.com/archmatch/archmatch"
SRCROOT = "%SRCROOT%"
_URI_KEYS = frozenset({"uri", "uriBaseId"})


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def sarif_rule(meta: RuleMeta, level: str | None = None) -> dict[str, Any]:
    return {
        "id": meta.id,
        "name": _pascal(meta.name),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.rationale},
        "help": {"text": f"{meta.rationale}\n\nFix: {meta.fix}", "markdown": rule_markdown(meta)},
        "helpUri": meta.help_uri,
        "defaultConfiguration": {"level": SEVERITY_TO_SARIF[level or meta.severity]},
        "properties": {
            "tags": sorted({"architecture", "docker", meta.family, *meta.tags})[:20],
            "precision": "high" if meta.severity == "error" else "medium",
            "problem.severity": {"error": "error", "warning": "warning"}.get(meta.severity, "recommendation"),
            "security-severity": SECURITY_SEVERITY[meta.severity],
            **({"checkov-id": meta.checkov_id} if meta.in_checkov else {}),
        },
    }


def _region(loc: Location) -> dict[str, Any] | None:
    if loc.line <= 0:
        return None
    region: dict[str, Any] = {"startLine": loc.line}
    if loc.column > 0:
        region["startColumn"] = loc.column
    if loc.end_line >= loc.line:
        region["endLine"] = loc.end_line
        if loc.end_column > 0:
            region["endColumn"] = loc.end_column + 1  # ours is inclusive, SARIF's is exclusive
    return region


def _physical(loc: Location) -> dict[str, Any]:
    phys: dict[str, Any] = {"artifactLocation": {"uri": uri_reference(loc.path), "uriBaseId": SRCROOT}}
    region = _region(loc)
    if region:
        phys["region"] = region
    return phys


def _fix(fix: Fix) -> dict[str, Any] | None:
    by_path: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        loc = edit.location
        if loc.line <= 0:
            continue
        deleted: dict[str, Any] = {"startLine": loc.line}
        if loc.column > 0:
            deleted["startColumn"] = loc.column
            deleted["endLine"] = loc.end_line or loc.line
            deleted["endColumn"] = (loc.end_column or loc.column) + 1  # SARIF end columns are exclusive
        elif loc.end_line >= loc.line:
            deleted["endLine"] = loc.end_line
        else:  # insertion before `line`: an empty region at its start
            deleted["startColumn"] = 1
            deleted["endColumn"] = 1
            deleted["endLine"] = loc.line
        by_path.setdefault(loc.path, []).append(
            {"deletedRegion": deleted, "insertedContent": {"text": edit.text}}
        )
    if not by_path:
        return None
    return {
        "description": {"text": fix.description},
        # safe: applies without review; unsafe: also changes something beyond the finding
        "properties": {"applicability": fix.applicability.value},
        "artifactChanges": [
            {"artifactLocation": {"uri": uri_reference(path), "uriBaseId": SRCROOT}, "replacements": reps}
            for path, reps in sorted(by_path.items())
        ],
    }


def _result(f: Finding, rule_index: dict[str, int], fingerprint: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index[f.rule_id],
        "level": SEVERITY_TO_SARIF.get(f.severity, "warning"),
        "message": {"text": f.message},
        "locations": [{"physicalLocation": _physical(f.location)}],
        "partialFingerprints": {"archmatch/v1": fingerprint},
    }
    if f.related:
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": _physical(r.location), "message": {"text": r.message}}
            for i, r in enumerate(f.related, start=1)
        ]
    fixes = [fx for fx in (_fix(x) for x in f.fixes) if fx]
    if fixes:
        result["fixes"] = fixes
    props = {k: v for k, v in sorted(f.properties.items())}
    props["severity"] = f.severity
    props["entity"] = f.entity
    if f.fixes:
        props["fixSummary"] = f.fixes[0].description
        props["fixApplicability"] = f.fixes[0].applicability.value
    advice = [x.description for x in f.fixes if x.applicability is Applicability.DISPLAY_ONLY]
    if advice:  # display-only fixes have no `fixes` entry: their text is kept here
        props["displayOnlyFixes"] = advice
    result["properties"] = props
    return result


def _notification(d: Diagnostic) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": d.level if d.level in ("error", "warning", "note") else "warning",
        "message": {"text": d.message.splitlines()[0] if d.code != "internal" else d.message},
        "descriptor": {"id": f"archmatch/{d.code}"},
    }
    if d.location.path and d.location.path != ".":
        note["locations"] = [{"physicalLocation": _physical(d.location)}]
    return note


def sarif_log(result: ScanResult, overrides: dict[str, str] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    metas = [r.meta for r in all_rules()]
    rule_index = {m.id: i for i, m in enumerate(metas)}
    prints = fingerprints(result.findings)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "archmatch",
                "semanticVersion": __version__,
                "version": __version__,
                "informationUri": INFO_URI,
                "rules": [sarif_rule(m, overrides.get(m.id)) for m in metas],
            }
        },
        "automationDetails": {"id": "archmatch/"},
        "originalUriBaseIds": {
            SRCROOT: {
                "description": {"text": "The directory archmatch ran from (the repository root in CI)."}
            }
        },
        "invocations": [
            {
                "executionSuccessful": not any(d.code == "internal" for d in result.diagnostics),
                "toolExecutionNotifications": masked_tree(
                    [_notification(d) for d in result.diagnostics], _URI_KEYS
                ),
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": masked_tree(
            [_result(f, rule_index, fp) for f, fp in zip(result.findings, prints, strict=True)], _URI_KEYS
        ),
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: ScanResult, overrides: dict[str, str] | None = None) -> str:
    return json_inert(json.dumps(sarif_log(result, overrides), indent=2, ensure_ascii=False)) + "\n"
