"""Time archmatch against Checkov and Hadolint on the same synthetic monorepos.

    python benchmarks/run.py --sizes 10 100 1000 [--skip-checkov-above 100] [--profile]

For each size N a tree of N services is generated (benchmarks/generate.py) under
benchmarks/out/, then each tool runs on it once as a subprocess; wall time and the peak RSS of
that process (os.wait4's rusage) are recorded. Ratios are against `archmatch scan`. A tool whose
first run takes under --repeat-under seconds is run --repeat times and the median is kept, since
a shared machine makes single short runs noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cdk_app  # noqa: E402
from generate import generate  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass
class Timing:
    size: int
    tool: str
    seconds: float
    peak_mb: float
    exit_code: int
    note: str = ""


def timed(cmd: list[str], cwd: Path, timeout: float) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of one command, its output discarded."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            proc.wait()
            return timeout, 0.0, -9
        time.sleep(0.005)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, proc.returncode


def tool(name: str) -> str | None:
    """The executable next to this interpreter (a venv), else on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def commands(tree: Path, size: int, skip_checkov_above: int | None) -> list[tuple[str, list[str] | None, str]]:
    archmatch = tool("archmatch")
    checkov = tool("checkov")
    hadolint = tool("hadolint")
    dockerfiles = sorted(str(p.relative_to(tree)) for p in tree.rglob("Dockerfile"))
    skip_checkov = skip_checkov_above is not None and size > skip_checkov_above
    runs: list[tuple[str, list[str] | None, str]] = [
        ("archmatch scan", [archmatch, "scan", "-f", "json", "--severity-threshold", "none", "."] if archmatch else None, ""),
    ]
    note = f"skipped (N > {skip_checkov_above})" if skip_checkov else ("checkov not installed" if not checkov else "")
    base = [checkov, "-d", ".", "--skip-download", "--quiet", "--compact", "-o", "json"] if checkov and not skip_checkov else None
    runs.append(("checkov -d", base, note))
    checks = REPO / "checks"
    if checks.is_dir():
        ext = [*base, "--external-checks-dir", str(checks)] if base else None
        runs.append(("checkov -d --external-checks-dir checks", ext, note))
    runs.append(("hadolint (all Dockerfiles)", [hadolint, "--no-fail", *dockerfiles] if hadolint else None, "" if hadolint else "hadolint not installed"))
    return runs


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        ram = "unknown"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram, "python": platform.python_version()}


def profile(tree: Path, top: int) -> str:
    """cProfile of an in-process scan: the functions with the most cumulative time."""
    import cProfile
    import io
    import pstats

    from archmatch.config import Config
    from archmatch.engine import scan

    profiler = cProfile.Profile()
    cwd = os.getcwd()
    os.chdir(tree)
    try:
        profiler.runcall(scan, [Path(".")], Config())
    finally:
        os.chdir(cwd)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def table(timings: list[Timing]) -> str:
    rows = ["| N | tool | seconds | s / service | peak RSS MB | x archmatch time |", "|---:|---|---:|---:|---:|---:|"]
    base = {t.size: t.seconds for t in timings if t.tool == "archmatch scan" and t.exit_code >= 0}
    for t in timings:
        if t.note and t.seconds == 0 and t.peak_mb == 0:
            rows.append(f"| {t.size} | {t.tool} | {t.note} | | | |")
            continue
        ratio = f"{t.seconds / base[t.size]:.1f}" if base.get(t.size) else "-"
        timed_out = " (timed out)" if t.exit_code == -9 else ""
        rows.append(f"| {t.size} | {t.tool} | {t.seconds:.2f}{timed_out} | {t.seconds / t.size * 1000:.1f} ms | {t.peak_mb:.0f} | {ratio} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-checkov-above", type=int, default=None, metavar="N", help="do not run Checkov on trees of more than N services")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before one tool run is killed")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each quick tool; the median is reported")
    parser.add_argument("--repeat-under", type=float, default=30.0, metavar="SECONDS", help="repeat only tools whose first run is shorter")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of archmatch at the largest size")
    args = parser.parse_args()

    info = machine()
    print(f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, Python {info['python']}", flush=True)
    timings: list[Timing] = []
    for size in args.sizes:
        tree = args.out / f"n{size}"
        counts = generate(tree, size, args.seed)
        print(f"N={size}: {sum(1 for _ in tree.rglob('*') if _.is_file())} files, {counts}", flush=True)
        for name, cmd, note in commands(tree, size, args.skip_checkov_above):
            if cmd is None:
                timings.append(Timing(size, name, 0.0, 0.0, 0, note or "not run"))
                continue
            runs = [timed(cmd, tree, args.timeout)]
            while len(runs) < args.repeat and runs[0][0] < args.repeat_under:
                runs.append(timed(cmd, tree, args.timeout))
            seconds = statistics.median(r[0] for r in runs)
            peak, code = max(r[1] for r in runs), runs[0][2]
            timings.append(Timing(size, name, seconds, peak, code, f"median of {len(runs)}" if len(runs) > 1 else ""))
            print(f"  {name}: {seconds:.2f} s ({' '.join(f'{r[0]:.2f}' for r in runs)}), {peak:.0f} MB, exit {code}", flush=True)
    print()
    print(table(timings))
    own = {t.size: t.seconds for t in timings if t.tool == "archmatch scan"}
    if 100 in own and 1000 in own:
        print(f"\narchmatch time per service, N=1000 vs N=100: {own[1000] / 1000 / (own[100] / 100):.2f}x")
        if 10 in own:  # without the fixed start-up cost (interpreter, imports), measured at N=10
            marginal = {n: (own[n] - own[10]) / (n - 10) * 1000 for n in (100, 1000)}
            print(f"marginal ms per service: N=100 {marginal[100]:.2f}, N=1000 {marginal[1000]:.2f} ({marginal[1000] / marginal[100]:.2f}x)")
    (args.out / "results.json").write_text(json.dumps({"machine": info, "timings": [asdict(t) for t in timings]}, indent=2))
    print("\nCDK app source, 50 constructs (median in-process scan, imports excluded; target < 0.5 s):")
    for language, make in (("TypeScript", cdk_app.generate_ts), ("Python", cdk_app.generate_py)):
        app = args.out / f"cdk50-{language.lower()}"
        make(app, 50)
        seconds, workloads, findings = cdk_app.scan_seconds(app)
        print(f"  {language}: {seconds:.3f} s, {workloads} workloads, {findings} findings")
    if args.profile:
        print("\n" + profile(args.out / f"n{max(args.sizes)}", 30))


if __name__ == "__main__":
    main()
