"""The search for docker builds that no build source reads (archmatch/extract/builds/unread.py)."""

from __future__ import annotations

import pytest

from archmatch.extract.builds.unread import first_build_line


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (b"x = 1\nrun(f'docker build --platform {p} -t {tag} .')\n", 2),
        (b'subprocess.run(["docker", "build", "-t", tag, "."])\n', 1),
        (b'cmd := exec.Command("docker", "buildx", "build", ".")\n', 1),
        (b"sh 'podman image build -t x .'\n", 1),
        (b"# docker build -t x .\n  // docker build .\n", 0),  # comments describe, they do not run
        (b"docker compose build\n", 0),  # a compose build: the compose extractor reads compose files
        (b"print('docker builder prune')\n", 0),
        (b"def build(client):\n    client.images.build(path='.', tag=tag)\n", 2),  # the Docker SDK
        (b"gallery.images.built(x)\n", 0),
    ],
)
def test_first_build_line(text: bytes, line: int) -> None:
    assert first_build_line(text) == line


@pytest.mark.parametrize(
    ("text", "line", "elsewhere"),
    [
        # a docstring is prose: "the machine where docker build ran" runs nothing
        (b'"""Pick arm64 or x86_64 after where docker build have been executed."""\nx = 1\n', 0, 1),
        (b'def f():\n    """\n    docker build -t x .\n    """\n    return 1\n', 0, 3),
        # a string that is an argument, after a docstring, still runs
        (b'"""Builds."""\nimport os\nos.system("docker build -t x .")\n', 3, 3),
        # a file that does not parse: every match counts, as in other languages
        (b'"""docker build here"""\nprint "py2"\n', 1, 1),
    ],
)
def test_python_docstrings_are_not_builds(text: bytes, line: int, elsewhere: int) -> None:
    assert first_build_line(text, "tool.py") == line
    assert first_build_line(text, "tool.ts") == elsewhere  # other languages: every match counts
