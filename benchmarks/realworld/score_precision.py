"""Join the realworld scan results with the judged verdicts and print the per-rule precision table.

    python benchmarks/realworld/score_precision.py                       # table + unjudged list
    python benchmarks/realworld/score_precision.py --markdown            # the table as Markdown
    python benchmarks/realworld/score_precision.py --skeleton            # YAML stubs for unjudged ones

A verdict (precision_verdicts.yaml) names one finding by repo, rule, path and entity (the parts of
archmatch's fingerprint, so it survives line shifts and reruns) and `n` when one file has several
findings of a rule for the same entity (1-based, in report order). Its `verdict` is `true` (a
maintainer would accept and act), `false` (the claim is wrong) or `noise` (arguable but not worth
acting on, or not this tool's business), with a one-line `reason`.

Error precision is true / judged errors. The warning figure is the share of false + noise among
judged warnings. Info findings are counted; those with a verdict are reported as a sample.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_RESULTS = HERE.parent / "out" / "realworld"
DEFAULT_VERDICTS = HERE / "precision_verdicts.yaml"
VERDICTS = ("true", "false", "noise")
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2, "style": 3}

Key = tuple[str, str, str, str, int]


@dataclass
class Judged:
    """One finding of a scan with its verdict (None when nobody judged it yet)."""

    repo: str
    finding: dict
    n: int
    verdict: str | None
    reason: str

    @property
    def key(self) -> Key:
        f = self.finding
        return (self.repo, f["rule"], f["location"]["path"], f.get("entity", ""), self.n)


def load_results(results_dir: Path) -> dict[str, list[dict]]:
    """repo -> findings, from the per-repository JSON files scan.py wrote."""
    out: dict[str, list[dict]] = {}
    for path in sorted(results_dir.glob("*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        repo = report.get("scan", {}).get("repo") or path.stem.replace("__", "/", 1)
        out[repo] = report.get("findings", [])
    return out


def load_diagnostics(results_dir: Path) -> Counter[str]:
    """Input diagnostics (parse errors and the like) per level over all repositories."""
    levels: Counter[str] = Counter()
    for path in sorted(results_dir.glob("*.json")):
        for diag in json.loads(path.read_text(encoding="utf-8")).get("diagnostics", []):
            levels[diag.get("level", "?")] += 1
    return levels


def load_verdicts(path: Path) -> dict[Key, dict]:
    """Verdicts keyed like findings; a malformed verdict is an error, not silently skipped."""
    if not path.exists():
        return {}
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    verdicts: dict[Key, dict] = {}
    for entry in entries.get("verdicts", []):
        if isinstance(entry.get("verdict"), bool):  # an unquoted YAML true/false
            entry["verdict"] = str(entry["verdict"]).lower()
        if entry.get("verdict") not in VERDICTS:
            raise SystemExit(f"bad verdict {entry.get('verdict')!r} in {entry}")
        key = (entry["repo"], entry["rule"], entry["path"], entry.get("entity", ""), int(entry.get("n", 1)))
        if key in verdicts:
            raise SystemExit(f"duplicate verdict for {key}")
        verdicts[key] = entry
    return verdicts


def join(results: dict[str, list[dict]], verdicts: dict[Key, dict]) -> list[Judged]:
    """Every finding with its occurrence number and verdict."""
    judged: list[Judged] = []
    for repo, findings in sorted(results.items()):
        seen: Counter[tuple[str, str, str]] = Counter()
        for f in findings:
            base = (f["rule"], f["location"]["path"], f.get("entity", ""))
            seen[base] += 1
            key = (repo, *base, seen[base])
            entry = verdicts.get(key)
            judged.append(
                Judged(
                    repo,
                    f,
                    seen[base],
                    entry["verdict"] if entry else None,
                    entry.get("reason", "") if entry else "",
                )
            )
    return judged


def rule_table(judged: list[Judged]) -> list[tuple[str, str, Counter[str]]]:
    """(rule, severity, counts of true/false/noise/unjudged/total), errors first."""
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for j in judged:
        c = counts[(j.finding["rule"], j.finding["severity"])]
        c[j.verdict or "unjudged"] += 1
        c["total"] += 1
    order = sorted(counts, key=lambda k: (SEVERITY_ORDER.get(k[1], 9), k[0]))
    return [(rule, sev, counts[(rule, sev)]) for rule, sev in order]


def totals(judged: list[Judged]) -> dict[str, Counter[str]]:
    """Per severity: counts of each verdict and of unjudged findings."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for j in judged:
        out[j.finding["severity"]][j.verdict or "unjudged"] += 1
        out[j.finding["severity"]]["total"] += 1
    return out


