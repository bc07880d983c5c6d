"""Score archmatch against the labelled real-world recall set (recall_cases.yaml).

Usage:
    python benchmarks/realworld/score_recall.py --copies /work/realworld [--cases FILE] [--json OUT]

`--copies` is the folder holding one extracted tree per case (`<owner>__<name>@<sha12>`, see
recall_cases.yaml). Each distinct (folder, scan) pair is scanned once with
`archmatch scan <folder>/<scan> -f json` (the console script next to sys.executable), then every
case is judged from the findings that touch it:

* a finding touches a case when its location or one of its related locations is in the case's
  workload file or build file within a window of lines around the labelled line
  (TOUCH_BEFORE lines before, TOUCH_AFTER after), or anywhere in the case's Dockerfile;
* mismatch:       found  = an error-severity finding touches the case;
* host-dependent: warned = a warning from HOST_DEPENDENT_RULES touches the case's workload or build
                  file (a warning seen only on the Dockerfile is not about this workload; an error
                  that touches the case also counts, and is listed as an over-claim);
* consistent:     false error = an error-severity finding touches the case.

A mismatch case labelled `link: name-only` is one whose files tie the build to the workload only by a
name (the push target is a secret, say), as its label's reason says: no tool can be statically
certain of it, so the brief's "an error only on evidence a maintainer would accept" makes a warning
the right answer. It counts as reported with an error, or an ARCH301 or host-dependence warning on its workload or
build file,
and is shown apart from the statically certain mismatches (the overall error recall stays printed).

CI does not run this script: it needs the local copies, which are third-party code and are never
committed. Nothing in the copies is executed; archmatch only reads them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
TOUCH_BEFORE = 5
TOUCH_AFTER = 40
HOST_DEPENDENT_RULES = frozenset({"ARCH302", "ARCH306", "ARCH401", "ARCH106"})
# A name-only mismatch is reported by a mismatch rule at warning level (its confidence too low for an
# error) or by a host-dependence warning.
MISMATCH_WARNING_RULES = HOST_DEPENDENT_RULES | {"ARCH301"}
VERDICTS = ("mismatch", "host-dependent", "consistent")


@dataclass(frozen=True)
class Target:
    """A file (relative to the scan root) and the labelled line; line 0 means the whole file."""

    path: str
    line: int
    role: str

    def touched_by(self, path: str, line: int) -> bool:
        if path != self.path:
            return False
        if self.line == 0 or line == 0:
            return True
        return self.line - TOUCH_BEFORE <= line <= self.line + TOUCH_AFTER


@dataclass
class Outcome:
    case: dict[str, Any]
    touching: list[dict[str, Any]] = field(default_factory=list)
    touching_workload_or_build: list[dict[str, Any]] = field(default_factory=list)
    scan_error: str = ""

    @property
    def expected(self) -> str:
        return str(self.case["expected"])

    def rules(self, severity: str, allowed: frozenset[str] | None = None) -> list[str]:
        return sorted(
            {
                f["rule"]
                for f in self.touching
                if f["severity"] == severity and (allowed is None or f["rule"] in allowed)
            }
        )

    @property
    def has_error(self) -> bool:
        return bool(self.rules("error"))

    @property
    def has_host_warning(self) -> bool:
        return any(
            f["severity"] == "warning" and f["rule"] in HOST_DEPENDENT_RULES
            for f in self.touching_workload_or_build
        )

    @property
    def name_only(self) -> bool:
        return self.case.get("link") == "name-only"

    @property
    def has_mismatch_warning(self) -> bool:
        return any(
            f["severity"] == "warning" and f["rule"] in MISMATCH_WARNING_RULES
            for f in self.touching_workload_or_build
        )

    @property
    def reported(self) -> bool:
        """Whether archmatch said what the label says (for consistent: stayed free of errors)."""
        if self.expected == "mismatch" and self.name_only:
            return self.has_error or self.has_mismatch_warning
        if self.expected == "mismatch":
            return self.has_error
        if self.expected == "host-dependent":
            return self.has_host_warning or self.has_error
        return not self.has_error


def relative_to_scan(case: dict[str, Any], file: str) -> str | None:
    scan = str(case.get("scan", ".")).strip("/")
    if scan in ("", "."):
        return file
    prefix = scan + "/"
    return file[len(prefix) :] if file.startswith(prefix) else None


def targets(case: dict[str, Any]) -> list[Target]:
    found: list[Target] = []
    for part in ("workload", "build"):
        path = relative_to_scan(case, str(case[part]["file"]))
        if path is not None:
            found.append(Target(path, int(case[part]["line"]), part))
    dockerfile = str(case["build"].get("dockerfile", "")).split(" ")[0]
    path = relative_to_scan(case, dockerfile) if dockerfile and dockerfile != "none" else None
    if path:
        found.append(Target(path, 0, "dockerfile"))
    return found


def finding_locations(finding: dict[str, Any]) -> list[tuple[str, int]]:
    locations = [finding["location"]] + [r["location"] for r in finding.get("related", [])]
    return [(str(loc["path"]), int(loc.get("line") or 0)) for loc in locations]


def touches(finding: dict[str, Any], case_targets: list[Target]) -> bool:
    """Whether one of the finding's locations falls on one of the targets."""
    return any(t.touched_by(path, line) for path, line in finding_locations(finding) for t in case_targets)


