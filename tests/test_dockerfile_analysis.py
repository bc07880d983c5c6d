"""Dockerfile analysis: instruction splitting, stages, ARG scope, platforms and image facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import analyze
from archmatch.extract.dockerfile import DockerfileAnalysis, analyse, is_dockerfile_name
from archmatch.extract.dockerfile.words import expand, var_refs
from archmatch.model import ArchEvidence, Location


def parse(text: str) -> tuple[DockerfileAnalysis, list[tuple[str, int]]]:
    diags: list[tuple[str, int]] = []
    return analyse("Dockerfile", text, lambda message, line: diags.append((message, line))), diags


def instructions(df: DockerfileAnalysis) -> list[tuple[str, int, int, str]]:
    return [(i.keyword, i.start, i.end, i.args) for i in df.lexed.instructions]


# --- names and discovery -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Dockerfile", True),
        ("svc/api/dockerfile", True),
        ("Containerfile", True),
        ("Dockerfile.prod", True),
        ("docker/app.Dockerfile", True),
        ("build/worker.dockerfile", True),
        ("Dockerfile.dockerignore", False),
        ("app.Dockerfile.dockerignore", False),
        ("Dockerfile-old", False),
        ("docs/dockerfiles.md", False),
    ],
)
def test_dockerfiles_are_recognised_by_name(path: str, expected: bool) -> None:
    assert is_dockerfile_name(path) is expected


def test_extract_finds_dockerfiles_anywhere_and_reports_binary_ones(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "api.Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / "Containerfile").write_bytes(b"FROM alpine\r\nRUN echo a \\\r\n  b\r\n")
    (tmp_path / "Dockerfile").write_bytes(b"\x7fELF\x00\x00binary")
    (tmp_path / "Dockerfile.dockerignore").write_text("node_modules\n")
    facts, _ = analyze(tmp_path, Config())
    assert sorted(facts.dockerfiles) == ["Containerfile", "svc/api.Dockerfile"]
    assert [(d.location, d.message) for d in facts.diagnostics] == [
        (Location("Dockerfile"), "binary file (NUL bytes); skipped")
    ]
    crlf = facts.dockerfiles["Containerfile"]
    assert isinstance(crlf, DockerfileAnalysis)
    assert instructions(crlf) == [("FROM", 1, 1, "alpine"), ("RUN", 2, 3, "echo a   b")]


# --- splitting ---------------------------------------------------------------------------


def test_continuations_skip_comments_and_blank_lines_as_buildkit_does() -> None:
    df, diags = parse("FROM alpine\nRUN apk add \\\n  # a comment inside\n  curl \\\n\n  jq\nUSER nobody\n")
    assert instructions(df) == [
        ("FROM", 1, 1, "alpine"),
        ("RUN", 2, 6, "apk add   curl   jq"),
        ("USER", 7, 7, "nobody"),
    ]
    run = df.lexed.instructions[1]
    assert run.position(run.args.index("jq")) == (6, 3)
    assert diags == []


def test_backtick_escape_directive_after_other_directives() -> None:
    text = "# syntax=docker/dockerfile:1\n# check=skip=all\n# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir c:\\ `\n  && echo done\n"
    df, _ = parse(text)
    assert df.lexed.escape == "`"
    assert instructions(df)[1] == ("RUN", 5, 6, "dir c:\\   && echo done")


def test_heredoc_bodies_are_not_instructions() -> None:
    text = (
        "FROM debian:12\n"
        "RUN <<EOF\n"
        "apt-get update\n"
        "apt-get install -y curl \\\n"
        "EOF\n"
        "COPY <<-'CONF' <<END /etc/\n"
        "\tkey=$TARGETARCH\n"
        "\tCONF\n"
        "second\n"
        "END\n"
        "USER nobody\n"
    )
    df, diags = parse(text)
    assert [(k, s, e) for k, s, e, _ in instructions(df)] == [
        ("FROM", 1, 1),
        ("RUN", 2, 5),
        ("COPY", 6, 10),
        ("USER", 11, 11),
    ]
    run, copy = df.lexed.instructions[1], df.lexed.instructions[2]
    assert run.heredocs[0].lines == ((3, "apt-get update"), (4, "apt-get install -y curl \\"))
    assert [(h.delimiter, h.quoted, h.lines) for h in copy.heredocs] == [
        ("CONF", True, ((7, "\tkey=$TARGETARCH"),)),
        ("END", False, ((9, "second"),)),
    ]
    assert diags == []
    assert df.stages[0].uses == []  # a quoted COPY heredoc is not expanded


def test_unterminated_heredoc_and_continuation_give_diagnostics() -> None:
    df, diags = parse("FROM alpine\nRUN <<EOF\necho hi\n")
    assert diags == [("unterminated heredoc: no line `EOF` closes the heredoc opened at line 2", 2)]
    assert df.lexed.instructions[1].heredocs[0].lines == ((3, "echo hi"), (4, ""))
    df, diags = parse("FROM alpine\nRUN apk add \\\n  curl \\")
    assert diags == [
        ("unterminated line continuation: the instruction at line 2 continues past the end of the file", 2)
    ]
    assert instructions(df)[1] == ("RUN", 2, 3, "apk add   curl ")


def test_no_from_is_a_diagnostic_not_an_error() -> None:
    df, diags = parse("# just a comment\nRUN echo hi\n")
    assert df.stages == [] and df.image_facts() is None
    assert diags == [
        ("RUN before the first FROM: BuildKit rejects it", 2),
        ("no FROM instruction: not a Dockerfile stage graph", 0),
    ]


# --- stages, ARG scope, platforms ---------------------------------------------------------


def test_stages_args_and_edges() -> None:
    text = (
        "ARG GO=1.23\n"
        "ARG TARGETARCH\n"
        "FROM --platform=$BUILDPLATFORM golang:${GO} AS Build\n"
        "RUN echo $TARGETARCH\n"
        "ARG TARGETOS TARGETARCH=ignored\n"
        "RUN echo ${TARGETOS}/${TARGETARCH:-x}\n"
        "FROM build AS test\n"
        "RUN --mount=type=bind,from=build,source=/out,target=/in echo $BUILDARCH\n"
        "FROM alpine:3.20\n"
        "COPY --from=0 /a /a\n"
        "COPY --from=busybox:1.36 /bin/busybox /bin/\n"
    )
    df, _ = parse(text)
    assert sorted(df.global_args) == ["GO", "TARGETARCH"]
    build, test, final = df.stages
    assert (build.name, build.label, build.base, build.base_resolved, build.parent) == (
        "build",
        '"build"',
        "golang:${GO}",
        "golang:1.23",
        None,
    )
    assert (test.parent, df.chain(test)) == (0, [test, build])
    assert [(a.name, a.default, a.line) for a in build.args] == [
        ("TARGETOS", None, 5),
        ("TARGETARCH", "ignored", 5),
    ]
    assert [(u.name, u.line, u.in_scope) for u in build.uses] == [
        ("TARGETARCH", 4, False),
        ("TARGETOS", 6, True),
        ("TARGETARCH", 6, True),
    ]
    assert [(u.name, u.line, u.column, u.in_scope) for u in test.uses] == [("BUILDARCH", 8, 62, False)]
    assert [(e.source, e.stage, e.line, e.keyword) for e in test.edges] == [("build", 0, 8, "RUN --mount")]
    assert [(e.source, e.stage) for e in final.edges] == [("0", 0), ("busybox:1.36", None)]
    assert df.sources(final) == {0: final.edges[0]}
    assert df.stage_for("BUILD") is build and df.stage_for(None) is final and df.stage_for("nope") is None


@pytest.mark.parametrize(
    ("prelude", "flag", "kind", "arch", "certain"),
    [
        ("", "linux/amd64", "const", "amd64", True),
        ("", "linux/arm64/v8", "const", "arm64", True),
        ("", "$BUILDPLATFORM", "build", None, False),
        ("", "${BUILDPLATFORM:-linux/amd64}", "build", None, False),
        ("", "$TARGETPLATFORM", "target", None, False),
        ("", "linux/$TARGETARCH", "target", None, False),
        ("", "$TARGETOS/arm64", "const", "arm64", True),
        ("ARG PLAT=linux/arm64\n", "$PLAT", "const", "arm64", False),
        ("ARG PLAT\n", "$PLAT", "unknown", None, False),
        ("", "$UNDECLARED", "unknown", None, False),
    ],
)
def test_from_platform_resolution(
    prelude: str, flag: str, kind: str, arch: str | None, certain: bool
) -> None:
    df, _ = parse(f"{prelude}FROM --platform={flag} alpine\n")
    platform = df.stages[0].platform
    assert (platform.raw, platform.kind, platform.arch, platform.certain) == (flag, kind, arch, certain)


def test_pin_and_base_image_follow_the_stage_chain() -> None:
    df, _ = parse(
        "ARG BASE=arm64v8/node:20\nFROM --platform=linux/arm64 ${BASE} AS base\nFROM base AS app\nFROM app\n"
    )
    final = df.stages[-1]
    assert df.pin(final) == ArchEvidence(
        "arm64", Location("Dockerfile", 2), "FROM --platform=linux/arm64 ${BASE}", True
    )
    assert df.base_arch(final) == ArchEvidence(
        "arm64",
        Location("Dockerfile", 2),
        "FROM arm64v8/node:20: Docker Hub architecture namespace arm64v8/",
        False,
    )


def test_var_refs_and_expand() -> None:
    refs = [(r.name, r.modifier, r.word) for r in var_refs("a $A ${B:-x${C}} \\$D ${E+y}")]
    assert refs == [("A", "", ""), ("B", ":-", "x${C}"), ("C", "", ""), ("E", "+", "y")]
    values = {"A": "1", "E": ""}
    assert expand("$A-${B:-x${A}}-${E:+set}-${E+set}-$Z", values.get) == ("1-x1--set-", {"Z"})


# --- image facts for realistic Dockerfiles ------------------------------------------------

GO_RIGHT = """\
FROM --platform=$BUILDPLATFORM golang:1.23 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/server .
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/server /server
"""

GO_WRONG = """\
FROM --platform=$BUILDPLATFORM golang:1.23 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 GOOS=linux \\
    go build -o /out/server .
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/server /server
"""

LAMBDA_ARM64 = """\
FROM public.ecr.aws/lambda/python:3.12-arm64
RUN pip install --platform manylinux2014_x86_64 --only-binary=:all: --target /var/task requests
"""

NODE = """\
FROM node:22 AS deps
COPY package*.json ./
RUN npm ci
FROM --platform=$BUILDPLATFORM node:22 AS assets
RUN npm install && npm run build
FROM node:22-slim
COPY --from=deps /node_modules /app/node_modules
COPY --from=assets /dist /app/dist
"""

RUST = """\
FROM --platform=$BUILDPLATFORM rust:1.80 AS build
RUN rustup target add aarch64-unknown-linux-musl
RUN cargo build --release --target aarch64-unknown-linux-musl
FROM scratch
COPY --from=build /target/aarch64-unknown-linux-musl/release/app /app
"""

DOTNET = """\
FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
RUN dotnet publish -c Release -r linux-x64 -o /app
FROM mcr.microsoft.com/dotnet/aspnet:8.0
COPY --from=build /app /app
"""

DISTROLESS_FROM_BUILDPLATFORM = """\
FROM --platform=$BUILDPLATFORM gcc:14 AS build
COPY main.c .
RUN gcc -O2 -static -o /out/app main.c
FROM --platform=$BUILDPLATFORM gcr.io/distroless/static-debian12
COPY --from=build /out/app /app
"""


def facts_of(text: str, target: str | None = None) -> dict[str, object]:
    df, diags = parse(text)
    assert diags == []
    image = df.image_facts(target)
    assert image is not None
    return {
        "final": image.final_stage,
        "pinned": image.pinned and (image.pinned.arch, image.pinned.location.line, image.pinned.certain),
        "buildplatform": image.from_buildplatform and image.from_buildplatform.line,
        "base": image.base_arch and (image.base_arch.arch, image.base_arch.certain),
        "hardcoded": [(e.arch, e.location.line, e.certain) for e in image.hardcoded],
        "host": [loc.line for loc in image.host_binaries],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GO_RIGHT,
            {"final": "1", "pinned": None, "buildplatform": None, "base": None, "hardcoded": [], "host": []},
        ),
        (
            GO_WRONG,
            {"final": "1", "pinned": None, "buildplatform": None, "base": None, "hardcoded": [], "host": [5]},
        ),
        (
            LAMBDA_ARM64,
            {
                "final": "0",
                "pinned": None,
                "buildplatform": None,
                "base": ("arm64", True),
                "hardcoded": [("amd64", 2, True)],
                "host": [],
            },
        ),
        # npm ci in a target stage is fine; npm install on $BUILDPLATFORM builds host-arch modules
        (
            NODE,
            {"final": "2", "pinned": None, "buildplatform": None, "base": None, "hardcoded": [], "host": [5]},
        ),
        # the rust binary is arm64 whatever is requested; the COPY path is judged in its own stage
        (
            RUST,
            {
                "final": "1",
                "pinned": None,
                "buildplatform": None,
                "base": None,
                "hardcoded": [("arm64", 2, True), ("arm64", 3, True)],
                "host": [],
            },
        ),
        (
            DOTNET,
            {
                "final": "1",
                "pinned": None,
                "buildplatform": None,
                "base": None,
                "hardcoded": [("amd64", 2, True)],
                "host": [],
            },
        ),
        (
            DISTROLESS_FROM_BUILDPLATFORM,
            {"final": "1", "pinned": None, "buildplatform": 4, "base": None, "hardcoded": [], "host": [3]},
        ),
    ],
    ids=["go-right", "go-wrong", "lambda-arm64", "node", "rust", "dotnet", "distroless-buildplatform"],
)
def test_image_facts(text: str, expected: dict[str, object]) -> None:
    assert facts_of(text) == expected


def test_target_selects_the_stage_and_its_sources() -> None:
    text = (
        GO_WRONG
        + "FROM --platform=linux/amd64 alpine:3.20 AS debug\nRUN wget https://example.com/tool_linux_arm64.tgz\n"
    )
    assert facts_of(text)["pinned"] == ("amd64", 8, True)
    assert facts_of(text)["hardcoded"] == [("arm64", 9, True)]
    assert facts_of(text, "build") == {
        "final": "build",
        "pinned": None,
        "buildplatform": 1,
        "base": None,
        "hardcoded": [],
        "host": [],
    }
    assert parse(text)[0].image_facts("missing") is None


def test_hardcoding_ignores_choices_and_variables() -> None:
    text = (
        "FROM debian:12\n"
        "ARG TARGETARCH\n"
        "RUN curl -o /k https://dl.k8s.io/bin/linux/${TARGETARCH}/kubectl\n"
        'RUN case "$(uname -m)" in x86_64) f=tool-x86_64.tgz ;; aarch64) f=tool-aarch64.tgz ;; esac\n'
        "RUN apt-get install -y gcc-aarch64-linux-gnu && echo arm64\n"
        "ENV LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu\n"
        "COPY bin/app-arm64 /usr/local/bin/app\n"
    )
    assert facts_of(text)["hardcoded"] == [("amd64", 6, True), ("arm64", 7, True)]


def test_out_of_scope_target_arg_means_host_binaries() -> None:
    text = GO_RIGHT.replace("ARG TARGETOS TARGETARCH\n", "")
    df, _ = parse(text)
    assert [(u.name, u.in_scope) for u in df.stages[0].uses] == [("TARGETOS", False), ("TARGETARCH", False)]
    assert facts_of(text)["host"] == [4]
