"""Dockerfile text -> instructions, on top of `dockerfile-parse`.

dockerfile-parse 2.0.1 splits instructions and honours `# escape=`, but it (a) knows nothing of
heredocs (`RUN <<EOF`): body lines become bogus instructions, and a body line ending in `\\`
swallows the terminator and the next real instruction; (b) ends an instruction at a blank line
inside a continuation, where BuildKit skips the blank line; (c) silently drops an instruction
still continued at end of file; (d) stops looking for `# escape=` after a directive other than
`# syntax=` (e.g. `# check=`), where BuildKit keeps looking.

So a pre-pass that follows BuildKit's rules rewrites the lines it would get wrong (same line
count): heredoc bodies and terminators become blank, blank lines inside a continuation become
`#` (a comment, which continues the instruction), directive lines become `# syntax=` except the
escape directive; it also reports unterminated heredocs and continuations. The instruction
boundaries then come from `instruction_spans`, dockerfile-parse's reading of the lines (the same
view Checkov has of the file), kept here line for line so that linting a Dockerfile does not import
dockerfile-parse and, through it, `logging` and `json` (~14 M instructions, 6 % of `archmatch
dockerfile`); tests/test_dockerfile_lexer_spans.py checks it against dockerfile-parse itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from archmatch import lazyre
from archmatch.dockerfile_model import Heredoc, Instruction, Lexed, Segment

_DIRECTIVE = lazyre.compile(r"^\s*#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = lazyre.compile(r"(?<!<)<<(?!<)(-?)\s*(?:\"(\w+)\"|'(\w+)'|([A-Za-z_]\w*))")
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_KEYWORD = lazyre.compile(r"^\s*(\S+)\s*")
_PLACEHOLDER = "#"

# dockerfile-parse 2.0.1's patterns (`DockerfileParser.structure`), as it writes them.
_SPAN_INSTRUCTION = lazyre.compile(r"^\s*(\S+)\s+(.*)$")
_SPAN_COMMENT = lazyre.compile(r"^\s*#")
_SPAN_ESCAPE_DIRECTIVE = lazyre.compile(r"^\s*#\s*escape\s*=\s*(\\|`)\s*$", re.I)
_SPAN_SYNTAX_DIRECTIVE = lazyre.compile(r"^\s*#\s*syntax\s*=\s*(.*)\s*$", re.I)
# its "line continues" pattern, `r'^.*' + re.escape(escape) + r'\s*$'`, for both escape characters
_SPAN_CONTINUES = {"\\": lazyre.compile(r"^.*\\\s*$"), "`": lazyre.compile(r"^.*`\s*$")}

Diag = Callable[[str, int], None]  # (message, line)


def _directives(lines: list[str]) -> tuple[str, set[int], int | None]:
    """BuildKit's parser directives: (escape character, directive lines, escape directive line)."""
    escape, found, escape_line = "\\", set(), None
    seen: set[str] = set()
    for idx, line in enumerate(lines):
        m = _DIRECTIVE.match(line)
        if not m or m.group(1).lower() in seen:
            break
        name = m.group(1).lower()
        seen.add(name)
        found.add(idx)
        if name == "escape" and m.group(2) in ("\\", "`"):
            escape, escape_line = m.group(2), idx
    return escape, found, escape_line


def _continues(line: str, escape: str) -> bool:
    return line.rstrip().endswith(escape)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


@dataclass
class _PendingHeredoc:
    """A heredoc whose body is still being read."""

    delimiter: str
    strip_tabs: bool
    quoted: bool
    opened_at: int  # 0-based line of the instruction that opened it
    body: list[tuple[int, str]] = field(default_factory=list)


