"""Type-confusion fuzzing of every extractor (hypothesis).

Each example takes a valid input of one extractor (from examples/ and tests/fixtures), mutates
it (YAML/JSON: any node replaced by a value of another type, a huge integer, an invalid date, a
CloudFormation tag, deep nesting; HCL: attribute values replaced by other expressions, calls
with wrong arguments, huge numbers, references, deep nesting; Dockerfiles, shell, Makefiles and
CDK source: arguments and literals replaced), writes it beside a healthy repository whose
findings are known, scans, and checks that:
- no exception escapes the scan;
- every internal error names a file (never `.`), the mutated one;
- every finding of the healthy repository is still reported;
- the scan stays within TIME_LIMIT_S and a memory bound (an address-space limit makes a runaway
  fail with MemoryError, which must not be among the internal errors).

The CI profile runs a few dozen derandomized examples per extractor. A longer run, for example
before a release:  ARCHMATCH_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py
(ARCHMATCH_FUZZ_STRICT=1 also fails on internal errors that isolation contained, to hunt for
crash sites to fix at the root; see docs/testing.md).
"""

from __future__ import annotations

import copy
import json
import os
import re
import resource
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile_inputs import documented_findings

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.repo import ScanOptions

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"
HEALTHY = "sam-lambda-arm64"
HEALTHY_FINDINGS = documented_findings(HEALTHY, "healthy/")
TIME_LIMIT_S = 20
MEMORY_HEADROOM = 1536 * 1024**2  # bytes of address space an example may add
EXAMPLES_PER_EXTRACTOR = int(os.environ.get("ARCHMATCH_FUZZ_EXAMPLES", "15"))
STRICT = os.environ.get("ARCHMATCH_FUZZ_STRICT") == "1"
FUZZ_DIR = "0fuzz"  # sorts before `healthy/`: a hostile file read first must not cost later ones

settings.register_profile(
    "archmatch-fuzz",
    max_examples=EXAMPLES_PER_EXTRACTOR,
    deadline=None,
    derandomize="ARCHMATCH_FUZZ_EXAMPLES" not in os.environ,  # CI: the same examples every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FUZZ = settings.get_profile("archmatch-fuzz")

# --- values that broke extractors before: the alphabet of the mutations ------------------------
HUGE_INT = "9" * 5000
# YAML text that a plain dump would quote: put as markers, replaced after dumping
RAW_YAML = {
    "__HUGE__": HUGE_INT,
    "__NEGHUGE__": "-" + HUGE_INT,
    "__BADDATE__": "2001-02-30",
    "__DATE__": "2001-02-03",
    "__TIMESTAMP__": "2001-12-14t21:59:43.10-05:00",
    "__REF__": "!Ref X",
    "__GETATT__": "!GetAtt Fn.Arn",
    "__SUB__": "!Sub '${AWS::Region}-${X}'",
    "__IF__": "!If [Cond, a, b]",
    "__JOIN__": "!Join ['', [a, !Ref X]]",
    "__SELECT__": "!Select [9, [a]]",
    "__FINDINMAP__": "!FindInMap [M, !Ref X, k]",
    "__UNKNOWNTAG__": "!Whatever {a: 1}",
    "__FLOATNAN__": ".nan",
    "__INF__": "-.inf",
    "__OCTAL__": "0o777",
    "__HEX__": "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "__BINARY__": "!!binary aGVsbG8=",
    "__SET__": "!!set {a, b}",
    "__PAIRS__": "!!omap [a: 1, b: 2]",
}
WEIRD_STRINGS = [
    "",
    " ",
    "arm64",
    "x86_64",
    "amd64",
    "linux/arm64",
    "linux/amd64,linux/arm64",
    "ARM64",
    "X86_64",
    "linux/arm/v7",
    "${self:custom.x}",
    "${opt:stage, dev}",
    "${env:X}",
    "${self:}",
    "${file(x.yml)}",
    "${{ matrix.platform }}",
    "$BUILDPLATFORM",
    "${TARGETARCH}",
    "${A:-${B:-c}}",
    "{{ .Values.image }}",
    "%s",
    "%%",
    "\\",
    "'",
    '"',
    "a" * 300,
    "image:tag",
    "registry.example.com:5000/a/b:c@sha256:" + "0" * 64,
    "../../../etc/passwd",
    "/abs/path",
    "Fn::GetAtt",
    "Ref",
    "AWS::NoValue",
    "AWS::Region",
    "true",
    "null",
    "1e999",
    "-0",
    "\u202e",
    "\x01",
    "café",
]
WEIRD_KEYS = [
    "Type",
    "Properties",
    "Ref",
    "Fn::If",
    "Fn::Sub",
    "Fn::Join",
    "Condition",
    "image",
    "kind",
    "apiVersion",
    "spec",
    "services",
    "build",
    "platform",
    "platforms",
    "architectures",
    "Architectures",
    "steps",
    "uses",
    "with",
    "run",
    "jobs",
    "script",
    "extends",
    "include",
    "variables",
    "functions",
    "provider",
    "Metadata",
    "containers",
    "nodeSelector",
    "affinity",
    "PackageType",
    "ImageUri",
    "Code",
    "target",
    "inherits",
    "dockerImages",
    "source",
    "<<",
    "1",
    "",
]


def _deep(depth: int, leaf: Any) -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(WEIRD_STRINGS),
    st.sampled_from(sorted(RAW_YAML)),
    st.text(max_size=12),
)
tree_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(WEIRD_KEYS) | st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
) | st.builds(_deep, st.integers(min_value=20, max_value=90), scalars)


