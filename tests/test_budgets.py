"""Bounded evaluation: tiny hostile files that used to cost minutes or gigabytes (issue 11).

Each probe is scanned by the real CLI in a subprocess, beside a healthy file whose finding must
survive, under a wall-clock bound (generous: it catches hangs, not slowness), an address-space
limit (a runaway cannot take the machine) and a peak-RSS bound read with `os.wait4`. Where the
file hits an evaluation budget, exactly one `limit` diagnostic must name it.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

TIME_LIMIT_S = 20.0  # CPU seconds: each of these scans takes ~1 s once fixed; before, minutes to hours
WALL_BACKSTOP_S = 300.0  # a child this late on a loaded machine is stuck, whatever its CPU time
MEMORY_LIMIT_MB = 400  # peak RSS; before, up to 3 GB
ADDRESS_SPACE_LIMIT = 3 * 1024**3
HEALTHY = (
    "healthy/Dockerfile",
    "FROM --platform=$BUILDPLATFORM alpine:3.20\nRUN echo hi\n",
    ("healthy/Dockerfile", 1, "ARCH101"),
)


@dataclass
class Scan:
    report: dict
    seconds: float  # CPU time of the scan (user + system)
    peak_rss_mb: float

    def diagnostics(self, code: str | None = None) -> list[dict]:
        return [d for d in self.report["diagnostics"] if code is None or d["code"] == code]

    def findings(self) -> set[tuple[str, int, str]]:
        return {(f["location"]["path"], f["location"]["line"], f["rule"]) for f in self.report["findings"]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scan(root: Path) -> Scan:
    """Scan `root` in a child process limited in memory; the time limit is on its CPU time (the
    machine may be loaded: wall time says little), with a wall-clock backstop for a stuck child."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

    out_path = root.parent / "report.json"
    started = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archmatch", "scan", "-f", "json", "--severity-threshold", "none", "."],
            cwd=root,
            stdout=out,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit_memory,
        )
        while True:
            pid, _status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            cpu = cpu_seconds(proc.pid)
            if cpu > TIME_LIMIT_S or time.monotonic() - started > WALL_BACKSTOP_S:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                pytest.fail(f"scan did not finish within {TIME_LIMIT_S} s of CPU ({cpu:.1f} s used)")
            time.sleep(0.05)
    cpu_used = usage.ru_utime + usage.ru_stime
    return Scan(json.loads(out_path.read_text()), cpu_used, usage.ru_maxrss / 1024)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --- the probes: each writes its file and returns (path, diagnostic code expected or None) -----


def bake_unclosed_interpolation(root: Path) -> tuple[str, str | None]:
    # 89 bytes, > 300 s: the grammar's string terminal backtracked exponentially
    write(root / "bake/docker-bake.hcl", 'target "app" {\n  dockerfile = "${' + "a" * 40 + "\n}\n")
    return "bake/docker-bake.hcl", "parse"


def bake_inherits_cycle(root: Path) -> tuple[str, str | None]:
    # > 200 s: every target inherits every other, 32 levels deep
    names = "abcdef"
    blocks = "".join(
        f'target "{n}" {{\n  inherits = [{", ".join(f"{chr(34)}{m}{chr(34)}" for m in names if m != n)}]\n}}\n'
        for n in names
    )
    write(root / "bake/docker-bake.hcl", 'group "default" {\n  targets = ["a"]\n}\n' + blocks)
    return "bake/docker-bake.hcl", "parse"


def tf_heredoc_marker_not_alone(root: Path) -> tuple[str, str | None]:
    # ×1.9 per character: the pre-scan thought the heredoc never ended and missed the open quote
    write(root / "tf/main.tf", 'locals {\n  a = <<EOF\nx\nEOF }\n  b = "' + "a" * 60 + "\n}\n")
    return "tf/main.tf", "parse"


def tf_heredoc_blank_lines(root: Path) -> tuple[str, str | None]:
    # cubic in blank lines (`\n+\s*` before the end marker): 2000 lines took 18 s
    write(root / "tf/main.tf", "locals {\n  a = <<EOF\nx" + "\n" * 20_000 + "}\n")
    return "tf/main.tf", "parse"


