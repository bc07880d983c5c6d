"""Where ECS runs each task definition: service -> launch type or capacity provider strategy (or
the cluster's default strategy) -> capacity provider -> ASG -> instance types / AMI.
Collects the same `aws.ecs.Hosting` as the Terraform extractor."""

from __future__ import annotations

from typing import Any

from archmatch.aws.ecs import DEFAULT_CLUSTER, FARGATE_PROVIDERS, Hosting, cluster_name
from archmatch.extract.cloudformation.capacity import asg_host_arch
from archmatch.extract.cloudformation.context import Ctx, as_list, sub, value_line
from archmatch.extract.cloudformation.intrinsics import known_text
from archmatch.model import EcsHosts, EcsService

SERVICE = "AWS::ECS::Service"
CLUSTER = "AWS::ECS::Cluster"
TASK = "AWS::ECS::TaskDefinition"


def _cluster_strategy(ctx: Ctx, service_props: Any) -> list[Any]:
    cluster = ctx.logical_target(sub(service_props, "Cluster"), (CLUSTER,))
    if cluster is None:
        return []
    for logical, body in ctx.tpl.resources.items():
        kind = sub(body, "Type")
        props = sub(body, "Properties")
        if (
            kind == CLUSTER
            and logical == cluster
            or kind == "AWS::ECS::ClusterCapacityProviderAssociations"
            and ctx.logical_target(sub(props, "Cluster"), (CLUSTER,)) == cluster
        ):
            strategy = sub(props, "DefaultCapacityProviderStrategy")
        else:
            continue
        if strategy:
            return as_list(strategy)
    return []


def _declared(ctx: Ctx, logical: str, props: Any) -> EcsService:
    """The service with its `ServiceName` (None when CloudFormation names it) and its cluster's name:
    the `ClusterName` of the `AWS::ECS::Cluster` it refers to, a name or ARN, the default cluster
    when it names none; None when not known."""
    cluster_raw = sub(props, "Cluster")
    cluster: str | None = DEFAULT_CLUSTER
    if cluster_raw is not None:
        target = ctx.logical_target(cluster_raw, (CLUSTER,))
        if target is not None:
            cluster = ctx.text(sub(ctx.tpl.resources.get(target), "Properties", "ClusterName"))
        else:
            written = ctx.text(cluster_raw)
            cluster = cluster_name(written) if written else None
    line = ctx.tpl.resources.line_of(logical)
    return EcsService(logical, ctx.text(sub(props, "ServiceName")), cluster, ctx.loc(line))


def hosting(ctx: Ctx, task_logical: str) -> Hosting:
    services = {
        str(logical): sub(body, "Properties")
        for logical, body in ctx.tpl.resources.items()
        if sub(body, "Type") == SERVICE
        and ctx.logical_target(sub(body, "Properties", "TaskDefinition"), (TASK,)) == task_logical
    }
    found = Hosting(
        services=sorted(services), declared=[_declared(ctx, n, p) for n, p in sorted(services.items())]
    )
    for props in services.values():
        launch_type = ctx.text(sub(props, "LaunchType"))
        if launch_type:
            found.launch_type = launch_type.upper()
        strategy = as_list(sub(props, "CapacityProviderStrategy")) or (
            [] if launch_type else _cluster_strategy(ctx, props)
        )
        for item in strategy:
            raw_provider = sub(item, "CapacityProvider")
            name = known_text(ctx.resolve(raw_provider))
            if name and name.upper() in FARGATE_PROVIDERS:
                found.capacity_providers.append(name.upper())
                continue
            provider = ctx.logical_target(raw_provider, ("AWS::ECS::CapacityProvider",))
            asg_ref = (
                sub(
                    ctx.tpl.resources.get(provider),
                    "Properties",
                    "AutoScalingGroupProvider",
                    "AutoScalingGroupArn",
                )
                if provider
                else None
            )
            asg = (
                ctx.logical_target(asg_ref, ("AWS::AutoScaling::AutoScalingGroup",))
                if asg_ref is not None
                else None
            )
            if asg is None:
                # not a Fargate one and not found: it still keeps the task off certain Fargate
                found.capacity_providers.append(name.upper() if name else "?")
                continue
            found.capacity_providers.append(asg)
            arch, location = asg_host_arch(ctx, asg)
            if arch.known:
                found.hosts = EcsHosts(arch, location or ctx.loc(value_line(raw_provider)), asg)
                return found
    return found
