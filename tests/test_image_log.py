"""Image names followed through one shell run (archmatch/extract/builds/_imagelog.py): which builds
stay on the building machine, and every case where the log cannot tell and keeps the build."""

from __future__ import annotations

from archmatch.extract.builds._common import LineMap
from archmatch.extract.builds._shellscan import ShellState, scan

PULL_AND_SEED = (
    "docker pull public.ecr.aws/nginx/nginx:latest\n"
    'docker tag public.ecr.aws/nginx/nginx:latest "$REPOSITORY_URL:latest"\n'
    'docker push "$REPOSITORY_URL:latest"\n'
)


def _verdicts(*texts: str) -> list[tuple[list[str], str]]:
    """Each build's names and `stays_local` verdict after all texts ran as one shell run."""
    state = ShellState(path="seed.sh", script_dir=".")
    found = [f for text in texts for f in scan(text, state, LineMap(text))]
    return [(f.cmd.tags, state.images.stays_local(f.cmd)) for f in found]


def test_a_build_never_pushed_while_a_pulled_image_is_stays_local() -> None:
    [(tags, verdict)] = _verdicts("docker build --platform linux/arm64 -t portal-server .\n" + PULL_AND_SEED)
    assert tags == ["portal-server"]
    assert verdict.startswith("never pushed: `portal-server` stays on the building machine")
    assert "a retag of the pulled image `public.ecr.aws/nginx/nginx:latest`" in verdict


def test_a_build_retagged_and_pushed_is_not_local() -> None:
    text = 'docker build -t app .\ndocker tag app:latest "$REPO:v1"\ndocker push "$REPO:v1"\n'
    assert _verdicts(text) == [(["app", "$REPO:v1"], "")]


def test_a_retag_in_a_later_command_of_the_run_names_the_build() -> None:
    """A buildspec's `post_build` (another `scan` of the same state) tags what `build` made."""
    tags, verdict = _verdicts(
        "docker build -t web ./app\n", "docker tag web repo/web:1\ndocker push repo/web:1\n"
    )[0]
    assert tags == ["web", "repo/web:1"] and verdict == ""


def test_nothing_pushed_keeps_every_build() -> None:
    assert _verdicts("docker build -t app .\ndocker pull nginx\n") == [(["app"], "")]


def test_a_build_pushed_with_buildx_push_is_not_local() -> None:
    assert _verdicts("docker buildx build --push -t repo/app .\n" + PULL_AND_SEED)[0][1] == ""


def test_a_second_build_pushed_makes_the_first_local() -> None:
    text = "docker build -t base -f Dockerfile.base .\ndocker build -t repo/app .\ndocker push repo/app\n"
    (_, base), (_, app) = _verdicts(text)
    assert "`repo/app` (line 3, another build's image)" in base and app == ""


def test_pushes_the_log_cannot_tell_keep_the_build() -> None:
    build = "docker build -t app .\n"
    unknown_source = 'docker tag "$SOURCE" "$REPO:latest"\ndocker push "$REPO:latest"\n'
    unknown_push = 'docker push "$IMAGE"\n'
    other_tool = PULL_AND_SEED + "skopeo copy docker-daemon:$X docker://$REPO:v2\n"
    compose = PULL_AND_SEED + "docker compose push\n"
    for text in (unknown_source, unknown_push, other_tool, compose):
        assert _verdicts(build + text)[0][1] == "", text


def test_a_literal_source_an_unresolved_build_name_may_be_is_not_foreign() -> None:
    text = 'docker build -t "app:$VERSION" .\ndocker tag app:1.0 "$REPO:1.0"\ndocker push "$REPO:1.0"\n'
    assert _verdicts(text)[0][1] == ""


def test_a_command_that_may_ship_the_build_keeps_it_and_a_local_run_does_not() -> None:
    shipped = "docker build -t app .\ndocker save app -o app.tar\n" + PULL_AND_SEED
    assert _verdicts(shipped)[0][1] == ""
    ran = "docker build -t app .\ndocker run --rm app ./selftest\n" + PULL_AND_SEED
    assert _verdicts(ran)[0][1] != ""


def test_options_hidden_in_a_variable_keep_the_build() -> None:
    assert _verdicts("docker build $BUILD_FLAGS -t app .\n" + PULL_AND_SEED)[0][1] == ""


def test_push_all_tags_of_the_build_repository_is_a_push_of_it() -> None:
    text = "docker build -t repo/app:1 .\ndocker pull nginx\ndocker tag nginx repo/nginx\ndocker push --all-tags repo/app\n"
    assert _verdicts(text)[0][1] == ""