def tf_attribute_references_fan_out(root: Path) -> tuple[str, str | None]:
    # 2^30 evaluations before resource attributes were memoised (16 levels took > 120 s)
    blocks = ['resource "aws_ssm_parameter" "p0" {\n  name = "x"\n  value = "v"\n}\n']
    for i in range(1, 31):
        prev = f"aws_ssm_parameter.p{i - 1}"
        blocks.append(
            f'resource "aws_ssm_parameter" "p{i}" {{\n  name = coalesce({prev}.value, {prev}.name)\n'
            f"  value = coalesce({prev}.name, {prev}.value)\n}}\n"
        )
    blocks.append(LAMBDA_TF % "aws_ssm_parameter.p30.value")
    write(root / "tf/main.tf", "".join(blocks))
    return "tf/main.tf", None


def tf_attribute_reference_cycle(root: Path) -> tuple[str, str | None]:
    cycle = (
        'resource "aws_ssm_parameter" "a" {\n  name = "${aws_ssm_parameter.b.name}${aws_ssm_parameter.b.value}"\n'
        "  value = aws_ssm_parameter.b.name\n}\n"
        'resource "aws_ssm_parameter" "b" {\n  name = "${aws_ssm_parameter.a.name}${aws_ssm_parameter.a.value}"\n'
        "  value = aws_ssm_parameter.a.value\n}\n"
    )
    write(root / "tf/main.tf", cycle + LAMBDA_TF % "aws_ssm_parameter.a.name")
    return "tf/main.tf", None


def tf_module_inputs_in_a_ring(root: Path) -> tuple[str, str | None]:
    # module inputs are evaluated when first read (value by value, as Terraform's graph): forty calls
    # of one module, each of its eight inputs reading three other calls' outputs, all in cycles
    names = "abcdefgh"
    calls = []
    for i in range(40):
        inputs = "".join(
            f'  {v} = "${{module.m{(i + 1) % 40}.out_{v}}}${{module.m{(i + 3) % 40}.out_{names[(q + 1) % 8]}}}'
            f'${{module.m{(i + 7) % 40}.out_{names[(q + 2) % 8]}}}"\n'
            for q, v in enumerate(names)
        )
        calls.append(f'module "m{i}" {{\n  source = "./mod"\n{inputs}}}\n')
    write(root / "tf/main.tf", "".join(calls) + LAMBDA_TF % "module.m0.out_a")
    outputs = "".join(
        f'variable "{v}" {{}}\noutput "out_{v}" {{\n  value = "${{var.{v}}}${{var.{names[(q + 1) % 8]}}}"\n}}\n'
        for q, v in enumerate(names)
    )
    write(root / "tf/mod/main.tf", outputs)
    return "tf/main.tf", "limit"


def tf_locals_doubling_a_string(root: Path) -> tuple[str, str | None]:
    # 1.5 KB file -> 2.1 GB, then MemoryError
    lines = ["locals {", '  s0 = "ab"'] + [
        f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"' for i in range(1, 41)
    ]
    write(root / "tf/main.tf", "\n".join([*lines, "}", LAMBDA_TF % "local.s40"]))
    return "tf/main.tf", "limit"


def tf_functions_growing_lists_and_numbers(root: Path) -> tuple[str, str | None]:
    lines = ["locals {", '  l0 = ["a", "b"]', "  n0 = 12345678901234567890"]
    for i in range(1, 41):
        lines += [
            f"  l{i} = concat(local.l{i - 1}, local.l{i - 1})",
            f"  n{i} = local.n{i - 1} * local.n{i - 1}",
        ]
    lines += [
        '  j = join(",", local.l40)',
        '  r = replace("${local.l20[0]}aaaaaaaaaa", "a", join("", local.l14))',
    ]
    lines += ["  z = 1 / 0", "  m = 5 % 0", "  big = " + "9" * 5000, "}"]
    write(root / "tf/main.tf", "\n".join([*lines, LAMBDA_TF % "local.j"]))
    return "tf/main.tf", "limit"


