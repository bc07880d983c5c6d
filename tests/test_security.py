"""Security properties of a scan, each with a test that fails if the property breaks.

* no network access during a scan;
* no code from the scanned repository is executed or imported;
* YAML is loaded without arbitrary object construction;
* secrets in scanned files never appear in any output format (masked as Checkov masks them);
* SARIF URIs never escape the scan root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archmatch.cli import main
from archmatch.commands.scan import renderers
from archmatch.safetext import mask_secrets, mask_value

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sam-lambda-arm64"
EXAMPLE_FINDINGS = {("template.yaml", 16, "ARCH301")}  # one root cause (the Dockerfile pin), one error
CONSOLE_SCRIPT = Path(sys.executable).parent / "archmatch"

# A sitecustomize that records (and refuses) every network connection, name lookup and process
# spawn of the interpreter it is loaded into, and writes "armed" first to prove it was loaded.
GUARD = textwrap.dedent(
    """
    import os, socket, subprocess
    _log = os.environ["ARCHMATCH_GUARD_LOG"]
    def _record(what):
        with open(_log, "a") as fh:
            fh.write(what[:300] + "\\n")
    _record("armed")
    _Socket = socket.socket
    class _GuardedSocket(_Socket):
        def __init__(self, family=socket.AF_INET, *args, **kwargs):
            if family in (socket.AF_INET, socket.AF_INET6):
                _record(f"socket {family!r}")
                raise OSError("network disabled during the scan")
            super().__init__(family, *args, **kwargs)
    def _refuse(name):
        def refuse(*args, **kwargs):
            _record(f"{name} {args!r}")
            raise OSError(f"{name} disabled during the scan")
        return refuse
    socket.socket = _GuardedSocket
    for _name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        setattr(socket, _name, _refuse("socket." + _name))
    for _name in ("system", "popen", "execv", "execve", "execvp", "execvpe", "posix_spawn", "posix_spawnp"):
        if hasattr(os, _name):
            setattr(os, _name, _refuse("os." + _name))
    subprocess.Popen.__init__ = _refuse("subprocess.Popen")
    """
)


def guarded_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "guard.log"
    env = {**os.environ, "PYTHONPATH": str(guard_dir), "ARCHMATCH_GUARD_LOG": str(log)}
    return env, log


def findings_of(report: str) -> set[tuple[str, int, str]]:
    return {(f["location"]["path"], f["location"]["line"], f["rule"]) for f in json.loads(report)["findings"]}


def test_scan_uses_no_network_and_spawns_no_process(tmp_path: Path) -> None:
    env, log = guarded_env(tmp_path)
    tree = tmp_path / "repo"
    shutil.copytree(EXAMPLE, tree)
    for fmt in ("json", "sarif", "text"):
        proc = subprocess.run(
            [sys.executable, "-m", "archmatch", "scan", "-f", fmt, "."],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 1, proc.stderr
        if fmt == "json":
            assert findings_of(proc.stdout) == EXAMPLE_FINDINGS
    assert log.read_text().splitlines() == ["armed"] * 3


def test_the_network_guard_itself_works(tmp_path: Path) -> None:
    env, log = guarded_env(tmp_path)
    probe = (
        "import socket, subprocess\ntry:\n socket.create_connection(('127.0.0.1', 9))\nexcept OSError: pass\n"
    )
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, timeout=30)
    assert log.read_text().splitlines()[0] == "armed" and "socket.create_connection" in log.read_text()


def plant(tree: Path, markers: Path) -> list[str]:
    """Files that would each write a marker named after themselves if anything ran them."""

    def py(name: str) -> str:
        return f"open({str(markers / name)!r}, 'w').write('ran')\n"

    def sh(name: str) -> str:
        return f"touch '{markers / name}'"

    planted = {
        "conftest.py": py("conftest.py"),
        "setup.py": py("setup.py"),
        "sitecustomize.py": py("sitecustomize.py"),
        "usercustomize.py": py("usercustomize.py"),
        "yaml.py": py("yaml.py"),  # archmatch imports yaml: a repo's yaml.py must not shadow it
        "jsonschema.py": py("jsonschema.py"),
        "evil.pth": "import os; " + py("evil.pth").strip() + "\n",
        "Makefile": f"all:\n\t{sh('Makefile')}\nbuild:\n\tdocker build -t app fn\n\t{sh('Makefile-build')}\n",
        "package.json": json.dumps(
            {
                "name": "x",
                "scripts": {
                    "postinstall": sh("postinstall"),
                    "build": "docker build -t app fn && " + sh("npm-build"),
                },
            }
        ),
        "build.sh": f"#!/bin/sh\n{sh('build.sh')}\ndocker build -t app fn\n",
        ".git/hooks/post-checkout": f"#!/bin/sh\n{sh('git-hook')}\n",
        "fn/compose.yaml": f'services:\n  app:\n    build: .\n    command: sh -c "{sh("compose-command")}"\n',
    }
    for rel, text in planted.items():
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if rel.endswith((".sh", "post-checkout")):
            path.chmod(0o755)
    return list(planted)


@pytest.mark.parametrize("how", ["console-script-in-repo", "module-from-outside"])
def test_no_code_from_the_scanned_tree_runs(tmp_path: Path, how: str) -> None:
    tree, markers = tmp_path / "repo", tmp_path / "markers"
    shutil.copytree(EXAMPLE, tree)
    markers.mkdir()
    plant(tree, markers)
    env, log = guarded_env(tmp_path)
    if how == "console-script-in-repo":
        cmd, cwd = [str(CONSOLE_SCRIPT), "scan", "-f", "json", "."], tree
    else:
        cmd, cwd = [sys.executable, "-m", "archmatch", "scan", "-f", "json", str(tree)], tmp_path
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert {(p.removeprefix("repo/"), n, r) for p, n, r in findings_of(proc.stdout)} >= EXAMPLE_FINDINGS
    assert sorted(os.listdir(markers)) == []
    assert log.read_text().splitlines() == ["armed"]  # nothing spawned, nothing connected


def test_python_dash_m_inside_the_scanned_repo_imports_nothing_from_it(tmp_path: Path) -> None:
    tree, markers = tmp_path / "repo", tmp_path / "markers"
    shutil.copytree(EXAMPLE, tree)
    markers.mkdir()
    plant(tree, markers)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [sys.executable, "-m", "archmatch", "scan", "-f", "json", "."],
        cwd=tree,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert sorted(os.listdir(markers)) == []


def test_yaml_python_tags_construct_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree, marker = tmp_path / "repo", tmp_path / "MARKER"
    shutil.copytree(EXAMPLE, tree)
    payloads = {
        "evil/template.yaml": f'AWSTemplateFormatVersion: "2010-09-09"\nResources: !!python/object/apply:os.system ["touch {marker}"]\n',
        "evil/compose.yaml": f'services:\n  app:\n    image: !!python/object/apply:os.system ["touch {marker}"]\n',
        "evil/k8s.yaml": f'apiVersion: v1\nkind: Pod\nmetadata: !!python/object/new:subprocess.Popen [["touch", "{marker}"]]\n',
        "evil/serverless.yml": f"service: x\nprovider: !!python/name:os.system\nfunctions: !!python/object/apply:os.system ['touch {marker}']\n",
    }
    for rel, text in payloads.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    main(["scan", "-f", "json", str(tree)])
    report = json.loads(capsys.readouterr().out)
    assert not marker.exists()
    named = {d["location"]["path"].rsplit("repo/", 1)[-1] for d in report["diagnostics"]}
    # each payload is refused with a diagnostic naming its file (or, at the least, ignored)
    assert named <= set(payloads) | {"."}
    assert "evil/template.yaml" in named and "evil/compose.yaml" in named
    assert {
        (p.rsplit("repo/", 1)[-1], n, r) for p, n, r in findings_of(json.dumps(report))
    } == EXAMPLE_FINDINGS


# --- secrets ----------------------------------------------------------------------------------

# (line as it might appear in a report, the same line masked the way Checkov masks secrets:
#  the first len(secret)//4 characters, at most 6, then ten asterisks)
MASKING = [
    ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=AKIAI**********"),
    ("key AKIAIOSFODNN7EXAMPLE here", "key AKIAI********** here"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "token ghp_ab**********"),
    ("github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz", "github**********"),
    (
        "docker build --build-arg DB_PASSWORD=hunter2hunter2 .",
        "docker build --build-arg DB_PASSWORD=hun********** .",
    ),
    ("ENV DB_PASSWORD hunter2hunter2", "ENV DB_PASSWORD hun**********"),
    ("ENV DB_PASSWORD=hunter2hunter2", "ENV DB_PASSWORD=hun**********"),
    ("      - DB_PASSWORD=hunter2hunter2", "      - DB_PASSWORD=hun**********"),
    ("      DB_PASSWORD: hunter2hunter2", "      DB_PASSWORD: hun**********"),
    ("AUTH_TOKEN: abcdefghijklmnop", "AUTH_TOKEN: abcd**********"),  # beside a file name that is no key
    ("spring.datasource.password: hunter2hunter2", "spring.datasource.password: hun**********"),
    ('      DB_PASSWORD = "hunter2hunter2"', '      DB_PASSWORD = "hun**********"'),
    ('{"name": "x", "DB_PASSWORD": "hunter2hunter2"}', '{"name": "x", "DB_PASSWORD": "hun**********"}'),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key = wJalrX**********",
    ),
    (
        "image: bob:hunter2hunter2@registry.example.com/api:1.0",
        "image: bob:hun**********@registry.example.com/api:1.0",
    ),
    (
        "https://bob:hunter2hunter2@registry.example.com/v2/",
        "https://bob:hun**********@registry.example.com/v2/",
    ),
]
# name/value pairs (ECS task definitions, Kubernetes and CodeBuild env, CloudFormation, Terraform)
NAME_VALUE_MASKING = [
    (
        '{"name": "DB_PASSWORD", "value": "hunter2hunter2"}',
        '{"name": "DB_PASSWORD", "value": "hun**********"}',
    ),
    (
        '"environment":[{"name":"API_TOKEN","value":"hunter2hunter2"},{"name":"STAGE","value":"prod"}]',
        '"environment":[{"name":"API_TOKEN","value":"hun**********"},{"name":"STAGE","value":"prod"}]',
    ),
    ("- name: DB_PASSWORD\n  value: hunter2hunter2", "- name: DB_PASSWORD\n  value: hun**********"),
    ("- Name: GITHUB_TOKEN\n  Value: hunter2hunter2", "- Name: GITHUB_TOKEN\n  Value: hun**********"),
    (
        'name  = "SECRET_KEY"\n    value = "hunter2hunter2"',
        'name  = "SECRET_KEY"\n    value = "hun**********"',
    ),
]
NOT_SECRETS = [
    "FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.12",
    "image: registry.example.com:5000/api:1.0@sha256:0123456789abcdef",
    "image: api:1.0@sha256:0123456789abcdef",
    "DB_PASSWORD=${DB_PASSWORD}",
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "the `--platform` token is not a platform",
    "git@github.com:org/repo.git",
    '{"name": "STAGE", "value": "production-value"}',
    "- name: DB_PASSWORD\n  valueFrom: arn:aws:ssm:us-east-1:1:parameter/db",
    # archmatch's own build labels: a script's file name holding `auth`/`token` is no secret's name
    "script eks-pod-service/deploy-local-auth.sh: docker build openclaw-provisioning",
    "script rotate-token.sh: docker build -t rotator .",
    "workflow .github/workflows/auth.yml: docker build -t app .",
]


@pytest.mark.parametrize(("line", "masked"), MASKING + NAME_VALUE_MASKING)
def test_secrets_are_masked_like_checkov(line: str, masked: str) -> None:
    assert mask_secrets(line) == masked
    assert mask_secrets(masked) == masked  # masking twice changes nothing


@pytest.mark.parametrize("line", NOT_SECRETS)
def test_non_secrets_are_left_alone(line: str) -> None:
    assert mask_secrets(line) == line


def test_mask_value_matches_checkov_omit_secret_value_from_line() -> None:
    omit = pytest.importorskip("checkov.common.util.secrets").omit_secret_value_from_line
    for secret in ("hunter2hunter2", "AKIAIOSFODNN7EXAMPLE", "abc", "x" * 60):
        assert omit(secret, f"v={secret};") == f"v={mask_value(secret)};"


SECRET_VALUES = [
    "npm_dockerfilearg0123456789abcdefghij",
    "hunter2-dockerfile-env",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "hunter2-sam-env",
    "ghp_samsamsamsamsamsamsamsamsamsamsamsam12",
    "hunter2-compose-image",
    "npm_composecomposecomposecompose1234",
    "hunter2-compose-env",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "hunter2-build-arg",
    "ghp_buildbuildbuildbuildbuildbuildbuild12",
    "hunter2-tf-ecs-env",
    "hunter2-tf-url",
    "hunter2-tf-lambda-env",
    "ghp_tftftftftftftftftftftftftftftftftftf12",
    "hunter2-dockerfile-url",
    "ghp_labellabellabellabellabellabellabel12",
    "hunter2-sarif-merge",
    "ghp_hclhclhclhclhclhclhclhclhclhclhclhcl12",
]

SECRET_TREE = {
    "fn/Dockerfile": """\
        FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.12
        ARG NPM_TOKEN=npm_dockerfilearg0123456789abcdefghij
        ENV DB_PASSWORD hunter2-dockerfile-env
        ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
        RUN GOARCH=amd64 GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 go build -o /app .
        CMD ["app.handler"]
        """,
    "template.yaml": """\
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              PackageType: Image
              Architectures: [arm64]
              Environment:
                Variables:
                  DB_PASSWORD: hunter2-sam-env
            Metadata:
              Dockerfile: Dockerfile
              DockerContext: ./fn
              DockerTag: v1
              DockerBuildArgs:
                GITHUB_TOKEN: ghp_samsamsamsamsamsamsamsamsamsamsamsam12
        """,
    "svc/Dockerfile": "FROM node:20\nRUN curl -fsSL -o /t.tgz https://bob:hunter2-dockerfile-url@example.com/tool-linux-amd64.tar.gz\n",
    "compose.yaml": """\
        services:
          api:
            image: bob:hunter2-compose-image@registry.example.com/api:1.0
            build:
              context: svc
              args:
                NPM_TOKEN: npm_composecomposecomposecompose1234
            environment:
              - DB_PASSWORD=hunter2-compose-env
              - AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
        """,
    "build.sh": """\
        #!/bin/sh
        docker build --build-arg DB_PASSWORD=hunter2-build-arg --build-arg GITHUB_TOKEN=ghp_buildbuildbuildbuildbuildbuildbuild12 -t registry.example.com/api:1.0 svc
        """,
    "infra/main.tf": """\
        resource "aws_ecs_task_definition" "api" {
          family                   = "api"
          requires_compatibilities = ["FARGATE"]
          runtime_platform {
            cpu_architecture        = "ARM64"
            operating_system_family = "LINUX"
          }
          container_definitions = jsonencode([{
            name        = "api"
            image       = "registry.example.com/api:1.0"
            environment = [{ name = "DB_PASSWORD", value = "hunter2-tf-ecs-env" }]
          }])
        }
        resource "aws_lambda_function" "fn" {
          function_name = "fn"
          package_type  = "Image"
          image_uri     = "https://alice:hunter2-tf-url@registry.example.com/fn:1"
          architectures = ["arm64"]
          environment {
            variables = {
              DB_PASSWORD = "hunter2-tf-lambda-env"
              GH          = "ghp_tftftftftftftftftftftftftftftftftftf12"
            }
          }
        }
        """,
}


@pytest.fixture(scope="module")
def secret_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("secrets") / "repo"
    for rel, text in SECRET_TREE.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(textwrap.dedent(text))
    # broken copies: parse errors must not quote a secret either
    (tree / "bad").mkdir()
    (tree / "bad/main.tf").write_text(
        'resource "x" "y" {\n  environment { DB_PASSWORD = "hunter2-tf-lambda-env" "AKIAIOSFODNN7EXAMPLE" }\n'
    )
    (tree / "bad/compose.yaml").write_text(
        "services:\n  a:\n    environment:\n      DB_PASSWORD: hunter2-compose-env\n     x: [AKIAIOSFODNN7EXAMPLE\n"
    )
    (tree / "bad/Dockerfile").write_text(
        "FROM alpine\nARG TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 \\\n"
    )
    (tree / "bad/parse.tf").write_text(
        'resource "x" "y" {\n  a = "x" "ghp_hclhclhclhclhclhclhclhclhclhclhclhcl12"\n}\n'
    )
    (tree / "bad/docker-bake.hcl").write_text(
        'target "x" {\n  a = "x" "ghp_hclhclhclhclhclhclhclhclhclhclhclhcl12"\n}\n'
    )
    return tree


def outputs(tree: Path, tmp_path: Path) -> dict[str, str]:
    """Every report archmatch can write for the tree, keyed by format."""
    got: dict[str, str] = {}
    for fmt in renderers():
        out = tmp_path / f"report.{fmt}"
        main(["scan", "-f", fmt, "-o", str(out), str(tree)])
        got[fmt] = out.read_text()
    out = tmp_path / "inventory.txt"
    main(["scan", "--list-workloads", "-o", str(out), str(tree)])
    got["list-workloads"] = out.read_text()
    for fmt in (
        "tty",
        "json",
        "checkstyle",
        "codeclimate",
        "gitlab_codeclimate",
        "gnu",
        "sarif",
        "junit",
        "sonarqube",
        "codacy",
    ):
        out = tmp_path / f"hadolint.{fmt}"
        main(
            [
                "dockerfile",
                "--no-fail",
                "-f",
                fmt,
                "-o",
                str(out),
                str(tree / "fn/Dockerfile"),
                str(tree / "bad/Dockerfile"),
                str(tree / "svc/Dockerfile"),
            ]
        )
        got[f"dockerfile-{fmt}"] = out.read_text()
    main(
        [
            "fix-command",
            "--for",
            "lambda:arm64",
            "--",
            "docker",
            "build",
            "--label",
            "GITHUB_TOKEN=ghp_labellabellabellabellabellabellabel12",
            "--build-arg",
            "DB_PASSWORD=hunter2-build-arg",
            "-t",
            "https://alice:hunter2-tf-url@registry.example.com/fn:1",
            ".",
        ]
    )
    foreign = tmp_path / "foreign.sarif"
    foreign.write_text(
        json.dumps(
            {
                "version": "2.1.0",
                "runs": [
                    {
                        "tool": {"driver": {"name": "other"}},
                        "results": [
                            {
                                "ruleId": "X1",
                                "message": {"text": "saw DB_PASSWORD=hunter2-sarif-merge in the file"},
                                "properties": {"evidence": "https://bob:hunter2-sarif-merge@example.com/x"},
                            }
                        ],
                    }
                ],
            }
        )
    )
    out = tmp_path / "merged.sarif"
    main(["sarif-merge", str(tmp_path / "report.sarif"), str(foreign), "-o", str(out)])
    got["sarif-merge"] = out.read_text()
    main(["annotate", str(out)])  # annotations from the merged log (stdout, checked below)
    main(["rules"])
    return got


def test_secrets_never_appear_in_any_output(
    secret_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = outputs(secret_tree, tmp_path)
    captured = capsys.readouterr()
    reports["stdout+stderr"] = captured.out + captured.err
    assert {"text", "json", "sarif"} <= set(reports)
    leaks = {(fmt, s) for fmt, text in reports.items() for s in SECRET_VALUES if s in text}
    assert leaks == set()
    # the secrets did reach the reports, masked: the inventory lists the image with its password
    assert "alice:hun**********@registry.example.com/fn:1" in reports["list-workloads"]
    assert json.loads(reports["json"])["findings"], "the tree has findings whose text could carry secrets"
    assert "https://bob:hunte**********@example.com/tool-linux-amd64.tar.gz" in reports["dockerfile-tty"]
    assert "GITHUB_TOKEN=ghp_la**********" in reports["stdout+stderr"]  # fix-command's --label
    assert (
        "bob:hunt**********@example.com" in reports["sarif-merge"]
        and "saw DB_PASSWORD=hunt**********" in reports["sarif-merge"]
    )
    assert "ghp_hc**********" in reports["text"]  # the HCL parse errors quote the token, masked


def test_checkov_failure_reasons_are_masked() -> None:
    from types import SimpleNamespace

    from archmatch.integrations.checkov_adapter import failure_name

    hits = [
        SimpleNamespace(
            message="image bob:hunter2hunter2@registry.example.com/api:1 with DB_PASSWORD=hunter2hunter2 ##[error]x"
        )
    ]
    name = failure_name("Title", hits)  # type: ignore[arg-type]
    assert (
        name
        == "Title: image bob:hun**********@registry.example.com/api:1 with DB_PASSWORD=hun********** ##\\[error]x"
    )


# --- SARIF URIs -------------------------------------------------------------------------------


def sarif_uris(log: dict) -> list[str]:
    uris: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "artifactLocation" and isinstance(value, dict):
                    uris.append(value.get("uri", ""))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(log)
    return uris


def test_sarif_uris_stay_inside_the_scan_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "work"
    tree = base / "repo"
    shutil.copytree(EXAMPLE, tree)
    (tree / "linked").symlink_to("fn")  # a directory link inside the root
    (tree / "escape").symlink_to(tmp_path)  # and one out of it
    (tree / "Dockerfile.link").symlink_to("fn/Dockerfile")
    (tree / "outside.Dockerfile").symlink_to(ROOT / "examples/go-cross-compile-wrong/Dockerfile")
    (base / "alias").symlink_to("repo")
    sub = tree / "fn"
    cases = [
        (base, "repo"),
        (base, "./repo/../repo"),
        (base, str(tree)),
        (base, "alias"),
        (sub, ".."),
        (sub, "../.."),
        (sub, "../template.yaml"),
        (tmp_path, "work/alias/fn/../template.yaml"),
        (sub, str(tree / "linked")),
    ]
    seen_results = 0
    for cwd, arg in cases:
        monkeypatch.chdir(cwd)
        main(["scan", "-f", "sarif", arg])
        log = json.loads(capsys.readouterr().out)
        seen_results += len(log["runs"][0]["results"])
        for uri in sarif_uris(log):
            assert uri and not uri.startswith("/") and ":" not in uri.split("/")[0], (arg, uri)
            assert ".." not in uri.split("/"), (arg, uri)
    assert seen_results > 0


def test_diff_base_runs_no_program_from_the_repository_git_config(tmp_path: Path) -> None:
    from archmatch.changed import git_changed_files

    repo, markers = tmp_path / "repo", tmp_path / "markers"
    shutil.copytree(EXAMPLE, repo)
    markers.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD").strip()
    (repo / "fn/Dockerfile").write_text("FROM alpine:3.20\n")
    git("commit", "-qam", "change")
    hooks = {
        "diff.external": "ext",
        "core.fsmonitor": "fsmonitor",
        "core.pager": "pager",
        "pager.diff": "pagerdiff",
    }
    for key, name in hooks.items():
        git("config", key, f"touch {markers / name}")
    (repo / ".gitattributes").write_text("* diff=evil\n")
    git("config", "diff.evil.textconv", f"touch {markers / 'textconv'}")
    git("config", "diff.evil.command", f"touch {markers / 'diffcommand'}")
    assert git_changed_files(repo, base) == ["fn/Dockerfile"]
    assert sorted(os.listdir(markers)) == []
