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