def serverless_self_fan_out(root: Path) -> tuple[str, str | None]:
    # 2 KB, > 100 s: twenty `${self:}` references per level, each level re-resolved every time
    lines = [
        "service: s",
        "provider:",
        "  name: aws",
        "  architecture: ${self:custom.a6}",
        "custom:",
        "  a0: arm64",
    ]
    lines += [f"  a{i}: " + f"${{self:custom.a{i - 1}}}" * 20 for i in range(1, 7)]
    lines += [
        "  c1: ${self:custom.c2}",
        "  c2: ${self:custom.c1}x",
        "functions:",
        "  f:",
        "    image: ${self:custom.c1}",
    ]
    write(root / "sls/serverless.yml", "\n".join(lines) + "\n")
    return "sls/serverless.yml", None


def dockerfile_nested_defaults(root: Path) -> tuple[str, str | None]:
    # 160 KB, 126 s: every `${` re-matched its braces to the end of the line, at every depth
    n = 20_000
    write(root / "df/Dockerfile", "FROM alpine:3.20\nARG A\nRUN echo " + "${A:-" * n + "x" + "}" * n + "\n")
    write(
        root / "df2/Dockerfile", "FROM alpine:3.20\nRUN echo " + "${TARGETARCH:-" * n + "x" + "}" * n + "\n"
    )
    return "df/Dockerfile", None


def cfn_join_over_a_big_alias(root: Path) -> tuple[str, str | None]:
    # 1 MB anchor joined 999 times: 2.97 GB (the alias guard counted nodes, not characters)
    aliases = ", ".join(["*big"] * 999)
    write(
        root / "cfn/template.yaml",
        f'AWSTemplateFormatVersion: "2010-09-09"\nMappings:\n  Big: &big "{"x" * 1024 * 1024}"\n'
        + CFN_FUNCTION % f'!Join ["", [{aliases}]]',
    )
    return "cfn/template.yaml", "parse"


def cfn_join_and_sub_over_a_big_parameter(root: Path) -> tuple[str, str | None]:
    # no aliases: 100 KB default joined 1000 times would be 100 MB
    refs = ", ".join(["!Ref Big"] * 1000)
    write(
        root / "cfn/template.yaml",
        f'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  Big:\n    Type: String\n    Default: "{"x" * 100_000}"\n'
        + CFN_FUNCTION % f'!Join ["", [{refs}]]'
        + '      Description: !Sub "'
        + "${Big}" * 1000
        + '"\n',
    )
    return "cfn/template.yaml", "limit"


CFN_FUNCTION = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      PackageType: Image\n      Code:\n        ImageUri: %s\n"


def cdk_app_doubling_strings_and_arrays(root: Path) -> tuple[str, str | None]:
    write(root / "cdk/cdk.json", '{"app": "npx ts-node --prefer-ts-exts bin/app.ts"}\n')
    lines = [
        'import * as cdk from "aws-cdk-lib";',
        'import * as lambda from "aws-cdk-lib/aws-lambda";',
        "const app = new cdk.App();",
        'const stack = new cdk.Stack(app, "S");',
        f'const s0 = "{"x" * 10_000}";',
    ]
    lines += [f"const s{i} = s{i - 1} + s{i - 1};" for i in range(1, 13)]
    lines += ["const l0 = [" + ", ".join(['"a"'] * 100) + "];"]
    lines += [f"const l{i} = [...l{i - 1}, ...l{i - 1}];" for i in range(1, 11)]
    lines += [
        'new lambda.DockerImageFunction(stack, "F", '
        "{ code: lambda.DockerImageCode.fromImageAsset(s12), architecture: l10[0] });"
    ]
    write(root / "cdk/bin/app.ts", "\n".join(lines) + "\n")
    return "cdk/bin/app.ts", "limit"


