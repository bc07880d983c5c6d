"""The docker build command-line parser, re-renderer and masker."""

from __future__ import annotations

import pytest

from archmatch.dockercli import (
    attestations,
    find_build_commands,
    hide_build_values,
    one_line,
    parse_build_command,
    with_platform,
)


def test_parses_every_field_of_a_multi_line_buildx_command() -> None:
    text = (
        "docker buildx build \\\n"
        "  --platform linux/amd64,linux/arm64 \\\n"
        '  -t "$REGISTRY/api:${TAG:-latest}" --tag=ghcr.io/org/api:edge \\\n'
        "  -f docker/Dockerfile.api --target prod \\\n"
        "  --build-arg VERSION=1.2 --build-arg CACHE \\\n"
        "  --provenance=false --sbom true --push \\\n"
        "  services/api"
    )
    cmd = parse_build_command(text)
    assert cmd is not None
    assert cmd.is_buildx is True
    assert cmd.context == "services/api"
    assert cmd.file == "docker/Dockerfile.api"
    assert cmd.platforms == ["linux/amd64,linux/arm64"]
    assert cmd.tags == ["$REGISTRY/api:${TAG:-latest}", "ghcr.io/org/api:edge"]
    assert cmd.target == "prod"
    assert cmd.build_args == [("VERSION", "1.2"), ("CACHE", None)]
    assert (cmd.provenance, cmd.sbom, cmd.push, cmd.load) == ("false", "true", True, False)
    # the --platform flag is on the second line of the text
    assert text.count("\n", 0, cmd.platform_offset) == 1


@pytest.mark.parametrize(
    ("line", "buildx"),
    [
        ("docker build .", False),
        ("docker image build .", False),
        ("docker builder build .", False),
        ("docker buildx build .", True),
        ("docker buildx b .", True),
        ("/usr/bin/docker --context prod buildx --builder ci build .", True),
        ("sudo -E docker -H tcp://host:2375 build .", False),
    ],
)
def test_recognises_every_spelling_of_docker_build(line: str, buildx: bool) -> None:
    cmd = parse_build_command(line)
    assert cmd is not None and cmd.is_buildx is buildx and cmd.context == "."


@pytest.mark.parametrize(
    "line", ["docker buildx bake api", "docker push app:1", "echo docker build .", "docker", "podman build ."]
)
def test_other_commands_are_not_builds(line: str) -> None:
    assert parse_build_command(line) is None


def test_finds_builds_among_shell_operators_and_keeps_env_prefixes() -> None:
    text = "cd api && DOCKER_DEFAULT_PLATFORM=linux/arm64 docker build -tapi . 2>&1 | tee log; docker build -o type=registry ../web"
    first, second = find_build_commands(text)
    assert first.env == {"DOCKER_DEFAULT_PLATFORM": "linux/arm64"}
    assert (first.tags, first.context) == (["api"], ".")  # `2>&1` and `| tee` are not arguments
    assert text[first.start : first.end] == "DOCKER_DEFAULT_PLATFORM=linux/arm64 docker build -tapi . 2>&1"
    assert (second.context, second.pushes) == ("../web", True)


def test_unknown_flags_are_tolerated() -> None:
    cmd = parse_build_command("docker buildx build --future-flag=x --another --platform=linux/arm64 -q ctx")
    assert cmd is not None
    assert (cmd.platforms, cmd.context) == (["linux/arm64"], "ctx")


def test_quotes_escapes_and_substitutions_stay_one_word() -> None:
    cmd = parse_build_command("docker build -t \"$(git rev-parse --short HEAD | tr a b)\" --label 'a b' \\$x")
    assert cmd is not None
    assert cmd.tags == ["$(git rev-parse --short HEAD | tr a b)"]
    assert cmd.context == "$x"


def test_expander_resolves_values_but_not_the_span() -> None:
    cmd = parse_build_command(
        "docker build --platform $PLATFORM .", expand=lambda s: s.replace("$PLATFORM", "linux/arm64")
    )
    assert cmd is not None and cmd.platforms == ["linux/arm64"]


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ('docker build "unterminated', "unterminated"),
        ("docker build $(oops", "$(oops"),
        ("docker build 'x", "x"),
        ("\\", None),
        ("", None),
    ],
)
def test_malformed_input_is_read_as_far_as_it_goes(text: str, context: str | None) -> None:
    """An unterminated quote or substitution still yields the build (its context is the rest of the
    line), the masker changes nothing without a build argument, and the platform goes after `build`."""
    commands = find_build_commands(text)
    assert [c.context for c in commands] == ([context] if context is not None else [])
    assert hide_build_values(text) == text
    pinned = with_platform(text, "linux/arm64")
    assert pinned == (
        text.replace("docker build ", "docker build --platform linux/arm64 ", 1) if context else text
    )


@pytest.mark.parametrize(
    ("line", "context", "open_words"),
    [
        ("docker build $FLAGS .", ".", ["$FLAGS"]),
        ("docker build . ${EXTRA} $(flags) `more`", ".", ["${EXTRA}", "$(flags)", "`more`"]),
        ('docker build "${args[@]}" -t x .', ".", ["${args[@]}"]),
        ("docker build ${{ inputs.flags }} .", ".", ["${{ inputs.flags }}"]),
        ("docker build $FLAGS $DIR", "$DIR", ["$FLAGS"]),  # the last of several is the context
        ('docker build "$@"', "$@", ["$@"]),  # a word list may hold options and the context
        ("docker build -t $IMAGE $DIR", "$DIR", []),  # alone, an expansion is the context
        ("docker build -t x $DIR/app", "$DIR/app", []),
        ("docker build $((1+1)) .", "$((1+1))", []),  # arithmetic is a number
    ],
)
def test_expansions_beside_the_context_may_hold_options(
    line: str, context: str, open_words: list[str]
) -> None:
    cmd = parse_build_command(line)
    assert cmd is not None and (cmd.context, cmd.open_words) == (context, open_words)


