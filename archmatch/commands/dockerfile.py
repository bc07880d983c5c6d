"""`archmatch dockerfile FILE...`: the Dockerfile rules, as a drop-in for `hadolint FILE...`.

Same flags, environment variables, configuration file (`.hadolint.yaml`), output formats (field
layout from `archmatch.report.hadolint_formats`) and exit codes as Hadolint 2.15.1: 1 when a
finding is at or above the failure threshold (or a file cannot be read or parsed), else 0; always
0 with `--no-fail`; findings never fail the `codeclimate` and `codacy` formats; usage errors exit 1.
`-t none`/`ignore` rank below `style`, so any finding fails (Hadolint's meaning, unlike `scan`'s
`--severity-threshold none`). `--trusted-registry`, `--require-label` and `--strict-labels` configure
Hadolint's own rules: accepted and shown by `-V`, they change no archmatch result. Only rules of the `dockerfile` family run, each file on its own.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from archmatch import __version__
from archmatch.commands._parsing import Parser
from archmatch.config import Config
from archmatch.extract import dockerfile as dockerfile_extractor
from archmatch.extract import read_by_dockerfile_extractor_alone
from archmatch.hadolint_config import LEVELS, THRESHOLDS, HadolintConfig, HadolintConfigError, load
from archmatch.isolation import run_stage
from archmatch.model import Diagnostic, Finding, Location, RepoFacts
from archmatch.outputs import write_report
from archmatch.repo import RepoView, ScanOptions, escapes_through_symlink
from archmatch.report.hadolint_formats import FORMATS, LintRecord, render
from archmatch.rules import Rule, family_rules
from archmatch.safetext import one_line, shown_path
from archmatch.suppress import is_suppressed, parse_pragmas

PARSE_ERROR_CODE = "DL1000"  # Hadolint's code for a Dockerfile it cannot parse
# Hadolint applies --file-path-in-report to these formats only.
# Hadolint 2.15.1 exits 0 whatever it finds with these formats (they feed the Code Climate and Codacy
# engines, which read the report, not the exit code); a missing file still exits 1.
FINDINGS_NEVER_FAIL_FORMATS = frozenset({"codeclimate", "codacy"})
REPORT_PATH_FORMATS = frozenset({"checkstyle", "codeclimate", "gitlab_codeclimate", "sonarqube", "junit"})


HADOLINT_VERSION = "2.15.1"  # the Hadolint whose command line this mirrors


class HadolintStyleParser(Parser):
    """Usage errors exit 1, as Hadolint's do (it never returns 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(1)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("dockerfile", help="lint Dockerfiles with the Dockerfile rules, Hadolint-compatible")
    add_arguments(p)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """`archmatch dockerfile ARGS`, parsed with Hadolint's exit code for usage errors."""
    parser = HadolintStyleParser(prog="archmatch dockerfile", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return parser.parse_args(argv)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="DOCKERFILE", help="files to lint ('-' reads standard input)")
    p.add_argument(
        "-v",
        "--version",
        action="version",
        version=f"archmatch dockerfile {__version__} (command line of Hadolint {HADOLINT_VERSION})",
    )
    p.add_argument("-f", "--format", choices=FORMATS, default=None, help="output format (default: tty)")
    p.add_argument(
        "-c", "--config", help="configuration file (default: .hadolint.yaml in the current directory)"
    )
    p.add_argument("-o", "--output", help="write the report to OUTPUT")
    p.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an internal or output error (not in Hadolint)",
    )
    p.add_argument(
        "-t",
        "--failure-threshold",
        choices=THRESHOLDS,
        default=None,
        help="exit 1 when a finding is at or above THRESHOLD (default: info); as in Hadolint, "
        "`none` and `ignore` are the lowest thresholds, so any finding fails (use --no-fail "
        "to never fail)",
    )
    p.add_argument("--no-fail", action="store_true", help="exit 0 even when rules are violated")
    p.add_argument("--no-color", action="store_true", help="do not colour the tty output")
    p.add_argument("-V", "--verbose", action="store_true", help="print the configuration in use on stderr")
    p.add_argument(
        "--ignore", action="append", default=[], metavar="RULECODE", help="a rule to ignore (repeatable)"
    )
    for level in LEVELS:
        p.add_argument(
            f"--{level}", action="append", default=[], metavar="RULECODE", help=f"make RULECODE a(n) {level}"
        )
    p.add_argument(
        "--disable-ignore-pragma", action="store_true", help="ignore inline `# hadolint ignore=` pragmas"
    )
    p.add_argument("--file-path-in-report", help="the file path written in the report (a single file)")
    p.add_argument(
        "--trusted-registry",
        action="append",
        default=[],
        metavar="REGISTRY",
        help="accepted for Hadolint compatibility: configures Hadolint's DL3026, no archmatch rule",
    )
    p.add_argument(
        "--require-label",
        action="append",
        default=[],
        metavar="LABELSCHEMA",
        help="accepted for Hadolint compatibility: configures Hadolint's label rules, no archmatch rule",
    )
    p.add_argument(
        "--strict-labels",
        action="store_true",
        help="accepted for Hadolint compatibility: configures Hadolint's label rules, no archmatch rule",
    )
    p.set_defaults(func=run)


