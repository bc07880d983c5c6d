"""Helpers shared by every output format: secret masking and stable fingerprints."""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from archmatch.model import Finding

SEVERITY_TO_SARIF = {"error": "error", "warning": "warning", "info": "note", "style": "note"}
SECURITY_SEVERITY = {"error": "7.0", "warning": "5.0", "info": "3.0", "style": "1.0"}

# Values that look like credentials, masked the way Checkov masks secrets: keep a short prefix.
_SECRET_PATTERNS = [
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
    re.compile(r"(?i)\b(?:password|passwd|secret|token|api[_-]?key|access[_-]?key)\b\s*[=:]\s*[\"']?([^\s\"',;]{4,})"),
    re.compile(r"(?<=://)[^/\s:@]+:([^@\s/]+)(?=@)"),
]


def _mask_match(m: re.Match[str]) -> str:
    whole = m.group(0)
    if m.re.groups and m.group(1) and len(m.group(1)) >= 4:
        return whole.replace(m.group(1), m.group(1)[:2] + "*" * 8)
    return whole[:4] + "*" * 8


def mask_secrets(text: str) -> str:
    if not text:
        return text
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_mask_match, text)
    return text


def fingerprints(findings: list[Finding]) -> list[str]:
    """Stable per-finding ids: rule + path + logical entity, not line numbers, so shifts don't churn."""
    counts: Counter[str] = Counter()
    out = []
    for f in findings:
        base = f"{f.rule_id}|{f.location.path}|{f.entity}"
        counts[base] += 1
        out.append(hashlib.sha256(f"{base}|{counts[base]}".encode()).hexdigest()[:32])
    return out
