"""`--list-workloads`: every workload, its architecture, how it was decided, and its images."""

from __future__ import annotations

from archmatch.engine import ScanResult
from archmatch.safetext import guard_lines, one_line, shown_path


def render(result: ScanResult) -> str:
    rows: list[tuple[str, str, str, str, str, str]] = []
    for facts, prefix in zip(result.facts, result.prefixes, strict=True):
        for w in facts.workloads:
            arch = ",".join(sorted(w.arch.archs)) or "-"
            images = " ".join(i.ref or "?" for i in w.images) or "-"
            where = shown_path(f"{prefix}{w.arch_location}") if w.arch_location else "-"
            rows.append((shown_path(f"{prefix}{w.location}"), one_line(w.kind), one_line(w.name), arch,
                         f"{w.arch.how.value} @ {where}", one_line(images)))
    rows.sort()
    header = ("LOCATION", "KIND", "NAME", "ARCH", "DECIDED", "IMAGES")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    lines = ["  ".join(c.ljust(widths[i]) if i < 5 else c for i, c in enumerate(r)).rstrip() for r in [header, *rows]]
    return guard_lines("\n".join(lines) + "\n")
