"""Render lint results in Hadolint 2.15.1's output formats, byte for byte.

Each renderer mirrors what the real ``hadolint -f <fmt>`` binary writes (checked against
2.15.1 by ``tests/test_hadolint_formats.py``). Two things are easy to get wrong:

* JSON is written as Haskell's aeson writes it: keys sorted, no spaces, UTF-8 left
  unescaped, and control characters other than \\n \\r \\t written as ``\\u00XX``.
* XML is written as Haskell's xml-conduit writes it: attributes sorted by name, empty
  elements self-closed, ``"`` escaped only in attributes and ``>`` only in text.

Hadolint writes its own name in a few places. There we write ``tool_name`` (and
``tool_version``) instead. Everything else stays as Hadolint has it, except for values no
well-formed input produces: file names and messages are cleaned and masked
(``archmatch.safetext``); tty and gnu lines hold no control character; XML holds no character
XML 1.0 forbids; SARIF URIs are percent-encoded; and no output can carry a GitHub workflow command.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from archmatch import lazyre
from archmatch.safetext import (
    clean,
    defang,
    escape_controls,
    guard_lines,
    json_inert,
    mask_secrets,
    uri_reference,
)


@dataclass(frozen=True)
class LintRecord:
    """One line of a Hadolint-format report."""

    file: str  # path as given on the command line
    line: int  # 1-based
    column: int  # 1-based (hadolint uses 1 when unknown)
    code: str  # e.g. "ARCH101" or "DL3029"
    level: str  # "error" | "warning" | "info" | "style"
    message: str
    help_uri: str = ""  # optional; only SARIF has a place for it (driver.rules[].helpUri)


FORMATS: tuple[str, ...] = (
    "tty",
    "json",
    "checkstyle",
    "codeclimate",
    "gitlab_codeclimate",
    "gnu",
    "sarif",
    "junit",
    "sonarqube",
    "codacy",
)
LEVELS = ("error", "warning", "info", "style")

_TTY_COLOUR = {
    "error": "\x1b[1m\x1b[91m",
    "warning": "\x1b[1m\x1b[93m",
    "info": "\x1b[92m",
    "style": "\x1b[96m",
}
_CODECLIMATE_SEVERITY = {"error": "blocker", "warning": "major", "info": "info", "style": "minor"}
_SONAR_SEVERITY = {"error": "CRITICAL", "warning": "MAJOR", "info": "MINOR", "style": "INFO"}
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note", "style": "note"}


# --- low-level writers ---------------------------------------------------------------------


def _aeson(value: Any) -> str:
    """JSON laid out the way aeson writes it (sorted keys, compact, raw UTF-8)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Python writes \b and \f; aeson writes them as \u0008 and \u000c. Scanning escape pairs
    # left to right keeps an escaped backslash followed by "b" ("\\b") untouched.
    return re.sub(r"\\(.)", lambda m: {"b": "\\u0008", "f": "\\u000c"}.get(m[1], m[0]), text)


