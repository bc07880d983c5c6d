"""Workloads that run the image of a Dockerfile nothing in the repository builds.

Many small projects build by hand (a README's `docker build` and `docker push`): the Dockerfile
has no build fact, so no link reaches it, yet a workload of the same project runs its image. The
only evidence then is a name: the workload's repository (`aws_ecr_repository` name, or the last
component of the image reference) equal to the Dockerfile's folder, `_` and `-` alike
(`hello_world_function/Dockerfile` for the ECR repository `hello-world-function`). This is the
matcher's naming heuristic without a build, so it is low confidence: the Dockerfile rules use it
only to stay silent where advice would break such a workload, never to report anything.
"""

from __future__ import annotations

import posixpath

from archmatch.link.imageref import parse_ref, repository_name
from archmatch.link.projects import ProjectIndex
from archmatch.model import ImageRef, RepoFacts, Workload


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def _repository_names(image: ImageRef) -> set[str]:
    names = {
        _normal(k.removeprefix("ecr:").rsplit("/", 1)[-1]) for k in image.link_keys if k.startswith("ecr:")
    }
    parts = parse_ref(image.ref) if image.ref else None
    if parts is not None and not parts.digest and "*" not in repository_name(parts):
        names.add(_normal(repository_name(parts)))
    return names


def hand_built_workloads(facts: RepoFacts, dockerfile: str) -> list[Workload]:
    """Workloads of the Dockerfile's project whose unlinked image is named like its folder, when no
    build of the repository names that Dockerfile (empty otherwise)."""
    folder = posixpath.basename(posixpath.dirname(dockerfile))
    if not folder or any(b.dockerfile == dockerfile for b in facts.builds):
        return []
    project = ProjectIndex(facts.projects).enclosing(dockerfile)
    linked = {id(link.image) for link in facts.links}
    out: list[Workload] = []
    for workload in facts.workloads:
        if workload.project != project:
            continue
        if any(id(i) not in linked and _normal(folder) in _repository_names(i) for i in workload.images):
            out.append(workload)
    return out
