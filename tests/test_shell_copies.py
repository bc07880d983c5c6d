"""Copies a shell text makes before a docker build (`extract/builds/_copies.py`): which repository
file a copied path comes from, for `cp`, `cp -r`, globs and `rsync`, and when it stays unknown."""

from __future__ import annotations

import pytest

from archmatch.extract.builds._common import LineMap
from archmatch.extract.builds._copies import origin
from archmatch.extract.builds._shellscan import ShellState, scan

REPO_FOLDERS = {".", "docker", "src", "src/app"}


def source_of(text: str, path: str) -> str | None:
    state = ShellState(path="build.sh", script_dir=".", cwd=".")
    scan(text, state, LineMap(text))
    found = origin(path, state.copies.start.copies, REPO_FOLDERS.__contains__)
    return found.source if found is not None else None


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("cp docker/Dockerfile work/", "work/Dockerfile", "docker/Dockerfile"),
        ("cp docker/Dockerfile.jvm work/Dockerfile", "work/Dockerfile", "docker/Dockerfile.jvm"),
        ("mkdir -p tmp && cd tmp && cp ../docker/Dockerfile ./", "tmp/Dockerfile", "docker/Dockerfile"),
        # `cp -r SRC DST`: DST becomes the copy when it does not exist, holds SRC/ when it does
        ("cp -r docker build", "build/Dockerfile", "docker/Dockerfile"),
        ("mkdir -p build && cp -r docker build", "build/docker/Dockerfile", "docker/Dockerfile"),
        ("cp -r docker src", "src/docker/Dockerfile", "docker/Dockerfile"),
        ("cp -r docker/* build/", "build/Dockerfile", "docker/Dockerfile"),
        ("cp docker/Docker* build/", "build/Dockerfile", "docker/Dockerfile"),
        # rsync: `src/` copies the contents, `src` the folder itself
        ("rsync -a docker/ build/", "build/Dockerfile", "docker/Dockerfile"),
        ("rsync -a --exclude '*.md' docker build/", "build/docker/Dockerfile", "docker/Dockerfile"),
        ("cp -t build docker/Dockerfile", "build/Dockerfile", "docker/Dockerfile"),
        ("cp docker/Dockerfile work/ 2>/dev/null", "work/Dockerfile", "docker/Dockerfile"),  # a redirection
        # a list that runs on only if the script works: the copy runs (a test before it ended its list)
        (
            "mkdir -p work && cp docker/Dockerfile work/ && docker build work",
            "work/Dockerfile",
            "docker/Dockerfile",
        ),
        ("TAG=1 && cp docker/Dockerfile work/", "work/Dockerfile", "docker/Dockerfile"),
        # the script goes on only if the copy worked
        ("cp docker/Dockerfile work/ || exit 1", "work/Dockerfile", "docker/Dockerfile"),
        ("cp docker/Dockerfile work/ || return 1", "work/Dockerfile", "docker/Dockerfile"),
        (
            "cp docker/Dockerfile work/ || { echo 'no Dockerfile' >&2; exit 1; }",
            "work/Dockerfile",
            "docker/Dockerfile",
        ),
        ("./mvnw package && cp docker/Dockerfile work/", "work/Dockerfile", "docker/Dockerfile"),
        ("COPY=1\n((COPY)) && cp docker/Dockerfile work/", "work/Dockerfile", "docker/Dockerfile"),
        (
            "f() {\n  mkdir -p work && cp docker/Dockerfile work/\n}\nf",
            "work/Dockerfile",
            "docker/Dockerfile",
        ),
        ("test -f VERSION && echo found\ncp docker/Dockerfile work/", "work/Dockerfile", "docker/Dockerfile"),
        # copies of copies
        ("cp docker/Dockerfile stage/\ncp -r stage/* build/", "build/Dockerfile", "docker/Dockerfile"),
    ],
)
def test_the_copied_file_comes_from_its_source(text: str, path: str, expected: str) -> None:
    assert source_of(text, path) == expected


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("cp docker/Dockerfile work/\ncp $OTHER/* work/", "work/Dockerfile"),  # a variable may overwrite it
        ('if [ -n "$X" ]; then cp docker/Dockerfile work/; fi', "work/Dockerfile"),  # may not run
        ("cp docker/Dockerfile work/", "work/other/Dockerfile"),
        ("cp docker/* build/", "build/sub/Dockerfile"),  # not recursive
        ("rsync -a host:docker/ build/", "build/Dockerfile"),  # remote
        # filters that may leave the Dockerfile out: the build's Dockerfile comes from elsewhere
        ("rsync -a --exclude=Dockerfile docker/ build/", "build/Dockerfile"),
        ("rsync -a --exclude 'Docker*' docker/ build/", "build/Dockerfile"),
        ("rsync -a --exclude-from=.rsyncignore docker/ build/", "build/Dockerfile"),
        ("rsync -a --filter=':- .gitignore' docker/ build/", "build/Dockerfile"),
        # a copy that may not run: after a test in its and-or list, after `||`, or allowed to fail
        ("test -f docker/Dockerfile && cp docker/Dockerfile work/", "work/Dockerfile"),
        ("[ -f docker/Dockerfile ] && cp docker/Dockerfile work/", "work/Dockerfile"),
        ("[[ -f docker/Dockerfile ]] &&\\\n  cp docker/Dockerfile work/", "work/Dockerfile"),
        ("grep -q arm64 config && mkdir -p work && cp docker/Dockerfile work/", "work/Dockerfile"),
        ("test -f work/Dockerfile || cp docker/Dockerfile work/", "work/Dockerfile"),
        ("((COPY)) && cp docker/Dockerfile work/", "work/Dockerfile"),  # COPY comes from the caller
        ("COPY=0\n((COPY)) && cp docker/Dockerfile work/", "work/Dockerfile"),
        ("f() {\n  [ -f x ] && cp docker/Dockerfile work/\n}\nf", "work/Dockerfile"),
        ("[ -f x ] && { cp docker/Dockerfile work/; }", "work/Dockerfile"),
        ("command -v podman && cp docker/Dockerfile work/", "work/Dockerfile"),
        ("cp docker/Dockerfile work/ || true", "work/Dockerfile"),
        ("cp docker/Dockerfile work/ || { echo 'no Dockerfile' >&2; }", "work/Dockerfile"),
        ("{ mkdir -p work; cp docker/Dockerfile work/; } || true", "work/Dockerfile"),
        ("cp docker/Dockerfile work/ 2>/dev/null || echo 'no Dockerfile'", "work/Dockerfile"),
    ],
)
def test_unknown_or_conditional_copies_leave_the_path_unresolved(text: str, path: str) -> None:
    assert source_of(text, path) is None