# Characters XML 1.0 cannot hold: written as visible escapes (`\x01`).
_NOT_XML = lazyre.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Line breaks in an attribute would be normalised to spaces by any XML reader (Hadolint writes
# tabs raw, and so do we).
_ATTR_BREAKS = {"\n": "&#10;", "\r": "&#13;"}


def _xml_valid(value: str) -> str:
    return _NOT_XML.sub(lambda m: escape_controls(m.group(0)), value)


def _xml_attr(value: str) -> str:
    value = _xml_valid(value).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return re.sub("[\n\r]", lambda m: _ATTR_BREAKS[m.group(0)], value)


def _xml_text(value: str) -> str:
    return (
        _xml_valid(value)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", "&#13;")
    )


def _xml_inert(document: str) -> str:
    """The same XML document, unable to start or hold a GitHub workflow command."""
    return guard_lines(document.replace("##[", "##&#91;"), "&#58;")


def _one_line(value: str) -> str:
    return defang(escape_controls(value, keep="\t"))  # Hadolint writes tabs as they are


def _xml(tag: str, attrs: dict[str, str], inner: str = "") -> str:
    """One element, laid out the way xml-conduit renders it."""
    head = tag + "".join(f' {k}="{_xml_attr(v)}"' for k, v in sorted(attrs.items()))
    return f"<{head}>{inner}</{tag}>" if inner else f"<{head}/>"


_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>'


# --- one function per format ---------------------------------------------------------------


def _tty(records: list[LintRecord], color: bool) -> str:
    def level(r: LintRecord) -> str:
        return f"{_TTY_COLOUR[r.level]}{r.level}\x1b[0m" if color else r.level

    return "".join(
        f"{_one_line(r.file)}:{r.line} {r.code} {level(r)}: {_one_line(r.message)}\n" for r in records
    )


def _gnu(records: list[LintRecord], tool_name: str) -> str:
    return "".join(
        f"{tool_name}:{_one_line(r.file)}:{r.line}: {r.code} {r.level}: {_one_line(r.message)}\n"
        for r in records
    )


def _json(records: list[LintRecord]) -> str:
    return _aeson(
        [
            {
                "code": r.code,
                "column": r.column,
                "file": r.file,
                "level": r.level,
                "line": r.line,
                "message": r.message,
            }
            for r in records
        ]
    )


def _codeclimate_issue(r: LintRecord) -> dict[str, Any]:
    return {
        "type": "issue",
        "check_name": r.code,
        "description": r.message,
        "categories": ["Bug Risk"],
        "location": {"path": r.file, "lines": {"begin": r.line, "end": r.line}},
        "severity": _CODECLIMATE_SEVERITY[r.level],
    }


def _codeclimate(records: list[LintRecord]) -> str:
    # Code Climate engine spec: every issue is followed by a NUL byte.
    return "".join(_aeson(_codeclimate_issue(r)) + "\0" for r in records)


def _gitlab_codeclimate(records: list[LintRecord]) -> str:
    import hashlib  # only this format pays for loading OpenSSL (start-up time)

    issues = []
    for r in records:
        issue = _codeclimate_issue(r)
        # Hadolint's fingerprint: SHA-1 of the issue's own JSON encoding, before the field is added.
        issue["fingerprint"] = hashlib.sha1(_aeson(issue).encode()).hexdigest()
        issues.append(issue)
    return _aeson(issues)


def _codacy(records: list[LintRecord]) -> str:
    # Hadolint 2.15.1 writes the objects back to back, with no separator at all.
    return "".join(
        _aeson({"filename": r.file, "line": r.line, "message": r.message, "patternId": r.code})
        for r in records
    )


def _sonarqube(records: list[LintRecord], tool_name: str) -> str:
    return _aeson(
        {
            "issues": [
                {
                    "engineId": tool_name,
                    "ruleId": r.code,
                    "severity": _SONAR_SEVERITY[r.level],
                    "type": "BUG" if r.level == "error" else "CODE_SMELL",
                    "primaryLocation": {
                        "message": r.message,
                        "filePath": r.file,
                        # SonarQube columns are 0-based; Hadolint writes 0..1 for its column 1.
                        "textRange": {
                            "startLine": r.line,
                            "endLine": r.line,
                            "startColumn": r.column - 1,
                            "endColumn": r.column,
                        },
                    },
                }
                for r in records
            ]
        }
    )


def _checkstyle(records: list[LintRecord], files: list[str]) -> str:
    body = "".join(
        _xml(
            "file",
            {"name": f},
            "".join(
                _xml(
                    "error",
                    {
                        "line": str(r.line),
                        "column": str(r.column),
                        "severity": r.level,
                        "message": r.message,
                        "source": r.code,
                    },
                )
                for r in records
                if r.file == f
            ),
        )
        for f in files
    )
    return _XML_DECL + _xml("checkstyle", {"version": "4.3"}, body)


def _junit(records: list[LintRecord], files: list[str], tool_name: str, tool_version: str) -> str:
    def testcase(r: LintRecord) -> str:
        text = (
            f"File: {r.file}\nLine: {r.line}\n"
            f"Category: {tool_name} - Dockerfile Static Analysis\n{r.level}: {r.message}\n"
        )
        failure = _xml("failure", {"id": r.code, "message": r.message, "type": r.level}, _xml_text(text))
        return _xml("testcase", {"id": f"{tool_name}.rule.{r.code}", "time": "0.001"}, failure)

    suites = ""
    for f in files:
        cases = [testcase(r) for r in records if r.file == f]
        suites += _xml(
            "testsuite",
            {
                "id": tool_name,
                "name": f"{tool_name} {tool_version}".strip(),
                "time": "0.001",
                "failures": str(len(cases)),
                "errors": "0",
            },
            "".join(cases),
        )
    # Hadolint writes the wall-clock time here: id="%Y%m%d_%H%M%S" and
    # name="Hadolint run at %Y-%m-%d %H:%M:%S". Output must be byte-identical across runs,
    # so the timestamp is left out: no id, and the name without " at <time>".
    return _XML_DECL + _xml("testsuites", {"name": f"{tool_name} run", "time": "0.001"}, suites)


def _sarif(
    records: list[LintRecord], tool_name: str, tool_version: str, rules: list[dict[str, Any]] | None
) -> str:
    # Hadolint also writes fullName/downloadUri/shortDescription describing Hadolint itself;
    # those would be false for another tool, so the driver carries only name and version.
    driver: dict[str, Any] = {"name": tool_name}
    if tool_version:
        driver["version"] = tool_version
    if rules is not None:
        help_uris = {r.code: r.help_uri for r in records if r.help_uri}
        driver["rules"] = []
        for rule in rules:
            entry: dict[str, Any] = {
                "id": rule["id"],
                "name": rule.get("name") or rule["id"],
                "shortDescription": {"text": rule.get("shortDescription", "")},
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.get("level", "warning")]},
            }
            help_uri = rule.get("helpUri") or help_uris.get(rule["id"], "")
            if help_uri:
                entry["helpUri"] = help_uri
            driver["rules"].append(entry)
    results = [
        {
            "ruleId": r.code,
            "level": _SARIF_LEVEL[r.level],
            "message": {"text": r.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_reference(r.file)},
                        "region": {
                            "startLine": r.line,
                            "endLine": r.line,
                            "startColumn": r.column,
                            "endColumn": r.column,
                            # Hadolint: "dockerfile" for DL rules, "sh" for everything else (ShellCheck).
                            # Our own codes (ARCH...) are Dockerfile rules, so only SC codes mean shell.
                            "sourceLanguage": "sh" if r.code.startswith("SC") else "dockerfile",
                        },
                    }
                }
            ],
        }
        for r in records
    ]
    return _aeson(
        {
            "version": "2.1.0",
            "$schema": "http://json.schemastore.org/sarif-2.1.0",
            "runs": [{"tool": {"driver": driver}, "results": results, "defaultSourceLanguage": "dockerfile"}],
        }
    )


