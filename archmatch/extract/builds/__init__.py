"""Image builds (`ImageBuild` facts) from every place a repository builds an image: Compose
files, Buildx Bake files, GitHub Actions workflows, GitLab CI, shell scripts, Makefiles and
package.json scripts. One module per source; `extract` runs them all, each guarded so that a
bug in one source does not lose the others' builds.
"""

from __future__ import annotations

import traceback

from archmatch.extract.builds import bake, compose, github_actions, gitlab_ci, makefile, npm_scripts, shell
from archmatch.model import RepoFacts
from archmatch.repo import RepoView

SOURCES = (compose, bake, github_actions, gitlab_ci, shell, makefile, npm_scripts)


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for source in SOURCES:
        try:
            source.extract(repo, facts)
        except Exception as exc:  # a bug in one source must not stop the others
            name = source.__name__.rsplit(".", 1)[-1]
            repo.diag(".", f"internal error in build extractor {name}: {exc!r}\n{traceback.format_exc(limit=3)}", level="error", code="internal")
