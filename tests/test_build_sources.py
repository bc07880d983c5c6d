"""ImageBuild extraction from Compose, Bake, GitHub Actions, GitLab CI, scripts, Makefiles, npm."""

from __future__ import annotations

from pathlib import Path

import pytest

from archmatch.extract import builds
from archmatch.extract.builds._common import UNRESOLVED_OPTIONS_NOTE, platform_fact
from archmatch.extract.builds.github_actions import runner_host
from archmatch.model import CommandFlags, ImageBuild, Location, RepoFacts
from archmatch.platforms import ArchFact, How
from archmatch.repo import RepoView, ScanOptions, discover

FIXTURES = Path(__file__).parent / "fixtures" / "builds"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def extract(root: Path) -> RepoFacts:
    facts = RepoFacts(root=root)
    facts.files = discover(root, ScanOptions(), facts.diagnostics)
    builds.extract(RepoView(root, facts.files, ScanOptions(), facts.diagnostics), facts)
    return facts


def tree(root: Path, files: dict[str, str]) -> RepoFacts:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return extract(root)


def by_name(facts: RepoFacts) -> dict[str, ImageBuild]:
    return {b.name: b for b in facts.builds}


def loc(path: str, line: int) -> Location:
    return Location(path, line)


@pytest.fixture(scope="module")
def monorepo() -> dict[str, ImageBuild]:
    facts = extract(FIXTURES / "monorepo")
    assert facts.diagnostics == []
    return by_name(facts)


@pytest.mark.parametrize(
    ("values", "fact"),
    [
        (["linux/amd64,linux/arm64/v8"], ArchFact.explicit("amd64", "arm64", note="n")),
        (["linux/arm64", "x86_64"], ArchFact.explicit("amd64", "arm64", note="n")),
        (["local"], ArchFact.host("n: local")),
        (["linux/amd"], ArchFact.unknown("unrecognised platform 'linux/amd'")),
        (["linux/amd64,${{ inputs.extra }}"], ArchFact.unknown("n: linux/amd64,${{ inputs.extra }}")),
    ],
)
def test_platform_lists(values: list[str], fact: ArchFact) -> None:
    assert platform_fact(values, "n") == fact


# --- Compose ------------------------------------------------------------------------------------


def test_compose_override_file_supplies_the_service_platform(monorepo: dict[str, ImageBuild]) -> None:
    assert monorepo["compose service api"] == ImageBuild(
        source="compose",
        name="compose service api",
        location=loc("docker-compose.yml", 2),
        dockerfile="api/Dockerfile",
        context="api",
        platforms=ArchFact.explicit("arm64", note="platform"),
        platform_location=loc("docker-compose.override.yml", 3),
        tags=[f"{ECR}/api:v1"],  # TAG from .env, REGISTRY from its ${REGISTRY:-...} default
        fix_syntax="compose",
        build_args=frozenset(),  # no build.args: the Dockerfile ARG defaults hold
    )


def test_compose_build_mapping(monorepo: dict[str, ImageBuild]) -> None:
    worker = monorepo["compose service worker"]
    assert (worker.dockerfile, worker.context, worker.target) == (
        "worker/Dockerfile.worker",
        "worker",
        "final",
    )
    assert worker.platforms == ArchFact.explicit("amd64", "arm64", note="build.platforms")
    assert worker.platform_location == loc("docker-compose.yml", 10)
    assert worker.tags == []


def test_compose_extra_file_is_merged_with_the_base_only(monorepo: dict[str, ImageBuild]) -> None:
    prod = monorepo["compose docker-compose.prod.yml service api"]
    assert prod.location == loc("docker-compose.prod.yml", 2)
    assert (prod.dockerfile, prod.context) == ("api/Dockerfile", "api")  # build context from the base
    # build.platforms wins over the override file's platform, which `-f base -f prod` does not load
    assert prod.platforms == ArchFact.explicit("amd64", note="build.platforms")
    assert prod.platform_location == loc("docker-compose.prod.yml", 4)
    assert prod.tags == [f"{ECR}/api:prod"]
    assert "compose docker-compose.prod.yml service worker" not in monorepo  # prod does not mention it


