"""ECS task definitions written as JSON files: the input of `aws ecs register-task-definition
--cli-input-json file://...`, of the `aws-actions/amazon-ecs-render-task-definition` and
`amazon-ecs-deploy-task-definition` GitHub actions and of CodeDeploy (`taskdef.json`), or a saved
`describe-task-definition` output (`{"taskDefinition": {...}}`).

A JSON file is one when its top-level object holds a `containerDefinitions` list; its name does
not matter. `runtimePlatform.cpuArchitecture` decides the architecture (ECS runs X86_64 when it is
absent), `requiresCompatibilities` says whether it runs on Fargate. An image written as a
placeholder (`<IMAGE1_NAME>` for CodeDeploy, `${IMAGE}`, `{{ image }}` for templating tools) is an
unknown reference: it links to no build by itself.

`finalize` then reads the workflows that render such a file: the render action's `image:` input
replaces the image of its `container-name`, and when that input is a step output
(`${{ steps.build.outputs.image }}`) the docker builds of that step are the image's builds (a
direct reference: the workflow hands the built image to the task definition).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from archmatch import lazyre
from archmatch.aws.defaults import ECS_DEFAULT_ARCH
from archmatch.aws.ecs import os_family_of, runs_on_fargate
from archmatch.extract import json_doc, yaml_docs
from archmatch.extract.builds._common import has_unresolved, key_line, node_line
from archmatch.isolation import isolated
from archmatch.model import EcsFacts, ImageRef, Location, RepoFacts, Workload
from archmatch.platforms import ArchFact, normalize_arch
from archmatch.repo import RepoView

KIND = "ECS task definition (JSON)"
RENDER_ACTION = "aws-actions/amazon-ecs-render-task-definition"
_ANGLE = lazyre.compile(r"<([A-Za-z0-9_.-]+)>")
_MUSTACHE = lazyre.compile(r"\{\{-?\s*([^{}]*?)\s*-?\}\}")
_STEP_OUTPUT = lazyre.compile(r"^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.[A-Za-z0-9_-]+\s*\}\}$")


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for path in repo.matching(lambda p: p.endswith(".json") and not p.endswith(".tf.json")):
        text = repo.read_text(path)
        if text is None or '"containerDefinitions"' not in text:
            continue
        with isolated(repo, facts, path):
            workload = task_definition(path, json_doc(repo, path))
            if workload is not None:
                facts.workloads.append(workload)


def _definition(doc: Any) -> dict[Any, Any] | None:
    if isinstance(doc, dict) and isinstance(doc.get("taskDefinition"), dict):
        doc = doc["taskDefinition"]
    if isinstance(doc, dict) and isinstance(doc.get("containerDefinitions"), list):
        return doc
    return None


def unknown_placeholders(image: str) -> str:
    """`<IMAGE1_NAME>` and `{{ image }}` written as `${...}`, the one spelling of an unknown part."""
    image = _ANGLE.sub(lambda m: "${" + m.group(1) + "}", image)
    return _MUSTACHE.sub(lambda m: "${" + m.group(1) + "}", image)


def _arch(path: str, definition: dict[Any, Any]) -> tuple[ArchFact, Location | None, Any]:
    platform = definition.get("runtimePlatform")
    platform = platform if isinstance(platform, dict) else {}
    cpu = platform.get("cpuArchitecture")
    if cpu is None:
        return (
            ArchFact.default(ECS_DEFAULT_ARCH, note="runtimePlatform.cpuArchitecture not set"),
            None,
            platform,
        )
    where = Location(path, key_line(platform, "cpuArchitecture"))
    arch = normalize_arch(str(cpu)) if isinstance(cpu, str) and not has_unresolved(cpu) else None
    if arch is None:
        return ArchFact.unknown(f"runtimePlatform.cpuArchitecture = {cpu}"), where, platform
    return ArchFact.explicit(arch), where, platform


def task_definition(path: str, doc: Any) -> Workload | None:
    """The workload of one task-definition JSON document, or None when it is not one."""
    definition = _definition(doc)
    if definition is None:
        return None
    arch, arch_location, platform = _arch(path, definition)
    images = []
    for container in definition["containerDefinitions"]:
        image = container.get("image") if isinstance(container, dict) else None
        if isinstance(image, str):
            ref = unknown_placeholders(image)
            where = Location(path, key_line(container, "image"))
            images.append(ImageRef(ref, where, frozenset(), not has_unresolved(ref)))
    compat = definition.get("requiresCompatibilities")
    requires = tuple(str(c).upper() for c in compat) if isinstance(compat, list) else None
    os_location = (
        Location(path, key_line(platform, "operatingSystemFamily"))
        if "operatingSystemFamily" in platform
        else None
    )
    family = unknown_placeholders(str(definition.get("family") or ""))
    name = family if family and not has_unresolved(family) else path
    return Workload(
        kind=KIND,
        name=name,
        service="ecs",
        location=Location(path, node_line(definition) or 1),
        arch=arch,
        arch_location=arch_location,
        images=images,
        os_family=os_family_of(platform.get("operatingSystemFamily")),
        arch_syntax="ecs-json",
        ecs=EcsFacts(
            fargate=runs_on_fargate(None, None, requires),
            requires_compatibilities=requires,
            os_family_location=os_location,
        ),
    )


def finalize(repo: RepoView, facts: RepoFacts) -> None:
    """The render action's `image:` input as the image of the task definition it renders."""
    by_path = {w.location.path: w for w in facts.workloads if w.kind == KIND}
    if not by_path:
        return
    for path in repo.matching(lambda p: "/.github/workflows/" in "/" + p and p.endswith((".yml", ".yaml"))):
        docs = yaml_docs(repo, path)
        with isolated(repo, facts, path), _undone_on_error(facts, by_path):
            for doc in docs or []:
                _workflow(repo, facts, path, doc, by_path)


