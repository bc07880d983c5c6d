"""The playground's bridge to archmatch: scan an in-memory tree, apply a fix, rewrite a command.

The page (app.js) runs this module in Pyodide. It calls the engine and the report renderers as
`archmatch scan` does, so what the page shows is what the CLI prints (values masked the same
way). tests/test_playground.py runs it under CPython too.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import io
import json
import os
import shutil
import sys
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from archmatch import engine
from archmatch.cli import main as cli_main
from archmatch.commands.scan import DEFAULT_THRESHOLD, renderers
from archmatch.config import ConfigError, load_config
from archmatch.repo import ScanOptions
from archmatch.report.inventory import render_json as render_inventory
from archmatch.safetext import one_line

SARIF_FINGERPRINT = "archmatch/v1"


def safe_relative(path: str) -> PurePosixPath:
    """A path inside the tree: no absolute paths, no `..`, no empty names."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"not a path inside the tree: {path!r}")
    return PurePosixPath(*parts)


def write_tree(root: Path, files: dict[str, str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name, text in files.items():
        target = root / safe_relative(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)


def _fixes_with_changes(report: dict[str, Any], sarif: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON report's findings, each fix carrying the SARIF edits (`changes`) that apply it."""
    changes: dict[tuple[str, str], list[Any]] = {}
    for run in sarif.get("runs", []):
        for result in run.get("results", []):
            fingerprint = result.get("partialFingerprints", {}).get(SARIF_FINGERPRINT, "")
            for fix in result.get("fixes", []):
                changes[(fingerprint, fix["description"]["text"])] = fix["artifactChanges"]
    findings = report.get("findings", [])
    for finding in findings:
        for fix in finding.get("fixes", []):
            fix["changes"] = changes.get((finding.get("fingerprint", ""), fix.get("description", "")), [])
    return findings


def can_parse_cdk_source() -> bool:
    """archmatch reads CDK app source with tree-sitter, which has no pure-Python (browser) build."""
    return importlib.util.find_spec("tree_sitter") is not None


def unreadable_cdk_apps(files: dict[str, str]) -> list[str]:
    """The cdk.json of each CDK app whose source this Python cannot parse."""
    if can_parse_cdk_source():
        return []
    return sorted(p for p in files if PurePosixPath(p).name == "cdk.json")


def _exit_code(result: engine.ScanResult, threshold: str, internal_errors: str) -> int:
    """What `archmatch scan` would exit with."""
    if internal_errors == "fail" and any(d.code == "internal" for d in result.diagnostics):
        return 2
    return engine.exit_code(result, threshold)


def scan_tree(files: dict[str, str], root: Path) -> dict[str, Any]:
    """Scan `files` (path -> text) written under `root` as `archmatch scan .` run in `root` would."""
    write_tree(root, files)
    previous = os.getcwd()
    os.chdir(root)
    try:
        paths = [Path(".")]
        try:
            config = load_config(None, paths)
        except ConfigError as exc:
            return {"error": one_line(str(exc)), "exit_code": 2}
        # An app's cdk.json is what starts the CDK source reader: leave it out where that reader
        # cannot run, and say so, rather than report an internal error.
        unread = unreadable_cdk_apps(files)
        excludes = [*config.excludes, *(glob.escape(p) for p in unread)]
        options = ScanOptions(excludes=excludes, include=list(config.includes))
        result = engine.scan(paths, config, options)
        formats = renderers()
        json_text = formats["json"](result)
        sarif_text = formats["sarif"](result, config.overrides)
        report = json.loads(json_text)
        threshold = config.failure_threshold or DEFAULT_THRESHOLD
        return {
            "unread": [
                f"{p}: the CDK app's source is not read here (archmatch parses it with tree-sitter, which has "
                "no browser build); its synthesized cdk.out templates and asset manifests are"
                for p in unread
            ],
            "findings": _fixes_with_changes(report, json.loads(sarif_text)),
            "diagnostics": report.get("diagnostics", []),
            "summary": report.get("summary", {}),
            "workloads": json.loads(render_inventory(result)).get("workloads", []),
            "json": json_text,
            "sarif": sarif_text,
            "markdown": formats["markdown"](result),
            "text": formats["text"](result, color=False),
            "exit_code": _exit_code(result, threshold, config.internal_errors or "fail"),
            "seconds": result.seconds,
        }
    finally:
        os.chdir(previous)


def _offset(lines: list[str], line: int, column: int) -> int:
    """Offset in the text of 1-based `line` and 1-based code-point `column` (SARIF's columnKind)."""
    before = sum(len(text) + 1 for text in lines[: line - 1])
    return before + min(column - 1, len(lines[line - 1]))


def _replace(text: str, region: dict[str, int], inserted: str) -> str:
    lines = text.split("\n")
    first, last = region["startLine"], region.get("endLine", region["startLine"])
    if last > len(lines):
        raise ValueError(f"the edit names line {last}, the file has {len(lines)}")
    if "startColumn" in region:
        start = _offset(lines, first, region["startColumn"])
        end = _offset(lines, last, region.get("endColumn", len(lines[last - 1]) + 1))
    else:  # whole lines, their line ends kept
        start = _offset(lines, first, 1)
        end = _offset(lines, last, len(lines[last - 1]) + 1)
    return text[:start] + inserted + text[end:]


def apply_changes(files: dict[str, str], changes: list[dict[str, Any]]) -> dict[str, str]:
    """`files` with a SARIF fix's `artifactChanges` applied (replacements from the bottom up)."""
    edited = dict(files)
    for change in changes:
        path = str(safe_relative(unquote(change["artifactLocation"]["uri"])))
        if path not in edited:
            raise ValueError(f"the fix edits {path}, which is not in the tree")
        text = edited[path]
        replacements = sorted(
            change["replacements"],
            key=lambda r: (r["deletedRegion"]["startLine"], r["deletedRegion"].get("startColumn", 0)),
            reverse=True,
        )
        for rep in replacements:
            text = _replace(text, rep["deletedRegion"], rep.get("insertedContent", {}).get("text", ""))
        edited[path] = text
    return edited


def run_cli(argv: list[str], stdin: str = "") -> dict[str, Any]:
    """`archmatch ARGV` with `stdin`; its exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli_main(argv)
            except SystemExit as exc:  # argparse usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = saved_stdin
    return {"exit_code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def fix_command(command: str, target: str) -> dict[str, Any]:
    """`archmatch fix-command --for TARGET -` with the command on standard input."""
    return run_cli(["fix-command", "--for", target, "-"], stdin=command)


# Entry points for the page: JSON text in, JSON text out (no proxies to manage in JavaScript).
TREE = Path("/tmp/archmatch-playground/tree")


def scan_json(files_json: str) -> str:
    return json.dumps(scan_tree(json.loads(files_json), TREE))


def apply_json(files_json: str, changes_json: str) -> str:
    try:
        return json.dumps({"files": apply_changes(json.loads(files_json), json.loads(changes_json))})
    except (ValueError, KeyError, IndexError) as exc:
        return json.dumps({"error": one_line(str(exc))})


def fix_command_json(command: str, target: str) -> str:
    return json.dumps(fix_command(command, target))
