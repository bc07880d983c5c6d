"""Machine-readable JSON: findings, diagnostics and the workload/build/link inventory.

Every string is cleaned and masked (paths cleaned only) by `archmatch.safetext.masked_tree`.
"""

from __future__ import annotations

import json
from typing import Any

from archmatch import __version__
from archmatch.model import Location
from archmatch.report.common import fingerprints
from archmatch.results import ScanResult
from archmatch.safetext import json_inert, masked_tree


def _loc(loc: Location) -> dict[str, Any]:
    return {"path": loc.path, "line": loc.line, "column": loc.column}


def as_dict(result: ScanResult) -> dict[str, Any]:
    prints = fingerprints(result.findings)
    raw = {
        "tool": "archmatch",
        "version": __version__,
        "findings": [
            {
                "rule": f.rule_id,
                "severity": f.severity,
                "message": f.message,
                "location": _loc(f.location),
                "entity": f.entity,
                "related": [{"location": _loc(r.location), "message": r.message} for r in f.related],
                "fixes": [
                    {"description": x.description, "diff": x.diff, "applicability": x.applicability.value}
                    for x in f.fixes
                ],
                "properties": f.properties,
                "fingerprint": fp,
            }
            for f, fp in zip(result.findings, prints, strict=True)
        ],
        "diagnostics": [
            {"location": _loc(d.location), "level": d.level, "code": d.code, "message": d.message}
            for d in result.diagnostics
        ],
        "summary": {
            "files_scanned": result.files_scanned,
            "findings": len(result.findings),
            "suppressed": result.suppressed,
        },
    }
    return masked_tree(raw, keep=frozenset({"path"}))  # type: ignore[return-value]


def render(result: ScanResult) -> str:
    return json_inert(json.dumps(as_dict(result), indent=2, ensure_ascii=False, default=str)) + "\n"
