"""Which function of the repository's templates an `aws lambda update-function-code` command
without `--architectures` deploys to: the function keeps its architecture, so the image the
command pushes is judged against the architecture the template declares for it.

Evidence, strongest first (the first that finds image functions decides):
1. the command's `--function-name` (a name or an ARN) equals a function's declared name (Terraform
   `function_name`, CloudFormation/SAM `FunctionName`): medium confidence, like a repository and
   tag match; low when that name comes from variable values a command line names and only some of
   the candidate value sets (one var file per environment) declare it, unless those include every
   set the command's own script or CI job gives terraform;
2. it equals a function's resource name or logical id: low;
3. the name is not known (computed at run time) and the scan root declares exactly one image
   Lambda function: low, "the only image Lambda function in the repository";
4. the name is known, no function declares or is named it, and the scan root declares exactly one
   image Lambda function, whose name is computed (a `for_each` key, a variable): low.
A command whose candidates disagree on the architecture gets none. Findings on a low-confidence
target are warnings at most: the matcher gives each link the weaker of its two confidences.

`aws ecs update-service --cluster C --service S [--task-definition F[:R]]` with
`--force-new-deployment` (or a new task definition) names no image: its images are those the same
run pushed before it (`ImageRef.pushed_by`). It deploys the task definition of the service
declared with name S in cluster C (a Terraform `aws_ecs_service`, CloudFormation
`AWS::ECS::Service`, CDK service), or the one of family F when the command names one. Per pushed
image: medium confidence when the service's name and cluster and the family agree as written, and
the task definition has one container (with one pushed build), or exactly one container whose
image is named like the build (its local tag, a pushed name, the ECR repository), and the push
could have replaced that container's image (no digest; repositories and tags agree where both
are known); low otherwise. An image that no container could be (every one pinned by digest, or
named otherwise) is not linked; a service declared nowhere links nothing.
"""

from __future__ import annotations

from dataclasses import replace

from archmatch.aws.ecs import DEFAULT_CLUSTER, cluster_name, service_name, task_family
from archmatch.link.imageref import parse_ref, repository_name, tags_agree
from archmatch.model import (
    Confidence,
    DeployTarget,
    EcsService,
    ImageBuild,
    ImageRef,
    Related,
    RepoFacts,
    ValueSource,
    Workload,
)


def _is_template_image_function(w: Workload) -> bool:
    return (
        w.service == "lambda"
        and w.cli is None
        and w.lambda_ is not None
        and w.lambda_.package_type.lower() == "image"
    )


def _resource_name(w: Workload) -> str:
    return w.name.rsplit(".", 1)[-1]


def _candidates(
    name: str | None, functions: list[Workload], run: str = ""
) -> tuple[list[Workload], str, Confidence]:
    if name is not None:
        declared = [f for f in functions if f.lambda_ is not None and f.lambda_.function_name == name]
        if declared:
            return declared, f"function name {name!r} declared by", _declared_confidence(declared, run)
        named = [f for f in functions if _resource_name(f) == name]
        if named:
            return named, f"function name {name!r} is the resource name of", "low"
        if (
            len(functions) == 1
            and functions[0].lambda_ is not None
            and functions[0].lambda_.function_name is None
        ):
            return (
                functions,
                f"function name {name!r}; the only image Lambda function in the repository computes its name:",
                "low",
            )
        return [], "", "low"
    if len(functions) == 1:
        return functions, "function name unknown; the only image Lambda function in the repository is", "low"
    return [], "", "low"


def _declared_confidence(declared: list[Workload], run: str) -> Confidence:
    """Medium, unless the name is declared with some of a root's candidate value sets only, and
    not with the ones the command's own run (its script, CI job) gives terraform."""
    by_root: dict[str | None, tuple[set[int], ValueSource]] = {}
    for f in declared:
        if f.values is None or f.values.candidates == 1:
            return "medium"  # declared whatever the command-line values, or with the only ones
        given, _ = by_root.setdefault(f.project, (set(), f.values))
        given.update(f.values.variants)
    for given, values in by_root.values():
        used = values.sets_of(run)
        if len(given) == values.candidates or (used and used <= given):
            return "medium"
    return "low"