def test_compose_unpinned_unresolved_inline_and_remote(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            "deploy/compose.yaml": (
                "services:\n"
                "  plain:\n"
                "    build: .\n"
                "  expr:\n"
                "    build: {context: ../app, dockerfile: docker/Dockerfile}\n"
                "    platform: ${PLATFORM}\n"
                "  inline:\n"
                "    build:\n"
                "      dockerfile_inline: FROM alpine\n"
                "      provenance: true\n"
                "  remote:\n"
                "    build: https://github.com/org/repo.git#main\n"
                "  escape:\n"
                "    build: ../../elsewhere\n"
            ),
        },
    )
    got = by_name(facts)
    plain = got["compose service plain"]
    assert (plain.context, plain.dockerfile) == ("deploy", "deploy/Dockerfile")
    assert plain.platforms == ArchFact.host("no platform: the machine that runs docker compose decides")
    assert plain.platform_location is None
    expr = got["compose service expr"]
    assert (expr.context, expr.dockerfile) == ("app", "app/docker/Dockerfile")
    assert expr.platforms == ArchFact.unknown("platform: ${PLATFORM}")
    assert expr.platform_location == loc("deploy/compose.yaml", 6)
    inline = got["compose service inline"]
    assert (inline.dockerfile, inline.attestations) == (None, True)
    assert (got["compose service remote"].context, got["compose service remote"].dockerfile) == (None, None)
    assert (got["compose service escape"].context, got["compose service escape"].dockerfile) == (None, None)


def test_compose_malformed_files_give_diagnostics(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            "a/docker-compose.yml": "services:\n  api:\n    build: [unclosed\n",
            "b/compose.yml": "services:\n  - api\n",
            "c/compose.yaml": "services:\n  api:\n    build: .\n    platform: linux/arm64\n",
        },
    )
    assert [b.name for b in facts.builds] == ["compose service api"]
    assert facts.builds[0].location.path == "c/compose.yaml"
    assert [(d.location.path, d.location.line > 0) for d in facts.diagnostics] == [
        ("a/docker-compose.yml", True),
        ("b/compose.yml", True),
    ]


# --- Bake ---------------------------------------------------------------------------------------


def test_bake_inherits_chain_last_wins_and_variables_interpolate(monorepo: dict[str, ImageBuild]) -> None:
    assert monorepo["bake target api"] == ImageBuild(
        source="bake",
        name="bake target api",
        location=loc("docker-bake.hcl", 20),
        dockerfile="api/Dockerfile",
        context="api",
        # _common says amd64, _arm (inheriting _common) says arm64: the last inherited wins
        platforms=ArchFact.explicit("arm64", note="platforms"),
        platform_location=loc("docker-bake.hcl", 18),
        tags=[f"{ECR}/api:latest"],
        fix_syntax="bake",
        build_args=frozenset({"GO_VERSION"}),  # inherited from _common
    )
    assert "bake target _common" not in monorepo and "bake target _arm" not in monorepo


def test_bake_unpinned_target_with_attestations(monorepo: dict[str, ImageBuild]) -> None:
    worker = monorepo["bake target worker"]
    assert (worker.dockerfile, worker.context, worker.target) == (
        "worker/Dockerfile.worker",
        "worker",
        "final",
    )
    assert worker.platforms == ArchFact.host("no platforms: the BuildKit builder's own platform decides")
    assert worker.platform_location is None
    assert worker.attestations is True


def test_bake_override_file_and_groups(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            "build/docker-bake.hcl": (
                'variable "TAG" {}\n'
                'group "default" {\n  targets = ["base", "app"]\n}\n'
                'target "base" {\n  dockerfile = "cwd://docker/base.Dockerfile"\n}\n'
                'target "app" {\n  inherits = ["base"]\n  context = "../src"\n  tags = ["app:${TAG}", "app:${lower(TAG)}"]\n'
                '  attest = ["type=provenance,disabled=true"]\n}\n'
            ),
            "build/docker-bake.override.hcl": 'target "app" {\n  platforms = ["linux/arm64", "linux/amd64"]\n}\n',
        },
    )
    got = by_name(facts)
    base, app = got["bake target base"], got["bake target app"]  # base is built: a group names it
    assert (base.context, base.dockerfile) == ("build", "build/docker/base.Dockerfile")
    assert (app.context, app.dockerfile) == ("src", "build/docker/base.Dockerfile")
    assert app.platforms == ArchFact.explicit("amd64", "arm64", note="platforms")
    assert app.platform_location == loc("build/docker-bake.override.hcl", 2)
    assert app.location == loc("build/docker-bake.hcl", 8)
    assert app.tags == ["app:${TAG}", "app:${lower(TAG)}"]  # no default: stays unresolved
    assert app.attestations is False  # default provenance switched off, SBOM never on by default


