"""Helpers shared by every output format: secret masking and stable fingerprints."""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from archmatch.model import Finding

SEVERITY_TO_SARIF = {"error": "error", "warning": "warning", "info": "note", "style": "note"}
SECURITY_SEVERITY = {"error": "7.0", "warning": "5.0", "info": "3.0", "style": "1.0"}

# Secret masking mirrors Checkov's `omit_secret_value_from_line` (checkov/common/util/secrets.py):
# keep the first len//4 characters of the secret (never more than 6), then ten asterisks.
GENERIC_OBFUSCATION_LENGTH = 10
_MASK = "*" * GENERIC_OBFUSCATION_LENGTH

# Secrets recognisable on their own (the git-secrets / Checkov families, plus token prefixes).
_TOKEN_PATTERNS = [
    re.compile(r"(?<![A-Za-z0-9])(?P<secret>(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])"),
    re.compile(r"(?<![A-Za-z0-9_])(?P<secret>gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    re.compile(r"(?<![A-Za-z0-9_])(?P<secret>glpat-[A-Za-z0-9_-]{20,})"),
    re.compile(r"(?<![A-Za-z0-9_])(?P<secret>xox[abprs]-[A-Za-z0-9-]{10,})"),
    re.compile(r"(?<![A-Za-z0-9_])(?P<secret>sk_live_[A-Za-z0-9]{16,})"),
]
# A key whose name says it holds a secret: DB_PASSWORD, aws_secret_access_key, apiKey, GITHUB_TOKEN...
_KEY = r"[A-Za-z0-9_.-]*(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)[A-Za-z0-9_.-]*"
_VALUE = r"""[^\s"',;}\]]+"""
_KEYED_PATTERNS = [
    # KEY=value, KEY: value, "KEY": "value", KEY = "value", KEY => value (compose, HCL, JSON, shell, ARG)
    re.compile(rf"""(?i)(?<![A-Za-z0-9_])["']?{_KEY}["']?\s*(?:=>|[=:])\s*["']?(?P<secret>{_VALUE})"""),
    # Dockerfile `ENV KEY value` (the legacy space form)
    re.compile(rf"(?im)^\s*ENV\s+{_KEY}[ \t]+(?P<secret>[^\s=]\S*)"),
]
# Credentials in a URL or an image reference: scheme://user:pass@host, user:pass@registry.example.com
_USERINFO_PATTERNS = [
    re.compile(r"(?<=://)[^/\s:@]+:(?P<secret>[^@\s/]+)(?=@)"),
    re.compile(r"(?<![A-Za-z0-9_./:@-])[A-Za-z0-9_.-]+:(?P<secret>[^@\s/:]+)(?=@(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?:[:/]|$|\s))"),
]
_SECRET_PATTERNS = [*_TOKEN_PATTERNS, *_KEYED_PATTERNS, *_USERINFO_PATTERNS]


def mask_value(secret: str) -> str:
    """Checkov's censoring of one secret: a short prefix kept, the rest ten asterisks."""
    return secret[: min(len(secret) // 4, 6)] + _MASK


def _is_placeholder(value: str) -> bool:
    """A variable reference or an already masked value is not itself a secret."""
    return value.startswith(("$", "%", "<", "{", "(")) or "***" in value or value.lower() in ("true", "false", "null", "none")


def _mask_match(m: re.Match[str]) -> str:
    secret = m.group("secret")
    if _is_placeholder(secret):
        return m.group(0)
    start, end = m.span("secret")
    base = m.start()
    whole = m.group(0)
    return whole[: start - base] + mask_value(secret) + whole[end - base :]


def mask_secrets(text: str) -> str:
    """The text with every value that looks like a credential censored the way Checkov does."""
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
