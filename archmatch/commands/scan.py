"""`archmatch scan PATH...`: the main job."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from archmatch.config import INTERNAL_ERRORS, THRESHOLDS, ConfigError, load_config
from archmatch.outputs import write_report
from archmatch.progress import Progress
from archmatch.repo import ScanOptions
from archmatch.safetext import one_line

if TYPE_CHECKING:
    from archmatch.results import ScanResult

FORMATS = ("text", "json", "sarif")
# The renderer of each --format as (module of archmatch.report, function), so that a scan imports
# only its own (start-up time); tests/test_speed.py checks it against `renderers()`.
RENDERER_OF = {
    "text": ("text", "render"),
    "json": ("jsonout", "render"),
    "sarif": ("sarif", "render"),
    "github": ("extra_formats", "render_github"),
    "markdown": ("extra_formats", "render_markdown"),
    "junit": ("extra_formats", "render_junit"),
}
# `scan` fails from warnings up by default: an info finding (an implicit service default that is
# right today, a hint) is worth reading but not worth blocking a pull request. Checkov fails on any
# failed check but has no info-level checks to fail on; Hadolint's default `info` threshold is kept
# by `archmatch dockerfile`, which is a drop-in for scripts written around `hadolint`.
DEFAULT_THRESHOLD = "warning"
THRESHOLD_HELP = (
    "lowest severity that makes the exit code 1 (default: warning, so info findings never fail a "
    "pull request; `info` or `style` to fail on them too, `none` to never fail)"
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("scan", help="scan repositories for build/run architecture mismatches")
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    p.add_argument(
        "-f", "--format", default="text", help=f"output format: {', '.join(RENDERER_OF)} (default: text)"
    )
    p.add_argument("-o", "--output", help="write the report to FILE instead of stdout")
    p.add_argument("--severity-threshold", choices=THRESHOLDS, default=None, help=THRESHOLD_HELP)
    p.add_argument(
        "--internal-errors",
        choices=INTERNAL_ERRORS,
        default=None,
        help="fail: exit 2 when a file could not be analysed (default); warn: report it and exit as usual",
    )
    p.add_argument("--config", help="configuration file (default: .archmatch.yaml in the scan root or cwd)")
    p.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB (repeatable)"
    )
    p.add_argument(
        "--include-skipped-dirs",
        action="store_true",
        help="also scan the folders skipped by default (node_modules, site-packages, .terraform, ...)",
    )
    p.add_argument(
        "--list-workloads",
        action="store_true",
        help="print the workload inventory instead of findings (text or json; exit 0, it is not a gate)",
    )
    p.add_argument("--no-color", action="store_true", help="never colour text output")
    p.add_argument(
        "--changed-files",
        nargs="+",
        metavar="FILE",
        help="report only findings these changed files can affect (and everything linked to them)",
    )
    p.add_argument(
        "--diff-base",
        metavar="REF",
        help="like --changed-files, with the files changed since REF (git diff REF...HEAD)",
    )
    p.add_argument(
        "--with-hadolint",
        action="store_true",
        help="add hadolint's results as a second SARIF run (hadolint on PATH; --format sarif only)",
    )
    p.add_argument(
        "--fix",
        action="store_true",
        help="apply the safe fixes to the files, then report what is left (as ruff check --fix)",
    )
    p.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix, also apply unsafe fixes (they change more than the finding: read the diff)",
    )
    p.set_defaults(func=run)


def renderer(name: str) -> Callable[..., str]:
    """The renderer of one --format, importing only its module."""
    module, function = RENDERER_OF[name]
    found: Callable[..., str] = getattr(importlib.import_module(f"archmatch.report.{module}"), function)
    return found


def renderers() -> dict[str, Callable[..., str]]:
    from archmatch.report import extra_formats, jsonout, sarif, text

    found: dict[str, Callable[..., str]] = {
        "text": text.render,
        "json": jsonout.render,
        "sarif": sarif.render,
    }
    found.update(extra_formats.RENDERERS)  # github, markdown, junit
    return found


def run(args: argparse.Namespace) -> int:
    from archmatch.engine import scan  # the pipeline loads only when a scan runs

    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"archmatch: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    usage = _usage_problem(args)
    if usage:
        print(f"archmatch: {usage}", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config, paths)
    except ConfigError as exc:
        print(f"archmatch: {one_line(str(exc))}", file=sys.stderr)
        return 2
    config.excludes.extend(args.exclude)
    options = ScanOptions(
        excludes=list(config.excludes),
        include_skipped_dirs=args.include_skipped_dirs,
        include=list(config.includes),
    )
    progress = Progress()
    result = scan(paths, config, options, progress=progress)
    if args.fix:
        rescanned = _fixed(args, result, lambda: scan(paths, config, options, progress=Progress()))
        if rescanned is None:
            return 2
        result = rescanned
    if args.changed_files or args.diff_base:
        from archmatch import changed

        try:
            files = args.changed_files or changed.git_report_paths(result, args.diff_base)
        except changed.ChangedFilesError as exc:
            print(f"archmatch: {one_line(str(exc))}", file=sys.stderr)
            return 2
        result = changed.filter_result(result, files)
    for d in result.diagnostics:
        if d.code == "single-file":  # what a one-file scan did and did not read, also on stderr
            print(f"archmatch: note: {d.message}", file=sys.stderr)
    if args.list_workloads:
        from archmatch.report.inventory import render as render_inventory
        from archmatch.report.inventory import render_json as render_inventory_json

        output = render_inventory_json(result) if args.format == "json" else render_inventory(result)
    else:
        if args.format not in RENDERER_OF:
            print(
                f"archmatch: unknown format {args.format!r} (choose from {', '.join(RENDERER_OF)})",
                file=sys.stderr,
            )
            return 2
        render = renderer(args.format)
        if args.format == "text":
            color = (
                not args.no_color and not args.output and sys.stdout.isatty() and "NO_COLOR" not in os.environ
            )
            output = render(result, color=color)
        elif args.format == "sarif":
            output = render(result, config.overrides)
        else:
            output = render(result)
    if args.with_hadolint:
        from archmatch.integrations.hadolint_run import with_hadolint

        output = with_hadolint(output, args.format, result)
    write_report(args.output, output)
    if args.output and args.format != "text":
        print(f"archmatch: wrote {args.output}: {len(result.findings)} findings", file=sys.stderr)
    threshold = args.severity_threshold or config.failure_threshold or DEFAULT_THRESHOLD
    if args.list_workloads:  # a listing, not a gate: 0 whatever the findings (2 if incomplete)
        return (
            2
            if _exit_code(result, "none", args.internal_errors or config.internal_errors or "fail") == 2
            else 0
        )
    return _exit_code(result, threshold, args.internal_errors or config.internal_errors or "fail")


def _fixed(
    args: argparse.Namespace, result: ScanResult, rescan: Callable[[], ScanResult]
) -> ScanResult | None:
    """Apply the allowed fixes of the findings (of the changed files only, with --changed-files)
    and scan again; None when the changed files cannot be computed."""
    from archmatch.fixapply import apply_fixes

    findings = result.findings
    if args.changed_files or args.diff_base:
        from archmatch import changed

        try:
            files = args.changed_files or changed.git_report_paths(result, args.diff_base)
        except changed.ChangedFilesError as exc:
            print(f"archmatch: {one_line(str(exc))}", file=sys.stderr)
            return None
        findings = changed.filter_result(result, files).findings
    applied = apply_fixes(findings, unsafe=args.unsafe_fixes)
    for problem in applied.skipped:
        print(f"archmatch: fix not applied: {one_line(problem)}", file=sys.stderr)
    more = (
        f"; {applied.unsafe_left} more with --unsafe-fixes (read their diffs first)"
        if applied.unsafe_left
        else ""
    )
    print(
        f"archmatch: fixed {len(applied.fixed)} finding(s) in {len(applied.files)} file(s){more}",
        file=sys.stderr,
    )
    return rescan() if applied.files else result


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.with_hadolint and (args.format != "sarif" or args.list_workloads):
        return "--with-hadolint adds Hadolint's run to a SARIF report: use it with --format sarif (and no --list-workloads)"
    if args.list_workloads and args.format not in ("text", "json"):
        return f"--list-workloads prints text or json, not {args.format!r}"
    if args.fix and args.list_workloads:
        return "--fix applies fixes to findings: use it without --list-workloads"
    if args.unsafe_fixes and not args.fix:
        return "--unsafe-fixes only says which fixes --fix applies: add --fix"
    return None


def _exit_code(result: ScanResult, threshold: str, internal_errors: str) -> int:
    """A scan that may have missed findings must not look clean: internal errors exit 2 unless
    `internal-errors: warn` (whatever the severity threshold)."""
    from archmatch.engine import exit_code

    internal = sum(d.code == "internal" for d in result.diagnostics)
    if internal and internal_errors == "fail":
        print(
            f"archmatch: {internal} internal error(s): the analysis is incomplete, so findings may be missing "
            "(exit 2; see the diagnostics; `--internal-errors warn` or `internal-errors: warn` relaxes this)",
            file=sys.stderr,
        )
        return 2
    return exit_code(result, threshold)
