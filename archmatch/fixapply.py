"""`archmatch scan --fix`: apply the fixes that may be applied without review, as ruff does.

Each finding contributes its first fix that the chosen applicability allows (safe; with
--unsafe-fixes also unsafe; display-only never). A fix is applied whole or not at all: one whose
edits overlap an edit already chosen is left for the next run. Files keep their BOM and CRLF
line endings (edits are placed on the text the scan read: BOM stripped, CRLF folded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archmatch.model import Applicability, Edit, Finding, Fix

_BOM = "\ufeff"


@dataclass
class Applied:
    fixed: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    unsafe_left: int = 0  # findings whose first mechanical fix is unsafe (not applied without the flag)
    skipped: list[str] = field(default_factory=list)  # why a chosen fix was not applied


def allowed(unsafe: bool) -> frozenset[Applicability]:
    return frozenset({Applicability.SAFE, Applicability.UNSAFE} if unsafe else {Applicability.SAFE})


def choose(finding: Finding, unsafe: bool) -> Fix | None:
    return next((f for f in finding.fixes if f.applicability in allowed(unsafe)), None)


def apply_fixes(findings: list[Finding], unsafe: bool, base: Path = Path(".")) -> Applied:
    applied = Applied()
    by_path: dict[str, list[Edit]] = {}
    chosen: list[tuple[Finding, Fix]] = []
    for finding in findings:
        fix = choose(finding, unsafe)
        if fix is None:
            applied.unsafe_left += not unsafe and any(
                f.applicability is Applicability.UNSAFE for f in finding.fixes
            )
            continue
        if any(_overlaps(edit, by_path.get(edit.location.path, [])) for edit in fix.edits):
            applied.skipped.append(f"{finding.rule_id} at {finding.location}: overlaps another fix")
            continue
        for edit in fix.edits:
            by_path.setdefault(edit.location.path, []).append(edit)
        chosen.append((finding, fix))
    contents = _new_contents(base, chosen, applied)
    for path, data in sorted(contents.items()):
        (base / path).write_bytes(data)
    applied.files = sorted(contents)
    return applied


def _new_contents(base: Path, chosen: list[tuple[Finding, Fix]], applied: Applied) -> dict[str, bytes]:
    """The new bytes of every file the chosen fixes edit; a fix touching a file that cannot be
    rewritten is dropped whole (its other files are not edited either)."""
    while True:
        by_path: dict[str, list[Edit]] = {}
        for _, fix in chosen:
            for edit in fix.edits:
                by_path.setdefault(edit.location.path, []).append(edit)
        contents: dict[str, bytes] = {}
        failed: set[str] = set()
        for path, edits in by_path.items():
            data, problem = _rewritten(base / path, edits)
            if data is None:
                applied.skipped.append(f"{path}: {problem}")
                failed.add(path)
            else:
                contents[path] = data
        if not failed:
            applied.fixed = [f for f, _ in chosen]
            return contents
        chosen = [(f, x) for f, x in chosen if not any(e.location.path in failed for e in x.edits)]


def _span(edit: Edit) -> tuple[int, int, int, int]:
    loc = edit.location
    if loc.column > 0:
        return loc.line, loc.column, loc.end_line or loc.line, loc.end_column or loc.column
    if loc.end_line >= loc.line:
        return loc.line, 0, loc.end_line, 1 << 30
    return loc.line, 0, loc.line, -1  # an insertion before the line


def _overlaps(edit: Edit, chosen: list[Edit]) -> bool:
    a = _span(edit)
    return any(not ((a[2], a[3]) < (b[0], b[1]) or (b[2], b[3]) < (a[0], a[1])) for b in map(_span, chosen))


def _rewritten(path: Path, edits: list[Edit]) -> tuple[bytes | None, str]:
    if path.is_symlink():
        return None, "a symbolic link: not rewritten"
    try:
        raw = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read: {exc}"
    bom = raw.startswith(_BOM)
    text = raw[1:] if bom else raw
    crlf = "\r\n" in text
    if crlf and text.count("\r\n") != text.count("\n"):
        return None, "mixed line endings: not rewritten"
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    ranges = []
    for edit in edits:
        loc = edit.location
        if not 0 < loc.line <= len(lines):
            return None, f"line {loc.line} is not in the file any more"
        start = offsets[loc.line - 1]
        if loc.column > 0:
            end_line = loc.end_line or loc.line
            ranges.append(
                (start + loc.column - 1, offsets[end_line - 1] + (loc.end_column or loc.column), edit.text)
            )
        elif loc.end_line >= loc.line:
            ranges.append((start, offsets[loc.end_line - 1] + len(lines[loc.end_line - 1]), edit.text))
        else:
            ranges.append((start, start, edit.text))
    for begin, end, replacement in sorted(ranges, reverse=True):
        text = text[:begin] + replacement + text[end:]
    if crlf:
        text = text.replace("\n", "\r\n")
    return ((_BOM if bom else "") + text).encode("utf-8"), ""
