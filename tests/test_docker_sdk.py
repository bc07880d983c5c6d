"""Docker builds made through the Docker SDK for Python (archmatch/extract/builds/docker_sdk.py): which
calls count, how their arguments are read, and what stays unknown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_build_sources import tree

from archmatch.model import ImageBuild
from archmatch.platforms import How

ECR = "111122223333.dkr.ecr.us-east-1.amazonaws.com"


def _builds(tmp_path: Path, text: str, name: str = "tools/release.py") -> list[ImageBuild]:
    return tree(tmp_path, {name: text}).builds


def test_images_build_keywords_are_read_without_running_the_file(tmp_path: Path) -> None:
    text = (
        "import docker\n"
        "raise SystemExit('never run')\n"
        f'REPO = "{ECR}/api"\n'
        "client = docker.from_env()\n"
        "client.images.build(\n"
        '    path="services/api",\n'
        '    dockerfile="docker/Dockerfile.prod",\n'
        '    tag=f"{REPO}:1.2",\n'
        '    target="runtime",\n'
        '    buildargs={"VERSION": "1.2", "MODE": "prod"},\n'
        '    platform="linux/arm64",\n'
        ")\n"
    )
    (build,) = _builds(tmp_path, text)
    assert (build.source, build.location.line, build.fix_syntax) == ("python", 5, "docker-sdk-py")
    assert build.context == "services/api"
    assert build.dockerfile == "services/api/docker/Dockerfile.prod"  # relative to path, unlike -f
    assert build.tags == [f"{ECR}/api:1.2"] and build.target == "runtime"
    assert build.build_args == frozenset({"VERSION", "MODE"})
    assert build.platforms.how is How.EXPLICIT and build.platforms.archs == {"arm64"}
    assert build.platform_location is not None and build.platform_location.line == 11


def test_without_platform_the_engine_decides_and_docker_default_platform_is_not_read(tmp_path: Path) -> None:
    text = (
        "import os, docker\n"
        'os.environ["DOCKER_DEFAULT_PLATFORM"] = "linux/amd64"\n'
        'docker.from_env().images.build(path=".", tag="app")\n'
    )
    (build,) = _builds(tmp_path, text)
    assert build.platforms.how is How.HOST and "Docker engine" in build.platforms.note
    assert build.context == "." and build.dockerfile == "Dockerfile"
    assert build.build_args == frozenset()


def test_low_level_client_by_position_and_the_tags_given_afterwards(tmp_path: Path) -> None:
    text = (
        "import docker\n"
        "from docker import APIClient\n"
        f'ECR = "{ECR}"\n'
        "def main():\n"
        "    client = docker.from_env()\n"
        '    image, logs = client.images.build(path="web", tag="web:dev")\n'
        '    image.tag(f"{ECR}/web", tag="2.0")\n'
        "    low = APIClient()\n"
        '    low.build("worker", "worker:dev", platform="linux/amd64")\n'
        '    low.tag("worker:dev", f"{ECR}/worker", "3.1")\n'
        '    low.tag("something-else:1", f"{ECR}/other", "1")\n'
        '    client.api.build(path="jobs", tag=f"{ECR}/jobs:1")\n'
        '    client.images.push(f"{ECR}/web", tag="2.0")\n'
    )
    builds = {b.context: b for b in _builds(tmp_path, text)}
    assert builds["web"].tags == ["web:dev", f"{ECR}/web:2.0"]
    assert builds["worker"].tags == ["worker:dev", f"{ECR}/worker:3.1"]
    assert builds["worker"].platforms.archs == {"amd64"}
    assert builds["worker"].name == "Python tools/release.py: docker SDK APIClient.build worker"
    assert builds["jobs"].tags == [f"{ECR}/jobs:1"]
    assert len(builds) == 3


def test_a_wrapper_is_read_once_per_call_with_its_parameters_bound(tmp_path: Path) -> None:
    text = (
        "import docker\n"
        f'REGISTRY = "{ECR}"\n'
        "ARM = 'linux/arm64'\n"
        "class Images:\n"
        "    def __init__(self):\n"
        "        self.client = docker.from_env()\n"
        "    def build(self, name, version, platform=ARM):\n"
        "        return self.client.images.build(\n"
        '            path=name, tag=f"{REGISTRY}/{name}:{version}", platform=platform)\n'
        "    def release(self, version):\n"
        '        self.build("api", version)\n'
        '        self.build("worker", version, platform="linux/amd64")\n'
        "def main():\n"
        '    Images().release("4.0")\n'
    )
    builds = {b.context: b for b in _builds(tmp_path, text)}
    assert builds["api"].tags == [f"{ECR}/api:4.0"] and builds["api"].platforms.archs == {"arm64"}
    assert builds["api"].platform_location is not None and builds["api"].platform_location.line == 3
    assert builds["api"].platform_via is not None and builds["api"].platform_via.line == 9
    assert builds["worker"].tags == [f"{ECR}/worker:4.0"] and builds["worker"].platforms.archs == {"amd64"}
    assert {b.location.line for b in builds.values()} == {8}


def test_parameters_no_call_binds_and_spread_options_stay_unknown(tmp_path: Path) -> None:
    text = (
        "import docker\n"
        "def build(client, tag, options):\n"
        '    client.images.build(path=".", tag=tag, **options)\n'
        "def build_for(client, tag, platform):\n"
        '    client.images.build(path="svc", tag=tag, platform=platform)\n'
    )
    builds = {b.context: b for b in _builds(tmp_path, text)}
    assert builds["."].tags == ["${tag}"]
    assert builds["."].platforms.how is How.UNKNOWN and builds["."].build_args is None
    assert builds["svc"].platforms.how is How.UNKNOWN


def test_only_docker_sdk_calls_count(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            # no `import docker`: some other library's images.build
            "gallery.py": 'import gallery\ngallery.images.build(path=".", tag="x")\n',
            # a build method of something that is not a low-level Docker client
            "setup_tool.py": 'import docker\nimport builder\nbuilder.Project().build("dist", "x")\n',
            "uses.py": 'import docker\nclient = docker.from_env()\nclient.images.build(fileobj=open("f"), tag="y")\n',
        },
    )
    (build,) = facts.builds
    assert build.location.path == "uses.py" and build.context is None and build.dockerfile is None


def test_list_workloads_shows_the_sdk_build_and_where_its_platform_comes_from(tmp_path: Path) -> None:
    (tmp_path / "ship.py").write_text(
        "import docker\n"
        'PLATFORM = "linux/amd64"\n'
        'docker.from_env().images.build(path=".", tag="a", platform=PLATFORM)\n'
        'docker.from_env().images.build(path="b", tag="b")\n'
    )
    out = subprocess.run(
        [sys.executable, "-m", "archmatch", "scan", str(tmp_path), "--list-workloads"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in out.splitlines() if line.startswith("ship.py")]
    assert len(lines) == 2, out
    assert "docker SDK images.build a" in lines[0] and "explicit @ ship.py:2 via ship.py:3" in lines[0]
    assert "host (no platform=: the Docker engine the Python program uses" in lines[1]


def test_path_is_read_from_the_program_folder_only_when_only_there_the_dockerfile_is(tmp_path: Path) -> None:
    program = (
        'import docker\ndocker.from_env().images.build(path=".", tag="a", dockerfile="Dockerfile.api")\n'
    )
    facts = tree(tmp_path / "beside", {"svc/deploy.py": program, "svc/Dockerfile.api": "FROM scratch\n"})
    assert [(b.context, b.dockerfile) for b in facts.builds] == [("svc", "svc/Dockerfile.api")]
    both = {
        "svc/deploy.py": program,
        "svc/Dockerfile.api": "FROM scratch\n",
        "Dockerfile.api": "FROM scratch\n",
    }
    facts = tree(tmp_path / "both", both)
    assert [(b.context, b.dockerfile) for b in facts.builds] == [(".", "Dockerfile.api")]
    facts = tree(tmp_path / "neither", {"svc/deploy.py": program})
    assert [(b.context, b.dockerfile) for b in facts.builds] == [(".", "Dockerfile.api")]
