"""The project model: which deployable unit of the repository each workload, build and capacity
belongs to.

A project is a folder: a Terraform root module (reported by the Terraform extractor, since a
module folder called by two roots belongs to both), a CDK app (`cdk.json`), a SAM app
(`template.yaml`, `samconfig.toml`), a Serverless service, a compose project, a bake file, a
kustomization or Helm chart folder, the repository holding `.github/workflows` or
`.gitlab-ci.yml`, and always the scan root. A fact belongs to the deepest project folder holding
its file unless its extractor said otherwise.

Linking uses projects to decide what may connect (see `matcher.py`): direct references and
naming heuristics stay inside a project; an exact repository (and tag, where both are known)
crosses projects, and then the nearest project wins; a repository's literal name meets a build's
local tag only from a project enclosing the workload's (`localtag.py`), the nearest such build.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import TypeVar

from archmatch import lazyre
from archmatch.model import Capacity, ImageBuild, Project, RepoFacts, Workload

T = TypeVar("T", bound=Capacity)

_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (lazyre.compile(r"cdk\.json"), "cdk"),
    (lazyre.compile(r"template\.(ya?ml|json)|samconfig\.(toml|ya?ml)"), "sam"),
    (lazyre.compile(r"serverless\.(ya?ml|json|ts|js)"), "serverless"),
    (lazyre.compile(r"(docker-)?compose(\.[\w-]+)*\.ya?ml"), "compose"),
    (lazyre.compile(r"docker-bake(\.[\w-]+)*\.(hcl|json)"), "bake"),
    (lazyre.compile(r"kustomization\.ya?ml|Kustomization"), "kustomize"),
    (lazyre.compile(r"Chart\.ya?ml"), "helm"),
    (lazyre.compile(r"\.gitlab-ci\.ya?ml"), "ci"),
)
_WORKFLOW = lazyre.compile(r"(?:^|(?P<repo>.*)/)\.github/workflows/[^/]+\.ya?ml$")

# builds that only run a Dockerfile kept elsewhere: they count in the project of that Dockerfile
WORKFLOW_SOURCES = frozenset(
    {"github-actions", "gitlab-ci", "shell", "makefile", "npm-script", "python", "javascript", "codebuild"}
)


def folder_of(path: str) -> str:
    folder = posixpath.dirname(path)
    return "" if folder == "." else folder


def _marker_project(path: str) -> Project | None:
    m = _WORKFLOW.match(path)
    if m:
        return Project(m.group("repo") or "", "ci", path)
    name = path.rsplit("/", 1)[-1]
    for pattern, kind in _MARKERS:
        if pattern.fullmatch(name):
            return Project(folder_of(path), kind, path)
    return None


def discover_projects(files: Iterable[str], reported: Iterable[Project] = ()) -> list[Project]:
    """Every project of the repository: the scan root, marker files, and extractor-reported ones."""
    found = {Project("", "repository")}
    found.update(reported)
    for path in files:
        project = _marker_project(path)
        if project is not None:
            found.add(project)
    return sorted(found)


def contains(folder: str, path: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


class ProjectIndex:
    def __init__(self, projects: Iterable[Project]):
        self.folders = sorted({p.folder for p in projects} | {""}, key=lambda f: (-f.count("/") - bool(f), f))

    def enclosing(self, path: str) -> str:
        """The deepest project folder holding `path` (a file or a folder)."""
        return next(f for f in self.folders if contains(f, path))


def common_depth(a: str, b: str) -> int:
    """How many leading folders two project folders share (the nearer, the larger)."""
    depth = 0
    for x, y in zip(a.split("/") if a else [], b.split("/") if b else [], strict=False):
        if x != y:
            break
        depth += 1
    return depth


def build_place(build: ImageBuild, index: ProjectIndex) -> str:
    """The project a build counts in for naming: its own, or for CI jobs and scripts, the project of
    the Dockerfile (or context) it builds."""
    own = build.project if build.project is not None else index.enclosing(build.location.path)
    if build.source not in WORKFLOW_SOURCES:
        return own
    target = build.dockerfile or build.context
    if not target or target == ".":
        return own
    return index.enclosing(target)


def assign_projects(facts: RepoFacts) -> ProjectIndex:
    """Fill `facts.projects` and the `project` of every workload, capacity and build."""
    facts.projects = discover_projects(facts.files, facts.projects)
    index = ProjectIndex(facts.projects)
    items: list[Workload | Capacity | ImageBuild] = [*facts.workloads, *facts.capacities, *facts.builds]
    for item in items:
        if item.project is None:
            item.project = index.enclosing(item.location.path)
    return index


def nearest(items: list[T], folder: str | None) -> list[T]:
    """The items (capacities) of the projects nearest to `folder`: a pod lands on the node groups
    of its own repository, not on those of an unrelated project scanned alongside."""
    if not items:
        return []
    depth = {id(i): common_depth(folder or "", i.project or "") for i in items}
    best = max(depth.values())
    return [i for i in items if depth[id(i)] == best]