def _values_note(target: Workload) -> str:
    return f" ({target.values.describe()})" if target.values is not None else ""


def resolve_deploy_targets(facts: RepoFacts) -> None:
    functions = sorted(
        (w for w in facts.workloads if _is_template_image_function(w)), key=lambda w: (w.location, w.name)
    )
    for w in facts.workloads:
        if w.cli is not None and w.cli.command == "ecs update-service":
            _resolve_service(facts, w)
            continue
        if w.cli is None or not w.cli.keeps_arch:
            continue
        found, evidence, confidence = _candidates(w.cli.target, functions, w.cli.run)
        archs = {f.arch.archs for f in found}
        if len(archs) != 1 or not next(iter(archs)):
            continue  # no target, or targets that disagree: the architecture stays unknown
        target = found[0]
        more = f" (and {len(found) - 1} more with the same architecture)" if len(found) > 1 else ""
        # a default architecture is decided by the function's declaration, where the fix goes
        w.arch, w.arch_via = target.arch, target.arch_via
        w.arch_location = target.arch_location or target.location
        w.arch_syntax = target.arch_syntax
        w.deploys_to = DeployTarget(
            target.name, target.location, f"{evidence} {target.name}{more}{_values_note(target)}", confidence
        )


# --- aws ecs update-service ----------------------------------------------------------------------
def _known(text: str | None) -> str | None:
    return text if text and "$" not in text and "<" not in text else None


def _task_definitions(facts: RepoFacts) -> list[Workload]:
    return sorted(
        (w for w in facts.workloads if w.service == "ecs" and w.cli is None and w.ecs is not None),
        key=lambda w: (w.location, w.name),
    )


def _services(facts: RepoFacts, w: Workload) -> tuple[list[tuple[Workload, EcsService]], list[str]]:
    """The task definitions the command deploys, each with the service that runs it (declared with
    the command's service name, in its cluster where both are known, of its `--task-definition`
    family where both are known), and what keeps the match from being exact as written."""
    cli = w.cli
    written = _known(cli.target) if cli is not None else None
    if cli is None or written is None:
        return [], []
    name, arn_cluster = service_name(written)
    given = _known(cli.cluster)
    if given is not None:
        cluster: str | None = cluster_name(given)
    else:  # not given: the service's ARN names it, or the default cluster; given but not known: None
        cluster = None if cli.cluster else arn_cluster or DEFAULT_CLUSTER
    doubts = [] if cluster is not None else [f"the command's cluster {cli.cluster} is not known"]
    found = [
        (task, svc)
        for task in _task_definitions(facts)
        if task.ecs is not None
        for svc in task.ecs.declared_services
        if svc.name == name and (svc.cluster is None or cluster is None or svc.cluster == cluster)
    ]
    if any(svc.cluster is None for _, svc in found):
        doubts.append(f"the cluster of service {name} is not known")
    if cli.task_definition is not None:
        family = _known(cli.task_definition)
        if family is None:
            doubts.append(f"--task-definition {cli.task_definition} is not known")
        else:
            wanted = task_family(family)
            found = [(t, s) for t, s in found if t.ecs is None or t.ecs.family in (wanted, None)]
            if any(t.ecs is not None and t.ecs.family is None for t, _ in found):
                doubts.append(f"the family of the task definition is not known (the command names {wanted})")
    return found, doubts


