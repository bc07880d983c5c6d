"""Inline expectations in fixtures, Semgrep-style.

`# expect: ARCH101` (or `// expect: ARCH101,ARCH302`) on a line of its own applies to the next
line that is not blank and not a comment; at the end of a line it applies to that line. JSON
files cannot hold comments: a sidecar `<file>.expect` lists `LINE RULE` pairs.
"""

from __future__ import annotations

import re
from pathlib import Path

_EXPECT = re.compile(r"(?:#|//)\s*expect:\s*(?P<ids>ARCH\d{3}(?:\s*,\s*ARCH\d{3})*)")
Expectation = tuple[str, int, str]  # (path relative to the case root, line, rule id)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(("#", "//"))


def file_expectations(path: Path, rel: str) -> set[Expectation]:
    out: set[Expectation] = set()
    sidecar = path.with_name(path.name + ".expect")
    if sidecar.exists():
        for raw in sidecar.read_text().splitlines():
            if raw.strip() and not raw.startswith("#"):
                line, rule = raw.split()
                out.add((rel, int(line), rule))
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (UnicodeDecodeError, OSError):
        return out
    for idx, line in enumerate(lines, start=1):
        m = _EXPECT.search(line)
        if not m:
            continue
        ids = [i.strip() for i in m.group("ids").split(",")]
        target = idx
        if _is_comment(line):
            target = idx + 1
            while target <= len(lines) and (not lines[target - 1].strip() or _is_comment(lines[target - 1])):
                target += 1
        out.update((rel, target, i) for i in ids)
    return out


def case_expectations(case: Path) -> set[Expectation]:
    if case.is_file():
        return file_expectations(case, case.name)
    out: set[Expectation] = set()
    for path in sorted(case.rglob("*")):
        if path.is_file() and not path.name.endswith(".expect"):
            out |= file_expectations(path, path.relative_to(case).as_posix())
    return out
