"""ECS task definitions and the capacity that runs them:
service -> capacity provider strategy (or cluster default strategy) -> capacity provider -> ASG ->
launch template instance types / AMI."""

from __future__ import annotations

from typing import Any

from archmatch.aws.ecs import (
    DEFAULT_CLUSTER,
    FARGATE_PROVIDERS,
    Hosting,
    JoinedInstances,
    agent_clusters,
    arch_when_omitted,
    cluster_name,
    hosts_of_cluster,
    known_cluster_name,
    os_family_of,
)
from archmatch.extract.terraform import documents
from archmatch.extract.terraform.ast import Call
from archmatch.extract.terraform.compute import host_archs, launch_template_of
from archmatch.extract.terraform.context import Context, Resource
from archmatch.extract.terraform.hcl import Block
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import as_text, refs_of
from archmatch.model import EcsHosts, EcsService, Location, Workload


def _services(ctx: Context, task: Resource) -> list[Resource]:
    return [
        r
        for r in ctx.resources.values()
        if r.block.type == "resource"
        and r.block.labels[0] == "aws_ecs_service"
        and refs_of(r.eval("task_definition")) & {task.address, task.base_address}
    ]


def _declared(ctx: Context, service: Resource) -> EcsService:
    """The service with its name and its cluster's name (a literal, an ARN, or the `name` of the
    `aws_ecs_cluster` it refers to; the default cluster when it writes none)."""
    name = service.eval("name")
    cluster: str | None = DEFAULT_CLUSTER
    if service.block.attr("cluster") is not None:
        value = service.eval("cluster")
        clusters = ctx.referenced(value, "aws_ecs_cluster")
        if len(clusters) == 1 and isinstance(named := clusters[0].eval("name"), str):
            cluster = named
        else:
            cluster = cluster_name(value) if isinstance(value, str) else None
    return EcsService(service.address, name if isinstance(name, str) else None, cluster, service.loc())


def _strategy(ctx: Context, service: Resource) -> list[tuple[Any, Block]]:
    """The service's capacity provider strategy, else its cluster's default one when the service
    writes no launch type either (a launch type replaces any strategy)."""
    entries = [
        (service.instance.eval_attr(b, "capacity_provider"), b)
        for b in service.block.children("capacity_provider_strategy")
    ]
    if entries or service.block.attr("launch_type") is not None:
        return entries
    cluster_refs = refs_of(service.eval("cluster"))
    for res in ctx.resources.values():
        if (
            res.block.labels[0] == "aws_ecs_cluster_capacity_providers"
            and refs_of(res.eval("cluster_name")) & cluster_refs
        ):
            return [
                (res.instance.eval_attr(b, "capacity_provider"), b)
                for b in res.block.children("default_capacity_provider_strategy")
            ]
    return []


def _provider_group(ctx: Context, service: Resource, provider: Any) -> Resource | None:
    found = ctx.referenced(provider, "aws_ecs_capacity_provider") or [
        r for r in [ctx.by_name(service.instance, "aws_ecs_capacity_provider", provider)] if r is not None
    ]
    for cp in found:
        asg_block = cp.block.child("auto_scaling_group_provider")
        if asg_block is None:
            continue
        groups = ctx.referenced(
            cp.instance.eval_attr(asg_block, "auto_scaling_group_arn"), "aws_autoscaling_group"
        )
        if groups:
            return groups[0]
    return None


def _hosting(ctx: Context, task: Resource) -> Hosting:
    services = _services(ctx, task)
    found = Hosting(services=[s.address for s in services], declared=[_declared(ctx, s) for s in services])
    for service in services:
        launch_type = service.eval("launch_type")
        if isinstance(launch_type, str):
            found.launch_type = launch_type.upper()
        for provider, block in _strategy(ctx, service):
            if isinstance(provider, str) and provider.upper() in FARGATE_PROVIDERS:
                found.capacity_providers.append(provider.upper())
                continue
            group = _provider_group(ctx, service, provider)
            if group is None:
                # not a Fargate one and not found: it still keeps the task off certain Fargate
                found.capacity_providers.append(provider.upper() if isinstance(provider, str) else "?")
                continue
            arch, location = host_archs(ctx, group)
            found.capacity_providers.append(group.address)
            if arch.known:
                found.hosts = EcsHosts(arch, location or Location(block.path, block.line), group.address)
                return found
    if not found.capacity_providers and found.launch_type in (None, "EC2"):
        found.hosts = _joined_by_user_data(ctx, services)
    return found