@contextmanager
def _undone_on_error(facts: RepoFacts, by_path: dict[str, Workload]) -> Iterator[None]:
    """Rendering changes facts that existed before the workflow was read (a task definition's
    images, a build's link keys), which the isolation's roll-back does not restore: undo them
    when the workflow fails halfway, so it counts as absent."""
    images = [(w, w.images) for w in by_path.values()]
    keys = [(b, b.link_keys) for b in facts.builds]
    try:
        yield
    except Exception:
        for workload, before in images:
            workload.images = before
        for build, link_keys in keys:
            build.link_keys = link_keys
        raise


def _workflow(repo: RepoView, facts: RepoFacts, path: str, doc: Any, by_path: dict[str, Workload]) -> None:
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    if not isinstance(jobs, dict):
        return
    starts = sorted(key_line(jobs, name) for name in jobs)
    for job_name, job in jobs.items():
        steps = job.get("steps") if isinstance(job, dict) else None
        if not isinstance(steps, list):
            continue
        later = [line for line in starts if line > key_line(jobs, job_name)]
        job_end = later[0] - 1 if later else None
        for step in steps:
            if isinstance(step, dict) and _uses(step, RENDER_ACTION):
                _render(repo, facts, path, (str(job_name), job_end), steps, step, by_path)


def _uses(step: dict[Any, Any], action: str) -> bool:
    uses = step.get("uses")
    return isinstance(uses, str) and uses.lower().split("@", 1)[0] == action


def _render(
    repo: RepoView,
    facts: RepoFacts,
    path: str,
    job: tuple[str, int | None],
    steps: list[Any],
    step: dict[Any, Any],
    by_path: dict[str, Workload],
) -> None:
    inputs = step.get("with")
    if not isinstance(inputs, dict):
        return
    file, container, image = (str(inputs.get(k, "")) for k in ("task-definition", "container-name", "image"))
    workload = by_path.get(file.removeprefix("./"))
    if workload is None or not image:
        return
    line = key_line(inputs, "image") or node_line(step)
    keys: frozenset[str] = frozenset()
    m = _STEP_OUTPUT.match(image.strip())
    if m:
        key = f"gha-step:{path}:{job[0]}:{m.group(1)}"
        if _mark_step_builds(facts, path, (steps, job[1]), m.group(1), key):
            keys = frozenset([key])
    ref = ImageRef(image, Location(path, line), keys, not has_unresolved(image))
    index = _container_index(repo, workload, container)
    images = list(workload.images)
    if index is None:
        images.append(ref)
    else:
        images[index] = ref
    workload.images = images


def _container_index(repo: RepoView, workload: Workload, container: str) -> int | None:
    """Which image of the task definition the render action replaces: the one of `container-name`
    (the JSON's container order); the only one when the name is not found."""
    definition = _definition(json_doc(repo, workload.location.path)) or {}
    names = [
        str(c.get("name", ""))
        for c in definition.get("containerDefinitions", [])
        if isinstance(c, dict) and isinstance(c.get("image"), str)
    ]
    if container in names and len(names) == len(workload.images):
        return names.index(container)
    return 0 if len(workload.images) == 1 else None


def _mark_step_builds(
    facts: RepoFacts, path: str, job: tuple[list[Any], int | None], step_id: str, key: str
) -> bool:
    """Give the builds of the job's step with id `step_id` the link key; True when it has any."""
    steps = [s for s in job[0] if isinstance(s, dict)]
    lines = [node_line(s) for s in steps]
    for index, step in enumerate(steps):
        if str(step.get("id", "")) != step_id:
            continue
        first = lines[index]
        last = lines[index + 1] - 1 if index + 1 < len(lines) else job[1]
        marked = False
        for build in facts.builds:
            line = build.location.line
            if build.location.path == path and line >= first and (last is None or line <= last):
                build.link_keys = build.link_keys | {key}
                marked = True
        return marked
    return False
