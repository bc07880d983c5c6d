"""`archmatch scan --with-hadolint`: Hadolint's findings on the same Dockerfiles as a second SARIF run.

Runs the local `hadolint` binary only (no download, no network); without it, a warning and the
archmatch log unchanged. URIs are rewritten to the paths archmatch reports, so both runs agree.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import Any

from archmatch.integrations.sarif_merge import merge_logs
from archmatch.results import ScanResult
from archmatch.safetext import json_inert, one_line, uri_reference

TIMEOUT_SECONDS = 120


def dockerfiles(result: ScanResult) -> dict[str, str]:
    """Absolute path -> the path archmatch shows for it, for every Dockerfile the scan read."""
    out: dict[str, str] = {}
    for facts, prefix in zip(result.facts, result.prefixes, strict=False):
        for rel in sorted(facts.dockerfiles):
            out[str((facts.root / rel).resolve())] = prefix + rel
    return out


def hadolint_log(result: ScanResult, exe: str) -> dict[str, Any] | None:
    files = dockerfiles(result)
    if not files:
        return None
    proc = subprocess.run(
        [exe, "--no-fail", "--no-color", "-f", "sarif", *files],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    try:
        log: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(
            f"archmatch: hadolint wrote no SARIF (exit {proc.returncode}): {one_line(proc.stderr.strip())[:500]}",
            file=sys.stderr,
        )
        return None
    for run in log.get("runs", []):
        run["automationDetails"] = {"id": "hadolint/"}
        for res in run.get("results", []):
            for loc in res.get("locations", []):
                art = loc.get("physicalLocation", {}).get("artifactLocation", {})
                if art.get("uri") in files:
                    art["uri"] = uri_reference(files[art["uri"]])
    return log


def with_hadolint(output: str, fmt: str, result: ScanResult) -> str:
    """The archmatch SARIF `output` plus a Hadolint run (other formats: unchanged, with a note)."""
    if fmt != "sarif":
        print("archmatch: --with-hadolint only applies to --format sarif; ignored", file=sys.stderr)
        return output
    exe = shutil.which("hadolint")
    if exe is None:
        print(
            "archmatch: --with-hadolint: no hadolint on PATH; the SARIF has archmatch's run only",
            file=sys.stderr,
        )
        return output
    try:
        extra = hadolint_log(result, exe)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"archmatch: --with-hadolint: hadolint failed: {one_line(str(exc))}", file=sys.stderr)
        return output
    if extra is None:
        return output
    merged = merge_logs([json.loads(output), extra])
    return json_inert(json.dumps(merged, indent=2, ensure_ascii=False)) + "\n"
