"""Text that archmatch did not write, made safe to print: masked, valid, and inert.

Every output format passes the values it takes from scanned files (names, paths, messages,
evidence, parse errors) through this module:

* `mask_secrets`: the one secret masker. Values that look like credentials are censored the way
  Checkov censors them. Every pattern runs in linear time: a key is matched as a whole run of
  key characters that cannot start again inside itself, and the key's name is checked afterwards.
* `clean`: lone surrogates (from `"\\ud800"` escapes in JSON, YAML or HCL) become U+FFFD, so that no
  encoder can fail on them.
* `one_line`: masked, cleaned, with control characters, line and paragraph separators and bidi
  overrides written as visible escapes (`\\n`, `\\x1b`, `\\u2028`), so a value can never start a
  line of its own in a report.
* workflow commands: GitHub Actions runs `::command::` at the start of any log line (after
  leading whitespace) and the legacy `##[command]` anywhere in a line. `defang` neutralises the
  latter inside a value; `guard_lines` makes sure no line of a human-readable report starts with
  `::`.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from archmatch import lazyre

# Checkov's `omit_secret_value_from_line`: keep the first len//4 characters of the secret (never
# more than 6), then ten asterisks.
GENERIC_OBFUSCATION_LENGTH = 10
_MASK = "*" * GENERIC_OBFUSCATION_LENGTH

# Secrets recognisable on their own (git-secrets / Checkov families and token prefixes). Each
# starts only where the run of token characters starts (the look-behind), and runs on to its end.
_TOKEN_PATTERNS = [
    lazyre.compile(
        r"(?<![A-Za-z0-9])(?P<secret>(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])"
    ),
    lazyre.compile(r"(?<![A-Za-z0-9_])(?P<secret>gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    lazyre.compile(r"(?<![A-Za-z0-9_-])(?P<secret>glpat-[A-Za-z0-9_-]{20,})"),
    lazyre.compile(r"(?<![A-Za-z0-9_-])(?P<secret>xox[abprs]-[A-Za-z0-9-]{10,})"),
    lazyre.compile(r"(?<![A-Za-z0-9_])(?P<secret>sk_live_[A-Za-z0-9]{16,})"),
]
# A key whose name says it holds a secret: DB_PASSWORD, aws_secret_access_key, apiKey, GITHUB_TOKEN...
_SECRET_KEY_NAME = lazyre.compile(
    r"(?i)passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth"
)
_KEY_CHARS = "A-Za-z0-9_.\\-"
# KEY=value, KEY: value, "KEY": "value", KEY = "value", KEY => value (compose, HCL, JSON, shell, ARG).
# The key is a whole run of key characters (it cannot start inside another run), so each run is
# tried once. The value is matched only after the key's name says it is a secret.
_KEYED = lazyre.compile(
    rf"""(?<![{_KEY_CHARS}])["']?(?P<key>[{_KEY_CHARS}]+)["']?[ \t]*(?:=>|[=:])[ \t]*["']?"""
)
# A secret-named environment entry written as a name/value pair: ECS task definitions
# (`{"name": "DB_PASSWORD", "value": "..."}`), Kubernetes and CodeBuild YAML (`- name: X` then
# `value: ...`), CloudFormation `Name:`/`Value:`, Terraform `name = "X"` then `value = "..."`. The
# optional comma group and the whitespace run cannot share characters, so a run of blanks is read
# once per key. A value written before its name is not recognised.
_NAME_VALUE = lazyre.compile(
    rf"""(?i)(?<![{_KEY_CHARS}])["']?name["']?[ \t]*[:=][ \t]*["']?(?P<key>[{_KEY_CHARS}]+)["']?"""
    r"""(?:[ \t]*,)?\s*["']?value["']?[ \t]*[:=][ \t]*["']?"""
)
# Dockerfile `ENV KEY value` (the legacy space form), at the start of a line.
_ENV_SPACE = lazyre.compile(rf"(?im)^[ \t]*ENV[ \t]+(?P<key>[{_KEY_CHARS}]+)[ \t]+")
# A key that is part of a path (after a `/`) or a file name (`deploy-local-auth.sh: docker build`,
# archmatch's own label for a script's build) names a file, not a secret.
_FILE_EXTENSION = lazyre.compile(
    r"(?i)\.(?:sh|bash|zsh|ps1|py|js|mjs|cjs|ts|json|ya?ml|tf|tfvars|hcl|toml|ini|cfg|conf|xml|txt|md|mk)$"
)
_KEYED_VALUE = lazyre.compile(r"""[^\s"',;}\]]+""")
_ENV_VALUE = lazyre.compile(r"[^\s=]\S*")
# Credentials in a URL or an image reference: scheme://user:pass@host, user:pass@registry.example.com
_USERINFO_PATTERNS = [
    lazyre.compile(r"(?<=://)[^/\s:@]+:(?P<secret>[^@\s/]+)(?=@)"),
    lazyre.compile(
        rf"(?<![{_KEY_CHARS}/:@])[{_KEY_CHARS}]+:(?P<secret>[^@\s/:]+)"
        r"(?=@(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?:[:/]|$|\s))"
    ),
]


