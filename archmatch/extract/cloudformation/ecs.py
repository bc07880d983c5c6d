"""Where ECS runs each task definition: service -> launch type or capacity provider strategy (or
the cluster's default strategy) -> capacity provider -> ASG -> instance types / AMI.
Collects the same `aws.ecs.Hosting` as the Terraform extractor."""

from __future__ import annotations

from typing import Any

from archmatch.aws.ecs import (
    DEFAULT_CLUSTER,
    FARGATE_PROVIDERS,
    Hosting,
    JoinedInstances,
    agent_clusters,
    cluster_name,
    hosts_of_cluster,
    known_cluster_name,
)
from archmatch.extract.cloudformation.capacity import (
    ASG,
    LAUNCH_CONFIGURATION,
    LAUNCH_TEMPLATE,
    asg_host_arch,
    instance_host_arch,
)
from archmatch.extract.cloudformation.context import Ctx, as_list, sub, value_line
from archmatch.extract.cloudformation.intrinsics import intrinsic, known_text, text_of
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
    if not found.capacity_providers and found.launch_type in (None, "EC2"):
        found.hosts = _joined_by_user_data(ctx, list(services.values()))
    return found


def _joined_by_user_data(ctx: Ctx, services: list[Any]) -> EcsHosts | None:
    """The container instances of the services' one cluster, when the template's instances that join
    it do so through their user data (`ECS_CLUSTER=name` in the ECS agent's configuration)."""
    clusters = {_cluster_of(ctx, props) for props in services}
    only = clusters.pop() if len(clusters) == 1 else None
    if only is None:
        return None
    cluster, logical = only
    joined = []
    for name, body in ctx.tpl.resources.items():
        kind = sub(body, "Type")
        if kind not in (ASG, "AWS::EC2::Instance"):
            continue
        text = _user_data(ctx, sub(body, "Properties"), kind)
        if logical is not None:
            text = text.replace("${" + logical + "}", cluster)
        names, computed = agent_clusters(text)
        if computed:
            return None  # instances joining a cluster named only at boot: maybe this one
        if cluster in names:
            arch, location = (
                asg_host_arch(ctx, str(name)) if kind == ASG else instance_host_arch(ctx, str(name))
            )
            joined.append(JoinedInstances(str(name), arch, location))
    return hosts_of_cluster(cluster, joined)


def _cluster_of(ctx: Ctx, props: Any) -> tuple[str, str | None] | None:
    """The service's cluster name (or the logical id of a cluster whose name CloudFormation chooses),
    and the cluster's logical id when the template declares it."""
    raw = sub(props, "Cluster")
    logical = ctx.logical_target(raw, (CLUSTER,))
    if logical is not None:
        written = ctx.text(sub(ctx.tpl.resources.get(logical), "Properties", "ClusterName"))
        name = known_cluster_name(written) if written else logical
        return (name, logical) if name else None
    text = ctx.text(raw)
    name = known_cluster_name(text) if text else None
    return (name, None) if name else None


def _user_data(ctx: Ctx, props: Any, kind: Any) -> str:
    """The user data of an instance or group (its own, its launch template's or launch
    configuration's) as text with unknown parts written `${...}`; "" when it has none."""
    raw = sub(props, "UserData")
    if raw is None:
        for key, types, path in (
            ("LaunchConfigurationName", (LAUNCH_CONFIGURATION,), ("Properties", "UserData")),
            ("LaunchTemplate", (LAUNCH_TEMPLATE,), ("Properties", "LaunchTemplateData", "UserData")),
        ):
            spec = sub(props, key)
            reference = spec if key == "LaunchConfigurationName" else _template_reference(spec)
            logical = ctx.logical_target(reference, types) if reference is not None else None
            if logical is not None:
                raw = sub(ctx.tpl.resources.get(logical), *path)
                break
    call = intrinsic(raw)
    if call is not None and call[0] in ("Fn::Base64", "!Base64"):
        raw = call[1]
    return text_of(ctx.resolve(raw)) or ""


def _template_reference(spec: Any) -> Any:
    if not isinstance(spec, dict):
        return None
    return next(
        (spec[k] for k in ("LaunchTemplateId", "LaunchTemplateName", "Id", "Name") if k in spec), None
    )
