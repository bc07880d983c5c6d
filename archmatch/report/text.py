"""Human output: `path:line RULE severity: message`, a one-line fix, and a summary.

Every value taken from the scanned files is written through `archmatch.safetext.one_line`
(masked, control characters escaped), and no line may start a GitHub workflow command.
"""

from __future__ import annotations

from collections import Counter

from archmatch.report.common import shown_location
from archmatch.results import ScanResult
from archmatch.safetext import guard_lines, one_line

_COLORS = {
    "error": "\033[31m",
    "warning": "\033[33m",
    "info": "\033[36m",
    "style": "\033[35m",
    "note": "\033[36m",
}
_RESET = "\033[0m"
_DIM = "\033[2m"


def render(result: ScanResult, color: bool = False) -> str:
    def paint(text: str, level: str) -> str:
        return f"{_COLORS.get(level, '')}{text}{_RESET}" if color else text

    def dim(text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if color else text

    out: list[str] = []
    for f in result.findings:
        out.append(
            f"{shown_location(f.location)} {paint(f.rule_id, f.severity)} {paint(f.severity, f.severity)}: {one_line(f.message)}"
        )
        for rel in f.related:
            out.append(dim(f"    related: {shown_location(rel.location)} {one_line(rel.message)}"))
        for fix in f.fixes[:1]:
            out.append(f"    fix ({fix.applicability.value}): {one_line(fix.description)}")
            if fix.diff:
                out.extend("      " + one_line(line) for line in fix.diff.splitlines())
    for d in result.diagnostics:
        first = d.message.splitlines()[0] if d.message else ""
        out.append(dim(f"{shown_location(d.location)} [{d.code}] {d.level}: {one_line(first)}"))
    counts = Counter(f.severity for f in result.findings)
    summary = (
        ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "info", "style") if counts[s])
        or "no findings"
    )
    if out:
        out.append("")
    out.append(
        f"archmatch: {summary}; {len(result.diagnostics)} diagnostics; {result.files_scanned} files scanned"
        f"{f'; {result.suppressed} suppressed' if result.suppressed else ''} in {result.seconds:.2f}s"
    )
    return guard_lines("\n".join(out) + "\n")
