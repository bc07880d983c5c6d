"""Hostile and broken inputs: each is placed beside a healthy tree and scanned by the real CLI.

For every case the scan must finish within TIME_LIMIT_S and MEMORY_LIMIT_MB (peak RSS of the
scan process, read with `os.wait4`; an address-space rlimit guards the machine on top of
that), name the hostile file in a diagnostic where the input is really broken, and still
report every finding of the healthy tree. The healthy tree is a copy of examples whose READMEs
document their findings; only rules registered right now are expected.

The inputs are generated into tmp dirs; nothing large is committed.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_budgets import WALL_BACKSTOP_S, cpu_seconds

from archmatch.rules import metadata

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HEALTHY_EXAMPLES = (
    "sam-lambda-arm64",
    "terraform-lambda-docker-build",
    "go-cross-compile-wrong",
    "eks-graviton-compose-amd64",
)
TIME_LIMIT_S = 20.0  # CPU seconds: a healthy scan of this tree takes ~0.4 s
MEMORY_LIMIT_MB = 400  # peak RSS; a plain scan peaks near 60 MB
ADDRESS_SPACE_LIMIT = 3 * 1024**3  # hard stop (ulimit -v) so a runaway cannot take the machine


@dataclass
class ScanRun:
    returncode: int
    report: dict
    stderr: str
    seconds: float  # CPU time of the scan (user + system)
    peak_rss_mb: float

    def diagnostics_for(self, path: str) -> list[str]:
        return [d["message"] for d in self.report["diagnostics"] if d["location"]["path"] == path]

    def findings(self, outside: str = "\0") -> set[tuple[str, int, str]]:
        return {
            (f["location"]["path"], f["location"]["line"], f["rule"])
            for f in self.report["findings"]
            if not f["location"]["path"].startswith(outside)
        }


def run_scan(cwd: Path, *paths: str, timeout: float = TIME_LIMIT_S) -> ScanRun:
    """`python -m archmatch scan -f json PATHS` in cwd, with its own peak RSS. The time limit is on
    the scan's CPU time (on a loaded machine wall time says little), with a wall-clock backstop."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

    out_path, err_path = cwd.parent / f"{cwd.name}.out", cwd.parent / f"{cwd.name}.err"
    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archmatch", "scan", "-f", "json", "--severity-threshold", "none", *paths],
            cwd=cwd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit_memory,
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            cpu = cpu_seconds(proc.pid)
            if cpu > timeout or time.monotonic() - started > WALL_BACKSTOP_S:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                pytest.fail(f"scan of {paths} did not finish within {timeout} s of CPU ({cpu:.1f} s used)")
            time.sleep(0.01)
    seconds = usage.ru_utime + usage.ru_stime
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = err_path.read_text(errors="replace")
    assert proc.returncode == 0, stderr
    report = json.loads(out_path.read_text())
    return ScanRun(proc.returncode, report, stderr, seconds, usage.ru_maxrss / 1024)


def documented_findings(example: str, prefix: str) -> set[tuple[str, int, str]]:
    """The (path, line, rule) findings the example's README documents, for registered rules only."""
    text = (EXAMPLES / example / "README.md").read_text()
    block = re.search(r"```findings\n(.*?)```", text, re.S)
    assert block, example
    found = set()
    for line in block.group(1).split("\n"):
        if line.strip():
            where, rule = line.split()
            path, lineno = where.rsplit(":", 1)
            if rule in metadata():
                found.add((prefix + path, int(lineno), rule))
    return found


# One more healthy file: a final stage on $BUILDPLATFORM is ARCH101 on line 2, and nothing else.
BUILDPLATFORM_DOCKERFILE = (
    "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM alpine:3.20\nRUN echo hi\n"
)


def make_healthy_tree(root: Path) -> set[tuple[str, int, str]]:
    expected: set[tuple[str, int, str]] = set()
    for name in HEALTHY_EXAMPLES:
        shutil.copytree(EXAMPLES / name, root / "healthy" / name, ignore=shutil.ignore_patterns("README.md"))
        expected |= documented_findings(name, f"healthy/{name}/")
    write(root / "healthy/buildplatform/Dockerfile", BUILDPLATFORM_DOCKERFILE)
    if "ARCH101" in metadata():
        expected.add(("healthy/buildplatform/Dockerfile", 2, "ARCH101"))
    return expected


