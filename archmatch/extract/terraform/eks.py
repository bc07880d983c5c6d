"""EKS managed node groups and Fargate profiles."""

from __future__ import annotations

from typing import Any

from archmatch import aws_arch
from archmatch.aws.defaults import EKS_DEFAULT_INSTANCE_TYPE
from archmatch.extract.terraform.compute import launch_template_of, template_ami, template_choices
from archmatch.extract.terraform.context import AmiFact, Context, Resource
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import as_text
from archmatch.model import Capacity, InstanceChoice, Location
from archmatch.platforms import AMD64, ArchFact

DEFAULT_INSTANCE_TYPE = (
    EKS_DEFAULT_INSTANCE_TYPE  # EKS API default when neither instance_types nor the LT set one
)


def ami_type_fact(value: Any, location: Location) -> AmiFact:
    if value is None:
        return AmiFact(ArchFact.unknown("ami_type not set: EKS picks the AMI type"), None)
    if not isinstance(value, str):
        return AmiFact(ArchFact.unknown(f"ami_type = {as_text(value)}"), location)
    arch = aws_arch.eks_ami_type_arch(value)
    if arch is None:
        return AmiFact(ArchFact.unknown(f"ami_type {value}"), location)
    return AmiFact(ArchFact.derived(arch, note=f"ami_type {value}"), location, f"eks-ami-type:{value}")


def node_group_capacity(
    kind: str,
    name: str,
    location: Location,
    choices: list[InstanceChoice],
    ami: AmiFact,
    details: dict[str, Any],
) -> Capacity:
    if not choices:
        choices = [InstanceChoice(DEFAULT_INSTANCE_TYPE, AMD64, location)]
        details["instance_types_default"] = True
    if ami.evidence:
        details.update(ami_evidence=ami.evidence, ami_verified=ami.verified)
    details["eks_node_group"] = True
    return Capacity(kind, name, location, choices, ami.arch, ami.location, details)


def node_group(ctx: Context, res: Resource) -> None:
    details: dict[str, Any] = {"cluster": res.eval("cluster_name")}
    ami = ami_type_fact(res.eval("ami_type"), res.loc("ami_type"))
    choices = ctx.instance_choices(res.eval("instance_types"), res.loc("instance_types"))
    spec = res.block.child("launch_template")
    template = launch_template_of(ctx, res.instance, spec) if spec is not None else None
    if template is not None:
        details["launch_template"] = template.address
        if not choices:
            choices = template_choices(ctx, template)
        if res.block.attr("ami_type") is None:
            ami = template_ami(ctx, template)
    ctx.facts.capacities.append(
        node_group_capacity("aws_eks_node_group", res.address, res.loc(), choices, ami, details)
    )


def fargate_profile(ctx: Context, res: Resource) -> None:
    selectors = [
        {"namespace": res.instance.eval_attr(s, "namespace"), "labels": res.instance.eval_attr(s, "labels")}
        for s in res.block.children("selector")
    ]
    ctx.facts.capacities.append(
        Capacity(
            kind="aws_eks_fargate_profile",
            name=res.address,
            location=res.loc(),
            ami_arch=ArchFact.derived(AMD64, note="EKS on Fargate runs x86_64 only"),
            details={"cluster": res.eval("cluster_name"), "fargate": True, "selectors": selectors},
        )
    )


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        ctx.at(block)
        kind = block.labels[0] if block.labels else ""
        if kind not in ("aws_eks_node_group", "aws_eks_fargate_profile"):
            continue
        res = ctx.resource(instance.prefix + ".".join(block.labels))
        if res is None:
            continue
        if kind == "aws_eks_node_group":
            node_group(ctx, res)
        else:
            fargate_profile(ctx, res)