def test_bake_json_and_variable_list_default(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            "docker-bake.json": (
                '{\n  "variable": {"PLATFORMS": {"default": ["linux/arm64"]}},\n'
                '  "target": {\n    "api": {\n      "platforms": "${PLATFORMS}",\n      "tags": ["api"]\n    }\n  }\n}\n'
            ),
        },
    )
    (api,) = facts.builds
    assert (api.name, api.location, api.dockerfile) == (
        "bake target api",
        loc("docker-bake.json", 4),
        "Dockerfile",
    )
    assert api.platforms == ArchFact.explicit("arm64", note="platforms")
    assert api.platform_location == loc("docker-bake.json", 5)


def test_bake_syntax_error_is_a_diagnostic(tmp_path: Path) -> None:
    facts = tree(tmp_path, {"docker-bake.hcl": 'target "x" {\n  platforms = [\n'})
    assert facts.builds == []
    (diag,) = facts.diagnostics
    assert diag.location.path == "docker-bake.hcl" and diag.message.startswith("HCL syntax error")


# --- GitHub Actions -----------------------------------------------------------------------------

WORKFLOW = ".github/workflows/build.yml"


def test_build_push_action_defaults_to_the_runner_arch(monorepo: dict[str, ImageBuild]) -> None:
    assert monorepo["workflow build.yml job api: build-push-action api"] == ImageBuild(
        source="github-actions",
        name="workflow build.yml job api: build-push-action api",
        location=loc(WORKFLOW, 15),
        dockerfile="api/Dockerfile",
        context="api",
        platforms=ArchFact.host("runs-on: ubuntu-24.04-arm", frozenset({"arm64"})),
        # metadata-action images with the env registry; the version stays an expression
        tags=[f"{ECR}/api:${{{{ steps.meta.outputs.version }}}}"],
        attestations=True,  # build-push-action adds provenance unless told not to
        fix_syntax="gha",
        build_args=frozenset(),  # no build-args input: the Dockerfile ARG defaults hold
    )


def test_build_push_action_platforms_file_and_provenance_off(monorepo: dict[str, ImageBuild]) -> None:
    worker = monorepo["workflow build.yml job api: build-push-action worker"]
    assert (worker.context, worker.dockerfile) == (
        ".",
        "worker/Dockerfile.worker",
    )  # file is workspace-relative
    assert worker.platforms == ArchFact.explicit("amd64", "arm64", note="platforms")
    assert worker.platform_location == loc(WORKFLOW, 26)
    assert worker.tags == [f"{ECR}/worker:${{{{ github.sha }}}}"]
    assert worker.attestations is False


def test_matrix_gives_one_build_per_platform_entry(monorepo: dict[str, ImageBuild]) -> None:
    amd = monorepo["workflow build.yml job matrix (linux/amd64): build-push-action step 1"]
    arm = monorepo["workflow build.yml job matrix (linux/arm64): build-push-action step 1"]
    assert amd.platforms == ArchFact.explicit("amd64", note="platforms")
    assert arm.platforms == ArchFact.explicit("arm64", note="platforms")
    assert arm.platform_location == loc(WORKFLOW, 40)  # the `platforms:` line, whatever the value
    assert (arm.context, arm.dockerfile) == (".", "Dockerfile")
    # a step that builds the same thing in every run is one build, named after the job
    assert "workflow build.yml job matrix: docker build web" in monorepo
    assert not [
        name for name in monorepo if name.startswith("workflow build.yml job matrix (") and "web" in name
    ]