# --- the hostile inputs -----------------------------------------------------------------------
# Each writer creates its input under `root` and returns the path a diagnostic must name, or
# None where the input is valid but odd (no diagnostic is due; it must just not disturb).


def yaml_alias_bomb(root: Path) -> str | None:
    lines = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines += [
        "Resources:",
        "  Fn:",
        "    Type: AWS::Lambda::Function",
        "    Properties:",
        "      Code: {ImageUri: *a9}",
    ]
    write(root / "bomb/template.yaml", "\n".join(lines) + "\n")
    return "bomb/template.yaml"


def deep_yaml(root: Path) -> str | None:
    write(
        root / "deep/template.yaml",
        'AWSTemplateFormatVersion: "2010-09-09"\nResources: ' + "[" * 50_000 + "]" * 50_000 + "\n",
    )
    return "deep/template.yaml"


def deep_json(root: Path) -> str | None:
    # 50 000 levels: over every parser's limit
    write(
        root / "deep/template.json",
        '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": ' + "[" * 50_000 + "]" * 50_000 + "}",
    )
    return "deep/template.json"


def moderately_deep_json(root: Path) -> str | None:
    # 900 levels: too deep for the YAML loader, not for json.loads; code that then walks it
    # recursively must not lose the rest of the scan.
    body = (
        '{"Type": "AWS::Lambda::Function", "Properties": {"Code": ' + '{"a": ' * 900 + "1" + "}" * 900 + "}}"
    )
    write(
        root / "deep/stack.json",
        '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Fn": ' + body + "}}",
    )
    return "deep/stack.json"


def deep_hcl(root: Path) -> str | None:
    write(root / "deep/main.tf", "locals {\n  x = " + "[" * 50_000 + "]" * 50_000 + "\n}\n")
    return "deep/main.tf"


def deep_python(root: Path) -> str | None:
    # 20 000 terms: Python's own parser gives up (RecursionError during AST construction)
    command = 'cmd = "docker build -t app " + ' + '"x" + ' * 20_000 + '"."\n'
    write(root / "deep/build.py", "import subprocess\n" + command + "subprocess.run(cmd, shell=True)\n")
    return "deep/build.py"


def nested_python_within_parser_limits(root: Path) -> str | None:
    # parseable nesting: 900 `+` terms, 300 names each an f-string of the one before, 90 nested
    # joins; the reader's own depth and step caps make the deep parts unknown
    chain = 'cmd = "docker build -t " + ' + '"a" + ' * 900 + '"."\n'
    names = 'c0 = "docker build -t b ."\n' + "".join(f'c{i} = f"{{c{i - 1}}}"\n' for i in range(1, 300))
    joins = "cmd3 = " + '" ".join([' * 90 + '"docker build ."' + "])" * 90 + "\n"
    runs = "".join(f"subprocess.run({c}, shell=True)\n" for c in ("cmd", "c299", "cmd3"))
    write(root / "nested/build.py", "import subprocess\n" + chain + names + joins + runs)
    return None


def large_python(root: Path) -> str | None:
    # just under the size the reader parses: one parse, bounded memory
    numbers = "x = [" + ",".join(str(i) for i in range(40_000)) + "]\n"
    write(
        root / "large/build.py",
        "import subprocess\n" + numbers + 'subprocess.run("docker build .", shell=True)\n',
    )
    return None


def huge_python(root: Path) -> str | None:
    line = 'subprocess.run(["docker", "build", "-t", "app:%d", "."])\n'
    body = "import subprocess\n" + "".join(line % i for i in range(20_000))  # ~1 MB: not parsed
    write(root / "huge/build.py", body)
    return "huge/build.py"


def huge_terraform(root: Path) -> str | None:
    block = 'resource "aws_s3_bucket" "b%d" {\n  bucket = "bucket-%d"\n}\n'
    target = 50 * 1024 * 1024
    with open(root / mkdirs(root / "huge") / "main.tf", "w") as fh:
        i = 0
        while fh.tell() < target:
            fh.write("".join(block % (j, j) for j in range(i, i + 1000)))
            i += 1000
    return "huge/main.tf"