def _joined_by_user_data(ctx: Context, services: list[Resource]) -> EcsHosts | None:
    """The container instances of the services' one cluster, when the configuration's instances that
    join it do so through their user data (`ECS_CLUSTER=name` in the ECS agent's configuration)."""
    clusters = {_cluster_of(ctx, s) for s in services}
    cluster = clusters.pop() if len(clusters) == 1 else None
    if cluster is None:
        return None
    joined = []
    for res in list(ctx.resources.values()):
        if res.block.type != "resource" or res.block.labels[0] not in (
            "aws_autoscaling_group",
            "aws_instance",
        ):
            continue
        names, computed = agent_clusters(_user_data(ctx, res))
        if computed:
            return None  # instances joining a cluster named only at boot: maybe this one
        if cluster in names:
            arch, location = host_archs(ctx, res)
            joined.append(JoinedInstances(res.address, arch, location))
    return hosts_of_cluster(cluster, joined)


def _cluster_of(ctx: Context, service: Resource) -> str | None:
    value = service.eval("cluster")
    clusters = ctx.referenced(value, "aws_ecs_cluster")
    if clusters:
        value = clusters[0].eval("name")
    return known_cluster_name(value) if isinstance(value, str) else None


def _user_data(ctx: Context, res: Resource) -> str:
    """The user data of an instance or group (its own, its launch template's or launch
    configuration's), as text with unknown parts written `${...}`; "" when it has none."""
    source = _instances_template(ctx, res) if res.block.labels[0] == "aws_autoscaling_group" else res
    if source is None:
        return ""
    spec = source.block.child("launch_template") if source is res else None
    if spec is not None and source.block.attr("user_data") is None:
        template = launch_template_of(ctx, res.instance, spec)
        source = template if template is not None else source
    attr = source.block.attr("user_data") or source.block.attr("user_data_base64")
    if attr is None:
        return ""
    expr = attr.expr
    while isinstance(expr, Call) and expr.name in ("base64encode", "base64gzip") and len(expr.args) == 1:
        expr = expr.args[0]
    return as_text(source.instance.eval(expr, source.block.path))


def _instances_template(ctx: Context, group: Resource) -> Resource | None:
    """The launch template or launch configuration an auto scaling group launches its instances from."""
    name = next((c.launch_template for c in ctx.facts.capacities if c.name == group.address), None)
    return ctx.resource(name) if name else None


def task_definition(ctx: Context, res: Resource) -> None:
    platform = res.block.child("runtime_platform")
    ev = res.instance.eval_attr
    cpu = ev(platform, "cpu_architecture") if platform is not None else None
    cpu_loc = (
        Location(platform.path, platform.line_of("cpu_architecture")) if platform is not None else res.loc()
    )
    arch, arch_loc = ctx.arch_fact(cpu, cpu_loc, None, "runtime_platform.cpu_architecture")
    os_value = ev(platform, "operating_system_family") if platform is not None else None
    compat = res.eval("requires_compatibilities")
    containers = documents.objects(res, "container_definitions", ("image", "name"), many=True) or []
    images = [ctx.image_ref(c["image"].value, c["image"].location) for c in containers if "image" in c]
    compatibilities = tuple(str(c).upper() for c in compat) if isinstance(compat, list) else None
    os_family_location = (
        Location(platform.path, platform.line_of("operating_system_family"))
        if platform is not None and platform.attr("operating_system_family") is not None
        else None
    )
    family = res.eval("family")
    ecs = _hosting(ctx, res).facts(
        compatibilities, os_family_location, family if isinstance(family, str) else None
    )
    if cpu is None:
        arch, arch_loc = arch_when_omitted(ecs)
    ctx.facts.workloads.append(
        Workload(
            kind="aws_ecs_task_definition",
            name=res.address,
            service="ecs",
            location=res.loc(),
            arch=arch,
            arch_location=arch_loc,
            arch_via=ctx.via(cpu, cpu_loc),
            images=images,
            os_family=os_family_of(os_value),
            arch_syntax="tf-ecs",
            ecs=ecs,
        )
    )


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        ctx.at(block)
        if block.labels[:1] == ["aws_ecs_task_definition"]:
            for res in ctx.instances_of(instance, block):
                task_definition(ctx, res)
