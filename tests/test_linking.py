"""Linking evidence order and image-reference matching, on hand-built facts."""

from __future__ import annotations

from pathlib import Path

from archmatch.config import Config, ImageMapping
from archmatch.link.imageref import parse_ref, tags_agree, wild_match
from archmatch.link.matcher import find_links
from archmatch.model import ImageBuild, ImageRef, Location, RepoFacts, Workload
from archmatch.platforms import ArchFact

ROOT = Path(__file__).resolve().parent.parent
ECR = "111122223333.dkr.ecr.us-east-1.amazonaws.com"


def test_parse_ref_splits_registry_repository_tag_digest() -> None:
    p = parse_ref(f"{ECR}/team/api:1.2@sha256:abc")
    assert (p.registry, p.repository, p.tag, p.digest) == (ECR, "team/api", "1.2", "sha256:abc")
    hub = parse_ref("docker.io/library/nginx")
    assert (hub.registry, hub.repository, hub.tag) == ("", "nginx", "")
    assert hub.mutable
    local = parse_ref("localhost:5000/app:dev")
    assert (local.registry, local.repository, local.tag) == ("localhost:5000", "app", "dev")


def test_placeholders_become_wildcards() -> None:
    p = parse_ref("${aws_ecr_repository.app.repository_url}:${var.tag}")
    assert p is None or p.repository == "*"  # a wholly unknown repository proves nothing
    q = parse_ref(f"{ECR}/checkout:${{{{ github.sha }}}}")
    assert (q.repository, q.tag) == ("checkout", "*")
    r = parse_ref(f"{ECR}/checkout:${{var.image_tag}}")
    assert wild_match(q.repository, r.repository) and tags_agree(q, r)


def test_different_repositories_or_tags_do_not_match() -> None:
    a, b = parse_ref(f"{ECR}/api:1"), parse_ref(f"{ECR}/api:2")
    assert wild_match(a.repository, b.repository) and not tags_agree(a, b)
    assert not wild_match(parse_ref("myorg/nginx:1").repository, parse_ref("nginx:1").repository)
    assert tags_agree(parse_ref("api"), parse_ref("api:latest"))


def _workload(ref: str, keys: frozenset[str] = frozenset()) -> Workload:
    return Workload(
        kind="aws_lambda_function",
        name="aws_lambda_function.fn",
        service="lambda",
        location=Location("main.tf", 1),
        arch=ArchFact.explicit("arm64"),
        images=[ImageRef(ref, Location("main.tf", 5), keys)],
    )


def _build(
    name: str, tags: list[str], keys: frozenset[str] = frozenset(), dockerfile: str | None = None
) -> ImageBuild:
    return ImageBuild(
        source="shell",
        name=name,
        location=Location("build.sh", 3),
        dockerfile=dockerfile,
        tags=tags,
        link_keys=keys,
    )


def test_direct_reference_wins_over_repository_match() -> None:
    facts = RepoFacts(root=Path("."))
    facts.workloads = [_workload(f"{ECR}/fn:1", frozenset({"tf:docker_registry_image.fn"}))]
    direct = _build("direct", [], frozenset({"tf:docker_registry_image.fn"}))
    by_tag = _build("by-tag", [f"{ECR}/fn:1"])
    facts.builds = [by_tag, direct]
    links = find_links(facts, Config())
    assert [(lk.build.name, lk.confidence, lk.kind) for lk in links] == [("direct", "high", "direct")]
    assert links[0].evidence == "direct reference (tf:docker_registry_image.fn)"


def test_repository_match_then_config_mapping_then_naming() -> None:
    facts = RepoFacts(root=Path("."))
    facts.workloads = [_workload(f"{ECR}/fn:1")]
    facts.builds = [_build("by-tag", [f"{ECR}/fn:${{TAG}}"]), _build("other", [f"{ECR}/other:1"])]
    assert [(lk.build.name, lk.confidence, lk.kind) for lk in find_links(facts, Config())] == [
        ("by-tag", "medium", "repository")
    ]

    facts.builds = [_build("named", ["fn-local"], dockerfile="fn/Dockerfile")]
    mapping = Config(images=[ImageMapping(f"{ECR}/fn:*", "services/fn/Dockerfile", None, ["linux/arm64"])])
    links = find_links(facts, mapping)
    assert [(lk.build.source, lk.build.dockerfile, lk.confidence, lk.kind) for lk in links] == [
        ("config", "services/fn/Dockerfile", "high", "config")
    ]
    assert links[0].build.platforms.archs == frozenset({"arm64"})

    links = find_links(facts, Config())
    assert [(lk.build.name, lk.confidence, lk.kind) for lk in links] == [("named", "low", "naming")]
    assert "naming heuristic" in links[0].evidence


def test_nothing_links_when_nothing_matches() -> None:
    facts = RepoFacts(root=Path("."))
    facts.workloads = [_workload("public.ecr.aws/lambda/python:3.12")]
    facts.builds = [_build("unrelated", [f"{ECR}/billing:1"], dockerfile="billing/Dockerfile")]
    assert find_links(facts, Config()) == []


