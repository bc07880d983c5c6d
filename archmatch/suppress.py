"""Inline suppressions.

In any text file: `# archmatch ignore=ARCH101,ARCH301` on the line above a finding's line (or at
the end of that line), and `# archmatch global ignore=...` anywhere for the whole file. In
Dockerfiles the Hadolint spellings work too (`# hadolint ignore=ARCH101`, `# hadolint global
ignore=...`); keep our codes on a line of their own, because Hadolint's pragma parser rejects a
whole line that mixes its codes with others. `//` comments work in TypeScript/JavaScript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archmatch import lazyre
from archmatch.model import Finding

_PRAGMA = lazyre.compile(
    r"(?:#|//)\s*(?P<tool>archmatch|hadolint)\s*(?P<scope>global\s+|stage\s+)?ignore\s*=\s*(?P<codes>[A-Za-z0-9_,\s-]+)"
)


@dataclass
class FilePragmas:
    """The ignore pragmas of one file: for the whole file and by line."""

    global_ignores: set[str] = field(default_factory=set)
    line_ignores: dict[int, set[str]] = field(default_factory=dict)  # line -> codes on or above it


def parse_pragmas(text: str) -> FilePragmas:
    out = FilePragmas()
    lines = text.split("\n")
    for idx, line in enumerate(lines, start=1):
        if "ignore" not in line:
            continue
        m = _PRAGMA.search(line)
        if not m:
            continue
        codes = {c.strip().upper() for c in re.split(r"[,\s]+", m.group("codes")) if c.strip()}
        if m.group("scope") and m.group("scope").strip() == "global":
            out.global_ignores |= codes
            continue
        out.line_ignores.setdefault(idx, set()).update(codes)
        if line.lstrip().startswith(("#", "//")):
            # a comment line applies to the next line that is not blank or a comment
            nxt = idx + 1
            while nxt <= len(lines) and (
                not lines[nxt - 1].strip() or lines[nxt - 1].lstrip().startswith(("#", "//"))
            ):
                nxt += 1
            out.line_ignores.setdefault(nxt, set()).update(codes)
    return out


def is_suppressed(finding: Finding, pragmas: FilePragmas) -> bool:
    rule = finding.rule_id.upper()
    if rule in pragmas.global_ignores:
        return True
    return rule in pragmas.line_ignores.get(finding.location.line, set())