def _resolve_service(facts: RepoFacts, w: Workload) -> None:
    found, doubts = _services(facts, w)
    archs = {task.arch.archs for task, _ in found}
    if len(archs) != 1 or not next(iter(archs)):
        w.images = []  # no service, or task definitions that disagree: what runs is not known
        return
    task, svc = found[0]
    more = len({id(t) for t, _ in found}) - 1
    w.arch, w.arch_via = task.arch, task.arch_via
    w.arch_location = task.arch_location or task.location
    w.arch_syntax = task.arch_syntax
    builds = {key: b for b in facts.builds for key in b.link_keys if key.startswith("pushed-here:")}
    pushed = {id(builds[k]) for i in w.images for k in i.link_keys if k in builds}
    best: dict[int, ImageRef] = {}
    for image in w.images:
        build = next((builds[k] for k in sorted(image.link_keys) if k in builds), None)
        if build is None:
            continue
        family = task_family(w.cli.task_definition) if w.cli is not None and w.cli.task_definition else None
        target = _image_target(task, svc, image, build, len(pushed), doubts, more, family)
        if target is None:
            continue
        kept = best.get(id(build))
        if kept is None or (
            kept.deploy is not None and _RANK[target.confidence] > _RANK[kept.deploy.confidence]
        ):
            best[id(build)] = replace(image, deploy=target)
    w.images = list(best.values())
    targets = [i.deploy for i in w.images if i.deploy is not None]
    if targets:
        w.deploys_to = max(targets, key=lambda t: _RANK[t.confidence])


_RANK: dict[Confidence, int] = {"low": 0, "medium": 1, "high": 2}


def _names(refs: list[str], keys: frozenset[str] = frozenset()) -> set[str]:
    """The repository names (last path part) that references and ECR keys state."""
    out = {k[len("ecr:") :].rsplit("/", 1)[-1].lower() for k in keys if k.startswith("ecr:")}
    for ref in refs:
        parts = parse_ref(ref)
        if parts is not None and "*" not in repository_name(parts):
            out.add(repository_name(parts))
    return out


def _could_replace(container: ImageRef, pushed: str) -> bool:
    """Whether pushing `pushed` may have changed the image `container` names: not a digest, and
    repository names and tags agree where both are known."""
    theirs, ours = parse_ref(container.ref) if container.ref else None, parse_ref(pushed)
    if theirs is not None and theirs.digest:
        return False
    names, pushed_names = (
        _names([container.ref] if container.ref else [], container.link_keys),
        _names([pushed]),
    )
    if names and pushed_names and not names & pushed_names:
        return False
    return theirs is None or ours is None or tags_agree(theirs, ours)


def _container(task: Workload, build: ImageBuild, builds_pushed: int) -> tuple[ImageRef | None, str]:
    """The container of the task definition that runs the build's image when the files say which
    (its only one, with one build pushed; else the only one named like the build), and how to say it."""
    built = _names(build.tags)
    named = [
        (c, alike) for c in task.images if (alike := _names([c.ref] if c.ref else [], c.link_keys) & built)
    ]
    if len(task.images) == 1 and builds_pushed == 1:
        return task.images[0], "in its only container"
    if len(named) == 1:
        return named[0][0], f"in its container whose image is named {min(named[0][1])}, like the build"
    return None, f"in one of its {len(task.images)} containers (none named like this build alone)"


def _image_target(
    task: Workload,
    svc: EcsService,
    image: ImageRef,
    build: ImageBuild,
    builds_pushed: int,
    doubts: list[str],
    more: int,
    family: str | None,
) -> DeployTarget | None:
    """The task definition this pushed image reaches, with the evidence and confidence; None when
    no container of it can be the image."""
    containers = [c for c in task.images if _could_replace(c, image.ref)]
    if not containers:
        return None
    chosen, basis = _container(task, build, builds_pushed)
    exact = chosen is not None and chosen in containers and not doubts
    cluster = f" (cluster {svc.cluster})" if svc.cluster else ""
    if family is None:
        evidence = (
            f"{image.pushed_by} and forces a new deployment of service {svc.name}{cluster}, whose task "
            f"definition {task.name} runs it {basis}"
        )
    else:
        evidence = (
            f"{image.pushed_by} and deploys task definition family {family} to service {svc.name}{cluster}: "
            f"{task.name} runs it {basis}"
        )
    if more:
        evidence += f" (and {more} more task definitions with the same architecture)"
    evidence += "".join(f"; {doubt}" for doubt in doubts)
    related = (Related(svc.location, f"service {svc.name}{cluster} runs {task.name}"),)
    return DeployTarget(task.name, task.location, evidence, "medium" if exact else "low", related)
