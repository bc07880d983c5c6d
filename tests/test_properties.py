"""Property-based tests: the parsers never crash, and normalisation is stable."""

from __future__ import annotations

import contextlib
import string
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archmatch.config import ConfigError, parse_config
from archmatch.extract import yamlsafe
from archmatch.extract.dockerfile import analyse
from archmatch.model import Finding, RepoFacts
from archmatch.platforms import (
    KNOWN_ARCHS,
    KNOWN_OS,
    arch_of,
    arch_of_image_ref,
    parse_platform,
    parse_platform_list,
)
from archmatch.rules import all_rules
from archmatch.safetext import mask_secrets

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- platforms --------------------------------------------------------------------------------

_ARCH_WORDS = [
    *KNOWN_ARCHS,
    "x86_64",
    "X86-64",
    "aarch64",
    "AARCH64",
    "armhf",
    "armel",
    "i386",
    "i686",
    "x64",
    "arm_64",
]
_OS_WORDS = [*KNOWN_OS, "macos", "Linux", "WINDOWS"]
_VARIANTS = ["", "v5", "v6", "v7", "v8", "8", "v8.0", "v9", "9.0", "V2", "v3", "v1", "7", "x"]
platform_like = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=string.ascii_letters + string.digits + "/_.-$ {}'\"\n", max_size=30),
    st.builds(lambda a: a, st.sampled_from(_ARCH_WORDS)),
    st.builds(lambda o, a: f"{o}/{a}", st.sampled_from(_OS_WORDS), st.sampled_from(_ARCH_WORDS)),
    st.builds(
        lambda o, a, v: f"{o}/{a}/{v}",
        st.sampled_from(_OS_WORDS),
        st.sampled_from(_ARCH_WORDS),
        st.sampled_from(_VARIANTS),
    ),
)


@SETTINGS
@given(platform_like)
@example("linux/arm64/v8")
@example("linux/arm/7")
@example("linux/armhf/v6")
@example("  'LINUX/AMD64/V1'  ")
def test_parse_platform_never_crashes_and_is_idempotent(value: str) -> None:
    parsed = parse_platform(value)
    if parsed is None:
        return
    assert parsed.arch in KNOWN_ARCHS and parsed.os in KNOWN_OS
    assert parse_platform(str(parsed)) == parsed
    assert arch_of(str(parsed)) == arch_of(value)


@SETTINGS
@given(st.one_of(st.text(max_size=40), st.lists(platform_like, max_size=5)))
def test_parse_platform_list_never_crashes(value: str | list[str]) -> None:
    archs, bad = parse_platform_list(value)
    assert len(set(archs)) == len(archs)
    assert all(isinstance(b, str) and b for b in bad)


image_ref_like = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda reg, ns, name, tag: f"{reg}{ns}{name}{tag}",
        st.sampled_from(
            [
                "",
                "docker.io/",
                "index.docker.io/",
                "public.ecr.aws/",
                "localhost:5000/",
                "123.dkr.ecr.us-east-1.amazonaws.com/",
            ]
        ),
        st.sampled_from(["", "arm64v8/", "amd64/", "lambda/", "library/", "i386/", "winamd64/"]),
        st.text(alphabet=string.ascii_lowercase + "-_./", min_size=1, max_size=12),
        st.sampled_from(
            ["", ":latest", ":3.12-arm64", ":3.12-x86_64", "@sha256:abc", ":1@sha256:abc", ":${TAG}"]
        ),
    ),
)


@SETTINGS
@given(image_ref_like)
@example("public.ecr.aws/lambda/python:3.12-arm64")
@example("docker.io/arm64v8/alpine")
def test_arch_of_image_ref_never_crashes(ref: str) -> None:
    got = arch_of_image_ref(ref)
    if got is not None:
        arch, reason = got
        assert arch in KNOWN_ARCHS or arch_of(arch) is not None
        assert reason


# --- Dockerfiles ------------------------------------------------------------------------------

