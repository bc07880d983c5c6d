"""Time archmatch against Checkov and Hadolint on the same trees, side by side in one run.

    python benchmarks/run.py            # every section: startup, realshape, synthetic, pack, cdk
    python benchmarks/run.py --sizes 10 100 1000 [--skip-checkov-above 100] [--profile]
    python benchmarks/run.py --sections startup realshape
    python benchmarks/run.py --sections synthetic pack --sizes 100 --pack-only   # the pack's cost only

Sections: `startup` (`archmatch scan` of a 5-file SAM repository; `archmatch dockerfile` against
the `hadolint` binary on one Dockerfile), `realshape` (a >= 13,000-file monorepo with vendored
trees, benchmarks/realshape.py), `synthetic` (N services: archmatch, `checkov -d`, Checkov with
the archmatch pack with a cold and a warm analysis cache, hadolint), `pack` (Checkov with and
without the pack on a 2-file repository), `cdk` (a 50-construct CDK app, in process).

For each size N a tree of N services is generated (benchmarks/generate.py) under
benchmarks/out/, then each tool runs on it as a subprocess; wall time, CPU time (user + system,
with the children it waited for) and the peak RSS of that process (os.wait4's rusage) are
recorded, with the load average. Ratios are against `archmatch scan`. A tool whose first run takes
under --repeat-under seconds is run --repeat times and the median is kept. Checkov alone and with
the pack (cold, then warm analysis cache: one unit) run in rounds, all with one private TMPDIR that
holds Checkov's own grammar cache: --repeat rounds (one when Checkov alone's first run takes
--repeat-under seconds or more, so pass e.g. `--repeat 5 --repeat-under 1000` for five rounds of a
large tree), round k starting at unit k mod n; each variant is reported by its medians and by the
median, min and max of its per-round ratios to Checkov alone in the same round. Start-up commands
report the minimum and the median of --repeat-small runs.
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
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cdk_app  # noqa: E402
from generate import generate  # noqa: E402
from realshape import generate_realshape  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


CHECKOV_ALONE = "checkov -d"
PACK_COLD = "checkov -d + archmatch pack, cold cache"
PACK_WARM = "checkov -d + archmatch pack, warm cache"
PACK_CONTROL = "checkov -d + control pack (same checks, PASSED at once)"
PACK_WARM_ALL = "checkov -d + archmatch pack, warm cache, yaml and json frameworks not skipped"
EMPTY_CONTROL = "checkov -d + empty --external-checks-dir"
EMPTY_SKIPPED = "checkov -d + empty --external-checks-dir, yaml and json frameworks skipped"
# With any --external-checks-dir Checkov also runs its generic `yaml` and `json` frameworks, which
# exist only for external checks (without one they return at once). Like every Checkov framework
# that reads arbitrary files, they fork worker processes for each folder of the tree they walk:
# ~250 forks each at N=100, ~4 s of CPU (mostly the kernel's, copying a ~200 MB process), ~20 % of
# Checkov's CPU. The pack has no check in those frameworks, so the documented way to run it skips
# them; the pack rows are measured that way, and --control also shows the cost without it.
SKIP_GENERIC = ["--skip-framework", "yaml", "json"]


@dataclass
class PairedRatios:
    """A variant against Checkov alone, round by round: each round's ratio (variant / Checkov alone
    of the same round), wall and CPU, summarised over the rounds that paired."""

    rounds: int
    wall_median: float
    wall_min: float
    wall_max: float
    cpu_median: float
    cpu_min: float
    cpu_max: float


@dataclass
class Timing:
    size: int
    tool: str
    seconds: float
    peak_mb: float
    exit_code: int
    note: str = ""
    cpu_seconds: float = 0.0  # user + system time of the process and the children it waited for
    paired: PairedRatios | None = None  # Checkov rounds: per-round ratios to Checkov alone
    runs: int = 1  # how many runs the medians are of
    tree: str = ""  # the tree measured ("N=100", "2 files"); "" for `N=<size>`


Run = tuple[float, float, int, float]  # wall seconds, peak MB, exit code, CPU seconds (`timed`)


def timed(cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> Run:
    """Wall seconds, peak RSS (MB), exit code and CPU seconds (user + system, with the children it
    waited for: Checkov's framework processes) of one command, its output discarded."""
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
            return timeout, 0.0, -9, 0.0
        time.sleep(0.002)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, usage.ru_maxrss / 1024, proc.returncode, cpu


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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
    runs.append((CHECKOV_ALONE, base, note))
    checks = REPO / "checks"
    if checks.is_dir():
        ext = [*base, "--external-checks-dir", str(checks), *SKIP_GENERIC] if base else None
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
        "| N | tool | seconds | CPU s | s / service | peak RSS MB | x archmatch time |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    base = {t.size: t.seconds for t in timings if t.tool == "archmatch scan" and t.exit_code >= 0}
    for t in timings:
        if t.note and t.seconds == 0 and t.peak_mb == 0:
            rows.append(f"| {t.size} | {t.tool} | {t.note} | | | | |")
            continue
        ratio = f"{t.seconds / base[t.size]:.1f}" if base.get(t.size) else "-"
        timed_out = " (timed out)" if t.exit_code == -9 else ""
        rows.append(
            f"| {t.size} | {t.tool} | {t.seconds:.2f}{timed_out} | {t.cpu_seconds:.2f} | {t.seconds / t.size * 1000:.1f} ms | {t.peak_mb:.0f} | {ratio} |"
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


def checkov_env(args: argparse.Namespace) -> dict[str, str]:
    """Every Checkov run, with the pack or without, gets one private TMPDIR: Checkov keeps its own
    Lark grammar cache there (built by an unmeasured run at the start), the pack its analysis cache.
    A cold pack run empties only the pack's folder, so it does not also pay for Checkov's grammar."""
    return {**os.environ, "TMPDIR": str(args.out / "checkov-tmp")}


def pack_cache(args: argparse.Namespace) -> Path:
    return args.out / "checkov-tmp" / f"archmatch-checkov-{os.getuid()}"


def prepare_checkov(args: argparse.Namespace) -> None:
    """Fills the Lark grammar caches in the private TMPDIR, unmeasured: Checkov's (its HCL parser)
    and archmatch's own (the pack parses Terraform with a grammar of its own). A cold pack run is
    then cold only in the pack's analysis cache, not in either parser's tables (building
    archmatch's grammar costs ~1.1 s of CPU once per machine and grammar version)."""
    (args.out / "checkov-tmp").mkdir(parents=True, exist_ok=True)
    checkov, archmatch = tool("checkov"), tool("archmatch")
    if checkov:
        two = two_file_tree(args)
        timed([checkov, "-d", ".", "--skip-download", "--quiet"], two, args.timeout, checkov_env(args))
    if archmatch:
        grammar = args.out / "grammar-warmup"
        grammar.mkdir(parents=True, exist_ok=True)
        (grammar / "main.tf").write_text(
            'resource "aws_lambda_function" "f" {\n  package_type = "Image"\n}\n'
        )
        timed([archmatch, "scan", "."], grammar, args.timeout, checkov_env(args))


def measure(size: int, name: str, cmd: list[str], tree: Path, args: argparse.Namespace) -> Timing:
    env = checkov_env(args) if name.startswith("checkov") else None
    runs = [timed(cmd, tree, args.timeout, env)]
    while len(runs) < args.repeat and runs[0][0] < args.repeat_under:
        runs.append(timed(cmd, tree, args.timeout, env))
    return summarise(size, name, runs)


def summarise(size: int, name: str, runs: list[Run]) -> Timing:
    seconds = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[3] for r in runs)
    peak, code = max(r[1] for r in runs), runs[0][2]
    print(
        f"  {name}: {seconds:.3f} s ({' '.join(f'{r[0]:.2f}' for r in runs)}), "
        f"CPU {cpu:.2f} s ({' '.join(f'{r[3]:.2f}' for r in runs)}), "
        f"{peak:.0f} MB, exit {code}, load {load()}",
        flush=True,
    )
    note = f"median of {len(runs)}" if len(runs) > 1 else ""
    return Timing(size, name, seconds, peak, code, note, cpu, runs=len(runs))


def rotated(units: list[list[str]], round_index: int) -> list[list[str]]:
    """The units of one round in the order they run: round k starts at unit k mod n and goes on in
    the same cyclic order, so that over n rounds every unit runs once in every position and a load
    that drifts within a round falls on each unit alike. A unit (the cold and warm pack runs, cold
    first) keeps its own order."""
    if not units:
        return []
    start = round_index % len(units)
    return units[start:] + units[:start]


def paired_ratios(runs: list[Run], base: list[Run]) -> PairedRatios | None:
    """Each round's ratio of a variant to the base run of the same round (runs[i] / base[i]), wall
    and CPU; rounds where either run failed or timed out are left out. None when no round pairs."""
    pairs = [
        (run[0] / alone[0], run[3] / alone[3])
        for run, alone in zip(runs, base, strict=True)
        if run[2] >= 0 and alone[2] >= 0 and alone[0] > 0 and alone[3] > 0
    ]
    if not pairs:
        return None
    walls, cpus = [w for w, _ in pairs], [c for _, c in pairs]
    return PairedRatios(
        len(pairs),
        statistics.median(walls),
        min(walls),
        max(walls),
        statistics.median(cpus),
        min(cpus),
        max(cpus),
    )


def checkov_units(control: bool) -> list[list[str]]:
    """The units of a Checkov round: Checkov alone, the pack with a cold then a warm analysis cache
    (one unit: the cold run fills the cache the warm one reads), and with --control each control."""
    units = [[CHECKOV_ALONE], [PACK_COLD, PACK_WARM]]
    if control:
        units += [[PACK_CONTROL], [PACK_WARM_ALL], [EMPTY_CONTROL], [EMPTY_SKIPPED]]
    return units


def checkov_round_commands(args: argparse.Namespace) -> dict[str, list[str]]:
    checkov = tool("checkov")
    assert checkov is not None
    base = [checkov, "-d", ".", "--skip-download", "--quiet", "--compact", "-o", "json"]
    pack_all = [*base, "--external-checks-dir", str(REPO / "checks")]
    pack = [*pack_all, *SKIP_GENERIC]
    empty = args.out / "empty-checks"  # only __init__.py: what any external directory costs
    empty.mkdir(parents=True, exist_ok=True)
    (empty / "__init__.py").write_text("")
    return {
        CHECKOV_ALONE: base,
        PACK_COLD: pack,
        PACK_WARM: pack,
        PACK_CONTROL: [*base, "--external-checks-dir", str(HERE / "control_pack"), *SKIP_GENERIC],
        PACK_WARM_ALL: pack_all,
        EMPTY_CONTROL: [*base, "--external-checks-dir", str(empty)],
        EMPTY_SKIPPED: [*base, "--external-checks-dir", str(empty), *SKIP_GENERIC],
    }


def checkov_rounds(size: int, tree: Path, args: argparse.Namespace, label: str = "") -> list[Timing]:
    """Checkov alone, with the pack and a cold analysis cache then a warm one (and the controls), in
    rounds whose order rotates (`rotated`), so that a load drifting within a round does not always
    fall on the same run. Each variant is summarised by its medians and by the median, min and max of
    its per-round ratios to Checkov alone in the same round (`paired_ratios`). Rounds go on until
    --repeat rounds, or only one when Checkov alone's first run takes --repeat-under seconds or more."""
    cmds = checkov_round_commands(args)
    env = checkov_env(args)
    units = checkov_units(args.control)
    runs: dict[str, list[Run]] = {name: [] for unit in units for name in unit}

    def run(name: str) -> None:
        if name == PACK_COLD:
            shutil.rmtree(pack_cache(args), ignore_errors=True)
        runs[name].append(timed(cmds[name], tree, args.timeout, env))
        wall, _, code, cpu = runs[name][-1]
        print(
            f"    round {len(runs[name])}: {name}: {wall:.2f} s, CPU {cpu:.2f} s, exit {code}, load {load()}"
        )

    for index in range(max(args.repeat, 1)):
        for unit in rotated(units, index):
            for name in unit:
                run(name)
        if runs[CHECKOV_ALONE][0][0] >= args.repeat_under:
            break
    timings = [summarise(size, name, got) for name, got in runs.items()]
    for timing in timings:
        timing.tree = label
        if timing.tool != CHECKOV_ALONE:
            timing.paired = paired_ratios(runs[timing.tool], runs[CHECKOV_ALONE])
    return timings


def floor_seconds(cmd: list[str], cwd: Path, args: argparse.Namespace) -> tuple[float, float, float]:
    """(min, median) wall seconds and min CPU seconds of --repeat-small runs of a short command."""
    runs = [timed(cmd, cwd, args.timeout) for _ in range(args.repeat_small)]
    return min(r[0] for r in runs), statistics.median(r[0] for r in runs), min(r[3] for r in runs)


def instructions(cmd: list[str], cwd: Path, args: argparse.Namespace) -> str:
    """Millions of instructions the command executes (valgrind's callgrind; the same whatever the
    load), as text for the table, or "" without valgrind."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return ""
    done = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=args.timeout,
    )
    found = [line for line in done.stderr.splitlines() if "Collected :" in line]
    return f"{int(found[-1].rsplit(maxsplit=1)[-1]) / 1e6:.0f}" if found else ""


def regular_install(args: argparse.Namespace) -> Path | None:
    """An `archmatch` launcher like the one pip writes for a regular (non-editable) install: a venv
    whose Python finds this checkout and the dependencies on plain sys.path entries. A development
    venv's editable install adds a meta-path finder that every start-up imports (pathlib, re,
    importlib.util: ~15 ms); a user's `pip install archmatch` has none."""
    import sysconfig
    import venv

    folder = args.out / "regular-install"
    python = folder / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=False, symlinks=True).create(folder)
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    deps = sysconfig.get_paths()["purelib"]  # this interpreter's packages: PyYAML, dockerfile-parse...
    (site / "archmatch-benchmark.pth").write_text(f"{REPO}\n{deps}\n")
    launcher = folder / "bin" / "archmatch"
    launcher.write_text(f"#!{python}\nimport sys\nfrom archmatch.cli import main\nsys.exit(main())\n")
    launcher.chmod(0o755)
    return launcher


