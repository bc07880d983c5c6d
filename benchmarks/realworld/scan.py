"""Scan every repository of the precision audit set with archmatch and keep the JSON results.

    python benchmarks/realworld/scan.py /work/realworld                 # every repository
    python benchmarks/realworld/scan.py /work/realworld --only serverless-fastapi --only FastApp

The repositories are not part of this project: COPIES is a folder of local copies, one folder per
repository named `<owner>__<name>@<first 12 hex of the commit>` (or `<owner>__<name>`). The list and
the commits come from `precision_repos.yaml` beside this script. Each scan is a whole-repository
`archmatch scan <copy> -f json --severity-threshold none`, run with the console script next to
sys.executable; its result goes to `<out>/<owner>__<name>.json` (default benchmarks/out/realworld,
git-ignored), with a `scan` block added (commit, seconds, exit code, stderr tail).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_LIST = HERE / "precision_repos.yaml"
DEFAULT_OUT = HERE.parent / "out" / "realworld"


def load_repos(list_path: Path) -> list[dict]:
    """The audit set: a list of {repo, commit, shape, why}."""
    data = yaml.safe_load(list_path.read_text(encoding="utf-8"))
    return list(data["repositories"])


def repo_key(repo: str) -> str:
    """`owner/name` as a file or folder name."""
    return repo.replace("/", "__")


def find_copy(copies: Path, repo: str, commit: str) -> Path | None:
    """The local copy of a repository at its commit, or None when it is missing."""
    for candidate in (copies / f"{repo_key(repo)}@{commit[:12]}", copies / repo_key(repo)):
        if candidate.is_dir():
            return candidate
    return None


def archmatch_command() -> str:
    """The archmatch console script of the interpreter running this script."""
    script = Path(sys.executable).with_name("archmatch")
    return str(script) if script.exists() else "archmatch"


def scan_one(copy: Path, timeout: int) -> tuple[dict, float, int, str]:
    """Run one whole-repository scan; returns (report, seconds, exit code, stderr tail)."""
    cmd = [archmatch_command(), "scan", str(copy), "-f", "json", "--severity-threshold", "none"]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"findings": [], "diagnostics": []}, time.monotonic() - start, -1, "timeout"
    seconds = time.monotonic() - start
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = {"findings": [], "diagnostics": []}
    return report, seconds, proc.returncode, proc.stderr[-2000:]


def selected(repos: list[dict], only: list[str]) -> list[dict]:
    """The repositories whose owner/name contains one of the --only strings (all when none)."""
    if not only:
        return repos
    return [r for r in repos if any(o.lower() in r["repo"].lower() for o in only)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("copies", type=Path, help="folder of local copies of the repositories")
    parser.add_argument("--only", action="append", default=[], help="scan only repos containing this")
    parser.add_argument("--list", type=Path, default=DEFAULT_LIST, help="repository list (YAML)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the JSON results")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per repository")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    missing = 0
    for entry in selected(load_repos(args.list), args.only):
        copy = find_copy(args.copies, entry["repo"], entry["commit"])
        if copy is None:
            print(f"MISSING {entry['repo']}@{entry['commit'][:12]} under {args.copies}", file=sys.stderr)
            missing += 1
            continue
        report, seconds, code, stderr = scan_one(copy, args.timeout)
        report["scan"] = {
            "repo": entry["repo"],
            "commit": entry["commit"],
            "seconds": round(seconds, 1),
            "exit_code": code,
            "stderr_tail": stderr,
        }
        out_file = args.out / f"{repo_key(entry['repo'])}.json"
        out_file.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        counts = _severity_counts(report)
        print(f"{entry['repo']:60} {seconds:7.1f}s exit {code:3}  {counts}")
    return 1 if missing else 0


def _severity_counts(report: dict) -> str:
    counts: dict[str, int] = {}
    for finding in report.get("findings", []):
        counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
    return " ".join(f"{k}={counts[k]}" for k in sorted(counts))


if __name__ == "__main__":
    raise SystemExit(main())
