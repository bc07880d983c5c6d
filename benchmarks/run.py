"""Time archmatch against Checkov and Hadolint on the same trees, side by side in one run.

    python benchmarks/run.py            # every section: startup, realshape, synthetic, pack, cdk
    python benchmarks/run.py --sizes 10 100 1000 [--skip-checkov-above 100] [--profile]
    python benchmarks/run.py --sections startup realshape

Sections: `startup` (`archmatch scan` of a 5-file SAM repository; `archmatch dockerfile` against
the `hadolint` binary on one Dockerfile), `realshape` (a >= 13,000-file monorepo with vendored
trees, benchmarks/realshape.py), `synthetic` (N services: archmatch, `checkov -d`, Checkov with
the archmatch pack with a cold and a warm analysis cache, hadolint), `pack` (Checkov with and
without the pack on a 2-file repository), `cdk` (a 50-construct CDK app, in process).

For each size N a tree of N services is generated (benchmarks/generate.py) under
benchmarks/out/, then each tool runs on it once as a subprocess; wall time and the peak RSS of
that process (os.wait4's rusage) are recorded. Ratios are against `archmatch scan`. A tool whose
first run takes under --repeat-under seconds is run --repeat times and the median is kept, since
a shared machine makes single short runs noisy.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cdk_app  # noqa: E402
from generate import generate  # noqa: E402
from realshape import generate_realshape  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


PACK_COLD = "checkov -d + archmatch pack, cold cache"
PACK_WARM = "checkov -d + archmatch pack, warm cache"


@dataclass
class Timing:
    size: int
    tool: str
    seconds: float
    peak_mb: float
    exit_code: int
    note: str = ""


def timed(
    cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of one command, its output discarded."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env
    )
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


def commands(
    tree: Path, size: int, skip_checkov_above: int | None
) -> list[tuple[str, list[str] | None, str]]:
    archmatch = tool("archmatch")
    checkov = tool("checkov")
    hadolint = tool("hadolint")
    dockerfiles = sorted(str(p.relative_to(tree)) for p in tree.rglob("Dockerfile"))
    skip_checkov = skip_checkov_above is not None and size > skip_checkov_above
    runs: list[tuple[str, list[str] | None, str]] = [
        (
            "archmatch scan",
            [archmatch, "scan", "-f", "json", "--severity-threshold", "none", "."] if archmatch else None,
            "",
        ),
    ]
    note = (
        f"skipped (N > {skip_checkov_above})"
        if skip_checkov
        else ("checkov not installed" if not checkov else "")
    )
    base = (
        [checkov, "-d", ".", "--skip-download", "--quiet", "--compact", "-o", "json"]
        if checkov and not skip_checkov
        else None
    )
    runs.append(("checkov -d", base, note))
    checks = REPO / "checks"
    if checks.is_dir():
        ext = [*base, "--external-checks-dir", str(checks)] if base else None
        runs.append((PACK_COLD, ext, note))
        runs.append((PACK_WARM, ext, note))
    runs.append(
        (
            "hadolint (all Dockerfiles)",
            [hadolint, "--no-fail", *dockerfiles] if hadolint else None,
            "" if hadolint else "hadolint not installed",
        )
    )
    return runs


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(ln.split()[1])
            for ln in Path("/proc/meminfo").read_text().splitlines()
            if ln.startswith("MemTotal")
        )
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
    rows = [
        "| N | tool | seconds | s / service | peak RSS MB | x archmatch time |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    base = {t.size: t.seconds for t in timings if t.tool == "archmatch scan" and t.exit_code >= 0}
    for t in timings:
        if t.note and t.seconds == 0 and t.peak_mb == 0:
            rows.append(f"| {t.size} | {t.tool} | {t.note} | | | |")
            continue
        ratio = f"{t.seconds / base[t.size]:.1f}" if base.get(t.size) else "-"
        timed_out = " (timed out)" if t.exit_code == -9 else ""
        rows.append(
            f"| {t.size} | {t.tool} | {t.seconds:.2f}{timed_out} | {t.seconds / t.size * 1000:.1f} ms | {t.peak_mb:.0f} | {ratio} |"
        )
    return "\n".join(rows)


SECTIONS = ("startup", "realshape", "synthetic", "pack", "cdk")
TWO_FILE_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Architectures: [arm64]
    Metadata:
      Dockerfile: Dockerfile
      DockerContext: .
"""


