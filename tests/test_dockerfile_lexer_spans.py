"""The lexer's instruction boundaries (`lexer.instruction_spans`) are dockerfile-parse's, the view
Checkov has of a Dockerfile: checked against dockerfile-parse itself (a test dependency only) on
every Dockerfile of the fixtures and examples, raw and as the lexer's pre-pass rewrites them, and on
generated lines made of the pieces its patterns look at."""

from __future__ import annotations

import io
from pathlib import Path

from dockerfile_parse import DockerfileParser
from hypothesis import given, settings
from hypothesis import strategies as st

from archmatch.extract.dockerfile.lexer import _directives, _prepass, instruction_spans

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILES = sorted(
    p
    for base in (ROOT / "tests" / "fixtures", ROOT / "examples")
    for p in base.rglob("*")
    if p.is_file() and "dockerfile" in p.name.lower()
)


def parsed_by_dockerfile_parse(lines: list[str]) -> list[tuple[str, int, int]]:
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    structure = DockerfileParser(fileobj=io.BytesIO(data)).structure
    return [
        (item["instruction"], item["startline"], item["endline"])
        for item in structure
        if not (item["instruction"] == "COMMENT" and _is_comment_entry(item))
    ]


def _is_comment_entry(item: dict[str, object]) -> bool:
    """A comment line's entry (not an instruction whose keyword is `comment`)."""
    return str(item["content"]).lstrip().startswith("#")


def spans(lines: list[str]) -> list[tuple[str, int, int]]:
    return instruction_spans([line + "\n" for line in lines])


def rewritten(text: str) -> list[str]:
    lines = text.split("\n")
    escape, directive_lines, escape_line = _directives(lines)
    return _prepass(lines, escape, directive_lines, escape_line, lambda message, line: None)[0]


def test_the_spans_are_dockerfile_parses_on_every_fixture_dockerfile() -> None:
    assert len(DOCKERFILES) > 200
    for path in DOCKERFILES:
        text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        for lines in (text.split("\n"), rewritten(text)):
            assert spans(lines) == parsed_by_dockerfile_parse(lines), path


QUIRKS = [
    "# escape=`\nFROM a\nRUN x `\n  y\n# escape=\\\nRUN z \\\n  w\n",  # escape directive
    "# syntax=docker/dockerfile:1\n# escape=`\nRUN a `\nb\n",  # escape after syntax
    "# check=skip\n# escape=`\nRUN a `\nb\n",  # another directive first: dockerfile-parse stops
    "FROM a\n# escape=`\nRUN a `\nb\n",  # too late to be a directive
    "comment this is an instruction\nRUN a\n",  # an instruction called COMMENT
    "RUN a \\\n# a comment inside\n  b\n",  # a comment continues the instruction
    "RUN a \\\n\nRUN b\n",  # a blank line ends it
    "RUN a \\   \t\nb\nFROM\n   \nX\n",  # trailing blanks after the escape; a lone keyword
    "RUN a \\\u00a0\nb\n\u3000CMD x\n",  # Unicode spaces
    "RUN a \\",  # continued at the end of the file
]


def test_the_spans_are_dockerfile_parses_on_its_quirks() -> None:
    for text in QUIRKS:
        lines = text.split("\n")
        assert spans(lines) == parsed_by_dockerfile_parse(lines), text
    assert spans(["comment x", "RUN a", ""]) == [("COMMENT", 0, 0), ("RUN", 1, 1)]


PIECES = st.sampled_from(
    [
        "RUN",
        "from",
        "comment",
        " ",
        "\t",
        "\u00a0",
        "\x0b",
        "\x1c",
        "#",
        "\\",
        "`",
        "escape",
        "syntax",
        "=",
        "a b",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=6).map("".join), max_size=8))
def test_the_spans_are_dockerfile_parses_on_generated_lines(lines: list[str]) -> None:
    assert spans(lines) == parsed_by_dockerfile_parse(lines)
