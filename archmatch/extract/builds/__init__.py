"""Image builds (`ImageBuild` facts) from every place a repository builds an image: Compose
files, Buildx Bake files, GitHub Actions workflows, GitLab CI, shell scripts, Makefiles,
package.json scripts, the commands Python code runs and its Docker SDK calls (those of TypeScript/
JavaScript programs: `archmatch/extract/js_programs.py`). One module per source; `extract` runs
them all, each guarded so that a bug in one source does not lose the others' builds.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from archmatch.isolation import run_stage
from archmatch.model import RepoFacts
from archmatch.repo import RepoView


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


# Each source, in the order they run, with a cheap test on file names that holds for every file
# the source reads (a superset of its own choice): a source is imported only when a file passes.
SOURCES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("compose", lambda p: "compose" in _name(p)),
    ("bake", lambda p: _name(p).startswith("docker-bake")),
    ("github_actions", lambda p: ".github/workflows/" in "/" + p),
    ("gitlab_ci", lambda p: _name(p) == ".gitlab-ci.yml"),
    (
        "shell",
        lambda p: (
            p.endswith((".sh", ".bash"))
            or ("." not in _name(p) and _name(p).lower() not in ("dockerfile", "containerfile"))
        ),
    ),
    ("makefile", lambda p: _name(p) in ("Makefile", "makefile", "GNUmakefile") or p.endswith(".mk")),
    ("npm_scripts", lambda p: _name(p) == "package.json"),
    ("samconfig", lambda p: _name(p) in ("samconfig.toml", "samconfig.yaml", "samconfig.yml")),
    # after the CI sources, which record the steps that run Dagger pipelines
    ("dagger_go", lambda p: p.endswith(".go") or _name(p) == "dagger.json"),
    ("dagger_py", lambda p: _name(p) == "dagger.json" or p.endswith(".py")),
    ("python_calls", lambda p: p.endswith(".py")),
    ("docker_sdk", lambda p: p.endswith(".py")),
)


def finalize(repo: RepoView, facts: RepoFacts) -> None:
    """CodeBuild buildspec files that no CodeBuild project (read by the IaC extractors) runs, then
    the files running a docker build that no build source read (`unread`)."""
    from archmatch.extract.builds import buildspec, unread

    if any(buildspec.is_buildspec_file(f) for f in repo.files):
        run_stage(f"{repo.stage or 'builds'}.buildspec", buildspec.finalize, repo, facts)
    run_stage(f"{repo.stage or 'builds'}.unread", unread.finalize, repo, facts)


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for name, wanted in SOURCES:  # a bug in one source must not stop the others
        if not any(wanted(f) for f in repo.files):
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        run_stage(f"{repo.stage or 'builds'}.{name}", module.extract, repo, facts)