def binary_dockerfile(root: Path) -> str | None:
    (mkdirs(root / "bin") / "Dockerfile").write_bytes(bytes(range(256)) * 64)
    return "bin/Dockerfile"


def invalid_utf8_dockerfile(root: Path) -> str | None:
    (mkdirs(root / "latin1") / "Dockerfile").write_bytes(
        b'FROM alpine:3.20\nLABEL maintainer="J\xf6rg \xff"\nRUN echo ok\n'
    )
    return "latin1/Dockerfile"


def unterminated_heredoc(root: Path) -> str | None:
    write(root / "heredoc/Dockerfile", "FROM alpine:3.20\nRUN <<EOF\necho never closed\n")
    return "heredoc/Dockerfile"


def continuation_at_eof(root: Path) -> str | None:
    write(root / "cont/Dockerfile", "FROM alpine:3.20\nRUN echo a \\\n    && echo b \\\n")
    return "cont/Dockerfile"


def hcl_syntax_error(root: Path) -> str | None:
    write(
        root / "badhcl/main.tf",
        'resource "aws_lambda_function" "f" {\n  package_type = "Image"\n  image_uri = "x\n  architectures = [\n',
    )
    return "badhcl/main.tf"


def cfn_unknown_tags(root: Path) -> str | None:
    write(
        root / "tags/template.yaml",
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n'
        "    Properties:\n      PackageType: Image\n      Code: {ImageUri: !Vendor::Magic [a, b]}\n"
        "      Architectures: !NotARealTag {x: 1}\n      Role: !Ref Role\n",
    )
    return None  # unknown tags load as {"!Tag": value}; not an error


def symlink_loop(root: Path) -> str | None:
    mkdirs(root / "loop/inner")
    os.symlink("..", root / "loop/inner/up")
    os.symlink("self", root / "loop/self")
    return "loop/self"


def links_out_of_root(root: Path) -> str | None:
    mkdirs(root / "escape")
    os.symlink("/etc", root / "escape/etc")
    os.symlink("/etc/passwd", root / "escape/Dockerfile")
    return "escape/Dockerfile"


def unreadable_fifo(root: Path) -> str | None:
    # CI runs as root, where chmod 000 files stay readable; a FIFO makes `open` block (or fail)
    # for everyone, and a compose file below points the build at it as well.
    mkdirs(root / "fifo")
    os.mkfifo(root / "fifo/Dockerfile")
    write(
        root / "fifo/compose.yaml",
        "services:\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile\n",
    )
    return "fifo/Dockerfile"


def directory_named_like_a_file(root: Path) -> str | None:
    mkdirs(root / "dirfile/Dockerfile.build")
    write(
        root / "dirfile/compose.yaml",
        "services:\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile.build\n",
    )
    return None  # a directory is not a file: discovery walks into it, nothing to read


def chmod_000(root: Path) -> str | None:
    write(root / "locked/Dockerfile", "FROM alpine:3.20\n")
    os.chmod(root / "locked/Dockerfile", 0)
    if os.geteuid() == 0:  # root reads it anyway: the scan must simply go on
        return None
    return "locked/Dockerfile"


def undecodable_file_name(root: Path) -> str | None:
    mkdirs(root / "names")
    with open(os.path.join(os.fsencode(root / "names"), b"bad\xff.tf"), "w") as fh:
        fh.write('resource "aws_s3_bucket" "b" {}\n')
    return "names/bad\\xff.tf"


HOSTILE: dict[str, Callable[[Path], str | None]] = {
    f.__name__: f
    for f in (
        yaml_alias_bomb,
        deep_yaml,
        deep_json,
        moderately_deep_json,
        deep_hcl,
        huge_terraform,
        deep_python,
        nested_python_within_parser_limits,
        large_python,
        huge_python,
        binary_dockerfile,
        invalid_utf8_dockerfile,
        unterminated_heredoc,
        continuation_at_eof,
        hcl_syntax_error,
        cfn_unknown_tags,
        symlink_loop,
        links_out_of_root,
        unreadable_fifo,
        directory_named_like_a_file,
        chmod_000,
        undecodable_file_name,
    )
}


# Open bugs in other modules, found by these cases (see the hardening report). strict=True makes
# the test fail once the bug is fixed, so the marker cannot outlive it.
KNOWN_BUGS: dict[str, str] = {}


