"""EKS managed node groups and Fargate profiles."""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any

from archmatch.aws import compute
from archmatch.aws.defaults import EKS_DEFAULT_INSTANCE_TYPE, eks_fargate_arch
from archmatch.aws.eks import cluster_ref, taint_effect
from archmatch.extract.terraform.compute import launch_template_of, template_ami, template_choices
from archmatch.extract.terraform.context import AmiFact, Context, Resource
from archmatch.extract.terraform.instances import unexpanded
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import as_text
from archmatch.model import (
    Capacity,
    ClusterRef,
    FargateProfileFacts,
    FargateSelector,
    InstanceChoice,
    Location,
    NodeGroupFacts,
)
from archmatch.platforms import AMD64, ArchFact

DEFAULT_INSTANCE_TYPE = (
    EKS_DEFAULT_INSTANCE_TYPE  # EKS API default when neither instance_types nor the LT set one
)


def ami_type_fact(value: Any, location: Location) -> AmiFact:
    if value is None:
        return AmiFact(ArchFact.unknown("ami_type not set: EKS picks the AMI type"), None)
    if not isinstance(value, str):
        return AmiFact(ArchFact.unknown(f"ami_type = {as_text(value)}"), location)
    arch = compute.eks_ami_type_arch(value)
    if arch is None:
        return AmiFact(ArchFact.unknown(f"ami_type {value}"), location)
    return AmiFact(ArchFact.derived(arch, note=f"ami_type {value}"), location, f"eks-ami-type:{value}")


def node_group_capacity(
    kind: str,
    name: str,
    location: Location,
    choices: list[InstanceChoice],
    ami: AmiFact,
    launch_template: str | None = None,
    module: str | None = None,
    nodes: NodeGroupFacts | None = None,
) -> Capacity:
    defaulted = not choices
    if defaulted:
        choices = [InstanceChoice(DEFAULT_INSTANCE_TYPE, AMD64, location)]
    return Capacity(
        kind,
        name,
        location,
        choices,
        ami.arch,
        ami.location,
        ami_evidence=ami.evidence,
        ami_verified=ami.verified if ami.evidence else True,
        launch_template=launch_template,
        node_group=replace(nodes or NodeGroupFacts(), instance_types_default=defaulted),
        module=module,
    )


def node_labels_and_taints(labels: Any, taints: list[Any] | None, complete: bool) -> NodeGroupFacts:
    """The labels and taints a managed node group gives its nodes, as evaluated: `labels` a map,
    `taints` a list of {key, value, effect} (None: not known). `complete` when nothing else (a launch
    template, bootstrap arguments) may add labels. A value that is not a known string makes the
    labels, or the taints, unknown."""
    known_labels: dict[str, str] | None = {}
    if isinstance(labels, dict):
        known_labels = {str(k): v for k, v in labels.items() if isinstance(v, str)}
        if len(known_labels) != len(labels):
            known_labels = None
    elif labels is not None:
        known_labels = None
    return NodeGroupFacts(
        labels=known_labels, taints=_taints(taints), labels_complete=complete and known_labels is not None
    )


def _taints(taints: list[Any] | None) -> tuple[tuple[str, str | None, str], ...] | None:
    if taints is None:
        return None
    out: list[tuple[str, str | None, str]] = []
    for taint in taints:
        key, value, effect = (
            taint.get(k) if isinstance(taint, dict) else None for k in ("key", "value", "effect")
        )
        kube_effect = taint_effect(effect) if isinstance(effect, str) else None
        if not isinstance(key, str) or kube_effect is None or not isinstance(value, (str, type(None))):
            return None
        out.append((key, value, kube_effect))
    return tuple(out)


def fargate_selector(namespace: Any, labels: Any) -> FargateSelector:
    """A selector as evaluated: no labels selects every pod of the namespace; a label value that
    is not a known string (or labels that are not a map) never matches."""
    if not labels:
        return FargateSelector(namespace if isinstance(namespace, str) else None, {})
    known = isinstance(labels, dict) and all(isinstance(v, str) for v in labels.values())
    return FargateSelector(
        namespace if isinstance(namespace, str) else None,
        {str(k): str(v) for k, v in labels.items()} if known else None,
    )


def resource_cluster(res: Resource) -> ClusterRef | None:
    """The `cluster_name` of a node group or Fargate profile resource."""
    if res.block.attr("cluster_name") is None:
        return None
    value = res.eval("cluster_name")
    where = res.loc("cluster_name")
    scope = f"{posixpath.dirname(where.path) or '.'}:{res.instance.prefix}".rstrip(":")
    text = value if isinstance(value, str) else None
    return cluster_ref(text, as_text(value), scope, f"{res.local}.cluster_name", where)


def node_group(ctx: Context, res: Resource) -> None:
    ami = ami_type_fact(res.eval("ami_type"), res.loc("ami_type"))
    choices = ctx.instance_choices(res.eval("instance_types"), res.loc("instance_types"))
    spec = res.block.child("launch_template")
    template = launch_template_of(ctx, res.instance, spec) if spec is not None else None
    if template is not None:
        if not choices:
            choices = template_choices(ctx, template)
        if res.block.attr("ami_type") is None:
            ami = template_ami(ctx, template)
    taints = (
        None  # a `dynamic "taint"` over a collection not known
        if unexpanded(res.block, "taint")
        else [
            {k: res.instance.eval_attr(b, k) for k in ("key", "value", "effect")}
            for b in res.block.children("taint")
        ]
    )
    # a launch template (one `dynamic "launch_template"` may give) may add labels through user data
    complete = spec is None and not unexpanded(res.block, "launch_template")
    capacity = node_group_capacity(
        "aws_eks_node_group",
        res.address,
        res.loc(),
        choices,
        ami,
        launch_template=template.address if template is not None else None,
        nodes=node_labels_and_taints(res.eval("labels"), taints, complete=complete),
    )
    ctx.facts.capacities.append(replace(capacity, cluster=resource_cluster(res)))


def fargate_profile(ctx: Context, res: Resource) -> None:
    selectors = tuple(
        fargate_selector(res.instance.eval_attr(s, "namespace"), res.instance.eval_attr(s, "labels"))
        for s in res.block.children("selector")
    )
    ctx.facts.capacities.append(
        Capacity(
            kind="aws_eks_fargate_profile",
            name=res.address,
            location=res.loc(),
            ami_arch=eks_fargate_arch(),
            fargate=True,
            fargate_profile=FargateProfileFacts(selectors),
            cluster=resource_cluster(res),
        )
    )


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        ctx.at(block)
        kind = block.labels[0] if block.labels else ""
        if kind not in ("aws_eks_node_group", "aws_eks_fargate_profile"):
            continue
        for res in ctx.instances_of(instance, block):
            if kind == "aws_eks_node_group":
                node_group(ctx, res)
            else:
                fargate_profile(ctx, res)
