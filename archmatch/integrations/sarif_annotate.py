"""GitHub workflow annotations (`::error file=...::message`) from SARIF logs.

The Action scans once, to SARIF, and prints the annotations from that file, so the annotations and
the uploaded report always come from the same scan. The commands are the ones `scan --format github`
prints for the same findings; results of other tools' runs (Hadolint's, merged by `--with-hadolint`
or `sarif-merge`) are annotated too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from archmatch.report.extra_formats import github_command

_LEVEL = {"error": "error", "warning": "warning", "note": "notice", "none": "notice"}


class SarifAnnotateError(Exception):
    pass


def _location(item: dict[str, Any]) -> tuple[str, int, int, int]:
    """(path, line, end line or 0, column) of the first physical location."""
    for loc in item.get("locations") or []:
        phys = loc.get("physicalLocation") or {}
        uri = unquote(str((phys.get("artifactLocation") or {}).get("uri", "")))
        region = phys.get("region") or {}
        line = int(region.get("startLine", 0) or 0)
        end = int(region.get("endLine", 0) or 0)
        return uri, line, end if end >= line else 0, int(region.get("startColumn", 0) or 0)
    return "", 0, 0, 0


def _titles(run: dict[str, Any]) -> dict[str, str]:
    rules = ((run.get("tool") or {}).get("driver") or {}).get("rules") or []
    return {
        str(r.get("id")): str((r.get("shortDescription") or {}).get("text", "")) for r in rules if r.get("id")
    }


def _result_command(result: dict[str, Any], titles: dict[str, str]) -> str:
    rule_id = str(result.get("ruleId", ""))
    path, line, end, col = _location(result)
    title = f"{rule_id}: {titles[rule_id]}" if titles.get(rule_id) else rule_id
    props = {"file": path, "line": line, "endLine": end, "col": col, "title": title}
    level = _LEVEL.get(str(result.get("level", "warning")), "warning")
    return github_command(level, props, str((result.get("message") or {}).get("text", "")))


def _notification_command(note: dict[str, Any], tool: str) -> str:
    path, line, _, _ = _location(note)
    code = str((note.get("descriptor") or {}).get("id", "")).split("/")[-1]
    props = {"file": path, "line": line, "title": f"{tool} {code}".strip()}
    text = str((note.get("message") or {}).get("text", "")).splitlines()
    return github_command(
        _LEVEL.get(str(note.get("level", "warning")), "warning"), props, text[0] if text else code
    )


def annotations(log: dict[str, Any]) -> str:  # type: ignore[no-redef]  # mypy confuses it with `from __future__ import annotations`
    out = []
    for run in log.get("runs") or []:
        titles = _titles(run)
        out += [_result_command(r, titles) for r in run.get("results") or []]
        tool = str(((run.get("tool") or {}).get("driver") or {}).get("name", ""))
        for invocation in run.get("invocations") or []:
            out += [
                _notification_command(n, tool) for n in invocation.get("toolExecutionNotifications") or []
            ]
    return "".join(out)


def annotate_files(paths: list[Path]) -> str:
    out = []
    for path in paths:
        try:
            log = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SarifAnnotateError(f"{path}: cannot read a SARIF log: {exc}") from None
        if not isinstance(log, dict) or not isinstance(log.get("runs"), list):
            raise SarifAnnotateError(f"{path}: not a SARIF log (no `runs`)")
        out.append(annotations(log))  # type: ignore[operator]  # the function above, not the __future__ feature
    return "".join(out)
