"""Docker builds that Python code runs (archmatch/extract/builds/python_calls.py): which calls count,
how command values are read, and what stays unknown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_build_sources import tree

from archmatch.model import ImageBuild
from archmatch.platforms import How

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def _builds(tmp_path: Path, text: str, name: str = "tools/release.py") -> list[ImageBuild]:
    return tree(tmp_path, {name: text}).builds


def test_a_wrapper_of_the_same_file_runs_an_f_string_with_unknown_parts(tmp_path: Path) -> None:
    text = (
        "import subprocess\n"
        "def execute(command, verbose):\n"
        "    return subprocess.Popen(command, shell=True)\n"
        "def build(node_config, verbose):\n"
        "    cmd = f'docker build -t {node_config[\"docker_repo\"]}' \\\n"
        "          f' -f {node_config[\"path\"]}/Dockerfile .'\n"
        "    execute(cmd, verbose)\n"
    )
    (build,) = _builds(tmp_path, text)
    assert build.source == "python"
    assert build.location.line == 5
    assert build.tags == ['${node_config["docker_repo"]}']
    assert build.platforms.how is How.HOST and "Python program" in build.platforms.note
    assert build.dockerfile is None and build.context == "."


def test_list_literals_format_percent_join_and_names(tmp_path: Path) -> None:
    text = (
        "import subprocess as sp\n"
        "from os import system\n"
        f'REGISTRY = "{ECR}"\n'
        'IMAGE = "{}/api:{}".format(REGISTRY, "v1")\n'
        "def main():\n"
        '    sp.run(["docker", "buildx", "build", "--platform", "linux/arm64", "-t", IMAGE, "api"])\n'
        '    system("docker build -t %s/worker:%s worker" % (REGISTRY, "v2"))\n'
        '    tag = "web"\n'
        '    tag += ":v3"\n'
        '    sp.check_call(" ".join(["docker", "build", "-t", tag, "web"]), shell=True)\n'
    )
    builds = {b.context: b for b in _builds(tmp_path, text)}
    assert builds["api"].tags == [f"{ECR}/api:v1"] and builds["api"].platforms.archs == {"arm64"}
    assert builds["api"].platform_location is not None and builds["api"].platform_location.line == 6
    assert builds["worker"].tags == [f"{ECR}/worker:v2"]
    assert builds["web"].tags == ["web:v3"]


def test_values_set_in_branches_loops_or_parameters_stay_unknown(tmp_path: Path) -> None:
    text = (
        "import subprocess\n"
        "def build(arm, name):\n"
        '    platform = ""\n'
        "    if arm:\n"
        '        platform = "--platform linux/arm64"\n'
        '    subprocess.run(f"docker build {platform} -t {name}:1 .", shell=True)\n'
    )
    (build,) = _builds(tmp_path, text)
    assert build.tags == ["${name}:1"]
    assert build.build_args is None  # a lone unknown word may hold more flags


def test_cwd_and_default_platform_of_the_call(tmp_path: Path) -> None:
    text = (
        "import subprocess, os\n"
        'subprocess.run(["docker", "build", "-t", "a", "."], cwd="svc/a",\n'
        '               env={**os.environ, "DOCKER_DEFAULT_PLATFORM": "linux/amd64"})\n'
    )
    (build,) = _builds(tmp_path, text)
    assert build.context == "svc/a" and build.dockerfile == "svc/a/Dockerfile"
    assert build.platforms.archs == {"amd64"} and build.platform_location is not None


def test_strings_that_are_not_run_are_not_builds(tmp_path: Path) -> None:
    text = (
        "import subprocess\n"
        'HELP = "run: docker build -t app ."\n'
        "print(HELP)\n"
        'subprocess.run(["git", "status"])\n'
    )
    assert _builds(tmp_path, text) == []


def test_python_2_is_a_note_and_the_rest_is_read(tmp_path: Path) -> None:
    facts = tree(
        tmp_path,
        {
            "old.py": 'import os\nprint "docker"\nos.system("docker build .")\n',
            "new.py": 'import os\nos.system("docker build -t new .")\n',
        },
    )
    assert [b.tags for b in facts.builds] == [["new"]]
    assert [(d.location.path, d.level) for d in facts.diagnostics] == [("old.py", "note")]


def test_list_workloads_shows_where_the_platform_comes_from(tmp_path: Path) -> None:
    (tmp_path / "build.py").write_text(
        'import subprocess\nsubprocess.run("docker build --platform=linux/amd64 -t a .", shell=True)\n'
        'subprocess.run(["docker", "build", "-t", "b", "."])\n'
    )
    out = subprocess.run(
        [sys.executable, "-m", "archmatch", "scan", str(tmp_path), "--list-workloads"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in out.splitlines() if line.startswith("build.py")]
    assert len(lines) == 2
    assert "python" in lines[0] and "explicit @ build.py:2" in lines[0]
    assert "host (no --platform: the machine that runs the Python program decides)" in lines[1]


def _links(root: Path) -> list[str]:
    from archmatch.engine import analyze
    from archmatch.settings import Config

    facts, _ = analyze(root, Config())
    return [f"{link.build.name} <- {link.evidence}" for link in facts.links]


FIXTURE = Path(__file__).parent / "fixtures/rules/ARCH302/fail_python_cli_proximity"


def test_the_enclosing_project_links_only_its_one_build_with_no_named_image(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    (link,) = _links(root)
    assert "proximity: the only build in the repository" in link
    # a second build anywhere under the enclosing folder: nothing says which one the task runs
    (root / "scripts").mkdir()
    (root / "scripts/other.sh").write_text("#!/bin/sh\ndocker build -t $1 tools\n")
    assert _links(root) == []
    # the one build names its image: a written name that is not the task's says it is another image
    (root / "scripts/other.sh").unlink()
    docker_py = root / "mycli/util/docker.py"
    docker_py.write_text(docker_py.read_text().replace('{node_config["docker_repo"]}', "model-tools:1"))
    assert _links(root) == []