def test_with_platform_inserts_after_the_subcommand() -> None:
    assert (
        with_platform("docker build -t app .", "linux/arm64")
        == "docker build --platform linux/arm64 -t app ."
    )


def test_with_platform_replaces_every_existing_platform_flag() -> None:
    line = "docker buildx build --platform=linux/amd64 -t app --platform linux/386 ."
    assert with_platform(line, "linux/arm64") == "docker buildx build --platform linux/arm64 -t app ."


def test_with_platform_single_manifest_switches_attestations_off() -> None:
    line = "docker buildx build --provenance=mode=max --sbom=true --attest type=sbom -t app --push ."
    assert (
        with_platform(line, "linux/arm64", single_manifest=True)
        == "docker buildx build --platform linux/arm64 --provenance=false --sbom=false -t app --push ."
    )
    assert (
        with_platform("docker build .", "linux/amd64", single_manifest=True)
        == "docker build --platform linux/amd64 --provenance=false ."
    )


def test_with_platform_leaves_other_commands_alone() -> None:
    assert with_platform("make build", "linux/arm64") == "make build"


def test_hide_build_values_hides_build_arg_values_and_env_prefixes() -> None:
    line = 'NPM_TOKEN=s3cr3t DOCKER_BUILDKIT=1 docker build --build-arg TOKEN="a b" --build-arg=KEY=v --build-arg FROM_ENV .'
    assert (
        hide_build_values(line)
        == "NPM_TOKEN=*** DOCKER_BUILDKIT=1 docker build --build-arg TOKEN=*** --build-arg=KEY=*** --build-arg FROM_ENV ."
    )


def test_one_line_folds_continuations() -> None:
    assert one_line("docker build \\\n    -t app \\\n    .") == "docker build -t app ."


@pytest.mark.parametrize(
    ("line", "default", "expected"),
    [
        ("docker buildx build --push .", True, True),  # caller knows the builder adds provenance
        ("docker buildx build --push .", None, None),
        ("docker buildx build --provenance=false --push .", True, False),
        ("docker buildx build --provenance=false --sbom=true .", None, True),
        ("docker buildx build --attest type=provenance,mode=max .", None, True),
        ("docker buildx build --attest type=provenance,disabled=true --provenance=false .", True, False),
        ("BUILDX_NO_DEFAULT_ATTESTATIONS=1 docker buildx build --push .", True, False),
    ],
)
def test_attestations(line: str, default: bool | None, expected: bool | None) -> None:
    cmd = parse_build_command(line)
    assert cmd is not None
    assert attestations(cmd, default) is expected


# Lines that once made the rest of a script one long word (every build after them was lost).
_NESTED_QUOTING = {
    "double quotes in a substitution": 'A=$(echo "$A" | tr -d "\'\\"")',
    "single quote in a substitution in double quotes": 'A="$(echo "it\'s")"',
    "ANSI-C quote with an escaped quote": "A=$'it\\'s'",
    "ANSI-C quote in a substitution": "A=$(printf $'a\\'b')",
    "comment with a quote in a substitution": "A=$(echo a # it's\n)",
    "case pattern in a substitution": 'A=$(case $b in a) echo "\'";; esac)',
    "quoted here-document delimiter": "cat <<'EOF'\nit's \"x\" $(\nEOF",
    "here-document fed to a program": "psql <<EOF\nSELECT 'it''s;\nEOF",
    "here-document with <<-": 'cat <<-"END"\n\tdon\'t\n\tEND',
    "here-document in a substitution": "A=$(cat <<EOF\nit's\nEOF\n)",
    "arithmetic": "echo $(( (1 << 2) * 3 ))",
    "unterminated single quote": "echo it's",
    "unterminated double quote": 'echo "abc',
    "unterminated substitution": "A=$(echo a",
    "unterminated backtick": "A=`echo a",
}


@pytest.mark.parametrize("line", _NESTED_QUOTING.values(), ids=list(_NESTED_QUOTING))
def test_nested_quoting_does_not_hide_the_builds_after_it(line: str) -> None:
    commands = find_build_commands(line + "\ndocker build -t app:v1 .\n")
    assert [c.tags for c in commands] == [["app:v1"]]


def test_quotes_nest_inside_substitutions() -> None:
    cmd = parse_build_command('docker build -t "$(echo "$N" | tr -d "\'")" --label $\'a\\\'b\' .')
    assert cmd is not None and cmd.tags == ['$(echo "$N" | tr -d "\'")'] and cmd.context == "."


def test_here_document_bodies_are_data_unless_a_shell_reads_them() -> None:
    text = "cat > b.txt <<EOF\ndocker build -t data .\nEOF\nssh host bash <<'EOF'\ndocker build -t remote .\nEOF\n"
    assert [c.tags for c in find_build_commands(text)] == [["remote"]]


@pytest.mark.parametrize(
    "text",
    [
        'echo "$(\n' * 20_000,  # every line opens a substitution that never closes
        "cat <<X\n" * 20_000,  # here-documents that never end
        '"$(' * 50_000,  # deep nesting
        "$(\n" + "a <<X\n" * 20_000,
    ],
)
def test_hostile_quoting_costs_linear_time(text: str) -> None:
    import time

    started = time.monotonic()
    find_build_commands(text + "\ndocker build .\n")
    assert time.monotonic() - started < 20
