"""What the Checkov pack costs inside archmatch's own code, per Checkov process, cold and warm.

    python benchmarks/pack_profile.py TREE [--runs cold warm] [--keep FILE]

Runs `checkov -d TREE --external-checks-dir checks --skip-framework yaml json` (as `run.py` does)
with `ARCHMATCH_PACK_PROFILE` set (see archmatch/integrations/checkov_profile.py) and a private
TMPDIR whose Checkov grammar cache an unmeasured run fills first: a cold run empties only the pack's
analysis cache. Prints, per run, one row per process that ran archmatch code: the frameworks it
registered, the CPU time of registering, of the first check call that needs the analysis (and its
steps), of the other check calls, and the process's own CPU time in all. CPU time of archmatch code,
counted inside each process, does not depend on what other processes do on the machine, unlike
the wall and CPU time of a whole Checkov run (it still varies with cache contention, by a few %).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
STEPS = (
    "config",
    "discover",
    "cache key",
    "cache read",
    "lock wait",
    "cache read after lock",
    "analysis",
    "cache write",
    "findings",
)


def checkov() -> str:
    found = Path(sys.executable).with_name("checkov")
    return str(found) if found.exists() else (shutil.which("checkov") or "checkov")


def run_checkov(tree: Path, tmp: Path, profile: Path | None) -> None:
    env = {**os.environ, "TMPDIR": str(tmp)}
    env.pop("ARCHMATCH_PACK_PROFILE", None)
    cmd = [checkov(), "-d", str(tree), "--skip-download", "--quiet", "--compact", "-o", "json"]
    if profile is not None:
        env["ARCHMATCH_PACK_PROFILE"] = str(profile)
        cmd += ["--external-checks-dir", str(REPO / "checks"), "--skip-framework", "yaml", "json"]
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def load(path: Path) -> dict[int, list[dict[str, Any]]]:
    by_pid: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        item = json.loads(line)
        by_pid[item["pid"]].append(item)
    return dict(by_pid)


def summarise(name: str, by_pid: dict[int, list[dict[str, Any]]]) -> dict[str, float]:
    """One row per process, then the sums. CPU seconds of the thread that ran archmatch code;
    `gc` is the part of it the collector took (walking every object of the process)."""
    print(f"\n{name}: {len(by_pid)} processes ran archmatch code")
    print(
        "pid      frameworks        register  first call (outcome)  other calls (n)    gc in archmatch"
        "  Checkov's run() around them  process CPU"
    )
    totals: dict[str, float] = defaultdict(float)
    for pid, lines in sorted(by_pid.items()):
        steps: dict[str, float] = defaultdict(float)
        exit_line: dict[str, Any] = {}
        outcome, frameworks = "", []
        for item in lines:
            if item["step"] == "exit":
                exit_line = item
            else:
                steps[item["step"]] += item["cpu"]
                if item["step"] == "first call":
                    outcome = item.get("outcome", "")
                    totals[f"processes that {outcome}"] += 1
                if item["step"] == "lock wait":
                    totals["lock wait, wall"] += item["wall"]
                    totals["lock wait, process CPU"] += item.get("process_cpu", 0.0)
            frameworks = item["frameworks"] or frameworks
        calls_cpu = exit_line.get("calls_cpu", 0.0)
        other = calls_cpu - steps["first call"]
        runs_outside = exit_line.get("runs_cpu", 0.0) - calls_cpu
        forked = exit_line.get("forked_from")
        label = ",".join(frameworks) + (f" (child of {forked})" if forked else "")
        print(
            f"{pid:<8} {label[:16]:<16} {steps['register']:8.3f}  "
            f"{steps['first call']:8.3f} ({outcome or '-':>8})  "
            f"{other:8.3f} ({exit_line.get('calls', 0):>4.0f})  {exit_line.get('gc_inside_cpu', 0.0):8.3f}"
            f"  {runs_outside:8.3f}                     {exit_line.get('process_cpu', 0.0):8.3f}"
        )
        for key in ("register", "first call", *STEPS):
            totals[key] += steps[key]
        totals["other calls"] += other
        totals["calls"] += exit_line.get("calls", 0)
        totals["gc inside archmatch code"] += exit_line.get("gc_inside_cpu", 0.0)
        totals["Checkov's run() around the calls"] += runs_outside
        totals["archmatch CPU"] += steps["register"] + calls_cpu
        totals["process CPU"] += exit_line.get("process_cpu", 0.0)
        totals["process gc CPU"] += exit_line.get("gc_cpu", 0.0)
        totals["forks after load"] += exit_line.get("forks_after_load", 0)
    print("sums: " + ", ".join(f"{k} {v:.3f}" for k, v in totals.items()))
    return dict(totals)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("tree", type=Path)
    parser.add_argument("--runs", nargs="+", default=["cold", "warm"], choices=["cold", "warm"])
    parser.add_argument("--keep", type=Path, help="folder for the raw JSON lines of each run")
    args = parser.parse_args()
    tree = args.tree.resolve()
    with tempfile.TemporaryDirectory(prefix="pack-profile-") as scratch:
        tmp = Path(scratch) / "tmp"
        tmp.mkdir()
        run_checkov(tree, tmp, None)  # fills Checkov's grammar cache, unmeasured
        results = {}
        for index, name in enumerate(args.runs):
            if name == "cold":
                for folder in tmp.glob("archmatch-checkov-*"):
                    shutil.rmtree(folder)
            out = (args.keep or Path(scratch)) / f"{index}-{name}.jsonl"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.unlink(missing_ok=True)
            run_checkov(tree, tmp, out)
            results[name] = summarise(name, load(out))
    if {"cold", "warm"} <= results.keys():
        extra = results["cold"]["archmatch CPU"] - results["warm"]["archmatch CPU"]
        print(f"\ncold - warm, CPU in archmatch code: {extra:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
