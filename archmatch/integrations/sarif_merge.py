"""Merge SARIF logs into one log with one run per tool, as GitHub code scanning wants them.

Every run keeps its own `automationDetails.id` (GitHub rejects two runs of one tool and category
in a file); a run without one gets `<tool name>/`, and a clash gets a numeric suffix. The
results and invocations of every run are cleaned and masked (URIs cleaned only) like archmatch's
own output: another tool's messages may quote the scanned files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archmatch.safetext import masked_tree

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
GITHUB_MAX_RUNS = 20
_URI_KEYS = frozenset({"uri", "uriBaseId"})


class SarifMergeError(Exception):
    pass


def _run_id(run: dict[str, Any]) -> str:
    details = run.get("automationDetails")
    if isinstance(details, dict) and isinstance(details.get("id"), str) and details["id"]:
        return str(details["id"])
    name = str(run.get("tool", {}).get("driver", {}).get("name", "tool")).lower()
    return f"{name}/"


def merge_logs(logs: list[dict[str, Any]]) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, log in enumerate(logs):
        if (
            not isinstance(log, dict)
            or log.get("version") != "2.1.0"
            or not isinstance(log.get("runs"), list)
        ):
            raise SarifMergeError(f"input {index + 1} is not a SARIF 2.1.0 log")
        for run in log["runs"]:
            run = dict(run)
            run_id = _run_id(run)
            base, n = run_id.rstrip("/"), 2
            while run_id in seen:
                run_id = f"{base}-{n}/"
                n += 1
            seen.add(run_id)
            run["automationDetails"] = {**run.get("automationDetails", {}), "id": run_id}
            for key in ("results", "invocations"):
                if key in run:
                    run[key] = masked_tree(run[key], _URI_KEYS)
            runs.append(run)
    if len(runs) > GITHUB_MAX_RUNS:
        raise SarifMergeError(
            f"{len(runs)} runs: GitHub code scanning accepts at most {GITHUB_MAX_RUNS} per file"
        )
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}


def merge_files(paths: list[Path]) -> dict[str, Any]:
    logs = []
    for path in paths:
        try:
            logs.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SarifMergeError(f"{path}: cannot read SARIF: {exc}") from None
    return merge_logs(logs)
