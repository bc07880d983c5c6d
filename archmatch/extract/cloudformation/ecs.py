"""Where ECS runs each task definition: service -> launch type or capacity provider strategy (or
the cluster's default strategy) -> capacity provider -> ASG -> instance types / AMI.
Fills the same `details` keys as the Terraform extractor (`services`, `launch_type`,
`capacity_providers`, `capacity_arch`, `capacity_location`, `capacity_name`, `fargate`)."""

from __future__ import annotations

from typing import Any

from archmatch.aws.ecs import FARGATE_PROVIDERS
from archmatch.extract.cloudformation.capacity import asg_host_arch
from archmatch.extract.cloudformation.context import Ctx, as_list, sub, value_line
from archmatch.extract.cloudformation.intrinsics import known_text

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


def hosting(ctx: Ctx, task_logical: str, details: dict[str, Any]) -> None:
    services = {
        str(logical): sub(body, "Properties")
        for logical, body in ctx.tpl.resources.items()
        if sub(body, "Type") == SERVICE
        and ctx.logical_target(sub(body, "Properties", "TaskDefinition"), (TASK,)) == task_logical
    }
    details["services"] = sorted(services)
    for props in services.values():
        launch_type = ctx.text(sub(props, "LaunchType"))
        if launch_type:
            details["launch_type"] = launch_type.upper()
        strategy = as_list(sub(props, "CapacityProviderStrategy")) or (
            [] if launch_type else _cluster_strategy(ctx, props)
        )
        for item in strategy:
            raw_provider = sub(item, "CapacityProvider")
            name = known_text(ctx.resolve(raw_provider))
            if name and name.upper() in FARGATE_PROVIDERS:
                details.setdefault("capacity_providers", []).append(name.upper())
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
                continue
            details.setdefault("capacity_providers", []).append(asg)
            arch, location = asg_host_arch(ctx, asg)
            if arch.known:
                details["capacity_arch"] = arch
                details["capacity_location"] = location or ctx.loc(value_line(raw_provider))
                details["capacity_name"] = asg
                return