def test_matrix_include_exclude_runner_and_env(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            ".github/workflows/ci.yml": (
                "on: push\n"
                "jobs:\n"
                "  images:\n"
                "    runs-on: ${{ matrix.runner }}\n"
                "    strategy:\n"
                "      matrix:\n"
                "        runner: [ubuntu-latest, ubuntu-24.04-arm]\n"
                "        image: [api, worker]\n"
                "        exclude:\n"
                "          - runner: ubuntu-24.04-arm\n"
                "            image: worker\n"
                "        include:\n"
                "          - image: api\n"
                "            file: api.Dockerfile\n"
                "          - runner: ubuntu-22.04-arm\n"
                "            image: tools\n"
                "    env:\n"
                "      TAG: ${{ matrix.image }}:1.0\n"
                "    steps:\n"
                "      - run: docker build -t $REGISTRY/${{ env.TAG }} -f ${{ matrix.file || 'Dockerfile' }} .\n"
                "      - uses: docker/build-push-action@v6\n"
                "        with:\n"
                "          file: ${{ matrix.file }}\n"
                "          tags: ${{ steps.login-ecr.outputs.registry }}/${{ matrix.image }}:latest\n"
                "          build-args: ${{ secrets.ARGS }}\n"
            ),
        },
    )
    runs = sorted({b.name.split(":")[0] for b in facts.builds})
    assert runs == [
        "workflow ci.yml job images (ubuntu-22.04-arm, tools)",
        "workflow ci.yml job images (ubuntu-24.04-arm, api, api.Dockerfile)",
        "workflow ci.yml job images (ubuntu-latest, api, api.Dockerfile)",
        "workflow ci.yml job images (ubuntu-latest, worker)",
    ]
    by_run = {b.name: b for b in facts.builds if "build-push-action" in b.name}
    arm_api = by_run[
        "workflow ci.yml job images (ubuntu-24.04-arm, api, api.Dockerfile): build-push-action api"
    ]
    assert arm_api.platforms == ArchFact.host("runs-on: ubuntu-24.04-arm", frozenset({"arm64"}))
    assert arm_api.dockerfile == "api.Dockerfile"
    # the registry is a step output: unknown, the repository and tag stay
    assert arm_api.tags == ["${{ steps.login-ecr.outputs.registry }}/api:latest"]
    assert arm_api.build_args is None  # build-args from an expression: not known
    tools = next(
        b
        for b in facts.builds
        if b.name.startswith("workflow ci.yml job images (ubuntu-22.04-arm, tools): docker")
    )
    assert tools.tags == ["$REGISTRY/tools:1.0"]  # job env from the matrix; REGISTRY is not known
    assert tools.platforms.host_hint == frozenset({"arm64"})


def test_matrix_from_an_expression_is_read_once(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            ".github/workflows/ci.yml": (
                "on: push\n"
                "jobs:\n"
                "  images:\n"
                "    runs-on: ubuntu-latest\n"
                "    strategy:\n"
                "      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}\n"
                "    steps:\n"
                "      - run: docker build --platform ${{ matrix.platform }} -t app .\n"
            ),
        },
    )
    (build,) = facts.builds
    assert build.name == "workflow ci.yml job images: docker build app"
    assert build.platforms.how.value == "unknown"


def test_multi_line_run_step_with_job_env_default_platform(monorepo: dict[str, ImageBuild]) -> None:
    run = monorepo["workflow build.yml job matrix: docker buildx build web"]
    assert run.location == loc(WORKFLOW, 43)  # the `docker` line inside `run: |`
    assert (run.context, run.dockerfile) == ("web", "web/Dockerfile")
    assert run.platforms == ArchFact.explicit("amd64", note="DOCKER_DEFAULT_PLATFORM")
    assert run.platform_location == loc(WORKFLOW, 36)
    assert run.tags == [f"{ECR}/web:latest"]  # $REGISTRY from workflow env
    assert run.command == "docker buildx build -t $REGISTRY/web:latest --build-arg NPM_TOKEN=*** --push web"
    assert run.fix_syntax == "docker-cli"
    assert run.attestations is None  # no setup-buildx-action in this job: the builder is unknown
    wd = monorepo["workflow build.yml job matrix: docker build web"]
    assert (wd.location, wd.context, wd.dockerfile) == (loc(WORKFLOW, 48), "web", "web/Dockerfile")


def test_workflow_env_file_writes_and_buildx_builder(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            ".github/workflows/ci.yaml": (
                "on: push\n"
                "jobs:\n"
                "  build:\n"
                "    runs-on: [self-hosted, linux, ARM64]\n"
                "    defaults:\n"
                "      run:\n"
                "        working-directory: services\n"
                "    steps:\n"
                "      - uses: docker/setup-buildx-action@v3\n"
                '      - run: echo "DOCKER_DEFAULT_PLATFORM=linux/arm64" >> "$GITHUB_ENV"\n'
                "      - run: docker buildx build --push -t $IMAGE ./api\n"
                "      - run: docker buildx build --platform linux/amd64 --load ./api\n"
                "      - run: docker buildx build --platform local ./api\n"
                "      - uses: docker/bake-action@v5\n"
                "        with:\n"
                "          targets: api\n"
            ),
        },
    )
    first, second, local = facts.builds
    assert (first.context, first.dockerfile) == ("services/api", "services/api/Dockerfile")
    assert first.platforms == ArchFact.explicit("arm64", note="DOCKER_DEFAULT_PLATFORM")
    assert first.platform_location == loc(".github/workflows/ci.yaml", 10)
    assert first.attestations is True  # pushed by buildx on setup-buildx-action's docker-container builder
    assert second.platforms == ArchFact.explicit("amd64", note="--platform")
    assert second.attestations is None  # --load does not push
    # `local` is the client: the runner, whose ARM64 label gives the hint
    assert local.platforms == ArchFact.host(
        "--platform: local (runs-on: self-hosted, linux, ARM64)", frozenset({"arm64"})
    )
    (bake,) = facts.extra.gha_bake_actions
    assert (bake.location, bake.inputs) == (loc(".github/workflows/ci.yaml", 14), {"targets": "api"})