def tf_nested_dynamic_blocks(root: Path) -> tuple[str, str | None]:
    # 2 KB, MemoryError: three nested `dynamic` blocks over 200 items were 8 million blocks
    items = "[" + ", ".join(str(i) for i in range(200)) + "]"
    nested = "x = 1"
    for label in "cba":
        nested = f'dynamic "{label}" {{\n for_each = local.n\n content {{\n {nested}\n }}\n }}'
    write(
        root / "tf/main.tf",
        f"locals {{\n  n = {items}\n}}\n"
        f'resource "aws_ecs_task_definition" "t" {{\n  family = "t"\n  container_definitions = "[]"\n{nested}\n}}\n',
    )
    return "tf/main.tf", "limit"


def tf_for_each_over_many_resources(root: Path) -> tuple[str, str | None]:
    # 55 KB, 40 s and 330 MB: 300 resources with for_each over 256 keys were 76,800 workloads
    keys = ", ".join(f'"k{i}" = {i}' for i in range(256))
    functions = "".join(
        f'resource "aws_lambda_function" "f{j}" {{\n  for_each = local.m\n  function_name = each.key\n'
        f'  package_type = "Image"\n  image_uri = "app:${{each.key}}"\n}}\n'
        for j in range(300)
    )
    write(root / "tf/main.tf", f"locals {{\n  m = {{ {keys} }}\n}}\n" + functions)
    return "tf/main.tf", "limit"


def tf_module_for_each_nested(root: Path) -> tuple[str, str | None]:
    # local modules with for_each are instances too: 256 calls of a module that calls another one
    # 256 times, whose 10 resources each have 256 instances, would be 168 million workloads
    keys = ", ".join(f'"k{i}" = {i}' for i in range(256))
    write(
        root / "tf/main.tf",
        f'locals {{\n  m = {{ {keys} }}\n}}\nmodule "a" {{\n  source = "./modules/a"\n'
        "  for_each = local.m\n  m = local.m\n}\n",
    )
    write(
        root / "tf/modules/a/main.tf",
        'variable "m" {}\nmodule "b" {\n  source = "../b"\n  for_each = var.m\n  m = var.m\n}\n',
    )
    functions = "".join(
        f'resource "aws_lambda_function" "f{j}" {{\n  for_each = var.m\n  function_name = each.key\n'
        f'  package_type = "Image"\n  image_uri = "app:${{each.key}}"\n}}\n'
        for j in range(10)
    )
    write(root / "tf/modules/b/main.tf", 'variable "m" {}\n' + functions)
    return "tf/modules/a/main.tf", "limit"


def buildspec_variable_repeating_itself(root: Path) -> tuple[str, str | None]:
    # 1 KB, MemoryError: each of five expansion rounds multiplied the value by 200
    write(
        root / "cb/buildspec.yml",
        'version: 0.2\nenv:\n  variables:\n    A: "' + "${A}" * 200 + '"\n'
        'phases:\n  build:\n    commands:\n      - docker build -t "$A" .\n',
    )
    return "cb/buildspec.yml", "limit"


def shell_script_with_5000_builds(root: Path) -> tuple[str, str | None]:
    # 130 KB, ~30 s: each build was compared with every earlier one (same build twice: one build)
    write(root / "sh/build.sh", "#!/bin/sh\n" + "".join(f"docker build -t app:{i} .\n" for i in range(5000)))
    return "sh/build.sh", None


def _templatefile_task(root: Path, containers: int) -> None:
    fields = ",\n".join(f'{{"name": "c{i}", "image": "${{repo}}:{i}"}}' for i in range(containers))
    write(root / "tf/task.json.tpl", "[\n" + fields + "\n]\n")
    write(
        root / "tf/main.tf",
        'variable "repo" {}\nresource "aws_ecs_task_definition" "t" {\n  family = "t"\n'
        '  container_definitions = templatefile("${path.module}/task.json.tpl", { repo = var.repo })\n}\n',
    )


def tf_templatefile_with_100k_images(root: Path) -> tuple[str, str | None]:
    # 4.5 MB, > 300 s: each field's line was counted from the start of the file
    _templatefile_task(root, 100_000)
    return "tf/task.json.tpl", "limit"