# --- entry point ---------------------------------------------------------------------------


def render(
    records: list[LintRecord],
    fmt: str,
    *,
    files: list[str],
    color: bool = False,
    tool_name: str = "archmatch",
    tool_version: str = "",
    rules: list[dict[str, Any]] | None = None,
) -> str:
    """Render ``records`` as Hadolint's ``-f fmt`` would.

    ``files`` lists every file linted, clean ones included: checkstyle and junit give each
    file an element even when it has no findings. Files and records are sorted (records by
    file, line, column, code), so the output depends only on the inputs. Hadolint itself keeps
    command-line order for files, and findings on the same line come out in no fixed order.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    for r in records:
        if r.level not in LEVELS:
            raise ValueError(f"{r.code}: unknown level {r.level!r}; expected one of {', '.join(LEVELS)}")
    # level and message only break ties, so that the input order never shows through.
    records = sorted(records, key=lambda r: (r.file, r.line, r.column, r.code, r.level, r.message))
    all_files = sorted(set(files) | {r.file for r in records})
    records = [replace(r, file=clean(r.file), message=mask_secrets(clean(r.message))) for r in records]
    output = _render(
        records,
        fmt,
        all_files=[clean(f) for f in all_files],
        color=color,
        tool_name=tool_name,
        tool_version=tool_version,
        rules=rules,
    )
    if fmt in ("tty", "gnu"):
        return guard_lines(output)
    if fmt in ("checkstyle", "junit"):
        return _xml_inert(output)
    return json_inert(output)


def _render(
    records: list[LintRecord],
    fmt: str,
    *,
    all_files: list[str],
    color: bool,
    tool_name: str,
    tool_version: str,
    rules: list[dict[str, Any]] | None,
) -> str:
    if fmt == "tty":
        return _tty(records, color)
    if fmt == "gnu":
        return _gnu(records, tool_name)
    if fmt == "json":
        return _json(records)
    if fmt == "codeclimate":
        return _codeclimate(records)
    if fmt == "gitlab_codeclimate":
        return _gitlab_codeclimate(records)
    if fmt == "codacy":
        return _codacy(records)
    if fmt == "sonarqube":
        return _sonarqube(records, tool_name)
    if fmt == "checkstyle":
        return _checkstyle(records, all_files)
    if fmt == "junit":
        return _junit(records, all_files, tool_name, tool_version)
    return _sarif(records, tool_name, tool_version, rules)