def run_env(name: str, scratch: Path, tree: Path, cmd: list[str], timeout: float) -> dict[str, str] | None:
    """The environment of one run: the pack's analysis cache lives under TMPDIR, so a cold run gets
    an empty TMPDIR and a warm run one that an unmeasured run of the same command has filled."""
    if name not in (PACK_COLD, PACK_WARM):
        return None
    folder = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))
    env = {**os.environ, "TMPDIR": str(folder)}
    if name == PACK_WARM:
        timed(cmd, tree, timeout, env)
    return env


def measure(size: int, name: str, cmd: list[str], tree: Path, args: argparse.Namespace) -> Timing:
    scratch = args.out / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    runs = [timed(cmd, tree, args.timeout, run_env(name, scratch, tree, cmd, args.timeout))]
    while len(runs) < args.repeat and runs[0][0] < args.repeat_under:
        runs.append(timed(cmd, tree, args.timeout, run_env(name, scratch, tree, cmd, args.timeout)))
    seconds = statistics.median(r[0] for r in runs)
    peak, code = max(r[1] for r in runs), runs[0][2]
    print(
        f"  {name}: {seconds:.3f} s ({' '.join(f'{r[0]:.2f}' for r in runs)}), {peak:.0f} MB, exit {code}",
        flush=True,
    )
    return Timing(size, name, seconds, peak, code, f"median of {len(runs)}" if len(runs) > 1 else "")


def startup(args: argparse.Namespace) -> list[str]:
    """Start-up bound commands, each the median of --repeat-small runs."""
    archmatch, hadolint = tool("archmatch"), tool("hadolint")
    five = args.out / "five-files"
    if five.exists():
        shutil.rmtree(five)
    shutil.copytree(REPO / "examples" / "sam-lambda-arm64", five)
    files = sum(1 for p in five.rglob("*") if p.is_file())
    dockerfile = five / "fn" / "Dockerfile"
    pairs = [
        (f"archmatch scan of a {files}-file repository", [archmatch, "scan", "."], None, 0.15),
        (
            "archmatch dockerfile (one Dockerfile)",
            [archmatch, "dockerfile", str(dockerfile)],
            [hadolint, str(dockerfile)] if hadolint else None,
            None,
        ),
    ]
    lines = []
    for label, ours, theirs, target in pairs:
        mine = statistics.median(timed(ours, five, args.timeout)[0] for _ in range(args.repeat_small))
        row = f"| {label} | {mine:.3f} s |"
        if theirs:
            other = statistics.median(timed(theirs, five, args.timeout)[0] for _ in range(args.repeat_small))
            row += f" hadolint {other:.3f} s | {mine / other:.1f}x (target <= 4x) |"
        else:
            row += f" | target <= {target} s: {'met' if mine <= (target or 0) else 'missed'} |"
        print(row, flush=True)
        lines.append(row)
    return ["| command | archmatch | other | ratio / target |", "|---|---:|---:|---|", *lines]


def realshape(args: argparse.Namespace) -> list[str]:
    tree = args.out / "realshape"
    stamp = tree / ".generated"
    if not stamp.exists() or stamp.read_text() != str(args.seed):
        counts = generate_realshape(tree, args.seed)
        stamp.write_text(str(args.seed))
        print(f"realshape: generated {counts}", flush=True)
    files = sum(1 for p in tree.rglob("*") if p.is_file())
    mb = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file()) / 1048576
    print(f"realshape: {files} files, {mb:.0f} MB", flush=True)
    cmd = [tool("archmatch") or "archmatch", "scan", "-f", "json", "--severity-threshold", "none", "."]
    t = measure(files, "archmatch scan", cmd, tree, args)
    met = "met" if t.seconds <= 5 and t.peak_mb <= 300 else "missed"
    return [
        "| files | MB | archmatch scan seconds | peak RSS MB | target (<= 5 s, <= 300 MB) |",
        "|---:|---:|---:|---:|---|",
        f"| {files} | {mb:.0f} | {t.seconds:.2f} | {t.peak_mb:.0f} | {met} |",
    ]