def dockerfile_rules() -> list[Rule]:
    return list(family_rules("dockerfile"))


@dataclass
class FileResult:
    """What linting one file gave: findings and parse errors."""

    findings: list[Finding]
    parse_errors: list[Diagnostic]


def facts_of(root: Path, name: str) -> tuple[RepoFacts, RepoView]:
    """The facts of the file `name` under `root` alone, as `engine.analyze(root, Config(), [name])`
    gives them to the Dockerfile rules. When only the Dockerfile extractor may read the file, it runs
    alone, without the extractor registry and the linker (a lone Dockerfile has no builds or
    workloads to link: nothing but start-up time); any other name goes through the engine, where
    every extractor that may read it does, as in a scan."""
    config = Config()
    if not read_by_dockerfile_extractor_alone(name):
        from archmatch.engine import analyze  # imported on use: see above

        return analyze(root, config, [name])
    facts = RepoFacts(root=root)
    facts.files = [name]
    options = ScanOptions(excludes=list(config.excludes), include=list(config.includes))
    repo = RepoView(root, facts.files, options, facts.diagnostics)
    run_stage("dockerfile", dockerfile_extractor.extract, repo, facts)
    return facts, repo


def _analyse_dir(root: Path, name: str, rules: list[Rule], use_pragmas: bool) -> FileResult | None:
    """Findings of the rules on one Dockerfile, or None if archmatch does not see it as one."""
    facts, repo = facts_of(root, name)
    if name in repo.templated:  # like Hadolint, which cannot parse it either: a parse error (DL1000)
        message = f"a {repo.templated[name]} template: render it first, archmatch does not read its branches"
        return FileResult([], [Diagnostic(Location(name, 1), message, "error", "parse")])
    if name not in facts.dockerfiles:
        return None
    pragmas = parse_pragmas(repo.read_text(name) or "") if use_pragmas else None
    findings = []
    for rule in rules:
        for finding in rule.check(facts):
            if finding.location.path == name and not (pragmas and is_suppressed(finding, pragmas)):
                findings.append(finding)
    errors = [d for d in facts.diagnostics if d.location.path == name and d.code == "parse"]
    return FileResult(findings, errors)


def unreadable(given: str) -> str:
    """Why a FILE argument is not linted ("" when it is): missing, or a symlink out of the current
    directory (the repository being linted), which `scan` would not follow either."""
    if given == "-":
        return ""
    if not Path(given).is_file():
        return "does not exist (No such file or directory)"
    if escapes_through_symlink(Path(given), [Path.cwd()]):
        return "a symlink to a file outside the current directory; not followed"
    return ""


def lint_file(path: Path, rules: list[Rule], use_pragmas: bool) -> FileResult:
    """Any file name works, as with Hadolint: a file archmatch would not call a Dockerfile is
    linted as a copy named `Dockerfile`."""
    found = _analyse_dir(path.parent, path.name, rules, use_pragmas)
    if found is not None:
        return found
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="archmatch-dockerfile-") as tmp:
        shutil.copyfile(path, Path(tmp) / "Dockerfile")
        return _analyse_dir(Path(tmp), "Dockerfile", rules, use_pragmas) or FileResult([], [])


