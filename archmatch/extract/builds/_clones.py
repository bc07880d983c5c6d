"""Builds that read a fresh clone of this repository.

A CodeBuild project with no source, a CI step or a script often runs `git clone
https://github.com/OWNER/REPO.git`, `cd REPO` and `docker build .`: the build reads the files of
the clone, at a path (`REPO/Dockerfile`) the repository does not hold. When the URL is this
repository (`archmatch/extract/repo_identity.py`), those files are this repository's, so the build
reads its Dockerfile (`Dockerfile`), with the clone as the evidence. The clone may be of another
branch or commit than the files scanned, so `ImageBuild.clone_of` says so and links to the build are
at most of low confidence (`link/matcher.py`). A clone of any other URL leaves the build as it was
(its Dockerfile unknown to the repository). `repo_identity` (and the parsers it needs) is imported
only by a shell run that clones something.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archmatch.extract.builds._common import join
from archmatch.model import ImageBuild, Location
from archmatch.repo import RepoView

if TYPE_CHECKING:
    from archmatch.extract.repo_identity import IdentityClaim

MAX_CLONES = 100  # clones remembered per shell run


@dataclass(frozen=True)
class Clone:
    """One `git clone` of a shell run: the URL (its variables expanded), the root-relative folder
    it fills (None when unknown) and the branch it asks for ("" when none)."""

    url: str
    folder: str | None
    branch: str
    path: str
    line: int


def parse(texts: list[str], cwd: str | None, path: str, line: int) -> Clone | None:
    """`git clone [options] URL [DIR]` (the command's words from its name on), or None."""
    if len(texts) < 3 or texts[0] != "git" or texts[1] != "clone":
        return None
    from archmatch.extract import repo_identity

    operands = repo_identity.clone_operands(texts[2:])
    if operands is None or operands.bare:
        return None
    name = operands.folder if operands.folder is not None else repo_identity.default_folder(operands.url)
    return Clone(operands.url, join(cwd, name), operands.branch, path, line)


def place_builds(repo: RepoView, clones: list[Clone], builds: list[ImageBuild]) -> None:
    """Each build whose Dockerfile is inside an earlier clone of this repository reads the
    repository's own file."""
    if not clones:
        return
    for build in builds:
        if build.dockerfile is not None and not repo.exists(build.dockerfile):
            _place(repo, build, clones)


def _place(repo: RepoView, build: ImageBuild, clones: list[Clone]) -> None:
    from archmatch.extract import repo_identity

    assert build.dockerfile is not None
    for clone in reversed(clones):
        later = clone.path == build.location.path and clone.line > build.location.line
        if clone.folder is None or later:
            continue
        inner = _inside(clone.folder, build.dockerfile)
        if inner is None:
            continue
        placement = repo_identity.identity_of(repo).placement(clone.url, inner, repo.exists)
        if placement is None:
            return  # the nearest clone holding the file is another repository, or not found here
        dockerfile = placement.scan_path(inner)
        context = _inside(clone.folder, build.context) if build.context is not None else None
        build.dockerfile = dockerfile
        build.context = placement.scan_path(context) if context is not None else None
        build.clone_of = _evidence(clone, placement.claim)
        build.dockerfile_origin = f"from {build.clone_of}"
        build.dockerfile_via = Location(clone.path, clone.line)
        return


def _inside(folder: str, path: str) -> str | None:
    """`path` relative to `folder` when it lies inside it, else None."""
    path = posixpath.normpath(path)
    if folder == ".":
        return path
    if path == folder:
        return "."
    return posixpath.relpath(path, folder) if path.startswith(folder + "/") else None


def _evidence(clone: Clone, claim: IdentityClaim) -> str:
    branch = f" (branch {clone.branch})" if clone.branch else ""
    return (
        f"a clone of {clone.url}{branch}, this repository as {claim.describe()} names it; "
        "the clone may be of another branch or commit than the files scanned"
    )
