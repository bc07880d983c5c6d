"""What a scan produced (`archmatch.engine.scan`): the input of every report."""

from __future__ import annotations

from dataclasses import dataclass, field

from archmatch.model import Diagnostic, Finding, RepoFacts


@dataclass
class ScanResult:
    """Findings and diagnostics of a scan, over all its roots."""

    findings: list[Finding] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    facts: list[RepoFacts] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)  # display prefix of each facts root
    files_scanned: int = 0
    seconds: float = 0.0
    suppressed: int = 0