def _prepass(
    lines: list[str], escape: str, directive_lines: set[int], escape_line: int | None, diag: Diag
) -> tuple[list[str], dict[int, list[Heredoc]]]:
    """Lines rewritten for dockerfile-parse, and the heredocs keyed by their opening line (0-based)."""
    out = list(lines)
    for idx in directive_lines:
        out[idx] = f"# escape={escape}" if idx == escape_line else "# syntax=directive"
    heredocs: dict[int, list[Heredoc]] = {}
    pending: list[_PendingHeredoc] = []
    continuing = False
    instruction_text, instruction_start = "", 0
    for idx, line in enumerate(lines):
        if idx in directive_lines:
            continue
        if pending:
            current = pending[0]
            candidate = line.lstrip("\t") if current.strip_tabs else line
            out[idx] = ""
            if candidate.strip() == current.delimiter:
                heredocs.setdefault(current.opened_at, []).append(
                    Heredoc(current.delimiter, current.quoted, tuple(current.body), True, idx + 1)
                )
                pending.pop(0)
            else:
                current.body.append((idx + 1, line))
            continue
        if _is_comment(line):
            continue
        if not line.strip():
            if continuing:
                out[idx] = _PLACEHOLDER
            continue
        if not continuing:
            instruction_text, instruction_start = line, idx
        else:
            instruction_text += line
        continuing = _continues(line, escape)
        if not continuing:
            keyword = instruction_text.split(None, 1)[0].upper() if instruction_text.strip() else ""
            if keyword in _HEREDOC_INSTRUCTIONS:
                for m in _HEREDOC.finditer(instruction_text):
                    name = m.group(2) or m.group(3) or m.group(4)
                    pending.append(_PendingHeredoc(name, m.group(1) == "-", m.group(4) is None, idx))
    if continuing:
        diag(
            f"unterminated line continuation: the instruction at line {instruction_start + 1} continues past the end of the file",
            instruction_start + 1,
        )
        out.append("")  # a blank line ends the instruction for dockerfile-parse
    for current in pending:
        diag(
            f"unterminated heredoc: no line `{current.delimiter}` closes the heredoc opened at line {current.opened_at + 1}",
            current.opened_at + 1,
        )
        last = current.body[-1][0] if current.body else current.opened_at + 1
        heredocs.setdefault(current.opened_at, []).append(
            Heredoc(current.delimiter, current.quoted, tuple(current.body), False, last)
        )
    return out, heredocs


def _segments(
    lines: list[str], rewritten: list[str], start: int, end: int, escape: str
) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    for idx in range(start, min(end, len(lines) - 1) + 1):
        if rewritten[idx] != lines[idx] or _is_comment(lines[idx]) or not lines[idx].strip():
            continue  # blanked heredoc line, placeholder, comment or blank
        text, column = lines[idx], 0
        if idx == start:
            m = _KEYWORD.match(text)
            column = m.end() if m else 0
            text = text[column:]
        if _continues(text, escape):
            text = text.rstrip()[:-1]
        segments.append(Segment(idx + 1, column, text))
    return tuple(segments)


def instruction_spans(lines: list[str]) -> list[tuple[str, int, int]]:
    """(keyword, first line, last line) of each instruction (lines 0-based, keyword upper-cased) as
    dockerfile-parse 2.0.1's `DockerfileParser.structure` gives them for these lines (each one
    ending in a newline, as its binary `readlines` splits them), step for step, leaving out its
    comment entries; an instruction whose keyword is `comment` gives "COMMENT" there too."""
    spans: list[tuple[str, int, int]] = []
    continues = _SPAN_CONTINUES["\\"]
    directive_possible = True
    in_continuation = False
    keyword, first = "", 0  # of the instruction being read
    for lineno, line in enumerate(lines):
        if directive_possible:
            escape = _SPAN_ESCAPE_DIRECTIVE.match(line)
            if escape:
                continues = _SPAN_CONTINUES[escape.group(1)]
            elif not _SPAN_SYNTAX_DIRECTIVE.match(line):
                directive_possible = False
        if _SPAN_COMMENT.match(line):
            continue
        if not in_continuation:
            m = _SPAN_INSTRUCTION.match(line)
            if not m:
                continue
            keyword, first = m.group(1).upper(), lineno
        in_continuation = continues.match(line) is not None
        if not in_continuation:
            spans.append((keyword, first, lineno))
    return spans


def lex(text: str, diag: Diag) -> Lexed:
    """Instructions of a Dockerfile (CRLF already folded); problems go to `diag`, never raised."""
    lines = text.split("\n")
    escape, directive_lines, escape_line = _directives(lines)
    rewritten, heredocs = _prepass(lines, escape, directive_lines, escape_line, diag)
    spans = instruction_spans([line + "\n" for line in rewritten])
    instructions: list[Instruction] = []
    comments = {
        i + 1: line.lstrip()[1:].strip()
        for i, line in enumerate(lines)
        if _is_comment(line) and i not in directive_lines
    }
    for keyword, start, last in spans:
        if keyword == "COMMENT":
            continue
        end = min(last, len(lines) - 1)
        docs = tuple(heredocs.get(end, ()))
        last_line = max([end + 1, *(doc.end for doc in docs)])
        instructions.append(
            Instruction(
                keyword,
                start + 1,
                last_line,
                _segments(lines, rewritten, start, end, escape),
                lines[start],
                docs,
            )
        )
    return Lexed(instructions, escape, comments, lines)
