"""The Dagger Go build source (archmatch/extract/builds/dagger_go.py and its helpers): what a
pipeline publishes, with which platform, and who runs the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from archmatch.extract import builds
from archmatch.extract.builds._daggerrun import kebab
from archmatch.model import ImageBuild, RepoFacts
from archmatch.platforms import AMD64, ARM64, How
from archmatch.repo import RepoView, ScanOptions, discover

MODULE = '{"name": "ci", "sdk": "go", "source": "ci"}\n'
HEAD = 'package main\n\nimport (\n\t"context"\n\n\t"dagger/ci/internal/dagger"\n)\n\ntype Ci struct{}\n\n'


def tree(root: Path, files: dict[str, str]) -> RepoFacts:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    facts = RepoFacts(root=root)
    facts.files = discover(root, ScanOptions(), facts.diagnostics)
    builds.extract(RepoView(root, facts.files, ScanOptions(), facts.diagnostics), facts)
    return facts


def only(facts: RepoFacts) -> ImageBuild:
    assert len(facts.builds) == 1, [b.name for b in facts.builds]
    return facts.builds[0]


def workflow(runs_on: str, step: str) -> str:
    return f"on: push\njobs:\n  ship:\n    runs-on: {runs_on}\n    steps:\n      - uses: actions/checkout@v4\n{step}"


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("publish", "publish"),
        ("functionName", "function-name"),
        ("awsAccountId", "aws-account-id"),
        ("ECRPush", "ecr-push"),
    ],
)
def test_kebab_names(name: str, flag: str) -> None:
    assert kebab(name) == flag


def test_unpinned_container_run_by_nothing_has_an_unknown_host(tmp_path: Path) -> None:
    body = 'func (m *Ci) Ship(ctx context.Context) (string, error) {\n\treturn dag.Container().From("alpine").Publish(ctx, "reg/app:1")\n}\n'
    build = only(tree(tmp_path, {"dagger.json": MODULE, "ci/main.go": HEAD + body}))
    assert build.source == "dagger" and build.tags == ["reg/app:1"]
    assert build.platforms.how is How.HOST and not build.platforms.host_hint
    assert build.location.path == "ci/main.go" and build.location.line == 12


def test_action_call_binds_flags_and_the_runner_is_the_host(tmp_path: Path) -> None:
    body = (
        "func (m *Ci) Ship(ctx context.Context, repo string, dryRun bool) (string, error) {\n"
        '\tctr := dag.Container().From("alpine")\n'
        '\treturn ctr.Publish(ctx, "reg/"+repo+":1")\n}\n'
    )
    step = (
        "      - uses: dagger/dagger-for-github@v7\n        with:\n          module: ci\n"
        "          args: ship --dry-run --repo=api\n"
    )
    facts = tree(
        tmp_path,
        {
            "dagger.json": MODULE,
            "ci/main.go": HEAD + body,
            ".github/workflows/ci.yml": workflow("ubuntu-latest", step),
        },
    )
    build = only(facts)
    assert build.tags == ["reg/api:1"]
    assert build.platforms.how is How.HOST and build.platforms.host_hint == frozenset({AMD64})
    assert "dagger call ship" in build.name


def test_run_line_with_module_flag_and_chained_publish(tmp_path: Path) -> None:
    body = 'func (m *Ci) Image() *dagger.Container {\n\treturn dag.Container().From("alpine")\n}\n'
    step = "      - run: dagger -m ci call image publish --address=reg/web:2\n"
    facts = tree(
        tmp_path,
        {
            "dagger.json": MODULE,
            "ci/main.go": HEAD + body,
            ".github/workflows/ci.yml": workflow("ubuntu-24.04-arm", step),
        },
    )
    build = only(facts)
    assert build.tags == ["reg/web:2"] and build.platforms.host_hint == frozenset({ARM64})


def test_remote_engine_is_not_the_runner(tmp_path: Path) -> None:
    body = 'func (m *Ci) Ship(ctx context.Context) (string, error) {\n\treturn dag.Container().From("alpine").Publish(ctx, "reg/app:1")\n}\n'
    step = (
        "      - run: dagger -m ci call ship\n        env:\n"
        "          _EXPERIMENTAL_DAGGER_RUNNER_HOST: tcp://engine:1234\n"
    )
    facts = tree(
        tmp_path,
        {
            "dagger.json": MODULE,
            "ci/main.go": HEAD + body,
            ".github/workflows/ci.yml": workflow("ubuntu-latest", step),
        },
    )
    build = only(facts)
    assert build.platforms.how is How.HOST and not build.platforms.host_hint
    assert "remote Dagger engine" in build.platforms.note


def test_platform_variants_from_a_loop_over_known_platforms(tmp_path: Path) -> None:
    body = (
        "func (m *Ci) Ship(ctx context.Context) (string, error) {\n"
        '\tplatforms := []dagger.Platform{"linux/amd64", "linux/arm64"}\n'
        "\tvariants := []*dagger.Container{}\n"
        "\tfor _, p := range platforms {\n"
        '\t\tvariants = append(variants, dag.Container(dagger.ContainerOpts{Platform: p}).From("alpine"))\n'
        "\t}\n"
        '\treturn dag.Container().Publish(ctx, "reg/app:1", dagger.ContainerPublishOpts{PlatformVariants: variants})\n'
        "}\n"
    )
    build = only(tree(tmp_path, {"dagger.json": MODULE, "ci/main.go": HEAD + body}))
    assert build.platforms.how is How.EXPLICIT and build.platforms.archs == frozenset({AMD64, ARM64})


def test_platform_chosen_on_one_branch_only_is_unknown(tmp_path: Path) -> None:
    body = (
        "func (m *Ci) Ship(ctx context.Context, arm bool) (string, error) {\n"
        '\tctr := dag.Container(dagger.ContainerOpts{Platform: "linux/amd64"})\n'
        "\tif arm {\n"
        '\t\tctr = dag.Container(dagger.ContainerOpts{Platform: "linux/arm64"})\n'
        "\t}\n"
        '\treturn ctr.From("alpine").Publish(ctx, "reg/app:1")\n'
        "}\n"
    )
    facts = tree(tmp_path, {"dagger.json": MODULE, "ci/main.go": HEAD + body})
    assert facts.builds == []  # the container is unknown after the branch: nothing to claim


def test_dockerfile_build_from_a_host_directory_in_a_program(tmp_path: Path) -> None:
    program = (
        'package main\n\nimport (\n\t"context"\n\n\t"dagger.io/dagger"\n)\n\n'
        "func main() {\n\tctx := context.Background()\n\tclient, _ := dagger.Connect(ctx)\n"
        '\tsrc := client.Host().Directory("svc")\n'
        '\topts := dagger.DirectoryDockerBuildOpts{Dockerfile: "build/Dockerfile", Target: "runtime", Platform: "linux/arm64"}\n'
        '\tsrc.DockerBuild(opts).Publish(ctx, "reg/svc:1")\n}\n'
    )
    step = "      - run: go run ./ci\n"
    facts = tree(
        tmp_path,
        {
            "ci/main.go": program,
            "svc/build/Dockerfile": "FROM alpine\n",
            ".github/workflows/ci.yml": workflow("ubuntu-latest", step),
        },
    )
    build = only(facts)
    assert (build.dockerfile, build.context, build.target) == ("svc/build/Dockerfile", "svc", "runtime")
    assert build.platforms.archs == frozenset({ARM64}) and build.platform_location is not None


def test_syntax_error_names_the_file_and_the_rest_is_read(tmp_path: Path) -> None:
    good = 'func (m *Ci) Ship(ctx context.Context) (string, error) {\n\treturn dag.Container().From("alpine").Publish(ctx, "reg/app:1")\n}\n'
    facts = tree(
        tmp_path,
        {
            "dagger.json": MODULE,
            "ci/main.go": HEAD + good,
            "ci/broken.go": "package main\n\nfunc (m *Ci) Oops( {\n",
            "compose.yaml": "services:\n  web:\n    build: .\n",
        },
    )
    assert [d.location.path for d in facts.diagnostics] == ["ci/broken.go"]
    assert facts.diagnostics[0].location.line > 0
    assert sorted(b.source for b in facts.builds) == ["compose", "dagger"]


def test_pipeline_aws_command_deploys_the_published_image(tmp_path: Path) -> None:
    body = (
        "func (m *Ci) Ship(ctx context.Context) (string, error) {\n"
        '\tref, _ := dag.Container().From("alpine").Publish(ctx, "reg/app:1")\n'
        '\treturn dag.Container().From("amazon/aws-cli").WithExec([]string{"aws", "lambda",\n'
        '\t\t"update-function-code", "--function-name", "app", "--image-uri", ref}).Stdout(ctx)\n'
        "}\n"
    )
    facts = tree(tmp_path, {"dagger.json": MODULE, "ci/main.go": HEAD + body})
    (workload,) = facts.workloads
    build = only(facts)
    assert workload.cli is not None and workload.cli.target == "app" and workload.cli.keeps_arch
    assert workload.images[0].link_keys & build.link_keys


# --- the Python SDK (archmatch/extract/builds/dagger_py.py, _daggerpy.py) ------------------------
PY_MODULE = '{"name": "ci", "sdk": "python", "source": ".dagger"}\n'


def test_python_program_run_by_a_workflow_on_an_arm_runner(tmp_path: Path) -> None:
    program = (
        "import sys\n\nimport anyio\nimport dagger\n\nTAG = '2.0'\n\n\n"
        "async def main():\n"
        "    async with dagger.Connection(dagger.Config(log_output=sys.stderr)) as client:\n"
        '        src = client.host().directory("svc")\n'
        "        image = client.container().build(src)\n"
        '        await image.publish(f"reg/svc:{TAG}")\n\n\n'
        "anyio.run(main)\n"
    )
    step = "      - run: python ci/pipeline.py\n"
    facts = tree(
        tmp_path,
        {
            "ci/pipeline.py": program,
            "svc/Dockerfile": "FROM alpine\n",
            ".github/workflows/ci.yml": workflow("ubuntu-24.04-arm", step),
        },
    )
    build = only(facts)
    assert build.tags == ["reg/svc:2.0"] and build.dockerfile == "svc/Dockerfile"
    assert build.platforms.how is How.HOST and build.platforms.host_hint == frozenset({ARM64})


def test_python_platform_variants_and_syntax_error(tmp_path: Path) -> None:
    module = (
        "import dagger\nfrom dagger import dag, function, object_type\n\n\n@object_type\nclass Ci:\n"
        "    @function\n    async def ship(self) -> str:\n"
        "        variants = []\n"
        '        for p in ["linux/amd64", "linux/arm64"]:\n'
        '            variants.append(dag.container(platform=dagger.Platform(p)).from_("alpine"))\n'
        '        return await dag.container().publish("reg/app:1", platform_variants=variants)\n'
    )
    facts = tree(
        tmp_path,
        {
            "dagger.json": PY_MODULE,
            ".dagger/src/ci/main.py": module,
            ".dagger/src/ci/broken.py": "def oops(:\n",
        },
    )
    build = only(facts)
    assert build.platforms.how is How.EXPLICIT and build.platforms.archs == frozenset({AMD64, ARM64})
    assert [(d.location.path, d.location.line) for d in facts.diagnostics] == [
        (".dagger/src/ci/broken.py", 1)
    ]