# --- tree mutation (YAML / JSON) ---------------------------------------------------------------
def _plain(value: Any) -> Any:
    """archmatch's line-keeping nodes as plain dicts/lists/strings, for dumping."""
    if isinstance(value, dict):
        return {_plain_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _plain_key(key: Any) -> Any:
    return key if isinstance(key, str | int | float | bool) or key is None else str(key)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _confused(old: Any) -> list[Any]:
    """Values of another type made from the old one: the confusions a typo or an attacker makes."""
    out: list[Any] = [None, "__HUGE__", "__BADDATE__", "__REF__", str(old)[:50], [old], {"a": old}]
    if isinstance(old, dict):
        out += [list(old.values()), list(old.keys()), ""]
    if isinstance(old, list):
        out += [dict(enumerate(old)), old[0] if old else 0, old * 2]
    if isinstance(old, str):
        out += [len(old), True, old.split(), {old: old}]
    return out


def _replace(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return tree


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {str(k) for k in value} | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


@st.composite
def mutated_tree(draw: st.DrawFn, original: Any) -> Any:
    """Replace nodes by values of other types, or add a key the input has elsewhere (a field an
    extractor reads, now in a place or with a type it did not expect)."""
    tree = copy.deepcopy(original)
    known_keys = sorted(_keys(tree) | set(WEIRD_KEYS))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = list(_paths(tree))
        path = draw(st.sampled_from(paths))
        current = tree
        for key in path:
            current = current[key]
        value = draw(st.sampled_from(_confused(current)) | tree_values)
        if isinstance(current, dict) and draw(st.booleans()):
            current[draw(st.sampled_from(known_keys))] = copy.deepcopy(value)  # may hold `current`: no cycle
        else:
            tree = _replace(tree, path, value)
    return tree


def dump_yaml(docs: list[Any]) -> str:
    text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, width=10**6)
    for marker, raw in RAW_YAML.items():
        text = text.replace(marker, raw)
    return text


def dump_json(doc: Any) -> str:
    text = json.dumps(doc, ensure_ascii=False, indent=1, default=str)
    return text.replace('"__HUGE__"', HUGE_INT).replace('"__NEGHUGE__"', "-" + HUGE_INT)


def load_tree(text: str, fmt: str) -> list[Any]:
    from archmatch.extract import yamlsafe

    return [_plain(d) for d in yamlsafe.load_all(text)] if fmt == "yaml" else [json.loads(text)]


# --- text mutation (HCL, Dockerfile, shell, Makefile, CDK source) -------------------------------
TF_FUNCTIONS = [
    "upper",
    "lower",
    "format",
    "element",
    "merge",
    "lookup",
    "join",
    "split",
    "concat",
    "length",
    "tostring",
    "tonumber",
    "try",
    "coalesce",
    "jsonencode",
    "jsondecode",
    "replace",
    "substr",
    "file",
    "templatefile",
    "cidrsubnet",
    "keys",
    "values",
    "flatten",
    "distinct",
    "contains",
    "index",
    "slice",
    "zipmap",
    "range",
    "max",
    "min",
    "abs",
    "pow",
    "regex",
    "trimprefix",
    "nosuch",
]
hcl_leaf = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
    st.sampled_from(
        [HUGE_INT, "-" + HUGE_INT, "1e999", "0.5", "null", "true", "false", "1/0", "1 % 0", "-(-1)"]
    ),
    st.sampled_from(WEIRD_STRINGS).map(lambda s: json.dumps(s).replace("${{", "$${{")),
    st.sampled_from(
        [
            '"${var.x}"',
            '"${local.a}-${local.b}"',
            '"%{ if true }a%{ endif }"',
            '"${"',
            '"$${x}"',
            '"${upper(1)}"',
        ]
    ),
    st.sampled_from(
        [
            "var.x",
            "local.a",
            "local.b",
            "aws_lambda_function.f.architectures",
            "module.m.out",
            "data.x.y.z",
            "each.value",
            "count.index",
            "self",
            "path.module",
            "terraform.workspace",
        ]
    ),
)