@pytest.mark.parametrize(
    ("runs_on", "hint"),
    [
        ("ubuntu-latest", {"amd64"}),
        ("ubuntu-24.04-arm", {"arm64"}),
        ("windows-2022", {"amd64"}),
        ("macos-14", {"arm64"}),
        ("macos-latest", {"arm64"}),
        ("macos-13", {"amd64"}),
        (["self-hosted", "linux", "x64"], {"amd64"}),
        ("self-hosted", set()),
        ("${{ matrix.os }}", set()),
        ("ubuntu-22.04-arm", {"arm64"}),
        (["self-hosted", "Linux", "ARM64"], {"arm64"}),
        (["self-hosted", "linux-arm64"], {"arm64"}),
        ("buildjet-4vcpu-ubuntu-2204-arm", {"arm64"}),
        (["self-hosted", "x64", "linux-arm64"], set()),  # labels that disagree say nothing
        (["self-hosted", "linux", "amd64-runner"], {"amd64"}),
        ({"group": "large", "labels": ["gpu-runner"]}, set()),
    ],
)
def test_runner_labels(runs_on: object, hint: set[str]) -> None:
    assert runner_host(runs_on).hint == frozenset(hint)


def test_broken_workflow_gives_a_diagnostic(tmp_path: Path) -> None:
    facts = tree(tmp_path, {".github/workflows/bad.yml": "jobs:\n  a:\n    steps: [\n"})
    assert facts.builds == []
    assert [d.location.path for d in facts.diagnostics] == [".github/workflows/bad.yml"]


# --- GitLab CI ----------------------------------------------------------------------------------


def test_gitlab_variables_extends_and_runner_tags(monorepo: dict[str, ImageBuild]) -> None:
    arm = monorepo["GitLab job build-arm: docker buildx build api"]
    amd = monorepo["GitLab job build-amd: docker buildx build api"]
    # both jobs run the template's line; each with its own variables
    assert arm.location == amd.location == loc(".gitlab-ci.yml", 6)
    assert arm.platforms == ArchFact.explicit("arm64", note="--platform")
    assert amd.platforms == ArchFact.explicit("amd64", note="--platform")
    assert arm.platform_location == loc(".gitlab-ci.yml", 6)
    assert arm.tags == ["$CI_REGISTRY_IMAGE/api:$CI_COMMIT_SHA"]
    assert arm.command == "docker buildx build --platform $PLATFORM -t $IMAGE:$CI_COMMIT_SHA --push api"
    assert not any(name.startswith("GitLab job .build") for name in monorepo)  # hidden jobs never run


def test_gitlab_cd_carries_over_script_lines(monorepo: dict[str, ImageBuild]) -> None:
    host = monorepo["GitLab job build-host: docker build worker"]
    assert host.location == loc(".gitlab-ci.yml", 18)  # first line of the `- |` block
    assert (host.context, host.dockerfile) == ("worker", "worker/Dockerfile")
    assert host.platforms == ArchFact.host("GitLab runner (no tags)")


def test_gitlab_runner_tag_hint_and_default_platform_variable(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            ".gitlab-ci.yml": (
                "variables:\n  DOCKER_DEFAULT_PLATFORM: linux/amd64\ninclude:\n  - local: ci/build.yml\n"
            ),
            "ci/build.yml": "build:\n  tags: [saas-linux-medium-arm64]\n  script:\n    - docker build .\n",
        },
    )
    (build,) = facts.builds
    assert build.location == loc("ci/build.yml", 4)
    assert build.platforms == ArchFact.explicit("amd64", note="DOCKER_DEFAULT_PLATFORM")
    assert build.platform_location == loc(".gitlab-ci.yml", 2)