def test_same_logical_id_in_two_templates_does_not_cross_link(tmp_path: Path) -> None:
    from archmatch.engine import analyze

    tpl = (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      PackageType: Image\n      Architectures: [arm64]\n"
        "    Metadata:\n      Dockerfile: Dockerfile\n      DockerContext: ./fn\n"
    )
    for app in ("a", "b"):
        (tmp_path / app / "fn").mkdir(parents=True)
        (tmp_path / app / "template.yaml").write_text(tpl)
        (tmp_path / app / "fn" / "Dockerfile").write_text("FROM public.ecr.aws/lambda/python:3.12\n")
    facts, _ = analyze(tmp_path, Config())
    pairs = sorted((lk.workload.location.path, lk.build.location.path) for lk in facts.links)
    assert pairs == [("a/template.yaml", "a/template.yaml"), ("b/template.yaml", "b/template.yaml")]


# what each kind of link says it rests on (the text users read in messages and SARIF properties);
# a proximity link's opening goes on with where its build is the only one (`Link.scope`)
EVIDENCE_OPENING: dict[str, str] = {
    "direct": "direct reference (",
    "repository": "repository and tag match (",
    "config": "config images: mapping ",
    "naming": "naming heuristic: repository name ",
    "naming-local-tag": "naming heuristic: local tag ",
    "proximity": "proximity: the only build in ",
    "proximity-equivalent": "proximity: the only Dockerfile built in ",
    "proximity-dockerfile": "proximity: one of the builds of the only Dockerfile built in ",
    "redeploy": "push and redeploy: ",
}


def test_every_link_kind_is_made_and_its_evidence_says_so() -> None:
    """Every rule fixture case and example, linked: each kind of LinkKind occurs (an `images:`
    mapping only where a configuration has one), each link's evidence opens as its kind says, and
    proximity links say their scope: the workload's own project, or the repository or an enclosing
    project when the workload's project builds nothing."""
    from typing import get_args

    from archmatch.engine import analyze
    from archmatch.model import LinkKind

    assert set(EVIDENCE_OPENING) == set(get_args(LinkKind))
    roots = [p for p in sorted((ROOT / "tests" / "fixtures" / "rules").glob("*/*")) if p.is_dir()]
    roots += sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())
    seen: set[str] = set()
    scopes: set[str] = set()
    for root in roots:
        facts, _ = analyze(root, Config())
        for link in facts.links:
            opening = EVIDENCE_OPENING[link.kind] + (f"{link.scope} (" if link.scope else "")
            assert link.evidence.startswith(opening), (root, link.kind, link.evidence)
            assert bool(link.scope) == link.kind.startswith("proximity"), (root, link.kind, link.scope)
            seen.add(link.kind)
            scopes.add(link.scope.split(" project ")[0])
    assert seen == set(get_args(LinkKind)) - {"config"}, seen
    assert {"this project", "the repository"} <= scopes, scopes


def _task(project: str, ref: str = "${aws_ecr_repository.job.repository_url}:latest") -> Workload:
    return Workload(
        kind="aws_ecs_task_definition",
        name="aws_ecs_task_definition.job",
        service="ecs",
        location=Location(f"{project}/main.tf", 5),
        arch=ArchFact.explicit("amd64"),
        images=[ImageRef(ref, Location(f"{project}/main.tf", 14), frozenset({"ecr:nightly-job"}))],
        project=project,
    )


def _ci_build(path: str, dockerfile: str, tags: list[str]) -> ImageBuild:
    return ImageBuild(
        source="github-actions",
        name="workflow deploy.yml job build: docker build nightly-job",
        location=Location(path, 14),
        dockerfile=dockerfile,
        platforms=ArchFact.explicit("arm64"),
        tags=tags,
    )


def test_local_tag_links_a_build_pushed_somewhere_unknown_by_the_repository_name() -> None:
    """The build's local tag is the ECR repository's literal name and it is also tagged for an unknown
    repository with the image's tag: a low-confidence link across projects, to a build of the
    repository's own workflow; not when the push tag is another tag, a digest is run, the local tag
    is only a prefix of the name, or the build sits in a sibling project."""
    facts = RepoFacts(root=Path("."))
    facts.files = [".github/workflows/deploy.yml", "svc/infra/main.tf", "svc/job/Dockerfile"]
    facts.workloads = [_task("svc/infra")]
    pushed = _ci_build(
        ".github/workflows/deploy.yml", "svc/job/Dockerfile", ["nightly-job", "${{ secrets.URL }}:latest"]
    )
    facts.builds = [pushed]
    links = find_links(facts, Config())
    assert [(lk.build.name, lk.confidence, lk.kind) for lk in links] == [
        (pushed.name, "low", "naming-local-tag")
    ]
    assert "${{ secrets.URL }}:latest" in links[0].evidence

    for tags in (
        ["nightly-job", "${{ secrets.URL }}:dev"],
        ["nightly", "${{ secrets.URL }}:latest"],
        ["nightly-job"],
    ):
        pushed.tags = tags
        assert find_links(facts, Config()) == [], tags
    pushed.tags = ["nightly-job", "$IMAGE_URI"]  # one unknown value: repository and tag unknown
    assert len(find_links(facts, Config())) == 1

    facts.workloads = [_task("svc/infra", "${aws_ecr_repository.job.repository_url}@sha256:abc")]
    assert find_links(facts, Config()) == []


def test_local_tag_never_links_a_sibling_project() -> None:
    facts = RepoFacts(root=Path("."))
    facts.files = ["a/infra/main.tf", "b/template.yaml", "b/build.sh", "b/job/Dockerfile"]
    facts.workloads = [_task("a/infra")]
    sibling = _ci_build("b/build.sh", "b/job/Dockerfile", ["nightly-job", "${URL}:latest"])
    sibling.source = "shell"
    facts.builds = [sibling]
    assert find_links(facts, Config()) == []