def unnamed_images_of_one_workload(root: Path) -> tuple[str, str | None]:
    # 6000 images of unknown repository in one task definition: each compared with every other
    # (proximity linking), 36 million comparisons
    _templatefile_task(root, 6000)
    return "tf/main.tf", None


def gha_matrix_of_three_256_value_axes(root: Path) -> tuple[str, str | None]:
    # 3 KB, MemoryError: the 16.7 million combinations were built before they were counted
    axis = "[" + ", ".join(str(i) for i in range(256)) + "]"
    write(
        root / ".github/workflows/b.yml",
        f"on: push\njobs:\n  b:\n    strategy:\n      matrix:\n        a: {axis}\n        b: {axis}\n"
        f"        c: {axis}\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: docker build -t app:${{ matrix.a }} .\n",
    )
    return ".github/workflows/b.yml", None


LAMBDA_TF = (
    'resource "aws_lambda_function" "f" {\n  package_type = "Image"\n  image_uri = %s\n'
    '  function_name = "f"\n  role = "r"\n}\n'
)


DAGGER_MODULE = '{"name": "ci", "sdk": "go", "source": "ci"}\n'


def dagger_go_chain_of_50k_calls(root: Path) -> tuple[str, str | None]:
    # 50,000 chained `.WithExec` calls nest as deep: evaluating them recursively overflowed the stack
    chain = "".join('.\n\t\tWithExec([]string{"true"})' for _ in range(50_000))
    write(root / "dagger.json", DAGGER_MODULE)
    write(
        root / "ci/main.go",
        "package main\n\ntype Ci struct{}\n\nfunc (m *Ci) Run() *Ctr {\n\treturn dag.Container()"
        + chain
        + "\n}\n",
    )
    return "ci/main.go", "limit"


def dagger_go_calls_fanning_out(root: Path) -> tuple[str, str | None]:
    # every function calls the next one twice, 30 deep: 2^24 calls (the call-depth limit) before
    # a function called again with the same arguments reused its first result
    funcs = [
        f"func (m *Ci) F{i}() string {{\n\ta := m.F{i + 1}()\n\tb := m.F{i + 1}()\n\treturn a + b\n}}\n"
        for i in range(30)
    ]
    publish = (
        'func (m *Ci) Run(ctx context.Context) {\n\tdag.Container().From(m.F0()).Publish(ctx, "r/x:1")\n}\n'
    )
    write(root / "dagger.json", DAGGER_MODULE)
    write(root / "ci/main.go", "package main\n\ntype Ci struct{}\n\n" + publish + "".join(funcs))
    return "ci/main.go", None


def dagger_go_huge_file(root: Path) -> tuple[str, str | None]:
    # 2 MB of Go: 20,000 module functions each publishing a container (100,000 took 40 s and made
    # as many builds before the pipeline had its own step allowance and a limit on its images)
    funcs = "".join(
        f'func (m *Ci) F{i}(ctx context.Context) {{ dag.Container().From("a").Publish(ctx, "r/x:{i}") }}\n'
        for i in range(20_000)
    )
    write(root / "dagger.json", DAGGER_MODULE)
    write(root / "ci/main.go", "package main\n\ntype Ci struct{}\n\n" + funcs)
    return "ci/main.go", "limit"


_DAGGER_LOOP_ITEMS = ", ".join(f'"{i}"' for i in range(32))  # a known list of 32: the loop runs per item


def dagger_go_doubling_a_string(root: Path) -> tuple[str, str | None]:
    # a string doubled 32 times by `+` and three times 32 x 32 times by fmt.Sprintf: 2^32 and 3^1024
    # characters (the pipeline's strings were built without the string limit: MemoryError)
    loop = f"for _, x := range []string{{{_DAGGER_LOOP_ITEMS}}}"
    body = (
        f'\ts := "abcdefghij"\n\t{loop} {{\n\t\ts = s + s\n\t}}\n'
        f'\tt := "ab"\n\t{loop} {{\n\t\t{loop} {{\n\t\t\tt = fmt.Sprintf("%s%s%s", t, t, t)\n\t\t}}\n\t}}\n'
        '\tdag.Container().From(s + t).Publish(ctx, "r/x:1")\n'
    )
    write(root / "dagger.json", DAGGER_MODULE)
    write(
        root / "ci/main.go",
        "package main\n\ntype Ci struct{}\n\nfunc (m *Ci) Run(ctx context.Context) {\n" + body + "}\n",
    )
    return "ci/main.go", "limit"


