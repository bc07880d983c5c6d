"""The scan pipeline: discover -> extract -> link -> evaluate -> suppress -> sort."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

from archmatch import rules as rule_registry
from archmatch import templating
from archmatch.extract import extractors
from archmatch.isolation import run_stage
from archmatch.link import link
from archmatch.model import Diagnostic, Edit, Finding, Location, RepoFacts
from archmatch.progress import Progress
from archmatch.repo import RepoView, ScanOptions, discover
from archmatch.results import ScanResult
from archmatch.settings import Config
from archmatch.suppress import is_suppressed, parse_pragmas


def display_prefix(root: Path) -> str:
    """Paths are shown relative to the cwd when the root is inside it, else relative to the root."""
    try:
        rel = root.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return ""
    text = rel.as_posix()
    return "" if text == "." else text + "/"


def _prefixed(loc: Location, prefix: str) -> Location:
    return dataclasses.replace(loc, path=prefix + loc.path) if prefix else loc


def _prefix_paths_in_text(text: str, paths: set[str], prefix: str) -> str:
    """Messages name other files as `path:line`; show those paths the way locations are shown."""
    for path in sorted(paths, key=len, reverse=True):
        text = re.sub(rf"(?<![\w./-]){re.escape(path)}(?=:\d)", lambda _m, p=path: prefix + p, text)  # type: ignore[misc]  # a lambda with defaults
    return text


def prefix_finding(f: Finding, prefix: str) -> Finding:
    if not prefix:
        return f
    paths = {
        f.location.path,
        *(r.location.path for r in f.related),
        *(e.location.path for fx in f.fixes for e in fx.edits),
    }
    return dataclasses.replace(
        f,
        message=_prefix_paths_in_text(f.message, paths, prefix),
        location=_prefixed(f.location, prefix),
        subject=_prefixed(f.subject, prefix) if f.subject is not None else None,
        related=tuple(
            dataclasses.replace(
                r,
                location=_prefixed(r.location, prefix),
                message=_prefix_paths_in_text(r.message, paths, prefix),
            )
            for r in f.related
        ),
        fixes=tuple(
            dataclasses.replace(
                fx,
                description=_prefix_paths_in_text(fx.description, paths, prefix),
                edits=tuple(dataclasses.replace(e, location=_prefixed(e.location, prefix)) for e in fx.edits),
            )
            for fx in f.fixes
        ),
    )


def analyze(
    root: Path,
    config: Config,
    only: list[str] | None = None,
    options: ScanOptions | None = None,
    progress: Progress | None = None,
) -> tuple[RepoFacts, RepoView]:
    """Extract and link the facts of one root (a directory). `only` limits the files to those paths."""
    options = options or ScanOptions(excludes=list(config.excludes), include=list(config.includes))
    facts = RepoFacts(root=root)
    files = discover(root, options, facts.diagnostics) if only is None else sorted(only)
    facts.files = files
    repo = RepoView(root, files, options, facts.diagnostics)
    if only is None:
        repo.discovered = repo.file_set
    for name, extract in extractors():
        if progress is not None:
            progress.advance(f"extract {name}")
        run_stage(name, extract, repo, facts)
    rendered = repo.rendered
    facts.diagnostics.extend(
        templating.summary({k: v for k, v in repo.templated.items() if k not in rendered})
    )
    try:
        link(facts, config)
    except Exception as exc:
        facts.diagnostics.append(
            Diagnostic(Location("."), f"internal error while linking: {exc!r}", "error", "internal")
        )
    return facts, repo


def evaluate(
    facts: RepoFacts, repo: RepoView, config: Config, progress: Progress | None = None
) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    suppressed = 0
    pragma_cache: dict[str, object] = {}
    for rule in rule_registry.all_rules():
        if progress is not None:
            progress.advance(rule.meta.id)
        if rule.meta.id in config.ignored:
            continue
        try:
            produced = list(rule.check(facts))
        except Exception as exc:
            facts.diagnostics.append(
                Diagnostic(
                    Location("."), f"internal error in rule {rule.meta.id}: {exc!r}", "error", "internal"
                )
            )
            continue
        for finding in produced:
            path = finding.location.path
            if path not in pragma_cache:
                text = repo.read_text(path) if repo.exists(path) else None
                pragma_cache[path] = parse_pragmas(text) if text else None
            pragmas = pragma_cache[path]
            if pragmas is not None and is_suppressed(finding, pragmas):  # type: ignore[arg-type]
                suppressed += 1
                continue
            finding.severity = capped_severity(finding, config.severity(rule.meta.id, rule.meta.severity))
            findings.append(_resolve_edits(finding, repo))
    return findings, suppressed


def capped_severity(finding: Finding, severity: str) -> str:
    """A finding that rests on a low-confidence link (a naming heuristic or proximity), on an image
    that only one branch of a condition runs, or on a pod architecture only proximity to the
    project's node groups decided, is at most a warning: an error claims deploys will
    fail, which needs evidence a maintainer accepts."""
    order = rule_registry.SEVERITY_ORDER
    uncertain = (
        finding.properties.get("linkConfidence") == "low"
        or finding.properties.get("linkCandidate")
        or finding.properties.get("workloadArchConfidence") == "low"
    )
    if uncertain and order.get(severity, 0) > order["warning"]:  # a condition's candidate may not deploy
        return "warning"
    return severity


def _line_of(repo: RepoView, path: str, line: int) -> str | None:
    text = repo.read_text(path) if repo.exists(path) else None
    lines = text.split("\n") if text is not None else []
    return lines[line - 1] if 0 < line <= len(lines) else None


def _resolve_edit(edit: Edit, repo: RepoView) -> tuple[Edit, str] | None:
    """The edit placed on its line, with the diff of that line (`- before` / `+ after`)."""
    loc = edit.location
    line = _line_of(repo, loc.path, loc.line)
    col = line.find(edit.find) if line is not None else -1
    if line is None or col < 0:
        return None
    region = Location(loc.path, loc.line, col + 1, loc.line, col + len(edit.find))
    return Edit(region, edit.text), _line_diff(line, line[:col] + edit.text + line[col + len(edit.find) :])


def _line_diff(before: str, after: str) -> str:
    """`- before` / `+ after` (an unchanged first line, as when lines are inserted after it, is
    shown as context), indented relative to the edited line."""
    indent = before[: len(before) - len(before.lstrip())]
    added = [a[len(indent) :] if a.startswith(indent) else a.strip() for a in after.split("\n")]
    head = (
        [f"  {before.strip()}"]
        if added[0].rstrip() == before.strip()
        else [f"- {before.strip()}", f"+ {added[0].rstrip()}"]
    )
    return "\n".join([*head, *(f"+ {a.rstrip()}" for a in added[1:])])


def _resolve_edits(finding: Finding, repo: RepoView) -> Finding:
    """Place every `find` edit. The diff shown for a fix whose edits are all placed is what they do
    to those lines: a rule writes its diff without the file, so it cannot know that a build already
    has `platforms:` (it would show it added again beside an edit that replaces its value)."""
    if not any(e.find for fx in finding.fixes for e in fx.edits):
        return finding
    fixes = []
    for fx in finding.fixes:
        placed = [(e, "") if not e.find else _resolve_edit(e, repo) for e in fx.edits]
        if not all(p is not None for p in placed):
            # a fix whose edits cannot all be placed is shown but not applied: a part of it may break
            fixes.append(dataclasses.replace(fx, edits=()))
            continue
        done = [p for p in placed if p is not None]
        diffs = [(e.location, d) for e, d in done if d]
        diff = fx.diff
        if diffs and len(diffs) == len(done):
            several = len(diffs) > 1
            diff = "\n".join(f"@ {loc.path}:{loc.line}\n{d}" if several else d for loc, d in diffs)
        fixes.append(dataclasses.replace(fx, edits=tuple(e for e, _ in done), diff=diff))
    return dataclasses.replace(finding, fixes=tuple(fixes))


def scan(
    paths: list[Path], config: Config, options: ScanOptions | None = None, progress: Progress | None = None
) -> ScanResult:
    started = time.perf_counter()
    result = ScanResult()
    if progress is not None:
        progress.start(len(paths) * (len(extractors()) + len(rule_registry.all_rules())))
    try:
        for path in paths:
            _scan_one(path, config, options, result, progress)
    finally:
        if progress is not None:
            progress.finish()
    result.findings = dedupe(sorted(result.findings, key=Finding.sort_key))
    result.diagnostics = sorted(set(result.diagnostics))
    result.seconds = time.perf_counter() - started
    return result


def _scan_one(
    path: Path, config: Config, options: ScanOptions | None, result: ScanResult, progress: Progress | None
) -> None:
    if path.is_file():
        root, only = path.parent, [path.name]
        facts, repo = _analyze_file_and_what_it_names(root, path.name, config, options, progress)
    else:
        root, only = path, None
        facts, repo = analyze(root, config, only, options, progress)
    findings, suppressed = evaluate(facts, repo, config, progress)
    prefix = display_prefix(root)
    result.facts.append(facts)
    result.prefixes.append(prefix)
    result.files_scanned += len(facts.files)
    result.suppressed += suppressed
    result.findings.extend(prefix_finding(f, prefix) for f in findings)
    result.diagnostics.extend(
        dataclasses.replace(d, location=_prefixed(d.location, prefix)) for d in facts.diagnostics
    )


def _analyze_file_and_what_it_names(
    root: Path, name: str, config: Config, options: ScanOptions | None, progress: Progress | None
) -> tuple[RepoFacts, RepoView]:
    from archmatch import single_file

    read = [name]
    named = single_file.Named()
    facts, repo = analyze(root, config, read, options, progress)
    for _ in range(single_file.MAX_ROUNDS):
        more = single_file.named_files(root, facts, read, named)
        if not more:
            break
        read += more
        named.read += more
        named.unread.clear()  # recomputed from the wider read
        facts, repo = analyze(root, config, read, options, progress)
    else:
        single_file.named_files(root, facts, read, named)
    facts.diagnostics.append(single_file.note(name, named))
    return facts, repo


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out: list[Finding] = []
    for f in findings:
        key = f.sort_key()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def exit_code(result: ScanResult, threshold: str) -> int:
    if threshold == "none":
        return 0
    floor = rule_registry.SEVERITY_ORDER[threshold]
    return int(any(rule_registry.SEVERITY_ORDER.get(f.severity, 3) >= floor for f in result.findings))