def archmatch_executable() -> str:
    candidate = Path(sys.executable).parent / "archmatch"
    return str(candidate) if candidate.exists() else "archmatch"


def scan(root: Path) -> tuple[list[dict[str, Any]], str]:
    proc = subprocess.run(
        [archmatch_executable(), "scan", str(root), "-f", "json", "--severity-threshold", "none"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return list(json.loads(proc.stdout)["findings"]), ""
    except (json.JSONDecodeError, KeyError):
        return [], f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"


def score(cases: list[dict[str, Any]], copies: Path) -> list[Outcome]:
    scans: dict[tuple[str, str], tuple[list[dict[str, Any]], str]] = {}
    outcomes: list[Outcome] = []
    for case in cases:
        key = (str(case["folder"]), str(case.get("scan", ".")))
        root = copies / key[0] / key[1]
        if key not in scans:
            scans[key] = scan(root) if root.is_dir() else ([], f"missing copy {root}")
        findings, error = scans[key]
        outcomes.append(judge(case, findings, error))
    return outcomes


def judge(case: dict[str, Any], findings: list[dict[str, Any]], scan_error: str = "") -> Outcome:
    """The findings of one scan that touch this case, split by what they touch."""
    case_targets = targets(case)
    direct = [t for t in case_targets if t.role != "dockerfile"]
    touching = [f for f in findings if touches(f, case_targets)]
    touching_direct = [f for f in touching if touches(f, direct)]
    return Outcome(case, touching, touching_direct, scan_error)


def ratio(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.0f} %)" if total else "0/0"


def summary_lines(outcomes: list[Outcome]) -> list[str]:
    by_verdict = {v: [o for o in outcomes if o.expected == v] for v in VERDICTS}
    mismatch = by_verdict["mismatch"]
    host = by_verdict["host-dependent"]
    consistent = by_verdict["consistent"]
    certain = [o for o in mismatch if not o.name_only]
    by_name = [o for o in mismatch if o.name_only]
    repos = {o.case["repo"] for o in outcomes}
    return [
        f"cases: {len(outcomes)} from {len(repos)} repositories "
        f"(mismatch {len(mismatch)}, host-dependent {len(host)}, consistent {len(consistent)})",
        f"recall on mismatch (error reported):      {ratio(sum(o.has_error for o in mismatch), len(mismatch))}",
        f"  statically certain (error reported):    {ratio(sum(o.has_error for o in certain), len(certain))}",
        f"  linked by name only (warning or error): {ratio(sum(o.reported for o in by_name), len(by_name))}",
        f"host-dependent warned (or errored):       {ratio(sum(o.reported for o in host), len(host))}"
        f"  [of which errors: {sum(o.has_error for o in host)}]",
        f"errors on consistent cases:               {sum(o.has_error for o in consistent)}/{len(consistent)}",
    ]


def travel_lines(outcomes: list[Outcome]) -> list[str]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[str(outcome.case["travels"])].append(outcome)
    lines = ["", "by how the image travels (reported/total per expected verdict):"]
    for travel in sorted(groups):
        cells = []
        for verdict in VERDICTS:
            subset = [o for o in groups[travel] if o.expected == verdict]
            if subset:
                cells.append(f"{verdict} {sum(o.reported for o in subset)}/{len(subset)}")
        lines.append(f"  {travel:22} {len(groups[travel]):2} cases  " + ", ".join(cells))
    return lines


def describe(outcome: Outcome) -> str:
    case = outcome.case
    seen = ", ".join(f"{f['rule']}/{f['severity']}" for f in outcome.touching) or "no finding on its files"
    note = f" [scan failed: {outcome.scan_error}]" if outcome.scan_error else ""
    return f"  {case['id']} ({case['expected']}, {case['travels']}): {seen}{note}"


def miss_lines(outcomes: list[Outcome]) -> list[str]:
    misses = [o for o in outcomes if not o.reported]
    lines = ["", f"misses and false errors ({len(misses)}):"]
    lines += [describe(o) for o in misses] or ["  none"]
    return lines


def as_json(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    return [
        {
            "id": o.case["id"],
            "expected": o.expected,
            "travels": o.case["travels"],
            "reported": o.reported,
            "errors": o.rules("error"),
            "warnings": o.rules("warning"),
            "scan_error": o.scan_error,
        }
        for o in outcomes
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", required=True, type=Path, help="folder with the extracted trees")
    parser.add_argument("--cases", type=Path, default=HERE / "recall_cases.yaml")
    parser.add_argument("--only", action="append", default=[], help="score only these case ids")
    parser.add_argument("--json", type=Path, help="also write per-case results to this file")
    args = parser.parse_args(argv)
    cases = yaml.safe_load(args.cases.read_text(encoding="utf-8"))["cases"]
    if args.only:
        cases = [c for c in cases if c["id"] in set(args.only)]
    outcomes = score(cases, args.copies)
    print("\n".join(summary_lines(outcomes) + travel_lines(outcomes) + miss_lines(outcomes)))
    if args.json:
        args.json.write_text(json.dumps(as_json(outcomes), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