def test_gitlab_parallel_matrix_runs_with_their_variables_and_runner_tags(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            ".gitlab-ci.yml": (
                "image-build:\n"
                "  parallel:\n"
                "    matrix:\n"
                "      - ARCH: amd64\n"
                "        RUNNER: saas-linux-medium-amd64\n"
                "      - ARCH: arm64\n"
                "        RUNNER: saas-linux-medium-arm64\n"
                "  tags: [$RUNNER]\n"
                "  script:\n"
                "    - docker build -t $CI_REGISTRY_IMAGE:$ARCH .\n"
                "lint:\n"
                "  parallel:\n"
                "    matrix:\n"
                "      - PY: ['3.11', '3.12']\n"
                "  script:\n"
                "    - docker build -t lint .\n"
            ),
        },
    )
    builds = by_name(facts)
    amd = builds["GitLab job image-build: [amd64, saas-linux-medium-amd64]: docker build"]
    arm = builds["GitLab job image-build: [arm64, saas-linux-medium-arm64]: docker build"]
    assert amd.tags == ["$CI_REGISTRY_IMAGE:amd64"]
    assert amd.platforms.host_hint == frozenset({"amd64"})
    assert arm.platforms.host_hint == frozenset({"arm64"})
    # a matrix the script does not use gives one build, not one per run
    assert [n for n in builds if n.startswith("GitLab job lint")] == ["GitLab job lint: docker build lint"]


def test_build_args_known_only_when_written_out(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            "build.sh": (
                "docker build --build-arg GOARCH=arm64 --build-arg VERSION -t a .\n"
                "docker build $EXTRA_ARGS -t b .\n"
                "docker build -t c .\n"
            ),
            ".github/workflows/ci.yml": (
                "on: push\n"
                "jobs:\n"
                "  image:\n"
                "    runs-on: ubuntu-latest\n"
                "    steps:\n"
                "      - uses: docker/build-push-action@v6\n"
                "        with:\n"
                "          tags: d\n"
                "          build-args: |\n"
                "            VERSION=${{ github.sha }}\n"
                "            GOOS=linux\n"
            ),
        },
    )
    args = {b.tags[0]: b.build_args for b in facts.builds}
    assert args == {
        "a": frozenset({"GOARCH", "VERSION"}),
        "b": None,  # $EXTRA_ARGS may hold more --build-arg flags
        "c": frozenset(),
        "d": frozenset({"VERSION", "GOOS"}),
    }


def test_an_unresolved_expansion_among_the_arguments_may_set_the_platform(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            "build.sh": (
                "docker build $FLAGS -t a svc\n"
                "docker buildx build -t b ${BUILD_ARGS} svc\n"
                'args=(--pull)\ndocker build "${args[@]}" -t c svc\n'
                "docker build $(flags) -t d svc\n"
                "export DOCKER_DEFAULT_PLATFORM=linux/amd64\n"
                "docker build -t e svc $FLAGS\n"  # a --platform in $FLAGS overrides the default
                "unset DOCKER_DEFAULT_PLATFORM\n"
                # resolved, written or alone (the context): as before
                "OPTS=--pull\ndocker build $OPTS -t f svc\n"
                "docker build --platform linux/arm64 $FLAGS -t g svc\n"
                "docker build -t h $DIR\n"
                'build() { docker build "$@"; }\nbuild -t i svc\n'
                "docker build ${EXTRA_ARGS:-} -t l svc\n"  # empty unless the caller sets it
                "EXTRA=\ndocker build ${EXTRA:-} -t m svc\n"
            ),
            "Makefile": (
                "DEFINED := --pull\n"
                "image:\n\tdocker build $(DOCKER_FLAGS) -t j svc\n\tdocker build $(DEFINED) -t k svc\n"
            ),
        },
    )
    found = {b.tags[0]: (b.platforms.how, b.platforms.note, b.context) for b in facts.builds}
    unknown = f"{UNRESOLVED_OPTIONS_NOTE}: "
    host, make_host = (
        "no --platform: the machine that runs the script decides",
        "no --platform: the machine that runs make decides",
    )
    assert found == {
        "a": (How.UNKNOWN, unknown + "$FLAGS", "svc"),
        "b": (How.UNKNOWN, unknown + "${BUILD_ARGS}", "svc"),
        "c": (How.UNKNOWN, unknown + "${args[@]}", "svc"),
        "d": (How.UNKNOWN, unknown + "$(flags)", "svc"),
        "e": (How.UNKNOWN, unknown + "$FLAGS", "svc"),
        "f": (How.HOST, host, "svc"),
        "g": (How.EXPLICIT, "--platform", "svc"),
        "h": (How.HOST, host, None),  # $DIR is the context, not known
        "i": (How.HOST, host, "svc"),
        "j": (How.UNKNOWN, unknown + "$(DOCKER_FLAGS)", "svc"),
        "k": (How.HOST, make_host, "svc"),
        "l": (How.UNKNOWN, unknown + "${EXTRA_ARGS:-}", "svc"),
        "m": (How.HOST, host, "svc"),
    }
    assert facts.builds[0].platform_location is None and facts.builds[0].dockerfile == "svc/Dockerfile"


# --- Shell, Makefile, package.json --------------------------------------------------------------