def _hcl_expr(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(
            st.tuples(st.sampled_from(["a", "b", "platform", "architectures", "x86_64", '"k"']), inner),
            max_size=3,
        ).map(lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in kv) + "}"),
        st.tuples(st.sampled_from(TF_FUNCTIONS), st.lists(inner, max_size=3)).map(
            lambda fa: f"{fa[0]}({', '.join(fa[1])})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "==", "&&", "<"]), inner).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"
        ),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        inner.map(lambda x: f"[for v in {x} : v]"),
        inner.map(lambda x: f"{x}[*].id"),
    )


hcl_values = st.recursive(hcl_leaf, _hcl_expr, max_leaves=6) | st.integers(min_value=20, max_value=80).map(
    lambda n: "[" * n + "1" + "]" * n
)
_HCL_ATTR = re.compile(r"^(\s*[A-Za-z_][\w-]*\s*=\s*)(.+)$")


@st.composite
def mutated_hcl(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    candidates = [
        i
        for i, ln in enumerate(lines)
        if _HCL_ATTR.match(ln) and not ln.rstrip().endswith(("{", "[", "(", "<<EOF", "<<-EOF"))
    ]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not candidates:
            break
        i = draw(st.sampled_from(candidates))
        m = _HCL_ATTR.match(lines[i])
        assert m is not None
        lines[i] = m.group(1) + draw(hcl_values)
    if draw(st.booleans()):  # locals and variables that other values may reference
        lines.append(f"locals {{\n  a = {draw(hcl_values)}\n  b = {draw(hcl_values)}\n}}")
        lines.append(f'variable "x" {{\n  default = {draw(hcl_values)}\n}}')
    return "\n".join(lines)


SHELL_TOKENS = [
    "--platform",
    "--platform=linux/arm64",
    "--platform=$BUILDPLATFORM",
    "--platform ${P:-linux/amd64}",
    "linux/arm64",
    "-f",
    "-t",
    "--build-arg",
    "GOARCH=arm64",
    "--target",
    "$(uname -m)",
    "`arch`",
    "\\",
    "'",
    '"',
    "$",
    "${",
    "${A:-${B:-${C}}}",
    "&&",
    "||",
    ";",
    "|",
    "<<EOF",
    "cd ..",
    "export DOCKER_DEFAULT_PLATFORM=linux/arm64",
    "docker",
    "buildx",
    "build",
    "bake",
    "push",
    ".",
    "..",
    "-",
    "--load",
    "--push",
    "=",
    "a" * 200,
]
DOCKERFILE_LINES = [
    "FROM --platform=$BUILDPLATFORM golang:1.22 AS build",
    "FROM --platform=linux/arm64 alpine",
    "FROM build",
    "FROM ${BASE:-${BASE2:-alpine}}",
    "ARG TARGETARCH",
    "ARG BUILDPLATFORM",
    "ARG A=${B:-c}",
    "ENV GOARCH=amd64",
    "RUN GOARCH=arm64 go build",
    "RUN <<EOF\necho hi\nEOF",
    "COPY --from=build /x /y",
    "COPY --from=0 / /",
    "RUN curl -L https://x/arm64/y",
    "FROM",
    "ARG",
    "COPY --from= a b",
    "RUN \\",
    "FROM scratch AS " + "s" * 100,
    "# syntax=docker/dockerfile:1",
    "# escape=`",
    "ONBUILD FROM x",
    "FROM $$",
    "FROM ${",
]


@st.composite
def mutated_lines(
    draw: st.DrawFn, text: str, alphabet: list[str], whole_lines: list[str] | None = None
) -> str:
    lines = text.split("\n")
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        i = draw(st.integers(min_value=0, max_value=max(0, len(lines) - 1)))
        words = lines[i].split(" ") if lines else [""]
        action = draw(
            st.sampled_from(["replace", "insert", "line"] if whole_lines else ["replace", "insert"])
        )
        token = draw(st.sampled_from(alphabet) | st.text(max_size=8))
        if action == "line" and whole_lines:
            lines.insert(i, draw(st.sampled_from(whole_lines)))
            continue
        j = draw(st.integers(min_value=0, max_value=len(words)))
        if action == "replace" and j < len(words):
            words[j] = token
        else:
            words.insert(j, token)
        lines[i] = " ".join(words)
    return "\n".join(lines)


SOURCE_LITERALS = [
    "0",
    "-1",
    HUGE_INT,
    "1e999",
    "null",
    "undefined",
    "None",
    "True",
    "[]",
    "{}",
    "[[[[[[1]]]]]]",
    '""',
    "'arm64'",
    "'linux/arm64'",
    "lambda_.Architecture.ARM_64",
    "Architecture.X86_64",
    "ecs.CpuArchitecture.ARM64",
    "x.y.z.w",
    "f(g(h()))",
    "...[]",
    "`${a}`",
    "'" + "a" * 300 + "'",
    "new Foo()",
    "this",
    "self",
]
_LITERAL = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|\b\d+\b|\b(?:true|false|True|False|None|null)\b")


@st.composite
def mutated_source(draw: st.DrawFn, text: str) -> str:
    spans = [m.span() for m in _LITERAL.finditer(text)]
    chosen = sorted(
        set(draw(st.lists(st.sampled_from(spans), min_size=1, max_size=4)) if spans else []), reverse=True
    )
    for start, end in chosen:
        text = text[:start] + draw(st.sampled_from(SOURCE_LITERALS)) + text[end:]
    return text


# --- the seeds of each extractor ------------------------------------------------------------------
class Seed:
    """A valid input: `file` (inside `unit`, a folder copied with it) and how to mutate it."""

    def __init__(self, unit: Path | None, file: Path | str, dest: str, fmt: str):
        self.unit, self.file, self.dest, self.fmt = unit, file, dest, fmt

    def __repr__(self) -> str:  # hypothesis prints it with a failing example
        return f"Seed({self.file if isinstance(self.file, Path) else '<inline>'} -> {self.dest})"

    def text(self) -> str:
        return self.file if isinstance(self.file, str) else self.file.read_text(encoding="utf-8")

    def mutation(self) -> st.SearchStrategy[str]:
        text = self.text()
        if self.fmt in ("yaml", "json"):
            docs = [json.loads(json.dumps(d, default=str)) for d in load_tree(text, self.fmt)]
            dump = dump_yaml if self.fmt == "yaml" else (lambda ds: dump_json(ds[0]))
            return st.tuples(*(mutated_tree(d) for d in docs)).map(lambda ds: dump(list(ds)))
        if self.fmt == "hcl":
            return mutated_hcl(text)
        if self.fmt == "dockerfile":
            return mutated_lines(text, SHELL_TOKENS, DOCKERFILE_LINES)
        if self.fmt == "shell":
            return mutated_lines(text, SHELL_TOKENS)
        return mutated_source(text)


def _seed(path: str, fmt: str, unit: str | None = None, dest: str | None = None) -> Seed:
    file = ROOT / path
    unit_path = ROOT / unit if unit else None
    inside = file.relative_to(unit_path).as_posix() if unit_path else file.name
    return Seed(unit_path, file, dest or f"{FUZZ_DIR}/{inside}", fmt)


CDK_ASSETS = json.dumps(
    {
        "version": "36.0.0",
        "dockerImages": {
            "a" * 64: {
                "source": {"directory": "asset.a", "dockerBuildTarget": "prod", "platform": "linux/arm64"},
                "destinations": {"d": {"repositoryName": "r", "imageTag": "t"}},
            },
            "b" * 64: {
                "source": {"directory": "asset.b", "dockerFile": "Dockerfile.arm"},
                "destinations": {},
            },
        },
    },
    indent=1,
)
SEEDS: dict[str, list[Seed]] = {
    "kubernetes": [
        _seed(
            "examples/eks-graviton-compose-amd64/k8s/api.yaml", "yaml", "examples/eks-graviton-compose-amd64"
        )
    ],
    "eks_capacity": [
        _seed(
            "tests/fixtures/rules/ARCH302/fail_eksctl_graviton_only_unpinned_script/cluster.yaml",
            "yaml",
            "tests/fixtures/rules/ARCH302/fail_eksctl_graviton_only_unpinned_script",
        ),
        _seed(
            "tests/fixtures/rules/ARCH302/fail_karpenter_arm64_pool_unpinned_script/nodepool.yaml",
            "yaml",
            "tests/fixtures/rules/ARCH302/fail_karpenter_arm64_pool_unpinned_script",
        ),
    ],
    "kustomize": [
        _seed(str(p.relative_to(ROOT)), "yaml")
        for p in sorted(FIXTURES.glob("rules/*/*/*/kustomization.yaml"))[:1]
    ]
    + [
        _seed(str(p.relative_to(ROOT)), "yaml")
        for p in sorted(FIXTURES.glob("rules/*/*/*/*/kustomization.yaml"))[:1]
    ],
    "cloudformation": [
        _seed("examples/sam-lambda-arm64-fixed/template.yaml", "yaml", "examples/sam-lambda-arm64-fixed"),
        *[
            _seed(str(p.relative_to(ROOT)), "yaml")
            for p in sorted(FIXTURES.glob("rules/ARCH2*/*/template.yaml"))[:3]
        ],
    ],
    "serverless": [
        _seed(str(p.relative_to(ROOT)), "yaml", str(p.parent.relative_to(ROOT)))
        for p in sorted(FIXTURES.glob("rules/*/*/serverless.yml"))
    ],
    "terraform": [
        _seed(
            "examples/terraform-lambda-docker-build/main.tf", "hcl", "examples/terraform-lambda-docker-build"
        ),
        _seed(
            "examples/eks-graviton-compose-amd64/infra/eks.tf", "hcl", "examples/eks-graviton-compose-amd64"
        ),
        *[
            _seed(str(p.relative_to(ROOT)), "hcl")
            for p in sorted(FIXTURES.glob("rules/ARCH2*/*/main.tf"))[:4]
        ],
    ],
    "compose": [
        _seed(
            "examples/eks-graviton-compose-amd64/compose.yaml", "yaml", "examples/eks-graviton-compose-amd64"
        ),
        _seed(
            "tests/fixtures/builds/monorepo/docker-compose.override.yml",
            "yaml",
            "tests/fixtures/builds/monorepo",
        ),
    ],
    "bake": [
        _seed(str(p.relative_to(ROOT)), "hcl", str(p.parent.relative_to(ROOT)))
        for p in sorted([*EXAMPLES.glob("*/docker-bake.hcl"), *FIXTURES.glob("builds/*/docker-bake.hcl")])
    ],
    "github-actions": [
        _seed(
            "examples/ecs-fargate-arm64-gha/.github/workflows/release.yml",
            "yaml",
            dest=".github/workflows/0fuzz.yml",
        ),
        _seed(
            "tests/fixtures/builds/monorepo/.github/workflows/build.yml",
            "yaml",
            dest=".github/workflows/0fuzz.yml",
        ),
    ],
    "gitlab-ci": [
        _seed("tests/fixtures/builds/monorepo/.gitlab-ci.yml", "yaml", "tests/fixtures/builds/monorepo")
    ],
    "shell-makefile-npm": [
        _seed("tests/fixtures/builds/monorepo/Makefile", "shell", "tests/fixtures/builds/monorepo"),
        _seed("tests/fixtures/builds/monorepo/package.json", "json", "tests/fixtures/builds/monorepo"),
        *[
            _seed(str(p.relative_to(ROOT)), "shell")
            for p in sorted(FIXTURES.glob("builds/monorepo/scripts/*.sh"))
        ],
    ],
    "dockerfile": [
        _seed(str(p.relative_to(ROOT)), "dockerfile") for p in sorted(EXAMPLES.glob("*/Dockerfile"))[:3]
    ]
    + [
        _seed(str(p.relative_to(ROOT)), "dockerfile")
        for p in sorted(FIXTURES.glob("rules/ARCH10*/*/Dockerfile"))[:4]
    ],
    "samconfig": [
        _seed(
            "tests/fixtures/rules/ARCH301/fail_samconfig_parameter_overrides/samconfig.toml",
            "shell",
            "tests/fixtures/rules/ARCH301/fail_samconfig_parameter_overrides",
        ),
        _seed(
            "tests/fixtures/rules/ARCH301/fail_samconfig_two_environments/samconfig.yaml",
            "yaml",
            "tests/fixtures/rules/ARCH301/fail_samconfig_two_environments",
        ),
    ],
    "ecs-taskdef": [
        _seed(
            "tests/fixtures/rules/ARCH301/fail_ecs_json_render_action/ecs/task-definition.json",
            "json",
            "tests/fixtures/rules/ARCH301/fail_ecs_json_render_action",
        )
    ],
    "cdk-out": [Seed(None, CDK_ASSETS, f"{FUZZ_DIR}/cdk.out/Stack.assets.json", "json")],
    "cdk-source": [
        _seed(str(p.relative_to(ROOT)), "source", str(p.parents[1].relative_to(ROOT)))
        for p in sorted([*FIXTURES.glob("cdk/*/lib/*.ts"), *FIXTURES.glob("cdk/*/*/*_stack.py")])[:4]
    ],
    "js-programs": [
        _seed(
            "tests/fixtures/rules/ARCH302/fail_ts_sdk_ecs_register_task_definition_exec_unpinned/deploy.ts",
            "source",
            "tests/fixtures/rules/ARCH302/fail_ts_sdk_ecs_register_task_definition_exec_unpinned",
        ),
        _seed(
            "tests/fixtures/rules/ARCH301/fail_js_sdk_lambda_arm64_spawn_amd64_build/release.mjs",
            "source",
            "tests/fixtures/rules/ARCH301/fail_js_sdk_lambda_arm64_spawn_amd64_build",
        ),
    ],
}


# --- the property ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "repo"
    shutil.copytree(EXAMPLES / HEALTHY, root / "healthy", ignore=shutil.ignore_patterns("README.md"))
    return root


class _Timeout(BaseException):
    """Not an Exception: isolation must not turn the alarm into an internal error and go on."""


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout


def place(root: Path, seed: Seed, text: str) -> None:
    fuzz = root / FUZZ_DIR
    for old in (fuzz, root / ".github"):
        if old.exists():
            shutil.rmtree(old)
    if seed.unit is not None:
        shutil.copytree(seed.unit, fuzz, ignore=shutil.ignore_patterns("README.md", "*.expect"))
    target = root / seed.dest
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8", errors="surrogatepass")


def bounded_scan(root: Path) -> tuple[Any, float]:
    """The scan under a wall-clock alarm and an address-space limit (restored afterwards)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as fh:
        used = int(fh.read().split()[0]) * resource.getpagesize()
    cap = used + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    started = time.monotonic()
    try:
        result = scan([root], Config(), ScanOptions())
    except _Timeout:
        pytest.fail(f"the scan did not finish within {TIME_LIMIT_S} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    return result, time.monotonic() - started


def check_scan(root: Path, seed: Seed, text: str) -> None:
    place(root, seed, text)
    result, seconds = bounded_scan(root)
    assert seconds < TIME_LIMIT_S
    found = {(f.location.path, f.location.line, f.rule_id) for f in result.findings}
    assert found >= HEALTHY_FINDINGS, f"healthy findings lost: {HEALTHY_FINDINGS - found}\n{text[:2000]}"
    internal = [d for d in result.diagnostics if d.code == "internal"]
    for d in internal:
        assert d.location.path.startswith((FUZZ_DIR + "/", ".github/")), (
            f"internal error not naming the mutated file: {d}"
        )
        assert "MemoryError" not in d.message, f"over the memory bound: {d}\n{text[:2000]}"
    if STRICT:
        assert not internal, f"{internal}\n--- input ---\n{text[:4000]}"


def _fuzz_test(extractor: str) -> Callable[..., None]:
    seeds = SEEDS[extractor]

    @FUZZ
    @given(data=st.data())
    def test(fuzz_root: Path, data: st.DataObject) -> None:
        seed = data.draw(st.sampled_from(seeds), label="seed")
        text = data.draw(seed.mutation(), label="mutated input")
        check_scan(fuzz_root, seed, text)

    test.__name__ = f"test_fuzz_{extractor.replace('-', '_')}"
    return test


def test_every_extractor_has_seeds() -> None:
    from archmatch.extract import extractors

    assert all(SEEDS.values()), {k: len(v) for k, v in SEEDS.items()}
    names = {name.split(".")[0] for name, _ in extractors()}
    # a new extractor needs seeds here (and its files isolated: archmatch/isolation.py)
    assert names <= {
        "builds",
        "cdk_out",
        "cdk_source",
        "cloudformation",
        "dockerfile",
        "ecs_taskdef",
        "eks_capacity",
        "js_programs",
        "kubernetes",
        "kustomize",
        "serverless",
        "terraform",
    }


for _extractor in SEEDS:
    globals()[f"test_fuzz_{_extractor.replace('-', '_')}"] = _fuzz_test(_extractor)