def mask_value(secret: str) -> str:
    """Checkov's censoring of one secret: a short prefix kept, the rest ten asterisks."""
    return secret[: min(len(secret) // 4, 6)] + _MASK


def _is_placeholder(value: str) -> bool:
    """A variable reference or an already masked value is not itself a secret."""
    return (
        value.startswith(("$", "%", "<", "{", "("))
        or "***" in value
        or value.lower() in ("true", "false", "null", "none")
    )


def _masked(m: re.Match[str]) -> str:
    secret = m.group("secret")
    if _is_placeholder(secret):
        return m.group(0)
    start, end = m.span("secret")
    base = m.start()
    whole = m.group(0)
    return whole[: start - base] + mask_value(secret) + whole[end - base :]


def _sub_keyed(key_pattern: re.Pattern[str], value_pattern: re.Pattern[str], text: str) -> str:
    """Mask the value after every secret-named key. The search resumes where the key and its
    separator end, so the text is read once (a value may itself hold `KEY=secret`)."""
    out: list[str] = []
    pos = 0
    while (m := key_pattern.search(text, pos)) is not None:
        out.append(text[pos : m.end()])
        pos = m.end()
        if not _SECRET_KEY_NAME.search(m.group("key")) or _names_a_file(text, m.start("key"), m.group("key")):
            continue
        value = value_pattern.match(text, pos)
        if value is not None:
            secret = value.group(0)
            out.append(secret if _is_placeholder(secret) else mask_value(secret))
            pos = value.end()
    out.append(text[pos:])
    return "".join(out)


def _names_a_file(text: str, start: int, key: str) -> bool:
    return (start > 0 and text[start - 1] in "/\\") or _FILE_EXTENSION.search(key) is not None


def mask_secrets(text: str) -> str:
    """The text with every value that looks like a credential censored the way Checkov does."""
    if not text:
        return text
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(_masked, text)
    text = _sub_keyed(_KEYED, _KEYED_VALUE, text)
    text = _sub_keyed(_ENV_SPACE, _ENV_VALUE, text)
    text = _sub_keyed(_NAME_VALUE, _KEYED_VALUE, text)
    for pattern in _USERINFO_PATTERNS:
        text = pattern.sub(_masked, text)
    return text


# --- valid and inert text ------------------------------------------------------------------------

_SURROGATE = lazyre.compile("[\ud800-\udfff]")
# C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates.
_UNPRINTABLE = lazyre.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LEGACY_COMMAND = "##["


def clean(text: str) -> str:
    """The text with lone surrogates replaced by U+FFFD (so it can always be encoded)."""
    return _SURROGATE.sub("\ufffd", text)


def _visible(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, keep: str = "") -> str:
    """Control characters, separators and bidi controls (except those in `keep`) as visible
    escapes (`\\n`, `\\x1b`, `\\u202e`)."""
    return _UNPRINTABLE.sub(lambda m: m.group(0) if m.group(0) in keep else _visible(m.group(0)), text)


def defang(text: str, replacement: str = "##\\[") -> str:
    """The legacy GitHub workflow command prefix `##[` made inert (the runner finds it anywhere)."""
    return text.replace(_LEGACY_COMMAND, replacement)


def one_line(text: str) -> str:
    """A value from a scanned file as one printable, masked, inert line."""
    return defang(escape_controls(mask_secrets(clean(text))))


def shown_path(path: str) -> str:
    """A path (not masked: it names a file) as one printable, inert line."""
    return defang(escape_controls(clean(path)))


# A line start (the runner splits lines on CR and LF), then whitespace, then `::`.
_COMMAND_START = lazyre.compile(r"(^|[\r\n])([^\S\r\n]*)::")


def guard_lines(text: str, colon: str = "\\:") -> str:
    """Every line that would start a GitHub workflow command made inert: its first `:` written
    as `colon` (`\\:` by default; `&#58;` keeps an XML document's value unchanged)."""
    if "::" not in text:
        return text
    return _COMMAND_START.sub(lambda m: m.group(1) + m.group(2) + colon + ":", text)


def masked_tree(value: object, keep: frozenset[str] = frozenset()) -> object:
    """A JSON-like tree with every string cleaned and masked (keys cleaned; the values of keys
    in `keep`, such as paths and URIs, cleaned only)."""
    if isinstance(value, str):
        return mask_secrets(clean(value))
    if isinstance(value, dict):
        return {
            (clean(k) if isinstance(k, str) else k): (_cleaned_tree(v) if k in keep else masked_tree(v, keep))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [masked_tree(v, keep) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_secrets(clean(str(value)))


def _cleaned_tree(value: object) -> object:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {(clean(k) if isinstance(k, str) else k): _cleaned_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned_tree(v) for v in value]
    return value


def json_inert(text: str) -> str:
    """Serialised JSON with `##[` inside strings written as `##\\u005b` (the same value)."""
    return defang(text, "##\\u005b")


def uri_reference(path: str) -> str:
    """A POSIX path as a relative URI reference: every character outside the unreserved set and
    `/` percent-encoded, so `file:`, `a b#frag?q` and `%2e%2e` stay a path (SARIF, RFC 3986)."""
    return quote(clean(path).encode("utf-8"), safe="/")


def offending(token: str, limit: int = 40) -> str:
    """The offending token of a parse error, as an error message may show it: masked, one line,
    at most `limit` characters (nothing else of the file is ever quoted)."""
    shown = one_line(token)
    return repr(shown if len(shown) <= limit else shown[:limit] + "…")