def dagger_py_doubling_a_string(root: Path) -> tuple[str, str | None]:
    # the Python SDK's evaluator: `s += s` and an f-string doubling its own value, 32 times each
    loop = f"for x in [{_DAGGER_LOOP_ITEMS}]:"
    body = (
        f"        s = 'abcdefghij'\n        {loop}\n            s += s\n"
        f"        t = 'ab'\n        {loop}\n            t = f'{{t}}{{t}}'\n"
        "        return await dag.container().from_(s + t).publish('r/x:1')\n"
    )
    write(root / "dagger.json", '{"name": "ci", "sdk": "python", "source": "ci"}\n')
    write(
        root / "ci/main.py",
        "import dagger\nfrom dagger import dag, function, object_type\n\n\n@object_type\nclass Ci:\n"
        "    @function\n    async def run(self) -> str:\n" + body,
    )
    return "ci/main.py", "limit"


def dagger_py_fstring_of_300k_fields(root: Path) -> tuple[str, str | None]:
    # CPython 3.11 parses one f-string in time quadratic in its fields: minutes for this 2.4 MB file
    write(root / "dagger.json", '{"name": "ci", "sdk": "python", "source": "ci"}\n')
    write(root / "ci/main.py", "import dagger\n\ns = f'" + "{x}" * 300_000 + "'\n")
    return "ci/main.py", "parse"


def ts_ops_program_recursion_and_fan_out(root: Path) -> tuple[str, str | None]:
    # an ops program whose calls are evaluated with their arguments bound: a function calling itself,
    # two calling each other, a chain of 40 functions each calling the next twice with new strings,
    # and a sink reached through 16 x 16 x 16 call chains
    chain = "".join(
        f"function f{i}(x: string): string {{ return f{i + 1}(x + 'a' + x) + f{i + 1}(x + 'b'); }}\n"
        for i in range(40)
    )
    callers = "".join(
        f"export function c{level}_{i}(t: string) {{ c{level + 1}_0(t + '{i}'); c{level + 1}_1(t); }}\n"
        for level in range(6)
        for i in range(16)
    )
    text = (
        'import { execSync } from "child_process";\n'
        "function grow(s: string): string { return grow(s + s); }\n"
        "function ping(s: string): string { return pong(s + s); }\n"
        "function pong(s: string): string { return ping(s + s); }\n"
        + chain
        + "function f40(x: string): string { return x; }\n"
        + callers
        + "export function c6_0(t: string) { execSync(`docker build -t app:${grow(t)}${ping(t)}${f0(t)} .`); }\n"
        + "export function c6_1(t: string) { c6_0(t + t); }\n"
        + "".join(f"c0_{i}('{i}');\n" for i in range(16))
    )
    write(root / "ops/package.json", '{"name": "ops", "dependencies": {"execa": "*"}}\n')
    write(root / "ops/src/deploy.ts", text)
    return "ops/src/deploy.ts", None


