"""Helpers shared by every output format: severities and stable fingerprints (masking and
escaping of values from scanned files: `archmatch.safetext`)."""

from __future__ import annotations

from collections import Counter

from archmatch.model import Finding, Location
from archmatch.safetext import shown_path

SEVERITY_TO_SARIF = {"error": "error", "warning": "warning", "info": "note", "style": "note"}
SECURITY_SEVERITY = {"error": "7.0", "warning": "5.0", "info": "3.0", "style": "1.0"}


def fingerprints(findings: list[Finding]) -> list[str]:
    """Stable per-finding ids: rule + path + logical entity, not line numbers, so shifts don't churn."""
    import hashlib  # only the formats with fingerprints pay for loading OpenSSL (start-up time)

    counts: Counter[str] = Counter()
    out = []
    for f in findings:
        base = f"{f.rule_id}|{f.location.path}|{f.entity}"
        counts[base] += 1
        out.append(hashlib.sha256(f"{base}|{counts[base]}".encode("utf-8", "surrogatepass")).hexdigest()[:32])
    return out


def shown_location(loc: Location) -> str:
    """`path:line` for a human-readable report, the path made printable and inert."""
    path = shown_path(loc.path)
    return f"{path}:{loc.line}" if loc.line else path