def _ratio(num: int, den: int) -> str:
    return f"{100 * num / den:.0f} %" if den else "n/a"


def summary_lines(judged: list[Judged]) -> list[str]:
    """Error precision, false+noise share among warnings, info counts."""
    t = totals(judged)
    err, warn, info = t["error"], t["warning"], t["info"]
    err_judged = err["true"] + err["false"] + err["noise"]
    warn_judged = warn["true"] + warn["false"] + warn["noise"]
    info_judged = info["true"] + info["false"] + info["noise"]
    return [
        f"errors: {err['total']} ({err['true']} true, {err['false']} false, {err['noise']} noise, "
        f"{err['unjudged']} unjudged); error precision {_ratio(err['true'], err_judged)}",
        f"warnings: {warn['total']} ({warn['true']} true, {warn['false']} false, {warn['noise']} noise, "
        f"{warn['unjudged']} unjudged); false+noise among warnings "
        f"{_ratio(warn['false'] + warn['noise'], warn_judged)}",
        f"info: {info['total']} (sample judged: {info_judged}: {info['true']} true, {info['false']} false, "
        f"{info['noise']} noise)",
    ]


def print_text(judged: list[Judged]) -> None:
    print(f"{'rule':8} {'severity':8} {'true':>5} {'false':>5} {'noise':>5} {'unjudged':>8} {'total':>5}")
    for rule, sev, c in rule_table(judged):
        print(
            f"{rule:8} {sev:8} {c['true']:5} {c['false']:5} {c['noise']:5} {c['unjudged']:8} {c['total']:5}"
        )
    print()
    for line in summary_lines(judged):
        print(line)


def print_markdown(judged: list[Judged]) -> None:
    print("| rule | severity | true | false | noise | unjudged | total |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for rule, sev, c in rule_table(judged):
        print(
            f"| {rule} | {sev} | {c['true']} | {c['false']} | {c['noise']} | {c['unjudged']} | {c['total']} |"
        )
    print()
    for line in summary_lines(judged):
        print(f"- {line}")


def unjudged(judged: list[Judged], with_info: bool) -> list[Judged]:
    """Findings that still need a verdict (errors and warnings; info only on request)."""
    keep = ("error", "warning", "info") if with_info else ("error", "warning")
    return [j for j in judged if j.verdict is None and j.finding["severity"] in keep]


def print_unjudged(items: list[Judged]) -> None:
    if not items:
        return
    print(f"\nfindings without a verdict: {len(items)}")
    for j in items:
        f = j.finding
        print(
            f"- {j.repo} {f['rule']} {f['severity']} {f['location']['path']}:{f['location']['line']} "
            f"[{f.get('entity', '')}] n={j.n}: {f['message'][:200]}"
        )


def print_skeleton(items: list[Judged]) -> None:
    """YAML stubs to paste into precision_verdicts.yaml, one per unjudged finding."""
    for j in items:
        repo, rule, path, entity, n = j.key
        print(
            f"  - {{repo: {repo}, rule: {rule}, path: {json.dumps(path)}, entity: {json.dumps(entity)}, "
            f'n: {n}, verdict: TODO, reason: ""}}  # line {j.finding["location"]["line"]}: '
            f"{j.finding['message'][:150]}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="folder scan.py wrote")
    parser.add_argument("--verdicts", type=Path, default=DEFAULT_VERDICTS)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--skeleton", action="store_true", help="print YAML stubs for unjudged findings")
    parser.add_argument("--with-info", action="store_true", help="list unjudged info findings too")
    args = parser.parse_args(argv)

    results = load_results(args.results)
    judged = join(results, load_verdicts(args.verdicts))
    todo = unjudged(judged, args.with_info)
    if args.skeleton:
        print_skeleton(todo)
        return 0
    if args.markdown:
        print_markdown(judged)
    else:
        print_text(judged)
    diagnostics = load_diagnostics(args.results)
    print(
        f"repositories: {len(results)}; input diagnostics: "
        + (", ".join(f"{n} {level}" for level, n in sorted(diagnostics.items())) or "none")
    )
    print_unjudged(todo)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
