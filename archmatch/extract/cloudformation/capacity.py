"""CloudFormation compute that hosts workloads: launch templates, instances, ASGs, EKS node groups
and Fargate profiles, Batch compute environments. The typed `Capacity` facts match the Terraform extractor's."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from archmatch.aws import compute
from archmatch.aws.batch import environment_is_fargate
from archmatch.aws.defaults import EKS_DEFAULT_INSTANCE_TYPE, eks_fargate_arch
from archmatch.aws.eks import cluster_ref, taint_effect
from archmatch.extract.cloudformation.context import Ctx, Resource, as_list, key_value_line, sub, value_line
from archmatch.extract.cloudformation.intrinsics import intrinsic, known_text, text_of
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

LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"
ASG = "AWS::AutoScaling::AutoScalingGroup"
EKS_DEFAULT_INSTANCE = EKS_DEFAULT_INSTANCE_TYPE  # EKS CreateNodegroup default when no type is given (docs/aws-facts.md#eks-node-groups)


@dataclass
class HostSpec:
    """Instance types and AMI of a launch template, or of a resource that overrides one."""

    instance_types: list[InstanceChoice] = field(default_factory=list)
    ami_arch: ArchFact = field(default_factory=lambda: ArchFact.unknown("no AMI given"))
    ami_location: Location | None = None
    ami: str | None = None
    ami_evidence: str = ""  # "ssm:<path>" / "eks-ami-type:<type>" when the AMI arch is known
    ami_verified: bool = True  # False when that evidence is UNVERIFIED in the reference
    launch_template: str | None = None

    def ami_only(self) -> HostSpec:
        return replace(self, instance_types=[])


def set_ami(ctx: Ctx, spec: HostSpec, raw: Any, line: int) -> None:
    """Arch of an AMI value: a well-known public SSM parameter path reveals it (`{{resolve:ssm:...}}`
    or an SSM-typed parameter's default); an AMI id does not."""
    text = text_of(ctx.resolve(raw))
    spec.ami, spec.ami_location = text, ctx.loc(line)
    arch = compute.ssm_ami_parameter_arch(text) if text else None
    if arch is None:
        spec.ami_arch = ArchFact.unknown(
            f"AMI {text or 'not resolvable'}: its architecture is not visible statically"
        )
        spec.ami_evidence = ""
        return
    path = (text or "")[(text or "").index("/aws/service/") :].removesuffix("}}")
    spec.ami_verified = compute.ssm_ami_parameter_is_verified(path)
    spec.ami_evidence = f"ssm:{path}"
    spec.ami_arch = ArchFact.derived(
        arch, note=f"SSM parameter {path}" + ("" if spec.ami_verified else " (path pattern UNVERIFIED)")
    )


def _instance_choice(ctx: Ctx, raw: Any, batch: bool = False) -> InstanceChoice | None:
    text = ctx.text(raw)
    if not text:
        return None
    arch = compute.batch_instance_type_arch(text) if batch else compute.instance_type_arch(text)
    return InstanceChoice(text, arch, ctx.loc(value_line(raw)))


def _choices(ctx: Ctx, raw: Any, batch: bool = False) -> list[InstanceChoice]:
    """Instance types of a list property; a whole-list intrinsic (Ref to a List parameter) too."""
    if batch and (branches := _undecided_branches(ctx, raw)) is not None:
        return _either(ctx, branches)
    if isinstance(raw, dict):
        line = value_line(raw)
        texts = [t for t in as_list(ctx.resolve(raw)) if isinstance(t, str)]
        pick = compute.batch_instance_type_arch if batch else compute.instance_type_arch
        return [InstanceChoice(t, pick(t), ctx.loc(line)) for t in texts]
    return [c for c in (_instance_choice(ctx, t, batch) for t in as_list(raw)) if c is not None]


def _undecided_branches(ctx: Ctx, raw: Any) -> tuple[Any, Any] | None:
    """The two branches of an `Fn::If` whose condition the template's defaults do not decide."""
    call = intrinsic(raw)
    if call is None or call[0] != "Fn::If" or not isinstance(call[1], list) or len(call[1]) != 3:
        return None
    condition = call[1][0]
    if not isinstance(condition, str) or ctx.tpl.condition(condition) is not None:
        return None
    return call[1][1], call[1][2]


def _either(ctx: Ctx, branches: tuple[Any, Any]) -> list[InstanceChoice]:
    """A compute environment's instance types under a condition: those of both branches (it may
    launch either), none (not known) when a branch gives none."""
    found = [_choices(ctx, branch, batch=True) for branch in branches]
    return [c for choices in found for c in choices] if all(found) else []


def _spec_from_data(ctx: Ctx, data_raw: Any, launch_template: str | None = None) -> HostSpec:
    spec = HostSpec(launch_template=launch_template)
    if not isinstance(data_raw, dict):
        return spec
    if (choice := _instance_choice(ctx, data_raw.get("InstanceType"))) is not None:
        spec.instance_types.append(choice)
    if "ImageId" in data_raw:
        set_ami(ctx, spec, data_raw["ImageId"], key_value_line(data_raw, "ImageId"))
    return spec


def launch_template_spec(ctx: Ctx, reference: Any) -> HostSpec | None:
    """The HostSpec of the AWS::EC2::LaunchTemplate that `reference` names (by id or by name)."""
    if not isinstance(reference, dict):
        return None
    for key in ("LaunchTemplateId", "LaunchTemplateName", "Id", "Name"):
        logical = ctx.logical_target(reference.get(key), (LAUNCH_TEMPLATE,))
        if logical is not None:
            body = ctx.tpl.resources[logical]
            return _spec_from_data(ctx, sub(body, "Properties", "LaunchTemplateData"), logical)
    return None


def _merge(own: HostSpec, template: HostSpec | None) -> HostSpec:
    """Values written on the resource override its launch template's."""
    if template is None:
        return own
    ami = own if own.ami is not None else template
    return replace(
        ami,
        instance_types=own.instance_types or template.instance_types,
        launch_template=template.launch_template,
    )


def _add(ctx: Ctx, res: Resource, spec: HostSpec, name: str = "", **facts: Any) -> Capacity:
    """`facts`: further typed `Capacity` fields (node_group, fargate, override_of, ...)."""
    cap = Capacity(
        kind=res.type,
        name=name or res.logical_id,
        location=ctx.loc(res.line),
        instance_types=spec.instance_types,
        ami_arch=spec.ami_arch,
        ami_location=spec.ami_location,
        ami_evidence=spec.ami_evidence,
        ami_verified=spec.ami_verified if spec.ami_evidence else True,
        launch_template=spec.launch_template or None,
        **facts,
    )
    ctx.facts.capacities.append(cap)
    return cap


def launch_template(ctx: Ctx, res: Resource) -> None:
    _add(ctx, res, _spec_from_data(ctx, res.raw.get("LaunchTemplateData")))


def ec2_instance(ctx: Ctx, res: Resource) -> None:
    own = _spec_from_data(ctx, res.raw)
    _add(ctx, res, _merge(own, launch_template_spec(ctx, res.raw.get("LaunchTemplate"))))


def asg_parts(ctx: Ctx, raw: Any) -> tuple[HostSpec | None, list[Any]]:
    """The launch template an ASG uses (directly or via its mixed-instances policy) and its overrides;
    a launch configuration's `InstanceType` and `ImageId` are read like a launch template's."""
    mixed = sub(raw, "MixedInstancesPolicy", "LaunchTemplate")
    if isinstance(mixed, dict):
        overrides = [o for o in as_list(mixed.get("Overrides")) if isinstance(o, dict)]
        return launch_template_spec(ctx, mixed.get("LaunchTemplateSpecification")), overrides
    configuration = ctx.logical_target(sub(raw, "LaunchConfigurationName"), (LAUNCH_CONFIGURATION,))
    if configuration is not None and sub(raw, "LaunchTemplate") is None:
        props = sub(ctx.tpl.resources.get(configuration), "Properties")
        return _spec_from_data(ctx, props, configuration), []
    return launch_template_spec(ctx, sub(raw, "LaunchTemplate")), []


def autoscaling_group(ctx: Ctx, res: Resource) -> None:
    """One capacity for the group (its override instance types against its launch template's AMI)
    and one per override bringing its own launch template, hence its own AMI. The launch template's
    own instance type belongs to the launch template's capacity and is not repeated here."""
    template, overrides = asg_parts(ctx, res.raw)
    own = HostSpec()
    for index, override in enumerate(overrides):
        choice = _instance_choice(ctx, override.get("InstanceType"))
        other = launch_template_spec(ctx, override.get("LaunchTemplateSpecification"))
        if other is not None:
            spec = replace(other, instance_types=[choice] if choice else [])
            _add(ctx, res, spec, name=f"{res.logical_id}.Overrides[{index}]", override_of=res.logical_id)
            continue
        if choice is not None:
            own.instance_types.append(choice)
        if "ImageId" in override and own.ami is None:
            set_ami(ctx, own, override["ImageId"], key_value_line(override, "ImageId"))
    spec = _merge(own, template.ami_only() if template is not None else None)
    _add(ctx, res, spec)


def asg_host_arch(ctx: Ctx, asg_logical: str) -> tuple[ArchFact, Location | None]:
    """Arch of the instances an ASG launches: instance types first, then a verified AMI."""
    template, overrides = asg_parts(ctx, sub(ctx.tpl.resources.get(asg_logical), "Properties"))
    choices = [c for c in (_instance_choice(ctx, o.get("InstanceType")) for o in overrides) if c is not None]
    if not choices and template is not None:
        choices = template.instance_types
    archs = {c.arch for c in choices}
    if choices and None not in archs:
        names = ", ".join(sorted({c.instance_type for c in choices}))
        return ArchFact.derived(*sorted(a for a in archs if a), note=f"instance types {names}"), choices[
            0
        ].location
    if not choices and template is not None and template.ami_arch.known and template.ami_verified:
        return template.ami_arch, template.ami_location
    return ArchFact.unknown(), None


def instance_host_arch(ctx: Ctx, logical: str) -> tuple[ArchFact, Location | None]:
    """Arch of one EC2 instance: its instance type (or its launch template's), then a verified AMI."""
    props = sub(ctx.tpl.resources.get(logical), "Properties")
    spec = _merge(_spec_from_data(ctx, props), launch_template_spec(ctx, sub(props, "LaunchTemplate")))
    archs = {c.arch for c in spec.instance_types}
    if spec.instance_types and None not in archs:
        names = ", ".join(sorted({c.instance_type for c in spec.instance_types}))
        arch = ArchFact.derived(*sorted(a for a in archs if a), note=f"instance types {names}")
        return arch, spec.instance_types[0].location
    if not spec.instance_types and spec.ami_arch.known and spec.ami_verified:
        return spec.ami_arch, spec.ami_location
    return ArchFact.unknown(), None


def _cluster(ctx: Ctx, res: Resource) -> ClusterRef | None:
    """`ClusterName` of a node group or Fargate profile: its value, or the `Name` of the
    `AWS::EKS::Cluster` it refers to (`Ref` gives a cluster's name), else the reference as written."""
    raw = res.raw.get("ClusterName")
    if raw is None:
        return None
    where = ctx.loc(key_value_line(res.raw, "ClusterName"))
    value = ctx.text(raw)
    ref = intrinsic(raw)
    target = ctx.tpl.resources.get(ref[1]) if ref is not None and ref[0] == "Ref" else None
    if value is None and isinstance(target, dict) and target.get("Type") == "AWS::EKS::Cluster":
        props = target.get("Properties")
        value = ctx.text(props.get("Name")) if isinstance(props, dict) else None
    written = f"{ref[0]} {ref[1]}" if ref is not None else str(raw)
    return cluster_ref(value, written, ctx.tpl.path, f"{res.logical_id}.ClusterName", where)


def eks_nodegroup(ctx: Ctx, res: Resource) -> None:
    defaulted = False
    template = launch_template_spec(ctx, res.raw.get("LaunchTemplate"))
    spec = _merge(HostSpec(instance_types=_choices(ctx, res.raw.get("InstanceTypes"))), template)
    ami_type = ctx.text(res.raw.get("AmiType"))
    if "AmiType" in res.raw:
        arch = compute.eks_ami_type_arch(ami_type) if ami_type else None
        spec.ami_location = ctx.loc(key_value_line(res.raw, "AmiType"))
        spec.ami_arch = (
            ArchFact.derived(arch, note=f"AmiType {ami_type}")
            if arch
            else ArchFact.unknown(f"AmiType {ami_type}")
        )
        spec.ami_evidence, spec.ami_verified = (f"eks-ami-type:{ami_type}", True) if arch else ("", True)
    elif template is None:
        spec.ami_arch = ArchFact.unknown("AmiType not set: EKS picks the AMI type")
    if not spec.instance_types:
        spec.instance_types = [InstanceChoice(EKS_DEFAULT_INSTANCE, AMD64, ctx.loc(res.line))]
        defaulted = True
    labels = _node_labels(ctx, res.raw.get("Labels"))
    _add(
        ctx,
        res,
        spec,
        node_group=NodeGroupFacts(
            instance_types_default=defaulted,
            labels=labels,
            taints=_node_taints(ctx, res.raw.get("Taints")),
            labels_complete=template is None and labels is not None,
        ),
        cluster=_cluster(ctx, res),
    )


def _node_labels(ctx: Ctx, raw: Any) -> dict[str, str] | None:
    """A node group's `Labels` map; None when it or a value is not known."""
    value = ctx.tpl.resolve(raw)
    if value is None:
        return {}
    if not isinstance(value, dict) or intrinsic(value) is not None:
        return None
    labels = {str(k): ctx.text(v) for k, v in value.items()}
    return (
        None
        if any(v is None for v in labels.values())
        else {k: v for k, v in labels.items() if v is not None}
    )


def _node_taints(ctx: Ctx, raw: Any) -> tuple[tuple[str, str | None, str], ...] | None:
    """A node group's `Taints` ({Key, Value, Effect: NO_SCHEDULE | NO_EXECUTE | PREFER_NO_SCHEDULE});
    None when one is not known."""
    if raw is None:
        return ()
    out: list[tuple[str, str | None, str]] = []
    for item in as_list(raw):
        key, effect = ctx.text(sub(item, "Key")), ctx.text(sub(item, "Effect"))
        value = sub(item, "Value")
        kube_effect = taint_effect(effect) if effect is not None else None
        if key is None or kube_effect is None or (value is not None and ctx.text(value) is None):
            return None
        out.append((key, ctx.text(value) if value is not None else None, kube_effect))
    return tuple(out)


def eks_fargate_profile(ctx: Ctx, res: Resource) -> None:
    selectors = []
    for item in as_list(res.props.get("Selectors")):
        labels = as_list(sub(item, "Labels"))  # CFN writes labels as a list of {Key, Value}
        pairs = [
            (known_text(sub(lab, "Key")), known_text(sub(lab, "Value")))
            for lab in labels
            if isinstance(lab, dict)
        ]
        selectors.append(
            FargateSelector(
                known_text(sub(item, "Namespace")),
                {k: v for k, v in pairs if k is not None and v is not None}
                if all(k is not None and v is not None for k, v in pairs)
                else None,
            )
        )
    spec = HostSpec(ami_arch=eks_fargate_arch())
    _add(
        ctx,
        res,
        spec,
        fargate=True,
        fargate_profile=FargateProfileFacts(tuple(selectors)),
        cluster=_cluster(ctx, res),
    )


def batch_compute_environment(ctx: Ctx, res: Resource) -> None:
    resources = res.raw.get("ComputeResources")
    kind = (ctx.text(sub(resources, "Type")) or "").upper()
    own = HostSpec(instance_types=_choices(ctx, sub(resources, "InstanceTypes"), batch=True))
    image_raw = sub(resources, "ImageId")
    for conf in as_list(sub(resources, "Ec2Configuration")):
        if isinstance(conf, dict) and "ImageIdOverride" in conf:
            image_raw = conf["ImageIdOverride"]
    if image_raw is not None:
        set_ami(ctx, own, image_raw, value_line(image_raw))
    spec = _merge(own, launch_template_spec(ctx, sub(resources, "LaunchTemplate")))
    spec.instance_types = own.instance_types
    _add(ctx, res, spec, batch_type=kind or None, fargate=environment_is_fargate(kind))
