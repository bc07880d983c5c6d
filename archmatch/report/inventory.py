"""`--list-workloads`: every workload, its architecture, how it was decided, and its images."""

from __future__ import annotations

from archmatch.engine import ScanResult
from archmatch.report.common import mask_secrets


def render(result: ScanResult) -> str:
    rows: list[tuple[str, str, str, str, str, str]] = []
    for facts, prefix in zip(result.facts, result.prefixes, strict=True):
        for w in facts.workloads:
            arch = ",".join(sorted(w.arch.archs)) or "-"
            images = " ".join(i.ref or "?" for i in w.images) or "-"
            where = f"{prefix}{w.arch_location}" if w.arch_location else "-"
            rows.append((f"{prefix}{w.location}", w.kind, w.name, arch, f"{w.arch.how.value} @ {where}", mask_secrets(images)))
    rows.sort()
    header = ("LOCATION", "KIND", "NAME", "ARCH", "DECIDED", "IMAGES")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    lines = ["  ".join(c.ljust(widths[i]) if i < 5 else c for i, c in enumerate(r)).rstrip() for r in [header, *rows]]
    return "\n".join(lines) + "\n"
