"""Image builds (`ImageBuild` facts) from every place a repository builds an image: Compose
files, Buildx Bake files, GitHub Actions workflows, GitLab CI, shell scripts, Makefiles and
package.json scripts. One module per source; `extract` runs them all, each guarded so that a
bug in one source does not lose the others' builds.
"""

from __future__ import annotations

from archmatch.extract.builds import bake, compose, github_actions, gitlab_ci, makefile, npm_scripts, shell
from archmatch.isolation import run_stage
from archmatch.model import RepoFacts
from archmatch.repo import RepoView

SOURCES = (compose, bake, github_actions, gitlab_ci, shell, makefile, npm_scripts)


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for source in SOURCES:  # a bug in one source must not stop the others
        run_stage(f"{repo.stage or 'builds'}.{source.__name__.rsplit('.', 1)[-1]}", source.extract, repo, facts)