def test_shell_script_cd_dirname_and_exported_default_platform(monorepo: dict[str, ImageBuild]) -> None:
    assert monorepo["script scripts/build.sh: docker build api"] == ImageBuild(
        source="shell",
        name="script scripts/build.sh: docker build api",
        location=loc("scripts/build.sh", 5),
        dockerfile="api/Dockerfile",  # after cd "$(dirname "$0")/.." paths are root-relative
        context="api",
        platforms=ArchFact.explicit("arm64", note="DOCKER_DEFAULT_PLATFORM"),
        platform_location=loc("scripts/build.sh", 4),
        tags=["api:dev"],
        fix_syntax="docker-cli",
        build_args=frozenset(),
        command="docker build -t api:dev -f api/Dockerfile api",
        command_flags=CommandFlags(subcommand_end=12),
    )
    second = monorepo["script scripts/build.sh: docker buildx build"]  # "$IMAGE" gives no label
    assert second.platforms == ArchFact.explicit("amd64", note="--platform")  # after `unset`
    assert (second.platform_location, second.attestations) == (loc("scripts/build.sh", 7), False)


def test_shell_paths_relative_to_root_then_literal_cd(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            "ops/release": (
                "#!/bin/sh\n"
                "docker build -f ops/Dockerfile .\n"
                "cd services/api\n"
                "DOCKER_DEFAULT_PLATFORM=linux/arm64 docker build --build-arg TOKEN=$SECRET -t $REPO:1 .\n"
                "cd $SOMEWHERE\n"
                "docker build .\n"
            ),
            "notes.txt": "docker build .\n",
        },
    )
    first, second, third = facts.builds
    assert (first.context, first.dockerfile) == (".", "ops/Dockerfile")
    assert first.platforms == ArchFact.host("no --platform: the machine that runs the script decides")
    assert (second.context, second.dockerfile) == ("services/api", "services/api/Dockerfile")
    assert second.platforms == ArchFact.explicit("arm64", note="DOCKER_DEFAULT_PLATFORM")
    assert second.platform_location == loc("ops/release", 4)
    assert (
        second.command
        == "DOCKER_DEFAULT_PLATFORM=linux/arm64 docker build --build-arg TOKEN=*** -t $REPO:1 ."
    )
    assert (third.context, third.dockerfile) == (None, None)  # cd to an unknown folder


def test_shell_cd_under_the_working_folder(tmp_path: Path) -> None:
    """`ROOT=$PWD` (or `$(pwd)`) remembers the folder the script is in then; `cd $ROOT/src` goes
    under it, wherever the script went meanwhile."""
    facts = tree(
        tmp_path,
        {
            "deploy.sh": (
                "#!/bin/bash\n"
                "SOURCE_REPOSITORY=$PWD\n"
                "cd infra\n"
                "HERE=$(pwd)\n"
                "cd $SOURCE_REPOSITORY/src\n"
                "docker build -t a .\n"
                "cd ${HERE}/lambda\n"
                "docker build -t b .\n"
                "cd $PWD/../src\n"
                "docker build -t c .\n"
                "SOURCE_REPOSITORY=$OTHER\n"
                "cd $SOURCE_REPOSITORY/src\n"
                "docker build -t d .\n"
            ),
            "src/Dockerfile": "FROM alpine\n",
            "infra/lambda/Dockerfile": "FROM alpine\n",
        },
    )
    found = {b.tags[0]: b.dockerfile for b in facts.builds}
    assert found == {
        "a": "src/Dockerfile",
        "b": "infra/lambda/Dockerfile",
        "c": "infra/src/Dockerfile",
        "d": None,
    }


def test_shell_cd_under_the_working_folder_from_the_scripts_own_folder(tmp_path: Path) -> None:
    """A script whose `cd $ROOT/src` leads nowhere from the repository root is read as run from its
    own folder, as with a plain `cd src`."""
    facts = tree(
        tmp_path,
        {
            "job/exec.sh": "#!/bin/bash\nROOT=$PWD\ncd $ROOT/src\ndocker build -t job .\n",
            "job/src/Dockerfile": "FROM alpine\n",
        },
    )
    assert [b.dockerfile for b in facts.builds] == ["job/src/Dockerfile"]


