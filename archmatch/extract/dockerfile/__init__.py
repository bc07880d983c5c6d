"""Dockerfile extractor: every Dockerfile in the tree, recognised by name, into `facts.dockerfiles`.

Names (case-insensitive, anywhere in the tree): `Dockerfile`, `Containerfile`, `Dockerfile.*`,
`*.Dockerfile`, `*.dockerfile`; `*.dockerignore` files are not Dockerfiles.
"""

from __future__ import annotations

import posixpath

from archmatch.dockerfile_model import DockerfileAnalysis
from archmatch.extract.dockerfile.analysis import analyse
from archmatch.isolation import isolated
from archmatch.model import RepoFacts
from archmatch.repo import RepoView

__all__ = ["DockerfileAnalysis", "analyse", "extract", "is_dockerfile_name"]


def is_dockerfile_name(path: str) -> bool:
    name = posixpath.basename(path).lower()
    if name.endswith(".dockerignore"):
        return False
    return (
        name in ("dockerfile", "containerfile")
        or name.startswith("dockerfile.")
        or name.endswith(".dockerfile")
    )


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for rel in repo.matching(is_dockerfile_name):
        _analyse_file(repo, facts, rel)


def finalize(repo: RepoView, facts: RepoFacts) -> None:
    """Also analyse Dockerfiles that builds name but that are not recognisable by name."""
    for build in facts.builds:
        rel = build.dockerfile
        if rel and rel not in facts.dockerfiles and repo.exists(rel):
            _analyse_file(repo, facts, rel)


def _analyse_file(repo: RepoView, facts: RepoFacts, rel: str) -> None:
    text = repo.read_text(rel)
    if text is None:
        return

    def diag(message: str, line: int) -> None:
        repo.diag(rel, message, line=line)

    with isolated(repo, facts, rel):  # one odd file must not hide the others
        facts.dockerfiles[rel] = analyse(rel, text, diag)
