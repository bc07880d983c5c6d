"""How the Checkov checks find their scan root and map findings onto Checkov's resources.

Fast: no Checkov process. The end-to-end behaviour is in test_checkov_e2e.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archmatch.extract.terraform_modules import module_resource_types
from archmatch.integrations import CHECKS_DIR, POLICIES_DIR
from archmatch.integrations.checkov_adapter import (
    Resource,
    cloudformation_resource,
    dockerfile_resource,
    entities_of,
    evaluate_module,
    evaluate_resource,
    has_module_check,
    is_local_source,
    kubernetes_resource,
    matching_findings,
    module_call_name,
    module_resource,
    offending_instructions,
    resources_for,
    serverless_resource,
    terraform_resource,
)
from archmatch.integrations.checkov_scope import (
    _argv_values,
    current_scope,
    in_module_download,
    module_download_folders,
    resolve_file,
    scan_root,
)
from archmatch.model import Finding, Location, Related, RepoFacts, Workload
from archmatch.platforms import ArchFact
from archmatch.rules import RuleMeta, all_rules

REPO = Path(__file__).resolve().parent.parent


def test_argv_values_takes_repeated_and_multi_valued_flags() -> None:
    argv = [
        "checkov",
        "-f",
        "a.tf",
        "b.yaml",
        "--framework",
        "terraform",
        "--file=c",
        "-f",
        "d",
        "-o",
        "json",
    ]
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
        (tmp_path / root / "main.tf").write_text(
            f'# {root}\nresource "aws_lambda_function" "{name}" {{\n}}\n'
        )
    scope = current_scope(["checkov"], scan_dirs=["a", "b"], cwd=tmp_path)
    second = terraform_resource(
        {"__address__": "aws_lambda_function.second", "__start_line__": 2, "__end_line__": 3},
        "/main.tf:aws_lambda_function:second",
    )
    assert resolve_file(scope, second.reported_path, second.anchor) == tmp_path / "b/main.tf"
    assert (
        resolve_file(scope, second.reported_path) == tmp_path / "a/main.tf"
    )  # without the anchor: the first


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


def _finding(
    rule: str,
    path: str,
    line: int,
    entity: str,
    related: tuple[Related, ...] = (),
    subject: Location | None = None,
) -> Finding:
    return Finding(rule, "message", Location(path, line), entity, related=related, subject=subject)


def test_findings_match_by_entity_span_or_subject_never_by_related_location() -> None:
    facts = RepoFacts(root=Path("/r"))
    facts.workloads.append(
        Workload("k8s:Deployment", "web", "k8s", Location("k8s/web.yaml", 3), ArchFact.unknown())
    )
    entities = entities_of(facts)
    assert entities == [("web", "k8s/web.yaml", 3)]
    tf_a = terraform_resource(
        {"__address__": "aws_lambda_function.a", "__start_line__": 1, "__end_line__": 6},
        "/main.tf:aws_lambda_function:a",
    )
    tf_b = terraform_resource(
        {"__address__": "aws_lambda_function.b", "__start_line__": 8, "__end_line__": 14},
        "/main.tf:aws_lambda_function:b",
    )
    by_entity = _finding("ARCH301", "main.tf", 0, "aws_lambda_function.a")
    in_span = _finding("ARCH301", "main.tf", 10, "something else")
    cross = _finding(
        "ARCH302",
        "build.sh",
        4,
        "docker build",
        (Related(Location("main.tf", 12), "image reference"),),
        Location("main.tf", 8),
    )
    elsewhere = _finding(
        "ARCH302",
        "build.sh",
        4,
        "docker build",
        (Related(Location("other.tf", 12), "x"),),
        Location("other.tf", 8),
    )
    # a finding about another project's workload whose evidence (a related location) lies in tf_b
    evidence_only = _finding(
        "ARCH301",
        "dev/main.tf",
        3,
        "aws_lambda_function.b",
        (Related(Location("main.tf", 12), "image reference"),),
    )
    found = [by_entity, in_span, cross, elsewhere, evidence_only]
    assert matching_findings(found, "main.tf", tf_a, entities) == [by_entity]
    assert matching_findings(found, "main.tf", tf_b, entities) == [in_span, cross]
    # Kubernetes: the workload archmatch found within the manifest's lines names the resource
    k8s = kubernetes_resource(
        {"kind": "Deployment", "metadata": {"name": "web"}, "__startline__": 1, "__endline__": 20},
        "k8s/web.yaml:Deployment:Deployment",
    )
    arch_elsewhere = _finding("ARCH305", "k8s/web.yaml", 30, "web")
    assert matching_findings([arch_elsewhere], "k8s/web.yaml", k8s, entities) == [arch_elsewhere]


def test_resources_from_checkov_confs() -> None:
    tf = terraform_resource(
        {"__address__": "module.m.aws_ecs_task_definition.t", "__start_line__": 2, "__end_line__": 9},
        "/x.tf:aws_ecs_task_definition:t",
    )
    assert tf == Resource(
        "/x.tf",
        frozenset({"module.m.aws_ecs_task_definition.t", "aws_ecs_task_definition.t"}),
        (2, 9),
        terraform=True,
    )
    cfn = cloudformation_resource(
        {
            "Type": "AWS::Lambda::Function",
            "Properties": {"__file__": "repo/t.yaml", "__startline__": 5, "__endline__": 9},
        },
        "/t.yaml:AWS::Lambda::Function:Fn",
    )
    assert cfn == Resource("repo/t.yaml", frozenset({"Fn"}), (4, 8))
    sls = serverless_resource(
        {"image": "x", "__file__": "/abs/serverless.yml", "__startline__": 7, "__endline__": 8},
        "x:serverless_aws:serverless_aws",
    )
    assert sls == Resource("/abs/serverless.yml", frozenset(), (6, 8))
    conf = {
        "FROM": [{"instruction": "FROM", "startline": 0, "endline": 0, "content": "FROM a\n", "value": "a"}],
        "RUN": [
            {"instruction": "RUN", "startline": 1, "endline": 2, "content": "RUN b \\\n c\n", "value": "b c"}
        ],
    }
    df = dockerfile_resource(conf, "/Dockerfile:*:/Dockerfile")
    assert df.reported_path == "/Dockerfile" and df.span == (0, 0)
    # findings on lines 3 and 1 point at the RUN (lines 2-3) and the FROM (line 1)
    picked = offending_instructions(
        df, [_finding("ARCH101", "Dockerfile", 3, "s"), _finding("ARCH101", "Dockerfile", 1, "s")]
    )
    assert [i["instruction"] for i in picked or []] == ["FROM", "RUN"]
    assert offending_instructions(df, [_finding("ARCH101", "Dockerfile", 0, "s")]) is None  # whole file


def _meta(frameworks: tuple[str, ...], resources: tuple[str, ...]) -> RuleMeta:
    return RuleMeta(
        "ARCH999",
        "x",
        "t" * 10,
        "error",
        "crossfile",
        "m" * 10,
        "r" * 40,
        "f" * 10,
        {},
        "CKV_ARCH_999",
        frameworks,
        resources,
        False,
    )


def test_resource_types_are_split_by_framework() -> None:
    meta = _meta(
        ("terraform", "cloudformation", "kubernetes", "serverless", "dockerfile", "none"),
        ("aws_lambda_function", "AWS::Serverless::Function", "Deployment", "CronJob"),
    )
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
    out = subprocess.run(
        [sys.executable, "-m", "archmatch", "checks-dir"], capture_output=True, text=True, check=True
    )
    assert out.stdout == f"{CHECKS_DIR}\n"
    out = subprocess.run(
        [sys.executable, "-m", "archmatch", "checks-dir", "--policies"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == f"{POLICIES_DIR}\n"


# --- Terraform module blocks ------------------------------------------------------------------


def test_module_call_names_follow_archmatch_workload_names() -> None:
    # Checkov's `__address__` of a module block: its name, prefixed by the calling modules' path
    assert module_call_name("orders_lambda") == "module.orders_lambda"
    assert module_call_name("module.app.orders_lambda") == "module.app.module.orders_lambda"
    assert module_call_name("module.a.module.b.c") == "module.a.module.b.module.c"
    conf = {
        "source": ["terraform-aws-modules/lambda/aws"],
        "__start_line__": 28,
        "__end_line__": 37,
        "__address__": "orders_lambda",
    }
    res = module_resource(conf, "/main.tf:module:orders_lambda")
    assert res == Resource("/main.tf", frozenset({"module.orders_lambda"}), (28, 37), terraform=True)
    assert res.anchor == (28, '"orders_lambda"')


def test_understood_module_sources_are_the_terraform_extractors() -> None:
    understood = [
        "terraform-aws-modules/lambda/aws",
        "terraform-aws-modules/lambda/aws//modules/docker-build",
        "terraform-aws-modules/ecs/aws",
        "terraform-aws-modules/ecs/aws//modules/service",
        "terraform-aws-modules/eks/aws",
        "terraform-aws-modules/eks/aws//modules/eks-managed-node-group",
        "terraform-aws-modules/eks/aws//modules/fargate-profile",
        "registry.terraform.io/terraform-aws-modules/lambda/aws",
        "git::https://github.com/terraform-aws-modules/terraform-aws-lambda.git?ref=v7.2.0",
        "github.com/terraform-aws-modules/terraform-aws-ecs//modules/service",
    ]
    assert [s for s in understood if module_resource_types(s) is None] == []
    others = [
        "terraform-aws-modules/s3-bucket/aws",
        "terraform-aws-modules/lambda/aws//modules/deploy",  # a submodule archmatch does not read
        "terraform-aws-modules/ecs/aws//modules/cluster",
        "example-corp/lambda/aws",
        "./modules/lambda",
    ]
    assert [s for s in others if module_resource_types(s) is not None] == []
    assert [
        is_local_source(s) for s in ("./app", "../shared", "/abs/mod", "terraform-aws-modules/eks/aws", "app")
    ] == [True, True, True, False, False]


def test_every_rule_with_terraform_resources_has_a_module_check() -> None:
    with_module_check = {r.meta.id for r in all_rules() if has_module_check(r.meta)}
    assert with_module_check == {
        "ARCH201",
        "ARCH202",
        "ARCH203",
        "ARCH204",
        "ARCH205",
        "ARCH206",
        "ARCH301",
        "ARCH302",
        "ARCH304",
        "ARCH305",  # pods declared with the Terraform kubernetes provider
        "ARCH306",
    }


def _module_conf(name: str, source: str, start: int, end: int) -> dict:
    return {"source": [source], "__start_line__": start, "__end_line__": end, "__address__": name}


def test_fixed_twin_passes_when_scanned_beside_its_broken_twin(tmp_path: Path) -> None:
    """Both twins under one -d root: same module names, same repository. The broken one FAILS, the
    fixed one PASSES: nothing links across them, and related locations never decide a verdict."""
    tree = tmp_path / "tree"
    for name in ("terraform-lambda-docker-build", "terraform-lambda-docker-build-fixed"):
        shutil.copytree(REPO / "examples" / name, tree / name)
    scope = current_scope(["checkov", "-d", "tree"], scan_dirs=["tree"], cwd=tmp_path)
    lam = _module_conf("orders_lambda", "terraform-aws-modules/lambda/aws", 28, 37)
    broken, hits = evaluate_module(
        "ARCH301", lam, "/terraform-lambda-docker-build/main.tf:module:orders_lambda", scope
    )
    assert broken == "FAILED" and [f.location for f in hits] == [
        Location("terraform-lambda-docker-build/main.tf", 35)
    ]
    fixed = evaluate_module(
        "ARCH301", lam, "/terraform-lambda-docker-build-fixed/main.tf:module:orders_lambda", scope
    )
    assert fixed == ("PASSED", [])


def test_module_block_verdicts(tmp_path: Path) -> None:
    """The real analysis of the example: FAILED where the finding is, PASSED for understood sources,
    UNKNOWN for remote modules archmatch does not read and for local ones."""
    tree = tmp_path / "tree"
    shutil.copytree(REPO / "examples" / "terraform-lambda-docker-build", tree)
    with (tree / "main.tf").open("a") as fh:  # lines 39-41 and 43-45
        fh.write(
            '\nmodule "bucket" {\n  source = "terraform-aws-modules/s3-bucket/aws"\n}\n'
            '\nmodule "shared" {\n  source = "./shared"\n}\n'
        )
    scope = current_scope(["checkov", "-d", "tree"], scan_dirs=["tree"], cwd=tmp_path)
    lam = _module_conf("orders_lambda", "terraform-aws-modules/lambda/aws", 28, 37)
    result, hits = evaluate_module("ARCH301", lam, "/main.tf:module:orders_lambda", scope)
    assert result == "FAILED" and [(f.location.line, f.entity) for f in hits] == [
        (35, "module.orders_lambda")
    ]
    assert evaluate_module("ARCH302", lam, "/main.tf:module:orders_lambda", scope) == ("PASSED", [])
    image = _module_conf("orders_image", "terraform-aws-modules/lambda/aws//modules/docker-build", 17, 26)
    # the docker-build module creates only a build, which no workload rule judges: no verdict
    assert evaluate_module("ARCH301", image, "/main.tf:module:orders_image", scope) == ("UNKNOWN", [])
    bucket = _module_conf("bucket", "terraform-aws-modules/s3-bucket/aws", 39, 41)
    assert evaluate_module("ARCH301", bucket, "/main.tf:module:bucket", scope) == ("UNKNOWN", [])
    shared = _module_conf("shared", "./shared", 43, 45)
    assert evaluate_module("ARCH301", shared, "/main.tf:module:shared", scope) == ("UNKNOWN", [])
    assert evaluate_module("ARCH301", {"__address__": "x"}, "/main.tf:module:x", scope) == ("UNKNOWN", [])


def test_resources_inside_downloaded_modules_are_unknown(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(REPO / "examples" / "terraform-lambda-docker-build", tree)
    inner = (
        tree
        / ".external_modules"
        / "registry.terraform.io"
        / "terraform-aws-modules"
        / "lambda"
        / "aws"
        / "7.20.1"
        / "main.tf"
    )
    inner.parent.mkdir(parents=True)
    inner.write_text('resource "aws_lambda_function" "this" {\n  architectures = var.architectures\n}\n')
    scope = current_scope(["checkov", "-d", "tree"], scan_dirs=["tree"], cwd=tmp_path)
    reported = "/" + inner.relative_to(tree).as_posix()
    conf = {
        "__address__": "module.orders_lambda.aws_lambda_function.this[0]",
        "__start_line__": 1,
        "__end_line__": 3,
    }
    res = terraform_resource(conf, f"{reported}:aws_lambda_function:this")
    assert resolve_file(scope, res.reported_path) == inner
    assert evaluate_resource("ARCH301", res, scope) == ("UNKNOWN", [])
    # ... and the analysis does not read the downloaded copy (its function would be a workload)
    from archmatch.integrations.checkov_adapter import analysis_for

    analysis = analysis_for(tree.resolve(), None)
    assert analysis is not None and sorted(name for name, _, _ in analysis.entities) == [
        "module.orders_lambda"
    ]


def test_where_downloaded_modules_are(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXTERNAL_MODULES_DIR", raising=False)
    argv = ["checkov", "-d", "infra", "--external-modules-download-path", "vendor/modules"]
    assert module_download_folders(argv)[:2] == (".external_modules", "vendor/modules")
    monkeypatch.setenv("EXTERNAL_MODULES_DIR", "mods/")
    assert module_download_folders(["checkov"])[:2] == (".external_modules", "mods")
    scope = current_scope(argv, scan_dirs=["../infra"], cwd=tmp_path / "work")
    infra = tmp_path / "infra"
    assert in_module_download(scope, infra / ".external_modules/terraform-aws-modules/eks/aws/main.tf")
    assert in_module_download(scope, infra / "vendor/modules/x/main.tf")
    assert in_module_download(scope, infra / "env/prod/.terraform/modules/eks/main.tf")  # terraform init
    assert not in_module_download(scope, infra / "main.tf")
    assert not in_module_download(scope, infra / "app/modules/x/main.tf")  # a local module
    assert not in_module_download(
        scope, tmp_path / "elsewhere" / ".external_modules" / "x.tf"
    )  # outside -d and cwd
    assert in_module_download(
        scope, tmp_path / "work" / ".external_modules" / "x.tf"
    )  # the cwd counts as a root too


def test_a_kept_place_whose_file_is_gone_is_looked_up_again(tmp_path: Path) -> None:
    """The file behind a reported path is kept per process (Checkov calls ~20 checks per
    resource), but only while it exists: then the next `-d` root that has it is used."""
    from archmatch.integrations.checkov_adapter import place_of

    for root in ("one", "two"):
        (tmp_path / root).mkdir()
        (tmp_path / root / "Dockerfile").write_text("FROM alpine:3.20\n")
    scope = current_scope(["checkov", "-d", "one", "-d", "two"], scan_dirs=["one", "two"], cwd=tmp_path)
    first = place_of(scope, "/Dockerfile", None)
    assert first is not None and first.root == tmp_path / "one" and first.rel == "Dockerfile"
    assert place_of(scope, "/Dockerfile", None) is first
    (tmp_path / "one" / "Dockerfile").unlink()
    moved = place_of(scope, "/Dockerfile", None)
    assert moved is not None and moved.root == tmp_path / "two"
    (tmp_path / "two" / "Dockerfile").unlink()
    assert place_of(scope, "/Dockerfile", None) is None