PROBES: dict[str, Callable[[Path], tuple[str, str | None]]] = {
    f.__name__: f
    for f in (
        bake_unclosed_interpolation,
        bake_inherits_cycle,
        tf_heredoc_marker_not_alone,
        tf_heredoc_blank_lines,
        tf_attribute_references_fan_out,
        tf_attribute_reference_cycle,
        tf_module_inputs_in_a_ring,
        tf_locals_doubling_a_string,
        tf_functions_growing_lists_and_numbers,
        serverless_self_fan_out,
        dockerfile_nested_defaults,
        cfn_join_over_a_big_alias,
        cfn_join_and_sub_over_a_big_parameter,
        cdk_app_doubling_strings_and_arrays,
        tf_nested_dynamic_blocks,
        tf_for_each_over_many_resources,
        tf_module_for_each_nested,
        buildspec_variable_repeating_itself,
        shell_script_with_5000_builds,
        tf_templatefile_with_100k_images,
        unnamed_images_of_one_workload,
        gha_matrix_of_three_256_value_axes,
        dagger_go_chain_of_50k_calls,
        dagger_go_calls_fanning_out,
        dagger_go_huge_file,
        dagger_go_doubling_a_string,
        dagger_py_doubling_a_string,
        dagger_py_fstring_of_300k_fields,
        ts_ops_program_recursion_and_fan_out,
    )
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_is_cheap_and_named(name: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root / HEALTHY[0], HEALTHY[1])
    path, code = PROBES[name](root)
    run = scan(root)
    assert run.seconds < TIME_LIMIT_S and run.peak_rss_mb < MEMORY_LIMIT_MB, (run.seconds, run.peak_rss_mb)
    assert HEALTHY[2] in run.findings(), "a healthy finding elsewhere must survive"
    assert not run.diagnostics("internal"), run.diagnostics()
    if code is not None:
        named = [d for d in run.diagnostics(code) if d["location"]["path"] == path]
        assert named, f"no {code} diagnostic names {path}: {run.diagnostics()}"
        if code == "limit":
            assert len(run.diagnostics("limit")) == 1, run.diagnostics("limit")
            assert named[0]["location"]["line"] > 0


# --- the HCL grammar's safe terminals match what the original ones match -----------------------


def test_safe_hcl_terminals_match_the_same_texts_as_the_originals() -> None:
    from hcl2.parser import hcl2 as original_parser

    from archmatch.extract.hcl_lark import hcl_parser

    def terminals(parser) -> dict[str, re.Pattern[str]]:  # type: ignore[no-untyped-def]
        return {
            t.name: re.compile(t.pattern.to_regexp())
            for t in parser.terminals
            if t.name == "STRING_LIT" or "<<" in t.pattern.to_regexp()
        }

    old, new = terminals(original_parser.lark_parser), terminals(hcl_parser())
    assert old.keys() == new.keys() and len(old) == 3
    rnd = random.Random(11)
    string_alphabet = ['"', "$", "{", "}", "\\", "a", "\n", " "]
    heredoc_alphabet = ["EOF", "EO", "E", "F", "\n", " ", "\t", "x", '"', "<<"]
    for _ in range(20_000):
        texts = {
            "STRING_LIT": '"' + "".join(rnd.choice(string_alphabet) for _ in range(rnd.randint(0, 10))),
            "heredoc": f"<<{rnd.choice(['', '-'])}EOF\n"
            + "".join(rnd.choice(heredoc_alphabet) for _ in range(rnd.randint(0, 8))),
        }
        for name, pattern in old.items():
            text = texts["STRING_LIT" if name == "STRING_LIT" else "heredoc"]
            a, b = pattern.match(text), new[name].match(text)
            assert (a.end() if a else None) == (b.end() if b else None), (name, text)


@pytest.mark.parametrize(
    "text",
    [
        '"' + "a" * 100_000,
        '"${' + "a" * 100_000,
        '"${"' + "a" * 100_000,
        '"' + "${" * 50_000,
        '"${' + '"' * 100_000,
        "<<EOF\nx" + "\n" * 100_000,
        "<<EOF\nx\n" + " \n" * 100_000,
        "<<EOF\n" + "EO\n" * 100_000,
    ],
    ids=lambda t: repr(t[:6]),
)
def test_safe_hcl_terminals_fail_fast_on_unclosed_input(text: str) -> None:
    from archmatch.extract.hcl_lark import hcl_parser

    started = time.process_time()
    for terminal in hcl_parser().terminals:
        if terminal.name == "STRING_LIT" or "<<" in terminal.pattern.to_regexp():
            re.compile(terminal.pattern.to_regexp()).match(text)
    assert time.process_time() - started < 5.0
