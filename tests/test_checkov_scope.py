"""How the Checkov checks find their scan root and map findings onto Checkov's resources.

Fast: no Checkov process. The end-to-end behaviour is in test_checkov_e2e.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from archmatch.integrations import CHECKS_DIR, POLICIES_DIR
from archmatch.integrations.checkov_adapter import (
    Resource,
    cloudformation_resource,
    dockerfile_resource,
    entities_of,
    kubernetes_resource,
    matching_findings,
    offending_instructions,
    resources_for,
    serverless_resource,
    terraform_resource,
)
from archmatch.integrations.checkov_scope import _argv_values, current_scope, resolve_file, scan_root
from archmatch.model import Finding, Location, Related, RepoFacts, Workload
from archmatch.platforms import ArchFact
from archmatch.rules import RuleMeta

REPO = Path(__file__).resolve().parent.parent


def test_argv_values_takes_repeated_and_multi_valued_flags() -> None:
    argv = ["checkov", "-f", "a.tf", "b.yaml", "--framework", "terraform", "--file=c", "-f", "d", "-o", "json"]
    assert _argv_values(argv, ("-f", "--file")) == ["a.tf", "b.yaml", "c", "d"]
    assert _argv_values(["checkov", "-d", "x", "--directory", "y"], ("-d", "--directory")) == ["x", "y"]


def _tree(tmp: Path) -> None:
    for rel in ("one/infra/main.tf", "two/main.tf", "loose/a/x.tf", "loose/b/Dockerfile", "git/sub/app.tf"):
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text("# x\n")
    (tmp / "git" / ".git").mkdir()


def test_several_d_roots_each_file_gets_its_own_root(tmp_path: Path) -> None:
    _tree(tmp_path)
    scope = current_scope(["checkov", "-d", "one", "-d", "two"], scan_dirs=["one", "two"], cwd=tmp_path)
    first = resolve_file(scope, "/infra/main.tf")  # Terraform: relative to the -d root
    second = resolve_file(scope, "/main.tf")
    assert first == tmp_path / "one/infra/main.tf" and second == tmp_path / "two/main.tf"
    assert scan_root(scope, first) == (tmp_path / "one", None)
    assert scan_root(scope, second) == (tmp_path / "two", None)
    # Kubernetes reports paths relative to the cwd
    assert resolve_file(scope, "one/infra/main.tf") == first


def test_same_relative_path_under_several_roots_is_told_apart_by_the_resource(tmp_path: Path) -> None:
    for root, name in (("a", "first"), ("b", "second")):
        (tmp_path / root).mkdir()
        (tmp_path / root / "main.tf").write_text(f'# {root}\nresource "aws_lambda_function" "{name}" {{\n}}\n')
    scope = current_scope(["checkov"], scan_dirs=["a", "b"], cwd=tmp_path)
    second = terraform_resource({"__address__": "aws_lambda_function.second", "__start_line__": 2, "__end_line__": 3},
                                "/main.tf:aws_lambda_function:second")
    assert resolve_file(scope, second.reported_path, second.anchor) == tmp_path / "b/main.tf"
    assert resolve_file(scope, second.reported_path) == tmp_path / "a/main.tf"  # without the anchor: the first


def test_a_repository_inside_a_d_root_is_its_own_root(tmp_path: Path) -> None:
    _tree(tmp_path)
    scope = current_scope(["checkov", "-d", "."], scan_dirs=["."], cwd=tmp_path)
    app = resolve_file(scope, "/git/sub/app.tf")
    assert scan_root(scope, app) == (tmp_path / "git", None)
    assert scan_root(scope, tmp_path / "two/main.tf") == (tmp_path, None)


def test_f_files_use_the_repository_around_them_or_their_common_folder(tmp_path: Path) -> None:
    _tree(tmp_path)
    argv = ["checkov", "-f", "git/sub/app.tf", "-f", "loose/a/x.tf", "loose/b/Dockerfile"]
    scope = current_scope(argv, scan_dirs=[], cwd=tmp_path)
    # Terraform with -f reports the path relative to the common folder of the files
    in_git = resolve_file(scope, "/sub/app.tf")
    assert in_git == tmp_path / "git/sub/app.tf"
    assert scan_root(scope, in_git) == (tmp_path / "git", None)
    loose = resolve_file(scope, "/a/x.tf")
    assert loose == tmp_path / "loose/a/x.tf"
    root, only = scan_root(scope, loose)
    assert root == tmp_path and only == ("git/sub/app.tf", "loose/a/x.tf", "loose/b/Dockerfile")
    assert resolve_file(scope, "/nowhere.tf") is None


def _finding(rule: str, path: str, line: int, entity: str, related: tuple[Related, ...] = ()) -> Finding:
    return Finding(rule, "message", Location(path, line), entity, related=related)


def test_findings_match_by_entity_span_or_related_location() -> None:
    facts = RepoFacts(root=Path("/r"))
    facts.workloads.append(Workload("k8s:Deployment", "web", "k8s", Location("k8s/web.yaml", 3), ArchFact.unknown()))
    entities = entities_of(facts)
    assert entities == [("web", "k8s/web.yaml", 3)]
    tf_a = terraform_resource({"__address__": "aws_lambda_function.a", "__start_line__": 1, "__end_line__": 6}, "/main.tf:aws_lambda_function:a")
    tf_b = terraform_resource({"__address__": "aws_lambda_function.b", "__start_line__": 8, "__end_line__": 14}, "/main.tf:aws_lambda_function:b")
    by_entity = _finding("ARCH301", "main.tf", 0, "aws_lambda_function.a")
    in_span = _finding("ARCH301", "main.tf", 10, "something else")
    cross = _finding("ARCH302", "build.sh", 4, "docker build", (Related(Location("main.tf", 12), "image reference"),))
    elsewhere = _finding("ARCH302", "build.sh", 4, "docker build", (Related(Location("other.tf", 12), "x"),))
    found = [by_entity, in_span, cross, elsewhere]
    assert matching_findings(found, "main.tf", tf_a, entities) == [by_entity]
    assert matching_findings(found, "main.tf", tf_b, entities) == [in_span, cross]
    # Kubernetes: the workload archmatch found within the manifest's lines names the resource
    k8s = kubernetes_resource({"kind": "Deployment", "metadata": {"name": "web"}, "__startline__": 1, "__endline__": 20}, "k8s/web.yaml:Deployment:Deployment")
    arch_elsewhere = _finding("ARCH305", "k8s/web.yaml", 30, "web")
    assert matching_findings([arch_elsewhere], "k8s/web.yaml", k8s, entities) == [arch_elsewhere]


def test_resources_from_checkov_confs() -> None:
    tf = terraform_resource({"__address__": "module.m.aws_ecs_task_definition.t", "__start_line__": 2, "__end_line__": 9}, "/x.tf:aws_ecs_task_definition:t")
    assert tf == Resource("/x.tf", frozenset({"module.m.aws_ecs_task_definition.t", "aws_ecs_task_definition.t"}), (2, 9))
    cfn = cloudformation_resource({"Type": "AWS::Lambda::Function", "Properties": {"__file__": "repo/t.yaml", "__startline__": 5, "__endline__": 9}}, "/t.yaml:AWS::Lambda::Function:Fn")
    assert cfn == Resource("repo/t.yaml", frozenset({"Fn"}), (4, 8))
    sls = serverless_resource({"image": "x", "__file__": "/abs/serverless.yml", "__startline__": 7, "__endline__": 8}, "x:serverless_aws:serverless_aws")
    assert sls == Resource("/abs/serverless.yml", frozenset(), (6, 8))
    conf = {"FROM": [{"instruction": "FROM", "startline": 0, "endline": 0, "content": "FROM a\n", "value": "a"}],
            "RUN": [{"instruction": "RUN", "startline": 1, "endline": 2, "content": "RUN b \\\n c\n", "value": "b c"}]}
    df = dockerfile_resource(conf, "/Dockerfile:*:/Dockerfile")
    assert df.reported_path == "/Dockerfile" and df.span == (0, 0)
    # findings on lines 3 and 1 point at the RUN (lines 2-3) and the FROM (line 1)
    picked = offending_instructions(df, [_finding("ARCH101", "Dockerfile", 3, "s"), _finding("ARCH101", "Dockerfile", 1, "s")])
    assert [i["instruction"] for i in picked or []] == ["FROM", "RUN"]
    assert offending_instructions(df, [_finding("ARCH101", "Dockerfile", 0, "s")]) is None  # whole file


def _meta(frameworks: tuple[str, ...], resources: tuple[str, ...]) -> RuleMeta:
    return RuleMeta("ARCH999", "x", "t" * 10, "error", "crossfile", "m" * 10, "r" * 40, "f" * 10, {}, "CKV_ARCH_999",
                    frameworks, resources, False)


def test_resource_types_are_split_by_framework() -> None:
    meta = _meta(("terraform", "cloudformation", "kubernetes", "serverless", "dockerfile", "none"),
                 ("aws_lambda_function", "AWS::Serverless::Function", "Deployment", "CronJob"))
    assert resources_for(meta, "terraform") == ["aws_lambda_function"]
    assert resources_for(meta, "cloudformation") == ["AWS::Serverless::Function"]
    assert resources_for(meta, "kubernetes") == ["Deployment", "CronJob"]
    assert resources_for(meta, "serverless") == ["serverless_aws"]
    assert resources_for(meta, "dockerfile") == ["*"]
    assert resources_for(meta, "none") == []


def test_top_level_dirs_are_the_shipped_ones_and_checks_dir_prints_them() -> None:
    assert (REPO / "checks").resolve() == CHECKS_DIR
    assert (REPO / "policies").resolve() == POLICIES_DIR
    assert (CHECKS_DIR / "__init__.py").is_file()  # without it Checkov silently loads nothing
    out = subprocess.run([sys.executable, "-m", "archmatch", "checks-dir"], capture_output=True, text=True, check=True)
    assert out.stdout == f"{CHECKS_DIR}\n"
    out = subprocess.run([sys.executable, "-m", "archmatch", "checks-dir", "--policies"], capture_output=True, text=True, check=True)
    assert out.stdout == f"{POLICIES_DIR}\n"


