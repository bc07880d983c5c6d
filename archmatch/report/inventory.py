"""`--list-workloads`: every workload, its architecture, how it was decided, and its images."""

from __future__ import annotations

import json

from archmatch.results import ScanResult
from archmatch.safetext import guard_lines, json_inert, one_line, shown_path

HEADER = ("LOCATION", "KIND", "NAME", "PROJECT", "ARCH", "DECIDED", "IMAGES")


def render_json(result: ScanResult) -> str:
    """The rows of `render` as JSON objects (keys: the lower-cased column names)."""
    keys = [h.lower() for h in HEADER]
    items = [dict(zip(keys, row, strict=True)) for row in rows_of(result)]
    return json_inert(json.dumps({"workloads": items}, indent=2, ensure_ascii=False)) + "\n"


def render(result: ScanResult) -> str:
    """One row per workload; PROJECT tells apart the same module file evaluated by two root modules."""
    rows = rows_of(result)
    header = HEADER
    last = len(header) - 1
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(last)]
    lines = [
        "  ".join(c.ljust(widths[i]) if i < last else c for i, c in enumerate(r)).rstrip()
        for r in [header, *rows]
    ]
    return guard_lines("\n".join(lines) + "\n")


def rows_of(result: ScanResult) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for facts, prefix in zip(result.facts, result.prefixes, strict=True):
        for w in facts.workloads:
            arch = ",".join(sorted(w.arch.archs)) or "-"
            images = " ".join(i.ref or "?" for i in w.images) or "-"
            where = shown_path(f"{prefix}{w.arch_location}") if w.arch_location else "-"
            project = (
                shown_path((prefix + w.project).rstrip("/")) if w.project else (prefix.rstrip("/") or ".")
            )
            rows.append(
                (
                    shown_path(f"{prefix}{w.location}"),
                    one_line(w.kind),
                    one_line(w.name),
                    project,
                    arch,
                    f"{w.arch.how.value} @ {where}",
                    one_line(images),
                )
            )
    rows.sort()
    return rows