_IMAGES = [
    "alpine:3.20",
    "scratch",
    "arm64v8/alpine",
    "public.ecr.aws/lambda/python:3.12-arm64",
    "golang:1.22",
    "${BASE}",
    "$BASE",
    "build",
    "base",
    "0",
]
_PLATFORMS = [
    "",
    "--platform=$BUILDPLATFORM ",
    "--platform=$TARGETPLATFORM ",
    "--platform=linux/amd64 ",
    "--platform=linux/arm64 ",
    "--platform=${P:-linux/amd64} ",
    "--platform= ",
    "--platform=bogus ",
]
instruction = st.one_of(
    st.builds(
        lambda p, i, a: f"FROM {p}{i}{a}",
        st.sampled_from(_PLATFORMS),
        st.sampled_from(_IMAGES),
        st.sampled_from(["", " AS build", " AS base", " as final", " AS"]),
    ),
    st.sampled_from(
        [
            "ARG TARGETARCH",
            "ARG BUILDPLATFORM",
            "ARG BASE=alpine",
            "ARG P=linux/arm64",
            "ARG",
            "ENV GOARCH=amd64",
            "ENV GOARCH amd64",
            "RUN GOOS=linux GOARCH=amd64 go build -o /app .",
            "RUN GOARCH=$TARGETARCH go build .",
            "RUN curl -LO https://x/tool_linux_amd64.tar.gz",
            "RUN <<EOF",
            "RUN <<-'EOT' bash",
            "EOF",
            "EOT",
            "COPY --from=build /app /app",
            "COPY --from=0 /a /b",
            "COPY --from= /a /b",
            "RUN echo a \\",
            "\\",
            "  && echo b",
            "# escape=`",
            "# syntax=docker/dockerfile:1",
            "# hadolint ignore=DL3006",
            "# archmatch ignore=ARCH101",
            "",
            "RUN dpkg --print-architecture",
            "ONBUILD RUN x",
            "HEALTHCHECK NONE",
            'CMD ["x"',
            "ENTRYPOINT",
            "USER",
            'RUN ["sh", "-c", "GOARCH=arm64 go build"]',
            "LABEL a=b \\",
            "RUN --mount=type=cache,target=/x go build",
        ]
    ),
    st.text(max_size=40),
)


def _run_rules(facts: RepoFacts) -> list[Finding]:
    found: list[Finding] = []
    for rule in all_rules():
        found.extend(rule.check(facts))
    return found


@SETTINGS
@given(st.lists(instruction, max_size=25), st.sampled_from(["\n", "\r\n"]))
def test_dockerfile_analysis_never_crashes(lines: list[str], newline: str) -> None:
    text = newline.join(lines)
    diagnostics: list[tuple[str, int]] = []
    analysis = analyse(
        "svc/Dockerfile",
        text.replace("\r\n", "\n"),
        lambda message, line: diagnostics.append((message, line)),
    )
    line_count = text.count("\n") + 1
    for message, line in diagnostics:
        assert isinstance(message, str) and message.strip()
        assert 0 <= line <= line_count + 1
    targets = [None, *(getattr(s, "name", None) for s in getattr(analysis, "stages", []))]
    for target in targets:
        facts = analysis.image_facts(target)
        if facts is not None:
            assert facts.path == "svc/Dockerfile"
            assert 0 <= facts.final_from.line <= line_count
    repo = RepoFacts(root=Path("."), files=["svc/Dockerfile"], dockerfiles={"svc/Dockerfile": analysis})
    for finding in _run_rules(repo):
        assert finding.location.path == "svc/Dockerfile"
        assert 0 <= finding.location.line <= line_count
        assert finding.message and finding.entity


# --- configuration ----------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=10))
yamlish = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=4),
    ),
    max_leaves=12,
)
_CONFIG_KEYS = [
    "ignored",
    "override",
    "failure-threshold",
    "exclude",
    "images",
    "error",
    "warning",
    "pattern",
    "dockerfile",
    "platforms",
    "context",
]
config_like = st.one_of(
    yamlish,
    st.dictionaries(st.sampled_from(_CONFIG_KEYS), yamlish, max_size=5),
    st.dictionaries(
        st.sampled_from(_CONFIG_KEYS),
        st.dictionaries(st.sampled_from(_CONFIG_KEYS), yamlish, max_size=3),
        max_size=3,
    ),
    st.builds(
        lambda items: {"images": items},
        st.lists(st.dictionaries(st.sampled_from(_CONFIG_KEYS), yamlish, max_size=4), max_size=3),
    ),
)


@SETTINGS
@given(config_like)
@example({"images": 5})
@example({"override": {"error": 5}})
@example({"exclude": [1, 2]})
@example({"images": [{"pattern": "x", "dockerfile": "y", "platforms": 5}]})
def test_parse_config_raises_only_config_error(data: object) -> None:
    with contextlib.suppress(ConfigError):
        parse_config(data, ".archmatch.yaml")


@SETTINGS
@given(st.text(max_size=200))
def test_yaml_loader_raises_only_yaml_error(text: str) -> None:
    try:
        yamlsafe.load_all(text)
    except yamlsafe.YamlError as exc:
        # a line of the text (1-based; YAML also breaks lines at CR, NEL, LS), or 0 when unknown
        assert 0 <= exc.line <= len(text.splitlines()) + 1, (exc.line, text)
        assert str(exc)


@SETTINGS
@given(st.text(max_size=120))
def test_masking_is_idempotent(text: str) -> None:
    once = mask_secrets(text)
    assert mask_secrets(once) == once