def settings(args: argparse.Namespace) -> HadolintConfig:
    cfg = load(args.config)
    cfg.ignored |= set(args.ignore)
    for level in LEVELS:
        for code in getattr(args, level):
            cfg.overrides[code] = level
    if args.failure_threshold:
        cfg.failure_threshold = args.failure_threshold
    cfg.no_fail = cfg.no_fail or args.no_fail
    cfg.no_color = cfg.no_color or args.no_color
    cfg.disable_ignore_pragma = cfg.disable_ignore_pragma or args.disable_ignore_pragma
    if args.format:
        cfg.format = args.format
    cfg.trusted_registries += args.trusted_registry
    cfg.label_schema.update(label.partition(":")[::2] for label in args.require_label)
    cfg.strict_labels = cfg.strict_labels or args.strict_labels
    return cfg


def records_for(
    shown: str, result: FileResult, cfg: HadolintConfig, rules: dict[str, Rule]
) -> list[LintRecord]:
    out = [
        LintRecord(shown, d.location.line or 1, d.location.column or 1, PARSE_ERROR_CODE, "error", d.message)
        for d in result.parse_errors
        if PARSE_ERROR_CODE not in cfg.ignored
    ]
    for f in result.findings:
        if f.rule_id in cfg.ignored:
            continue
        meta = rules[f.rule_id].meta
        level = cfg.level(f.rule_id, meta.severity)
        out.append(
            LintRecord(
                shown,
                f.location.line or 1,
                f.location.column or 1,
                f.rule_id,
                level,
                f.message,
                meta.help_uri,
            )
        )
    return out


def sarif_rules(rules: list[Rule], cfg: HadolintConfig) -> list[dict[str, Any]]:
    return [
        {
            "id": r.meta.id,
            "name": r.meta.name,
            "shortDescription": r.meta.title,
            "level": cfg.level(r.meta.id, r.meta.severity),
            "helpUri": r.meta.help_uri,
        }
        for r in rules
    ]


def run(args: argparse.Namespace) -> int:
    try:
        cfg = settings(args)
    except HadolintConfigError as exc:
        print(f"archmatch: {one_line(str(exc))}", file=sys.stderr)
        return 1
    if cfg.format not in FORMATS:
        print(f"archmatch: unknown format {cfg.format!r} (choose from {', '.join(FORMATS)})", file=sys.stderr)
        return 1
    if not args.files:
        print("archmatch dockerfile: no Dockerfile given", file=sys.stderr)
        return 1
    if args.verbose:
        sys.stderr.write(cfg.describe())
    rules = dockerfile_rules()
    by_id = {r.meta.id: r for r in rules}
    records: list[LintRecord] = []
    shown_files: list[str] = []
    failed_io = False
    for given in args.files:
        shown = (
            args.file_path_in_report
            if args.file_path_in_report and cfg.format in REPORT_PATH_FORMATS
            else given
        )
        problem = unreadable(given)
        if problem:
            print(f"archmatch: {shown_path(given)}: {problem}", file=sys.stderr)
            failed_io = True
            continue
        try:
            result = (
                lint_stdin(rules, cfg)
                if given == "-"
                else lint_file(Path(given), rules, not cfg.disable_ignore_pragma)
            )
        except Exception as exc:  # a broken rule must not hide the other files' results
            print(
                f"archmatch: {shown_path(given)}: internal error: {type(exc).__name__}: {one_line(str(exc))[:200]}",
                file=sys.stderr,
            )
            failed_io = True
            continue
        shown_files.append(shown)
        records += records_for(shown, result, cfg, by_id)
    color = cfg.format == "tty" and not cfg.no_color and not args.output
    output = render(
        records,
        cfg.format,
        files=shown_files,
        color=color,
        tool_name="archmatch",
        tool_version=__version__,
        rules=sarif_rules(rules, cfg),
    )
    write_report(args.output, output)
    if cfg.no_fail:
        return 0
    fails = cfg.format not in FINDINGS_NEVER_FAIL_FORMATS and any(cfg.fails(r.level) for r in records)
    return int(failed_io or fails)


def lint_stdin(rules: list[Rule], cfg: HadolintConfig) -> FileResult:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="archmatch-dockerfile-") as tmp:
        (Path(tmp) / "Dockerfile").write_text(sys.stdin.read(), encoding="utf-8")
        return _analyse_dir(Path(tmp), "Dockerfile", rules, not cfg.disable_ignore_pragma) or FileResult(
            [], []
        )