def hostile_params() -> list:
    return [
        pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case]))
        if case in KNOWN_BUGS
        else case
        for case in sorted(HOSTILE)
    ]


def write(path: Path, text: str) -> None:
    mkdirs(path.parent)
    path.write_text(text, encoding="utf-8")


def mkdirs(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def healthy_baseline(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, int, str]]:
    root = tmp_path_factory.mktemp("baseline")
    expected = make_healthy_tree(root)
    run = run_scan(root, ".")
    assert run.findings() == expected, "the healthy tree alone must give its documented findings"
    return expected


@pytest.mark.parametrize("case", hostile_params())
def test_hostile_input_beside_healthy_tree(case: str, tmp_path: Path, healthy_baseline: set) -> None:
    root = tmp_path / "repo"
    make_healthy_tree(root)
    named = HOSTILE[case](root)
    run = run_scan(root, ".", timeout=5.0 if case in KNOWN_BUGS else TIME_LIMIT_S)
    assert run.seconds < TIME_LIMIT_S and run.peak_rss_mb < MEMORY_LIMIT_MB, (run.seconds, run.peak_rss_mb)
    # every healthy finding still there, and nothing new in the healthy files
    assert run.findings(outside="healthy/") == set()
    assert run.findings() == healthy_baseline
    assert not [d for d in run.report["diagnostics"] if d["code"] == "internal"], run.report["diagnostics"]
    if named is not None:
        assert run.diagnostics_for(named), f"no diagnostic names {named}: {run.report['diagnostics']}"


def test_all_hostile_inputs_together(tmp_path: Path, healthy_baseline: set) -> None:
    root = tmp_path / "repo"
    make_healthy_tree(root)
    named = {
        case: writer(root)
        for case, writer in HOSTILE.items()
        if case not in KNOWN_BUGS and case != "huge_terraform"
    }
    run = run_scan(root, ".")
    assert run.seconds < TIME_LIMIT_S and run.peak_rss_mb < MEMORY_LIMIT_MB
    assert run.findings() == healthy_baseline
    for case, path in named.items():
        if path is not None:
            assert run.diagnostics_for(path), case


def test_crlf_and_bom_files_give_the_same_findings_as_lf(tmp_path: Path, healthy_baseline: set) -> None:
    root = tmp_path / "repo"
    make_healthy_tree(root)
    for path in (root / "healthy").rglob("*"):
        if path.is_file():
            data = path.read_bytes().replace(b"\n", b"\r\n")
            path.write_bytes(b"\xef\xbb\xbf" + data)
    run = run_scan(root, ".")
    assert run.findings() == healthy_baseline
    assert run.report["diagnostics"] == []


WEIRD_NAMES = (
    "with space",
    "ünïcödé-服务",
    "$(touch PWNED); `touch PWNED2` | & > x",
    "-rf --help",
    "quote'\"back\\slash",
)


def test_weird_file_names_are_reported_verbatim_and_run_nothing(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    source = EXAMPLES / "sam-lambda-arm64"
    expected = set()
    for name in WEIRD_NAMES:
        shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("README.md"))
        expected |= documented_findings("sam-lambda-arm64", f"{name}/")
    run = run_scan(root, ".")
    assert run.findings() == expected
    assert not list(root.rglob("PWNED*")) and not list(tmp_path.rglob("PWNED*"))
    # and as a command-line argument, one directory at a time
    for name in WEIRD_NAMES[:3]:
        one = run_scan(root, name)
        assert {(p, n, r) for p, n, r in one.findings()} == {
            f for f in expected if f[0].startswith(f"{name}/")
        }


def test_permission_denied_is_a_diagnostic_when_not_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root / "svc/Dockerfile", "FROM alpine:3.20\n")
    mkdirs(root / "closed")
    write(root / "closed/Dockerfile", "FROM alpine:3.20\n")
    os.chmod(root / "closed", 0)
    try:
        run = run_scan(root, ".")
    finally:
        os.chmod(root / "closed", stat.S_IRWXU)
    if os.geteuid() == 0:
        assert run.diagnostics_for("closed") == []  # root lists it
    else:
        assert any("cannot list directory" in m for m in run.diagnostics_for("closed"))
