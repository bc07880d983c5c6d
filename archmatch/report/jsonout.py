"""Machine-readable JSON: findings, diagnostics and the workload/build/link inventory."""

from __future__ import annotations

import json
from typing import Any

from archmatch import __version__
from archmatch.engine import ScanResult
from archmatch.model import Location
from archmatch.report.common import fingerprints, mask_secrets


def _loc(loc: Location) -> dict[str, Any]:
    return {"path": loc.path, "line": loc.line, "column": loc.column}


def as_dict(result: ScanResult) -> dict[str, Any]:
    prints = fingerprints(result.findings)
    return {
        "tool": "archmatch",
        "version": __version__,
        "findings": [
            {
                "rule": f.rule_id,
                "severity": f.severity,
                "message": mask_secrets(f.message),
                "location": _loc(f.location),
                "entity": mask_secrets(f.entity),
                "related": [{"location": _loc(r.location), "message": mask_secrets(r.message)} for r in f.related],
                "fixes": [{"description": mask_secrets(x.description), "diff": mask_secrets(x.diff)} for x in f.fixes],
                "properties": f.properties,
                "fingerprint": fp,
            }
            for f, fp in zip(result.findings, prints, strict=True)
        ],
        "diagnostics": [
            {"location": _loc(d.location), "level": d.level, "code": d.code, "message": mask_secrets(d.message)}
            for d in result.diagnostics
        ],
        "summary": {
            "files_scanned": result.files_scanned,
            "findings": len(result.findings),
            "suppressed": result.suppressed,
        },
    }


def render(result: ScanResult) -> str:
    return json.dumps(as_dict(result), indent=2, ensure_ascii=False, default=str) + "\n"