def startup(args: argparse.Namespace) -> list[str]:
    """Start-up bound commands: min and median of --repeat-small runs each, and the instructions of
    one run; the archmatch commands from a regular install (see `regular_install`) and from this venv."""
    hadolint = tool("hadolint")
    five = args.out / "five-files"
    if five.exists():
        shutil.rmtree(five)
    shutil.copytree(REPO / "examples" / "sam-lambda-arm64", five)
    files = sum(1 for p in five.rglob("*") if p.is_file())
    dockerfile = str(five / "fn" / "Dockerfile")
    installs = [("regular install", regular_install(args)), ("dev venv", tool("archmatch"))]
    rows = [
        f"load average at the start: {load()}",
        "| command | min s | median s | min CPU s | M instructions | against | target |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    hadolint_min = None
    if hadolint:
        low, mid, cpu = floor_seconds([hadolint, dockerfile], five, args)
        hadolint_min = low
        count = instructions([hadolint, dockerfile], five, args)
        rows.append(f"| hadolint (native binary) | {low:.3f} | {mid:.3f} | {cpu:.3f} | {count} | | |")
    for python_label, python in (("python -c pass", sys.executable),):
        low, mid, cpu = floor_seconds([python, "-c", "pass"], five, args)
        count = instructions([python, "-c", "pass"], five, args)
        rows.append(
            f"| {python_label} (this venv's interpreter) | {low:.3f} | {mid:.3f} | {cpu:.3f} | {count} | | |"
        )
    for where, launcher in installs:
        if launcher is None:
            continue
        low, mid, cpu = floor_seconds([str(launcher), "scan", "."], five, args)
        count = instructions([str(launcher), "scan", "."], five, args)
        verdict = "met" if low <= 0.15 else "missed"
        rows.append(
            f"| archmatch scan of a {files}-file repository ({where}) | {low:.3f} | {mid:.3f} | {cpu:.3f} "
            f"| {count} | | <= 0.15 s: {verdict} |"
        )
        low, mid, cpu = floor_seconds([str(launcher), "dockerfile", dockerfile], five, args)
        count = instructions([str(launcher), "dockerfile", dockerfile], five, args)
        if hadolint_min:
            ratio = low / hadolint_min
            rows.append(
                f"| archmatch dockerfile, one Dockerfile ({where}) | {low:.3f} | {mid:.3f} | {cpu:.3f} "
                f"| {count} | {ratio:.1f}x hadolint (min/min) | <= 4x: {'met' if ratio <= 4 else 'missed'} |"
            )
    rows.append(f"load average at the end: {load()}")
    for row in rows:
        print(row, flush=True)
    return rows


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
    before = load()
    t = measure(files, "archmatch scan", cmd, tree, args)
    met = "met" if t.seconds <= 5 and t.peak_mb <= 300 else "missed"
    return [
        f"load average before / after: {before} / {load()}",
        "| files | MB | archmatch scan seconds | peak RSS MB | target (<= 5 s, <= 300 MB) |",
        "|---:|---:|---:|---:|---|",
        f"| {files} | {mb:.0f} | {t.seconds:.2f} | {t.peak_mb:.0f} | {met} |",
    ]


PACK_VARIANTS = (PACK_COLD, PACK_WARM, PACK_CONTROL, PACK_WARM_ALL, EMPTY_CONTROL, EMPTY_SKIPPED)


def pack_ratios(timings: list[Timing]) -> list[str]:
    """Checkov with the pack (and the controls) against Checkov alone, per tree (target <= 1.10),
    wall / CPU (user + system of all of Checkov's processes): the ratio of the medians over the
    rounds, and the median, min and max of the per-round paired ratios (the steadier figure when
    Checkov alone moves from round to round)."""
    rows = [
        "| tree | run | rounds | median s (CPU s) | ratio of medians, wall / CPU "
        "| median of per-round ratios, wall / CPU | per-round wall min-max | per-round CPU min-max |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    by_tree: dict[str, dict[str, Timing]] = {}  # the 2-file tree apart from a synthetic N=2
    for t in timings:
        if t.exit_code >= 0 and t.seconds:
            by_tree.setdefault(t.tree or f"N={t.size}", {})[t.tool] = t
    for label, got in by_tree.items():
        base = got.get(CHECKOV_ALONE)
        if base is None or not any(name in got for name in PACK_VARIANTS):
            continue
        rows.append(
            f"| {label} | checkov -d | {base.runs} | {base.seconds:.2f} ({base.cpu_seconds:.2f}) | | | | |"
        )
        rows += [pack_ratio_row(label, got[name], base) for name in PACK_VARIANTS if name in got]
    return rows


def pack_ratio_row(label: str, t: Timing, base: Timing) -> str:
    of_medians = f"{t.seconds / base.seconds:.2f} / {t.cpu_seconds / base.cpu_seconds:.2f}"
    cells = [label, t.tool.removeprefix("checkov -d + ")]
    p = t.paired
    if p is None:
        cells += ["0", f"{t.seconds:.2f} ({t.cpu_seconds:.2f})", of_medians, "-", "-", "-"]
    else:
        cells += [
            str(p.rounds),
            f"{t.seconds:.2f} ({t.cpu_seconds:.2f})",
            of_medians,
            f"{p.wall_median:.2f} / {p.cpu_median:.2f}",
            f"{p.wall_min:.2f}-{p.wall_max:.2f}",
            f"{p.cpu_min:.2f}-{p.cpu_max:.2f}",
        ]
    return "| " + " | ".join(cells) + " |"


def two_file_tree(args: argparse.Namespace) -> Path:
    tree = args.out / "two-files"
    if not tree.exists():
        tree.mkdir(parents=True)
        (tree / "template.yaml").write_text(TWO_FILE_TEMPLATE)
        (tree / "Dockerfile").write_text(
            "FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.12\nCOPY app.py ./\n"
        )
    return tree


def two_file_pack(args: argparse.Namespace) -> list[Timing]:
    print(f"2-file repository (load {load()}):", flush=True)
    return checkov_rounds(2, two_file_tree(args), args, "2 files") if tool("checkov") else []


def synthetic(args: argparse.Namespace) -> list[Timing]:
    timings: list[Timing] = []
    for size in args.sizes:
        tree = args.out / f"n{size}"
        counts = generate(tree, size, args.seed)
        print(f"N={size}: {sum(1 for _ in tree.rglob('*') if _.is_file())} files, {counts}", flush=True)
        for name, cmd, note in commands(tree, size, args.skip_checkov_above):
            if name in (PACK_COLD, PACK_WARM):
                continue  # run with Checkov alone, in rounds
            if args.pack_only and name != CHECKOV_ALONE:
                continue
            if cmd is None:
                timings.append(Timing(size, name, 0.0, 0.0, 0, note or "not run"))
            elif name == CHECKOV_ALONE and size <= args.skip_pack_above:
                timings += checkov_rounds(size, tree, args)
            else:
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
        "--repeat",
        type=int,
        default=3,
        help="runs of each quick tool (the median is reported), and rounds of the Checkov runs",
    )
    parser.add_argument(
        "--repeat-under",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="repeat only tools (and Checkov rounds) whose first run is shorter",
    )
    parser.add_argument(
        "--repeat-small", type=int, default=21, help="runs of each start-up command (min and median)"
    )
    parser.add_argument(
        "--skip-pack-above",
        type=int,
        default=100,
        metavar="N",
        help="run Checkov with the archmatch pack only on trees of at most N services",
    )
    parser.add_argument(
        "--pack-only",
        action="store_true",
        help="synthetic: run only the Checkov rounds (alone, with the pack cold and warm), not archmatch or hadolint",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help="Checkov rounds: also run a control pack (benchmarks/control_pack: the same checks, PASSED "
        "at once), the pack without --skip-framework yaml json (warm cache), and an empty "
        "--external-checks-dir (only __init__.py) without and with it",
    )
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
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, Python {info['python']}; load average {load()}",
        flush=True,
    )
    report: list[str] = []
    if {"synthetic", "pack"} & set(args.sections):
        prepare_checkov(args)
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
    print("\n".join(report) + f"\n\nload average at the end: {load()}")
    if args.profile:
        print("\n" + profile(args.out / f"n{max(args.sizes)}", 30))


def ratio_lines(timings: list[Timing]) -> list[str]:
    own = {t.size: t.seconds for t in timings if t.tool == "archmatch scan"}
    checkov = {t.size: t.seconds for t in timings if t.tool == CHECKOV_ALONE and t.seconds}
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