def pack_ratios(timings: list[Timing]) -> list[str]:
    """Checkov with the pack against Checkov alone, per tree (target <= 1.10)."""
    rows = [
        "| tree | checkov -d s | + pack cold s | ratio | + pack warm s | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_tree: dict[str, dict[str, float]] = {}
    for t in timings:
        if t.exit_code >= 0 and t.seconds:
            by_tree.setdefault(str(t.size), {})[t.tool] = t.seconds
    for tree, got in by_tree.items():
        base, cold, warm = got.get("checkov -d"), got.get(PACK_COLD), got.get(PACK_WARM)
        if base and cold and warm:
            rows.append(
                f"| {tree} | {base:.2f} | {cold:.2f} | {cold / base:.2f} | {warm:.2f} | {warm / base:.2f} |"
            )
    return rows


def two_file_pack(args: argparse.Namespace) -> list[Timing]:
    tree = args.out / "two-files"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    (tree / "template.yaml").write_text(TWO_FILE_TEMPLATE)
    (tree / "Dockerfile").write_text(
        "FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.12\nCOPY app.py ./\n"
    )
    print("2-file repository:", flush=True)
    timings = []
    for name, cmd, _ in commands(tree, 2, None):
        if cmd is not None and name.startswith("checkov"):
            timings.append(measure(2, name, cmd, tree, args))
    return timings


def synthetic(args: argparse.Namespace) -> list[Timing]:
    timings: list[Timing] = []
    for size in args.sizes:
        tree = args.out / f"n{size}"
        counts = generate(tree, size, args.seed)
        print(f"N={size}: {sum(1 for _ in tree.rglob('*') if _.is_file())} files, {counts}", flush=True)
        for name, cmd, note in commands(tree, size, args.skip_checkov_above):
            if cmd is None:
                timings.append(Timing(size, name, 0.0, 0.0, 0, note or "not run"))
                continue
            timings.append(measure(size, name, cmd, tree, args))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--skip-checkov-above",
        type=int,
        default=None,
        metavar="N",
        help="do not run Checkov on trees of more than N services",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before one tool run is killed")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each quick tool; the median is reported"
    )
    parser.add_argument(
        "--repeat-under",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="repeat only tools whose first run is shorter",
    )
    parser.add_argument("--repeat-small", type=int, default=11, help="runs of each start-up command (median)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of archmatch at the largest size"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # An installed package has its bytecode; a checkout run with PYTHONDONTWRITEBYTECODE would
    # compile every module at every start-up and time the compiler, not archmatch.
    compileall.compile_dir(str(REPO / "archmatch"), quiet=1)

    info = machine()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, Python {info['python']}; load average {load}",
        flush=True,
    )
    report: list[str] = []
    if "startup" in args.sections:
        report += ["", "Start-up:", *startup(args)]
    if "realshape" in args.sections:
        report += ["", "Real-shaped monorepo:", *realshape(args)]
    timings: list[Timing] = synthetic(args) if "synthetic" in args.sections else []
    if timings:
        report += ["", "Synthetic monorepos:", table(timings), *ratio_lines(timings)]
    pack_timings = two_file_pack(args) if "pack" in args.sections else []
    if timings or pack_timings:
        report += [
            "",
            "Checkov with the archmatch pack / Checkov alone (target <= 1.10):",
            *pack_ratios(timings + pack_timings),
        ]
    (args.out / "results.json").write_text(
        json.dumps({"machine": info, "timings": [asdict(t) for t in timings + pack_timings]}, indent=2)
    )
    if "cdk" in args.sections:
        report += [
            "",
            "CDK app source, 50 constructs (median in-process scan, imports excluded; target < 0.5 s):",
        ]
        for language, make in (("TypeScript", cdk_app.generate_ts), ("Python", cdk_app.generate_py)):
            app = args.out / f"cdk50-{language.lower()}"
            make(app, 50)
            seconds, workloads, findings = cdk_app.scan_seconds(app)
            report.append(f"  {language}: {seconds:.3f} s, {workloads} workloads, {findings} findings")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print("\n".join(report) + f"\n\nload average at the end: {load}")
    if args.profile:
        print("\n" + profile(args.out / f"n{max(args.sizes)}", 30))


def ratio_lines(timings: list[Timing]) -> list[str]:
    own = {t.size: t.seconds for t in timings if t.tool == "archmatch scan"}
    checkov = {t.size: t.seconds for t in timings if t.tool == "checkov -d" and t.seconds}
    lines = [
        f"checkov -d / archmatch at N={n}: {checkov[n] / own[n]:.1f}x (target >= 20x)"
        for n in sorted(checkov)
        if n in own
    ]
    if 100 in own and 1000 in own:
        lines.append(
            f"archmatch time per service, N=1000 vs N=100: {own[1000] / 1000 / (own[100] / 100):.2f}x"
        )
        if 10 in own:  # without the fixed start-up cost (interpreter, imports), measured at N=10
            marginal = {n: (own[n] - own[10]) / (n - 10) * 1000 for n in (100, 1000)}
            lines.append(
                f"marginal ms per service: N=100 {marginal[100]:.2f}, N=1000 {marginal[1000]:.2f} ({marginal[1000] / marginal[100]:.2f}x)"
            )
    return lines


if __name__ == "__main__":
    main()
