"""Where an EC2 AWS Batch job definition that declares no architecture runs.

A job definition is not bound to a queue (the queue is named when a job is submitted), so its
architecture comes from the compute environments the repository provisions for it:

1. those of the same deployment (the same CloudFormation template or tree of nested stacks under
   one root template, the same Terraform root module with its modules, the same CDK app): the
   deploy that creates the job definition creates them, a structural relation (medium confidence);
2. otherwise those of the nearest project, as a pod takes its project's only node groups
   (`placement.py`): proximity, low confidence, so findings on it are warnings.

A job that asks for a GPU runs only on the GPU instance types of those environments
(`aws.batch.job_environments`). When every instance type left has one architecture, the job gets it,
with the environments as its evidence (`BatchJobFacts.environments`); environments of different or
unknown architectures leave it unknown. A deployment that has EC2 environments decides alone, even
when none of them can run the job: another project's environments are not a better guess.
"""

from __future__ import annotations

from dataclasses import replace

from archmatch.aws.batch import (
    EnvironmentChoice,
    is_compute_environment,
    job_environments,
    sole_environment_arch,
)
from archmatch.link.projects import nearest
from archmatch.model import (
    BatchEnvironments,
    BatchJobFacts,
    Capacity,
    Location,
    NestedStack,
    RepoFacts,
    Workload,
)
from archmatch.platforms import ArchFact, How


class StackTrees:
    """The root templates each template of the repository is deployed under (itself when no
    template nests it)."""

    def __init__(self, stacks: list[NestedStack]):
        self._parents: dict[str, set[str]] = {}
        for stack in stacks:
            self._parents.setdefault(stack.child, set()).add(stack.parent)
        self._roots: dict[str, frozenset[str]] = {}

    def roots(self, template: str) -> frozenset[str]:
        if template not in self._roots:
            found: set[str] = set()
            seen, todo = {template}, [template]
            while todo:
                current = todo.pop()
                parents = self._parents.get(current, set())
                if not parents:
                    found.add(current)
                for parent in parents - seen:
                    seen.add(parent)
                    todo.append(parent)
            self._roots[template] = frozenset(found or {template})  # a cycle: the template alone
        return self._roots[template]


def _deployment(item: Workload | Capacity, trees: StackTrees) -> tuple[str, frozenset[str]] | None:
    """What deploys a fact: ("cfn", its root templates), ("tf", its root module), ("cdk", its app);
    None for what no deployment declares (an `aws batch register-job-definition` command)."""
    if item.cdk is not None:
        return "cdk", frozenset({item.cdk.app})
    if isinstance(item, Workload) and item.cli is not None:
        return None
    if item.kind.startswith("AWS::"):
        return "cfn", trees.roots(item.location.path)
    if item.kind.startswith("aws_"):
        return "tf", frozenset({item.project or ""})
    return None


def _same(a: tuple[str, frozenset[str]] | None, b: tuple[str, frozenset[str]] | None) -> bool:
    return a is not None and b is not None and a[0] == b[0] and bool(a[1] & b[1])


def _unplaced_ec2_job(workload: Workload) -> bool:
    return (
        workload.service == "batch"
        and not (workload.ecs is not None and workload.ecs.fargate)
        and workload.arch.how is How.UNKNOWN
        and not workload.arch.archs
        and workload.arch_location is None
    )


def place_batch_jobs(facts: RepoFacts) -> None:
    environments = [c for c in facts.capacities if is_compute_environment(c) and not c.fargate]
    if not environments:
        return
    trees = StackTrees(facts.extra.nested_stacks)
    for workload in facts.workloads:
        if _unplaced_ec2_job(workload):
            _place(workload, environments, trees)


def _place(workload: Workload, environments: list[Capacity], trees: StackTrees) -> None:
    gpu = workload.batch.gpu if workload.batch is not None else None
    deployment = _deployment(workload, trees)
    own = [c for c in environments if _same(deployment, _deployment(c, trees))]
    if own:
        scope, confidence = _deployment_scope(workload, deployment, own), "medium"
    else:
        own = nearest(environments, workload.project)
        scope, confidence = f"the nearest project ({_projects(own)})", "low"
    choices = job_environments(own, gpu)
    arch = sole_environment_arch(choices) if choices else None
    if arch is None or not choices:
        return
    basis = _basis(choices, gpu, scope)
    workload.arch = ArchFact.derived(arch, note=basis)
    placed = (
        BatchEnvironments(basis, "medium", _locations(choices))
        if confidence == "medium"
        else BatchEnvironments(
            f"{basis}, which the deployment of the job does not create", "low", _locations(choices)
        )
    )
    workload.batch = replace(workload.batch or BatchJobFacts(gpu=None), environments=placed)


def _locations(choices: list[EnvironmentChoice]) -> tuple[tuple[str, Location], ...]:
    """Each environment, with where it writes the first instance type the job may use."""
    return tuple(
        (c.describe(), c.types[0].location) for c in sorted(choices, key=lambda c: c.environment.name)
    )


def _projects(capacities: list[Capacity]) -> str:
    return ", ".join(sorted({c.project or "." for c in capacities}))


def _deployment_scope(
    workload: Workload, deployment: tuple[str, frozenset[str]] | None, own: list[Capacity]
) -> str:
    assert deployment is not None  # `own` is not empty
    kind, keys = deployment
    if kind == "cdk":
        return f"this CDK app ({', '.join(sorted(keys))})"
    if kind == "tf":
        return f"this Terraform root module ({', '.join(sorted(keys)) or '.'})"
    if all(c.location.path == workload.location.path for c in own):
        return "this template"
    return f"this deployment (the nested stacks of {', '.join(sorted(keys))})"


def _basis(choices: list[EnvironmentChoice], gpu: bool | None, scope: str) -> str:
    kind = "GPU " if gpu else "EC2 "
    plural = "s" if len(choices) > 1 else ""
    listed = ", ".join(c.describe() for c in sorted(choices, key=lambda c: c.environment.name))
    return f"the only {kind}compute environment{plural} of {scope}: {listed}"
