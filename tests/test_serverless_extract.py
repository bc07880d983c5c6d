"""Serverless Framework extraction: architecture precedence, ecr.images builds, variable resolution."""

from __future__ import annotations

import textwrap
from pathlib import Path

from archmatch.extract import serverless
from archmatch.model import RepoFacts, Workload
from archmatch.platforms import How
from archmatch.repo import RepoView, ScanOptions, discover


def run(root: Path, files: dict[str, str]) -> RepoFacts:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    facts = RepoFacts(root=root)
    repo = RepoView(root, discover(root, ScanOptions(), facts.diagnostics), ScanOptions(), facts.diagnostics)
    serverless.extract(repo, facts)
    return facts


def workload(facts: RepoFacts, name: str) -> Workload:
    return next(w for w in facts.workloads if w.name == name)


SERVICE = """
service: shop
custom:
  arch: arm64
  images:
    prod: { platform: linux/arm64 }
provider:
  name: aws
  stage: ${opt:stage, 'prod'}
  architecture: ${self:custom.arch}
  ecr:
    images:
      api:
        path: ./api
        file: Dockerfile.lambda
        platform: ${self:custom.images.${sls:stage}.platform}
      worker:
        path: ${env:WORKER_DIR, 'worker'}
      prebuilt:
        uri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/prebuilt@sha256:abc
functions:
  api:
    image: api
  worker:
    architecture: x86_64
    image:
      name: worker
  external:
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/ext:1.0
  reused:
    image:
      name: prebuilt
  zip:
    handler: app.handler
"""


def test_architecture_precedence_and_image_builds(tmp_path: Path) -> None:
    facts = run(tmp_path, {"svc/serverless.yml": SERVICE})
    assert sorted(w.name for w in facts.workloads) == ["api", "external", "reused", "worker"]

    api = workload(facts, "api")  # provider.architecture via ${self:custom.arch}
    assert (api.kind, api.service, api.arch_syntax) == ("serverless:function", "lambda", "serverless")
    assert (api.arch.archs, api.arch.how) == ({"arm64"}, How.EXPLICIT)
    # located where `custom.arch` is written; provider.architecture refers to it
    assert (str(api.arch_location), str(api.arch_via)) == ("svc/serverless.yml:3", "svc/serverless.yml:9")
    assert (api.images[0].ref, api.images[0].link_keys, api.images[0].location.line) == (
        "${sls:image:api}",
        frozenset({"sls:image:svc/serverless.yml:api"}),
        22,
    )

    worker = workload(facts, "worker")  # the function's architecture overrides the provider's
    assert (worker.arch.archs, str(worker.arch_location)) == ({"amd64"}, "svc/serverless.yml:24")
    assert worker.images[0].link_keys == frozenset({"sls:image:svc/serverless.yml:worker"})

    assert workload(facts, "external").images[0].ref == "123456789012.dkr.ecr.us-east-1.amazonaws.com/ext:1.0"
    reused = workload(facts, "reused")  # a named image with `uri` is prebuilt: no build to link
    assert (reused.images[0].ref, reused.images[0].link_keys) == (
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/prebuilt@sha256:abc",
        frozenset(),
    )

    builds = {b.name: b for b in facts.builds}
    assert sorted(builds) == ["serverless image api", "serverless image worker"]
    api_build = builds["serverless image api"]
    # platform: ${self:custom.images.${sls:stage}.platform} with stage ${opt:stage, 'prod'} -> prod
    assert (api_build.platforms.archs, api_build.platforms.how, str(api_build.platform_location)) == (
        {"arm64"},
        How.EXPLICIT,
        "svc/serverless.yml:15",
    )
    assert (api_build.dockerfile, api_build.context, str(api_build.location)) == (
        "svc/api/Dockerfile.lambda",
        "svc/api",
        "svc/serverless.yml:12",
    )
    assert (api_build.link_keys, api_build.fix_syntax, api_build.source) == (
        frozenset({"sls:image:svc/serverless.yml:api"}),
        "serverless",
        "serverless",
    )
    worker_build = builds["serverless image worker"]  # ${env:...} uses its default; no platform -> host
    assert (worker_build.dockerfile, worker_build.platforms.how, worker_build.platform_location) == (
        "svc/worker/Dockerfile",
        How.HOST,
        None,
    )


def test_defaults_and_unresolvable_variables(tmp_path: Path) -> None:
    text = """
    service: s
    provider:
      name: aws
      ecr:
        images:
          app: {path: ., platform: "${opt:platform}"}
    functions:
      plain:
        image: app
      odd:
        architecture: ${ssm:/config/arch}
        image: app
      staged:
        architecture: ${self:custom.byStage.${sls:stage}}
        image: app
    custom:
      byStage: {dev: arm64}
    """
    facts = run(tmp_path, {"serverless.yaml": text})
    plain = workload(facts, "plain")
    assert (plain.arch.archs, plain.arch.how, plain.arch_location) == ({"amd64"}, How.DEFAULT, None)
    odd = workload(facts, "odd")
    assert odd.arch.how is How.UNKNOWN and "${ssm:/config/arch}" in odd.arch.note
    staged = workload(facts, "staged")  # ${sls:stage} defaults to dev
    assert staged.arch.archs == {"arm64"}
    [build] = facts.builds
    assert (build.platforms.how, build.dockerfile) == (
        How.UNKNOWN,
        "Dockerfile",
    )  # ${opt:platform} has no default


def test_malformed_serverless_yml_gives_a_diagnostic(tmp_path: Path) -> None:
    facts = run(tmp_path, {"serverless.yml": "service: s\nfunctions:\n  a:\n    image: x\n   bad: [\n"})
    assert facts.workloads == []
    assert [(d.location.path, d.location.line) for d in facts.diagnostics] == [("serverless.yml", 5)]


def test_architecture_located_where_the_self_variable_is_written(tmp_path: Path) -> None:
    from archmatch.model import Location

    facts = run(
        tmp_path,
        {
            "serverless.yml": (
                "service: thumbs\n"
                "custom:\n"
                "  arch: arm64\n"  # 3
                "  fnArch: ${self:custom.arch}\n"
                "provider:\n"
                "  name: aws\n"
                "functions:\n"
                "  resize:\n"
                "    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/thumbs:1\n"
                "    architecture: ${self:custom.fnArch}\n"  # 10
                "  direct:\n"
                "    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/thumbs:1\n"
                "    architecture: x86_64\n"  # 13
            )
        },
    )
    resize, direct = workload(facts, "resize"), workload(facts, "direct")
    assert resize.arch.archs == {"arm64"}
    assert (resize.arch_location, resize.arch_via) == (
        Location("serverless.yml", 3),
        Location("serverless.yml", 10),
    )
    assert (direct.arch_location, direct.arch_via) == (Location("serverless.yml", 13), None)
