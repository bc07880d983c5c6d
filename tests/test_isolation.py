"""Per-file isolation (archmatch/isolation.py): a file that breaks an extractor is left out of
the analysis, and the rest of the repository is analysed as if that file were absent.

Two layers are tested. The crash sites an audit found (each broke a whole extractor and removed
real findings of other files) are scanned for real beside a healthy tree: they must now be read
without any internal error, and every healthy finding must survive. The isolation itself is
tested with a test seam: the fact lists of `RepoFacts` raise when a second fact of a file named
`boom` is added, which is an exception in the middle of that file's extraction, after it added
a fact. The resulting facts must equal those of a scan where that file does not exist.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from test_hostile_inputs import EXAMPLES, make_healthy_tree, write

from archmatch import engine
from archmatch.config import Config
from archmatch.engine import scan
from archmatch.model import RepoFacts
from archmatch.repo import ScanOptions, discover
from archmatch.results import ScanResult

BIG = "9" * 5000  # Python refuses int() of more than 4300 digits


def run(root: Path) -> ScanResult:
    return scan([root], Config(), ScanOptions())


def findings(result: ScanResult) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.line, f.rule_id) for f in result.findings}


def internal(result: ScanResult) -> list[tuple[str, int, str]]:
    return [(d.location.path, d.location.line, d.message) for d in result.diagnostics if d.code == "internal"]


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, int, str]]:
    root = tmp_path_factory.mktemp("healthy") / "repo"
    expected = make_healthy_tree(root)
    assert findings(run(root)) == expected
    return expected


# --- the audit's crash sites, each sorted before the healthy tree ------------------------------
TF_LAMBDA = 'resource "aws_lambda_function" "f" {{\n  function_name = "f"\n  package_type = "Image"\n  image_uri = "x"\n  {}\n}}\n'
CFN = 'AWSTemplateFormatVersion: "2010-09-09"\n'
CRASH_SITES: dict[str, tuple[str, str]] = {
    "k8s-kind-mapping": ("0/pod.yaml", "apiVersion: v1\nkind: {Pod: 1}\nmetadata: {name: x}\n"),
    "tf-upper-of-number": ("0/main.tf", TF_LAMBDA.format("architectures = [upper(1)]")),
    "tf-division-by-zero": ("0/main.tf", TF_LAMBDA.format("architectures = [1/0]\n  memory_size = 1 % 0")),
    "tf-format-missing-argument": ("0/main.tf", TF_LAMBDA.format('architectures = [format("%s")]')),
    "tf-element-of-empty-list": ("0/main.tf", TF_LAMBDA.format("architectures = [element([], 0)]")),
    "tf-merge-of-string": ("0/main.tf", TF_LAMBDA.format('architectures = merge("a")')),
    "tf-5000-digit-integer": (
        "0/main.tf",
        TF_LAMBDA.format(f"memory_size = {BIG}\n  architectures = [{BIG}]\n  timeout = x[{BIG}]"),
    ),
    "cfn-properties-ref": (
        "0/template.yaml",
        CFN + "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: !Ref X\n",
    ),
    "yaml-invalid-date-cfn": (
        "0/template.yaml",
        CFN
        + "when: 2001-02-30\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {PackageType: Image}\n",
    ),
    "yaml-invalid-date-k8s": (
        "0/pod.yaml",
        "apiVersion: v1\nkind: Pod\nwhen: 2001-02-30\nmetadata: {name: x}\nspec: {containers: [{image: a}]}\n",
    ),
    "yaml-5000-digit-cfn": (
        "0/template.yaml",
        CFN
        + f"Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {{MemorySize: {BIG}, Architectures: [{BIG}]}}\n",
    ),
    "yaml-5000-digit-k8s": (
        "0/pod.yaml",
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {BIG}}}\nspec: {{containers: [{{image: {BIG}}}]}}\n",
    ),
    "json-5000-digit-cfn": (
        "0/template.json",
        '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": BIG}}}}'.replace(
            "BIG", BIG
        ),
    ),
    "json-5000-digit-k8s": (
        "0/pod.json",
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": BIG}, "spec": {"containers": [{"image": BIG}]}}'.replace(
            "BIG", BIG
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(CRASH_SITES))
def test_audit_crash_site_keeps_every_healthy_finding(case: str, tmp_path: Path, healthy: set) -> None:
    root = tmp_path / "repo"
    make_healthy_tree(root)
    path, text = CRASH_SITES[case]
    write(root / path, text)
    result = run(root)
    assert findings(result) - {f for f in findings(result) if f[0].startswith("0/")} == healthy
    assert internal(result) == []  # read as the value it is, or as unknown


def test_json_without_line_numbers_reads_a_5000_digit_integer_as_text(tmp_path: Path) -> None:
    # JSON that the YAML loader refuses (a tab) goes through the plain JSON parser
    write(
        tmp_path / "repo/pod.json",
        '{\t"apiVersion": "v1", "kind": "Pod", "metadata": {"name": BIG}, "spec": {}}'.replace("BIG", BIG),
    )
    result = run(tmp_path / "repo")
    assert internal(result) == []
    [workload] = result.facts[0].workloads
    assert workload.name == f"default/{BIG}"


# --- the isolation itself, with a file that breaks extraction halfway ------------------------------
class _Trap(list):  # type: ignore[type-arg]
    """A fact list that raises when a second fact of a `boom` file is added."""

    def __init__(self, seen: dict[str, int]):
        super().__init__()
        self.seen = seen

    def append(self, item: Any) -> None:
        path = item.location.path
        if "boom" in path:
            self.seen[path] = self.seen.get(path, 0) + 1
            if self.seen[path] >= 2:
                raise RuntimeError(f"deliberately broken on {path}")
        super().append(item)

    def extend(self, items: Any) -> None:
        for item in items:
            self.append(item)


class _TrapDict(dict):  # type: ignore[type-arg]
    def __setitem__(self, key: str, value: Any) -> None:
        if "boom" in key:
            raise RuntimeError(f"deliberately broken on {key}")
        super().__setitem__(key, value)


def trapped_facts(root: Path) -> RepoFacts:
    seen: dict[str, int] = {}
    facts = RepoFacts(root=root)
    facts.builds, facts.workloads, facts.capacities = _Trap(seen), _Trap(seen), _Trap(seen)
    facts.dockerfiles = _TrapDict()
    return facts


def fact_keys(facts: RepoFacts) -> set[tuple[str, str, int, str]]:
    out: set[tuple[str, str, int, str]] = set()
    for kind, items in (
        ("build", facts.builds),
        ("workload", facts.workloads),
        ("capacity", facts.capacities),
    ):
        out |= {(kind, i.location.path, i.location.line, i.name) for i in items}
    return out | {("dockerfile", path, 0, "") for path in facts.dockerfiles}


TWO_PODS = "".join(
    f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  nodeSelector: {{kubernetes.io/arch: arm64}}\n  containers: [{{image: app:{i}}}]\n"
    for i in (1, 2)
)
TWO_EKSCTL_GROUPS = (
    "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c}\nmanagedNodeGroups:\n"
    "  - {name: a, instanceType: m6g.large}\n  - {name: b, instanceType: m5.large}\n"
)
TWO_CFN_FUNCTIONS = (
    CFN
    + "Resources:\n"
    + "".join(
        f"  Fn{i}:\n    Type: AWS::Lambda::Function\n    Properties: {{PackageType: Image, Code: {{ImageUri: app:{i}}}}}\n"
        for i in (1, 2)
    )
)
TWO_SLS_FUNCTIONS = "service: s\nprovider: {name: aws, ecr: {images: {a: {path: ./a}, b: {path: ./b}}}}\nfunctions:\n  f1: {image: {name: a}}\n  f2: {image: {name: b}}\n"
TF_FUNCTION = 'resource "aws_lambda_function" "{0}" {{\n  function_name = "{0}"\n  package_type = "Image"\n  image_uri = "app:{0}"\n}}\n'
TWO_COMPOSE_SERVICES = "services:\n  a: {build: ./a, image: a}\n  b: {build: ./b, image: b}\n"
TWO_BAKE_TARGETS = 'target "a" {\n  context = "a"\n}\ntarget "b" {\n  context = "b"\n}\ngroup "default" {\n  targets = ["a", "b"]\n}\n'
TWO_GHA_STEPS = "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n" + "".join(
    f"      - uses: docker/build-push-action@v6\n        with: {{context: ./{c}, tags: {c}}}\n" for c in "ab"
)
TWO_GITLAB_JOBS = "".join(f"{c}:\n  script:\n    - docker build -t {c} ./{c}\n" for c in "ab")
TWO_SHELL_BUILDS = "#!/bin/sh\ndocker build -t a ./a\ndocker build -t b ./b\n"
TWO_PY_BUILDS = 'import subprocess\nsubprocess.run(["docker", "build", "-t", "a", "./a"])\nsubprocess.run("docker build -t b ./b", shell=True)\n'
TWO_MAKE_BUILDS = "a:\n\tdocker build -t a ./a\nb:\n\tdocker build -t b ./b\n"
TWO_NPM_BUILDS = '{"scripts": {"a": "docker build -t a ./a", "b": "docker build -t b ./b"}}\n'
TWO_BUILDSPEC_BUILDS = (
    "version: 0.2\nphases:\n  build:\n    commands:\n"
    "      - docker build -t a ./a\n      - docker build -t b ./b\n"
)
TF_CODEBUILD_PROJECT = (
    'resource "aws_codebuild_project" "p" {\n  name = "p"\n  service_role = "r"\n'
    '  artifacts {\n    type = "NO_ARTIFACTS"\n  }\n'
    '  environment {\n    compute_type = "BUILD_GENERAL1_SMALL"\n    image = "i"\n    type = "ARM_CONTAINER"\n  }\n'
    '  source {\n    type = "GITHUB"\n    buildspec = "boom/buildspec.yml"\n  }\n}\n'
)
TWO_CDK_ASSETS = '{"version": "36.0.0", "dockerImages": {"h1": {"source": {"directory": "a"}, "destinations": {}}, "h2": {"source": {"directory": "b"}, "destinations": {}}}}\n'

# extractor -> (files to write, the file that breaks); a `keep` file beside it must still count
CDK_LIBRARY_PACKAGE = '{"name": "lib", "peerDependencies": {"aws-cdk-lib": "^2.150.0"}}\n'
TWO_CDK_LIBRARY_ASSETS = """import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
export class Pair extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new lambda.DockerImageFunction(this, 'A', { code: lambda.DockerImageCode.fromImageAsset('a') });
    new lambda.DockerImageFunction(this, 'B', { code: lambda.DockerImageCode.fromImageAsset('b') });
  }
}
"""

CASES: dict[str, tuple[dict[str, str], str]] = {
    "kubernetes": ({"boom/pods.yaml": TWO_PODS, "keep/pods.yaml": TWO_PODS}, "boom/pods.yaml"),
    "eks-capacity": (
        {"boom/cluster.yaml": TWO_EKSCTL_GROUPS, "keep/cluster.yaml": TWO_EKSCTL_GROUPS},
        "boom/cluster.yaml",
    ),
    "cloudformation": (
        {"boom/template.yaml": TWO_CFN_FUNCTIONS, "keep/template.yaml": TWO_CFN_FUNCTIONS},
        "boom/template.yaml",
    ),
    "serverless": (
        {"boom/serverless.yml": TWO_SLS_FUNCTIONS, "keep/serverless.yml": TWO_SLS_FUNCTIONS},
        "boom/serverless.yml",
    ),
    # one module: the broken file is left out, the other file of the module still counts
    "terraform": (
        {
            "tf/a_boom.tf": TF_FUNCTION.format("x") + TF_FUNCTION.format("y"),
            "tf/b.tf": TF_FUNCTION.format("z"),
        },
        "tf/a_boom.tf",
    ),
    "compose": (
        {"boom/compose.yaml": TWO_COMPOSE_SERVICES, "keep/compose.yaml": TWO_COMPOSE_SERVICES},
        "boom/compose.yaml",
    ),
    "bake": (
        {"boom/docker-bake.hcl": TWO_BAKE_TARGETS, "keep/docker-bake.hcl": TWO_BAKE_TARGETS},
        "boom/docker-bake.hcl",
    ),
    "github-actions": (
        {".github/workflows/boom.yml": TWO_GHA_STEPS, ".github/workflows/keep.yml": TWO_GHA_STEPS},
        ".github/workflows/boom.yml",
    ),
    "gitlab-ci": (
        {"boom/.gitlab-ci.yml": TWO_GITLAB_JOBS, "keep/.gitlab-ci.yml": TWO_GITLAB_JOBS},
        "boom/.gitlab-ci.yml",
    ),
    "shell": ({"boom/build.sh": TWO_SHELL_BUILDS, "keep/build.sh": TWO_SHELL_BUILDS}, "boom/build.sh"),
    "makefile": ({"boom/Makefile": TWO_MAKE_BUILDS, "keep/Makefile": TWO_MAKE_BUILDS}, "boom/Makefile"),
    "python": ({"boom/build.py": TWO_PY_BUILDS, "keep/build.py": TWO_PY_BUILDS}, "boom/build.py"),
    "npm": ({"boom/package.json": TWO_NPM_BUILDS, "keep/package.json": TWO_NPM_BUILDS}, "boom/package.json"),
    "dockerfile": (
        {"boom/Dockerfile": "FROM alpine:3.20\n", "keep/Dockerfile": "FROM alpine:3.20\n"},
        "boom/Dockerfile",
    ),
    # a buildspec no project names, and one a CodeBuild project runs: the buildspec is left out,
    # never the .tf file declaring the project (nor its module)
    "buildspec": (
        {"boom/buildspec.yml": TWO_BUILDSPEC_BUILDS, "keep/buildspec.yml": TWO_BUILDSPEC_BUILDS},
        "boom/buildspec.yml",
    ),
    "codebuild-project-buildspec": (
        {
            "keep/main.tf": TF_CODEBUILD_PROJECT + TF_FUNCTION.format("k"),
            "boom/buildspec.yml": TWO_BUILDSPEC_BUILDS,
        },
        "boom/buildspec.yml",
    ),
    "cdk-out": (
        {"boom/cdk.out/S.assets.json": TWO_CDK_ASSETS, "keep/cdk.out/S.assets.json": TWO_CDK_ASSETS},
        "boom/cdk.out/S.assets.json",
    ),
    "cdk-library": (
        {
            "boom/package.json": CDK_LIBRARY_PACKAGE,
            "boom/src/pair.ts": TWO_CDK_LIBRARY_ASSETS,
            "keep/package.json": CDK_LIBRARY_PACKAGE,
            "keep/src/pair.ts": TWO_CDK_LIBRARY_ASSETS,
        },
        "boom/src/pair.ts",
    ),
}


def scan_with_trap(root: Path, monkeypatch: pytest.MonkeyPatch) -> ScanResult:
    with monkeypatch.context() as patch:
        patch.setattr(engine, "RepoFacts", lambda root: trapped_facts(root))
        return run(root)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_file_that_breaks_its_extractor_is_analysed_as_absent(
    case: str, tmp_path: Path, healthy: set, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, broken = CASES[case]
    root = tmp_path / "repo"
    make_healthy_tree(root)
    for rel, text in files.items():
        write(root / rel, text)
    result = scan_with_trap(root, monkeypatch)
    errors = internal(result)
    assert [(path, "deliberately broken" in message) for path, _, message in errors] == [(broken, True)], (
        errors
    )
    assert "left out" in errors[0][2]
    healthy_found = {f for f in findings(result) if f[0].startswith("healthy/")}
    assert healthy_found == healthy

    (root / broken).unlink()
    without = run(root)
    assert fact_keys(result.facts[0]) == fact_keys(without.facts[0])
    assert any(
        key[1].startswith(("keep/", ".github/workflows/keep", "tf/b.tf"))
        for key in fact_keys(result.facts[0])
    ), "the other file must count"


def test_a_broken_cdk_source_file_is_left_out_of_its_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = Path(__file__).parent / "fixtures/cdk/ts_fargate_arm64_pinned"
    shutil.copytree(fixture, tmp_path / "repo")
    stacks = sorted((tmp_path / "repo/lib").glob("*.ts"))
    assert stacks
    boom = stacks[0].with_name("boom-" + stacks[0].name)
    stacks[0].rename(boom)
    entry = tmp_path / "repo/bin/app.ts"
    entry.write_text(entry.read_text().replace(f"lib/{stacks[0].stem}", f"lib/boom-{stacks[0].stem}"))
    baseline = run(tmp_path / "repo")
    made_by_boom = [k for k in fact_keys(baseline.facts[0]) if "boom" in k[1]]
    assert len(made_by_boom) >= 2, made_by_boom  # the trap needs two facts from that file
    result = scan_with_trap(tmp_path / "repo", monkeypatch)
    assert [path for path, _, _ in internal(result)] == [boom.relative_to(tmp_path / "repo").as_posix()]
    assert not [k for k in fact_keys(result.facts[0]) if "boom" in k[1]]


def test_a_workflow_rendering_a_task_definition_that_breaks_halfway_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The render action's `image:` replaces the image of a task definition read before the
    workflow, and gives the build step a link key: a workflow that fails after its first render
    step must leave the facts as a workflow that renders nothing would."""
    from archmatch.extract import ecs_taskdef

    fixture = Path(__file__).parent / "fixtures/rules/ARCH301/fail_ecs_json_render_action"
    root = tmp_path / "repo"
    shutil.copytree(fixture, root)
    workflow = root / ".github/workflows/deploy.yml"
    text = workflow.read_text()
    render = text[
        text.index("      - name: Render") : text.index("      - uses: aws-actions/amazon-ecs-deploy")
    ]
    workflow.write_text(text.replace(render, render + render.replace("id: task-def", "id: task-def-2")))
    real, calls = ecs_taskdef._container_index, []

    def second_call_breaks(*args: Any) -> int | None:
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("deliberately broken on the second render step")
        return real(*args)

    def images(result: ScanResult) -> list[tuple[str, frozenset[str]]]:
        [task] = [w for w in result.facts[0].workloads if w.kind == ecs_taskdef.KIND]
        return [(ref.ref, ref.link_keys) for ref in task.images]

    def build_keys(result: ScanResult) -> list[frozenset[str]]:
        return [b.link_keys for b in result.facts[0].builds]

    with monkeypatch.context() as patch:
        patch.setattr(ecs_taskdef, "_container_index", second_call_breaks)
        broken = run(root)
    assert [path for path, _, _ in internal(broken)] == [".github/workflows/deploy.yml"]
    workflow.write_text(text.replace(render, ""))
    without = run(root)
    assert build_keys(without) == [frozenset()]
    assert images(broken) == images(without) == [("${IMAGE1_NAME}", frozenset())]
    assert build_keys(broken) == build_keys(without)


