"""The project model and the links it allows: each fixture under tests/fixtures/linking is a
layout seen in real repositories where links used to cross unrelated projects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import analyze, scan
from archmatch.link.matcher import find_links
from archmatch.link.projects import ProjectIndex, discover_projects
from archmatch.model import ImageBuild, ImageRef, Location, Project, RepoFacts, Workload
from archmatch.platforms import ArchFact
from archmatch.report import sarif

LINKING = Path(__file__).parent / "fixtures" / "linking"
RULES = Path(__file__).parent / "fixtures" / "rules"


def _links(root: Path) -> list[tuple[str, str, str, str]]:
    facts, _ = analyze(root, Config())
    return sorted(
        (lk.workload.project or ".", lk.workload.name, lk.build.name, lk.confidence) for lk in facts.links
    )


def test_projects_are_marker_folders_and_the_deepest_one_holds_a_file() -> None:
    files = [
        "cdk/cdk.json",
        "sam/template.yaml",
        "svc/serverless.yml",
        "compose.yaml",
        "k8s/overlays/prod/kustomization.yaml",
        "charts/api/Chart.yaml",
        "tools/docker-bake.hcl",
        "vendor/x/.github/workflows/ci.yml",
        ".github/workflows/release.yml",
        "README.md",
    ]
    projects = discover_projects(files, [Project("envs/dev", "terraform", "envs/dev")])
    assert [(p.folder, p.kind) for p in projects] == [
        ("", "ci"),
        ("", "compose"),
        ("", "repository"),
        ("cdk", "cdk"),
        ("charts/api", "helm"),
        ("envs/dev", "terraform"),
        ("k8s/overlays/prod", "kustomize"),
        ("sam", "sam"),
        ("svc", "serverless"),
        ("tools", "bake"),
        ("vendor/x", "ci"),
    ]
    index = ProjectIndex(projects)
    assert index.enclosing("sam/fn/Dockerfile") == "sam"
    assert index.enclosing("samples/Dockerfile") == ""  # a prefix of a name is not a parent folder
    assert index.enclosing("envs/dev/main.tf") == "envs/dev"
    assert index.enclosing("vendor/x/app/Dockerfile") == "vendor/x"


def test_dev_and_prod_roots_calling_the_same_modules_link_inside_each_root() -> None:
    links = _links(LINKING / "envs_dev_prod")
    assert links == [
        (
            "envs/dev",
            "module.app_lambda.aws_lambda_function.this",
            "terraform module.app_image.docker_image.this",
            "high",
        ),
        (
            "envs/prod",
            "module.app_lambda.aws_lambda_function.this",
            "terraform module.app_image.docker_image.this",
            "high",
        ),
    ]
    facts, _ = analyze(LINKING / "envs_dev_prod", Config())
    assert all(lk.build.project == lk.workload.project for lk in facts.links)
    assert scan([LINKING / "envs_dev_prod"], Config()).findings == []


def test_prod_lambda_against_prod_build_gives_exactly_one_error() -> None:
    result = scan([LINKING / "envs_prod_mismatch"], Config())
    arch3 = [f for f in result.findings if f.rule_id.startswith("ARCH3")]
    assert [(f.rule_id, f.severity) for f in arch3] == [("ARCH301", "error")]
    assert arch3[0].properties["workloadProject"] == "envs/prod"
    assert arch3[0].properties["buildProject"] == "envs/prod"
    assert "arm64" in arch3[0].message and "x86_64" in arch3[0].message


def test_unrelated_projects_of_a_monorepo_do_not_link() -> None:
    root = LINKING / "monorepo"
    assert _links(root) == [
        ("svc-a", "Api", "sam build Api", "high"),
        ("svc-b", "Api", "sam build Api", "high"),
    ]
    result = scan([root], Config())
    assert [f for f in result.findings if f.rule_id.startswith("ARCH3")] == []


def test_module_output_repository_is_not_an_image_identity() -> None:
    facts, _ = analyze(LINKING / "shared_repository", Config())
    got = sorted((lk.workload.name, lk.build.name, lk.evidence, lk.confidence) for lk in facts.links)
    assert got == [
        (
            "aws_lambda_function.first",
            "terraform docker_image.first",
            "repository and tag match (module.ecr:first_stage)",
            "medium",
        ),
        (
            "aws_lambda_function.second",
            "terraform docker_image.second",
            "direct reference (tf:docker_registry_image.second)",
            "high",
        ),
    ]  # `pinned` runs a digest no build here is known to produce: unlinked
    assert scan([LINKING / "shared_repository"], Config()).findings == []


def test_bake_tag_links_to_terraform_repository_url_with_the_same_path_and_tag() -> None:
    root = RULES / "ARCH301" / "fail_bake_to_terraform_other_folder"
    facts, _ = analyze(root, Config())
    got = [(lk.workload.name, lk.build.name, lk.confidence) for lk in facts.links]
    assert got == [("aws_lambda_function.api", "bake target api", "medium")]  # web/api matches neither
    assert "across projects (build in ., workload in infra)" in facts.links[0].evidence


def _workload(project: str, ref: str, keys: frozenset[str] = frozenset()) -> Workload:
    w = Workload(
        "aws_lambda_function",
        f"fn-{project}",
        "lambda",
        Location(f"{project}/main.tf", 1),
        ArchFact.explicit("arm64"),
    )
    w.images = [ImageRef(ref, Location(f"{project}/main.tf", 3), keys)]
    return w


def _build(path: str, tags: list[str], dockerfile: str | None = None, source: str = "compose") -> ImageBuild:
    return ImageBuild(
        source=source, name=f"build {path}", location=Location(path, 2), dockerfile=dockerfile, tags=tags
    )


def _facts(files: list[str], workloads: list[Workload], builds: list[ImageBuild]) -> RepoFacts:
    facts = RepoFacts(root=Path("."), files=files, workloads=workloads, builds=builds)
    return facts


def test_repository_paths_must_be_equal_across_projects_and_tags_when_known() -> None:
    ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    files = ["web/compose.yaml", "batch/compose.yaml", "infra/cdk.json"]
    web = _build("web/compose.yaml", [f"{ecr}/web/api:v1"])
    batch = _build("batch/compose.yaml", [f"{ecr}/batch/api:v1"])
    cases = {
        f"{ecr}/web/api:v1": ["build web/compose.yaml"],
        f"{ecr}/web/api:v2": [],  # tags both known and different
        "${REGISTRY}/web/api:v1": ["build web/compose.yaml"],  # registry unknown on one side
        f"{ecr}/api:v1": [],  # neither web/api nor batch/api
        "${PREFIX}/api:v1": [],  # web/api and batch/api are not api
        f"{ecr}/${{TEAM}}/api:v1": [],  # a path that is not written out does not cross projects
        f"{ecr}/web/api@sha256:{'a' * 64}": [],  # a digest: no build is known to produce it
    }
    for ref, expected in cases.items():
        links = find_links(_facts(files, [_workload("infra", ref)], [web, batch]), Config())
        assert [lk.build.name for lk in links] == expected, ref


def test_the_nearest_project_wins_among_equal_repository_matches() -> None:
    files = ["a/compose.yaml", "a/k8s/kustomization.yaml", "b/compose.yaml"]
    near, far = _build("a/compose.yaml", ["shop/api:1"]), _build("b/compose.yaml", ["shop/api:1"])
    links = find_links(_facts(files, [_workload("a/k8s", "shop/api:1")], [far, near]), Config())
    assert [lk.build.name for lk in links] == ["build a/compose.yaml"]


def test_naming_stays_inside_a_project_and_ci_builds_count_where_their_dockerfile_is() -> None:
    files = ["svc-a/template.yaml", "svc-c/template.yaml", ".github/workflows/ci.yml"]
    ci = _build(
        ".github/workflows/ci.yml", ["api-local"], dockerfile="svc-a/api/Dockerfile", source="github-actions"
    )
    inside = find_links(_facts(files, [_workload("svc-a", "${IMAGE}/api:${TAG}")], [ci]), Config())
    assert [(lk.build.name, lk.confidence) for lk in inside] == [("build .github/workflows/ci.yml", "low")]
    outside = find_links(_facts(files, [_workload("svc-c", "${IMAGE}/api:${TAG}")], [ci]), Config())
    assert outside == []


def test_direct_keys_do_not_cross_terraform_roots() -> None:
    key = frozenset({"tf:module.app_image"})
    w = _workload("envs/dev", "", key)
    w.project = "envs/dev"
    prod = ImageBuild(
        "terraform-docker",
        "terraform module.app_image",
        Location("envs/prod/main.tf", 5),
        None,
        link_keys=key,
        project="envs/prod",
    )
    assert find_links(_facts([], [w], [prod]), Config()) == []
    dev = ImageBuild(
        "terraform-docker",
        "terraform module.app_image",
        Location("envs/dev/main.tf", 5),
        None,
        link_keys=key,
        project="envs/dev",
    )
    assert [lk.confidence for lk in find_links(_facts([], [w], [prod, dev]), Config())] == ["high"]


def test_findings_on_naming_links_are_warnings_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(RULES / "ARCH301" / "fail_low_confidence_naming")
    result = scan([Path(".")], Config())
    arch301 = [f for f in result.findings if f.rule_id == "ARCH301"]
    assert arch301 and all(f.severity == "warning" for f in arch301)
    assert all("low confidence" in f.message and f.properties["linkConfidence"] == "low" for f in arch301)
    run = json.loads(sarif.render(result))["runs"][0]
    results = [r for r in run["results"] if r["ruleId"] == "ARCH301"]
    assert {r["level"] for r in results} == {"warning"}
    assert {r["properties"]["linkConfidence"] for r in results} == {"low"}


def test_local_tag_name_links_are_warnings_that_locate_both_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workflow's arm64 build, linked to the X86_64 task only because its local tag is the ECR
    repository's name: a warning on the task's architecture with the build and the image reference
    as related locations. The script's amd64 build of the same tag is linked the same way and agrees,
    so it is not reported (and does not hide the workflow's)."""
    monkeypatch.chdir(RULES / "ARCH301" / "fail_ci_secret_push_named_like_repository")
    result = scan([Path(".")], Config())
    [finding] = [f for f in result.findings if f.rule_id == "ARCH301"]
    assert finding.severity == "warning" and finding.properties["linkConfidence"] == "low"
    assert "low confidence: linked by name only" in finding.message
    assert (finding.location.path, finding.location.line) == ("infra/main.tf", 22)
    related = {(r.location.path, r.location.line) for r in finding.related}
    assert {(".github/workflows/deploy.yml", 14), ("infra/main.tf", 14)} <= related
    assert "deploy-job.sh" not in finding.message
    kinds = {(lk.build.location.path, lk.kind) for f in result.facts for lk in f.links}
    assert kinds == {
        (".github/workflows/deploy.yml", "naming-local-tag"),
        ("deploy-job.sh", "naming-local-tag"),
    }


def test_workflows_of_a_repository_inside_the_scan_root_resolve_paths_against_it(tmp_path: Path) -> None:
    workflow = "jobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          context: app\n"
    (tmp_path / "repo-a" / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / "repo-a" / ".github" / "workflows" / "ci.yml").write_text(workflow)
    (tmp_path / "repo-a" / "app").mkdir()
    (tmp_path / "repo-a" / "app" / "Dockerfile").write_text("FROM alpine:3.20\n")
    facts, _ = analyze(tmp_path, Config())
    assert [(b.dockerfile, b.context, b.project) for b in facts.builds] == [
        ("repo-a/app/Dockerfile", "repo-a/app", "repo-a")
    ]


def test_list_workloads_tells_apart_one_module_file_evaluated_by_two_roots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from archmatch.report import inventory

    monkeypatch.chdir(LINKING / "envs_dev_prod")
    text = inventory.render(scan([Path(".")], Config()))
    rows = [line.split() for line in text.split("\n\n")[0].splitlines()[1:]]  # the workloads table
    assert [(r[0], r[3], r[4]) for r in rows] == [
        ("modules/app_lambda/main.tf:9", "envs/dev", "amd64"),
        ("modules/app_lambda/main.tf:9", "envs/prod", "arm64"),
    ]