def test_makefile_recipes(monorepo: dict[str, ImageBuild]) -> None:
    first, second = (b for b in extract(FIXTURES / "monorepo").builds if b.source == "makefile")  # same name
    assert first.name == "make target build (Makefile): docker build web"  # IMAGE ?= web
    assert (first.location, first.platform_location) == (loc("Makefile", 6), loc("Makefile", 7))
    assert first.platforms == ArchFact.explicit("arm64", note="--platform")
    assert first.command == "docker build -t web:latest --platform linux/arm64 web"  # as make runs it
    assert first.tags == ["web:latest"]
    assert (second.location, second.context) == (loc("Makefile", 8), "web")
    assert second.platforms == ArchFact.explicit("amd64", note="DOCKER_DEFAULT_PLATFORM")
    assert second.platform_location == loc("Makefile", 2)


def test_makefile_in_a_subfolder_resolves_against_it(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {"svc/Makefile": "image:\n\tdocker build -t svc:$$(git rev-parse HEAD) -f docker/Dockerfile .\n"},
    )
    (build,) = facts.builds
    assert (build.context, build.dockerfile, build.tags) == (
        "svc",
        "svc/docker/Dockerfile",
        ["svc:$(git rev-parse HEAD)"],
    )


def test_npm_scripts(monorepo: dict[str, ImageBuild], tmp_path: Path) -> None:
    npm = monorepo["npm script docker (package.json): docker build web"]
    assert (npm.location, npm.context, npm.dockerfile) == (loc("package.json", 4), "web", "web/Dockerfile")
    assert npm.platforms == ArchFact.explicit("arm64", note="--platform")
    facts = tree(
        tmp_path,
        {
            "fe/package.json": '{"scripts": {"img": "cross-env DOCKER_DEFAULT_PLATFORM=linux/amd64 docker build ."}}',
            "bad/package.json": '{"scripts": {"img": "docker build ."',
        },
    )
    (build,) = facts.builds
    assert (build.context, build.platforms) == (
        "fe",
        ArchFact.explicit("amd64", note="DOCKER_DEFAULT_PLATFORM"),
    )
    assert [d.location.path for d in facts.diagnostics] == ["bad/package.json"]


def test_binary_and_non_utf8_inputs_do_not_stop_the_scan(tmp_path: Path) -> None:
    (tmp_path / "build.sh").write_bytes(b"# caf\xe9\ndocker build .\n")
    (tmp_path / "docker-bake.hcl").write_bytes(b"\0\0\0")
    facts = extract(tmp_path)
    assert [(b.location, b.context) for b in facts.builds] == [(loc("build.sh", 2), ".")]
    assert sorted((d.location.path, d.location.line) for d in facts.diagnostics) == [
        ("build.sh", 1),
        ("docker-bake.hcl", 0),
    ]


def test_a_parameter_expansion_kept_as_written_gives_no_image_label() -> None:
    from archmatch.extract.builds._common import image_label

    # `${X#*/}` once gave the label "}" (its `/` was taken for the repository separator)
    assert image_label(["${ECR_REPOSITORY_URI#*/}"]) == ""
    assert image_label(["${X%%:*}:latest"]) == ""
    assert image_label(["${REGISTRY}/api:v1"]) == "api"
    assert image_label(["$REGISTRY/team/web@sha256:abc"]) == "web"


def test_bake_and_compose_args_are_the_build_args_they_pass(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            "bake/docker-bake.hcl": (
                'variable "ARGS" {\n  default = {}\n}\n'
                'target "_base" {\n  args = {\n    GOARCH = "arm64"\n  }\n}\n'
                'target "merged" {\n  inherits = ["_base"]\n  args = {\n    "VERSION" = null\n  }\n}\n'
                'target "none" {\n  context = "."\n}\n'
                'target "expression" {\n  args = ARGS\n}\n'
            ),
            "compose/compose.yaml": (
                "services:\n"
                "  listed: {build: {context: ., args: [VERSION=1, COMMIT]}}\n"
                "  mapped: {build: {context: ., args: {GOARCH: arm64}}}\n"
                "  plain: {build: .}\n"
                "  computed: {build: {context: ., args: ['${NAME}=1']}}\n"
                "  extended: {extends: {service: mapped}, build: {context: .}}\n"
            ),
            "compose/compose.override.yaml": "services:\n  mapped: {build: {args: {EXTRA: x}}}\n",
        },
    )
    args = {b.name.rsplit(" ", 1)[-1]: b.build_args for b in facts.builds}
    assert args["merged"] == frozenset({"GOARCH", "VERSION"})  # inherited and own maps merge
    assert args["none"] == frozenset()
    assert args["expression"] is None
    assert args["listed"] == frozenset({"VERSION", "COMMIT"})
    assert args["mapped"] == frozenset({"GOARCH", "EXTRA"})  # merged over the override file
    assert args["plain"] == frozenset()
    assert args["computed"] is None and args["extended"] is None