# --- the CLI: exit code, and --changed-files never hides an internal error --------------------------
BROKEN_K8S_RUNNER = textwrap.dedent(
    """
    import runpy, sys
    from archmatch.extract import kubernetes

    real = kubernetes.pod_workload

    def pod_workload(path, obj):
        if "boom" in path:
            raise RuntimeError("deliberately broken on " + path)
        return real(path, obj)

    kubernetes.pod_workload = pod_workload
    sys.argv = ["archmatch", *sys.argv[1:]]
    runpy.run_module("archmatch", run_name="__main__", alter_sys=True)
    """
)


def test_internal_errors_exit_2_and_survive_changed_files(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "sam-lambda-arm64", tmp_path / "repo")
    write(tmp_path / "repo/k8s/boom.yaml", TWO_PODS)
    runner = tmp_path / "runner.py"
    runner.write_text(BROKEN_K8S_RUNNER)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(runner), "scan", *args],
            cwd=tmp_path / "repo",
            capture_output=True,
            text=True,
            timeout=120,
        )

    strict = cli("-f", "json", ".")
    assert strict.returncode == 2 and "internal error" in strict.stderr
    assert '"path": "k8s/boom.yaml"' in strict.stdout and "ARCH301" in strict.stdout
    narrowed = cli("-f", "json", "--changed-files", "fn/app.py", ".")
    assert narrowed.returncode == 2
    assert '"path": "k8s/boom.yaml"' in narrowed.stdout  # an internal error is never filtered out
    relaxed = cli("-f", "json", "--internal-errors", "warn", ".")
    assert relaxed.returncode == 1  # the findings decide
    write(tmp_path / "repo/.archmatch.yaml", "internal-errors: warn\n")
    assert cli("-f", "json", ".").returncode == 1
    write(tmp_path / "repo/.archmatch.yaml", "internal-errors: maybe\n")
    assert cli(".").returncode == 2  # a config error


# --- discovery -------------------------------------------------------------------------------------
def test_discovery_of_1100_nested_folders(tmp_path: Path) -> None:
    depth = 1100
    deep = tmp_path
    for _ in range(depth):  # one by one: mkdir(parents=True) itself recurses
        deep = deep / "d"
        deep.mkdir()
    (deep / "Dockerfile").write_text("FROM --platform=$BUILDPLATFORM alpine:3.20\n")
    try:
        started = time.monotonic()
        assert discover(tmp_path, ScanOptions(), []) == ["d/" * depth + "Dockerfile"]
        result = run(tmp_path)
        assert time.monotonic() - started < 20  # resolving every folder's path was cubic in the depth
        assert ("d/" * depth + "Dockerfile", 1, "ARCH101") in findings(result)
        assert internal(result) == []
    finally:  # deepest first: shutil.rmtree (and pytest's clean-up) recurse
        for level in range(depth, 0, -1):
            folder = tmp_path.joinpath(*["d"] * level)
            for child in folder.iterdir():
                child.unlink()
            folder.rmdir()
