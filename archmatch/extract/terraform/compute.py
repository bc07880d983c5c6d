"""Lambda, App Runner, Batch and EC2 (instances, launch templates, auto scaling groups)."""

from __future__ import annotations

from typing import Any

from archmatch.aws.batch import (
    environment_is_fargate,
    job_arch_when_omitted,
    job_gpu_request,
    job_runs_on_fargate,
)
from archmatch.aws.defaults import LAMBDA_DEFAULT_ARCH, apprunner_arch
from archmatch.aws.ecs import os_family_of
from archmatch.extract.terraform import documents
from archmatch.extract.terraform.context import AmiFact, Context, Resource
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.model import BatchJobFacts, Capacity, EcsFacts, InstanceChoice, LambdaFacts, Location, Workload
from archmatch.platforms import ArchFact


def _name(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def lambda_function(ctx: Context, res: Resource) -> None:
    package = res.eval("package_type")
    package_type = package if isinstance(package, str) else ("Zip" if package is None else "unknown")
    arch_value = res.eval("architectures")
    arch, arch_loc = ctx.arch_fact(arch_value, res.loc("architectures"), LAMBDA_DEFAULT_ARCH, "architectures")
    images = []
    if res.block.attr("image_uri") is not None:
        images.append(ctx.image_ref(res.eval("image_uri"), res.loc("image_uri")))
    ctx.facts.workloads.append(
        Workload(
            kind="aws_lambda_function",
            name=res.address,
            service="lambda",
            location=res.loc(),
            arch=arch,
            arch_location=arch_loc,
            arch_via=ctx.via(arch_value, res.loc("architectures")),
            images=images,
            arch_syntax="tf-lambda",
            lambda_=LambdaFacts(package_type=package_type, function_name=_name(res.eval("function_name"))),
        )
    )


def apprunner_service(ctx: Context, res: Resource) -> None:
    source = res.block.child("source_configuration")
    repo = source.child("image_repository") if source is not None else None
    images = []
    if repo is not None and repo.attr("image_identifier") is not None:
        value = res.instance.eval_attr(repo, "image_identifier")
        images.append(ctx.image_ref(value, Location(repo.path, repo.line_of("image_identifier"))))
    ctx.facts.workloads.append(
        Workload(
            kind="aws_apprunner_service",
            name=res.address,
            service="apprunner",
            location=res.loc(),
            arch=apprunner_arch(),
            images=images,
        )
    )


def batch_job_definition(ctx: Context, res: Resource) -> None:
    caps = res.eval("platform_capabilities")
    fargate = job_runs_on_fargate(caps if isinstance(caps, list) else None)
    props = documents.objects(
        res, "container_properties", ("image", "runtimePlatform", "resourceRequirements"), many=False
    )
    fields = props[0] if props else {}
    images = [ctx.image_ref(fields["image"].value, fields["image"].location)] if "image" in fields else []
    platform = fields.get("runtimePlatform")
    cpu = (
        platform.value.get("cpuArchitecture")
        if platform is not None and isinstance(platform.value, dict)
        else None
    )
    os_family = (
        platform.value.get("operatingSystemFamily")
        if platform is not None and isinstance(platform.value, dict)
        else None
    )
    if cpu is not None:
        arch, arch_loc = ctx.arch_fact(cpu, platform.location, None, "runtimePlatform.cpuArchitecture")  # type: ignore[union-attr]
    else:
        arch, arch_loc = job_arch_when_omitted(fargate), None
    ctx.facts.workloads.append(
        Workload(
            kind="aws_batch_job_definition",
            name=res.address,
            service="batch",
            location=res.loc(),
            arch=arch,
            arch_location=arch_loc,
            images=images,
            os_family=os_family_of(os_family),
            arch_syntax="tf-batch",
            ecs=EcsFacts(
                fargate=fargate,
                platform_capabilities=tuple(str(c) for c in caps) if isinstance(caps, list) else None,
            ),
            batch=BatchJobFacts(gpu=_gpu(props, fields)),
        )
    )


def _gpu(props: list[dict[str, documents.Field]] | None, fields: dict[str, documents.Field]) -> bool | None:
    """Whether the job's container asks for a GPU; None when its properties are not known."""
    if not props:
        return None
    requirements = fields.get("resourceRequirements")
    return job_gpu_request(requirements.value) if requirements is not None else False


def batch_compute_environment(ctx: Context, res: Resource) -> None:
    resources = res.block.child("compute_resources")
    facts: dict[str, Any] = {}
    choices: list[InstanceChoice] = []
    ami = AmiFact(ArchFact.unknown(), None)
    if resources is not None:
        ev = res.instance.eval_attr
        ctype = ev(resources, "type")
        facts["batch_type"] = ctype if isinstance(ctype, str) else None
        facts["fargate"] = environment_is_fargate(ctype)
        choices = ctx.instance_choices(
            ev(resources, "instance_type"),
            Location(resources.path, resources.line_of("instance_type")),
            batch=True,
        )
        for conf in resources.children("ec2_configuration"):
            override = ev(conf, "image_id_override")
            if override is not None:
                ami = ctx.ami(override, Location(conf.path, conf.line_of("image_id_override")))
        if not ami.arch.known and resources.attr("image_id") is not None:
            ami = ctx.ami(ev(resources, "image_id"), Location(resources.path, resources.line_of("image_id")))
        lt = resources.child("launch_template")
        if lt is not None:
            template = launch_template_of(ctx, res.instance, lt)
            if template is not None:
                facts["launch_template"] = template.address
                if not ami.arch.known:
                    ami = template_ami(ctx, template)
    _capacity(ctx, res, choices, ami, **facts)


def _capacity(
    ctx: Context,
    res: Resource,
    choices: list[InstanceChoice],
    ami: AmiFact,
    name: str = "",
    **facts: Any,
) -> Capacity:
    """`facts`: further typed `Capacity` fields (launch_template, override_of, fargate, ...)."""
    capacity = Capacity(
        kind=res.block.labels[0],
        name=name or res.address,
        location=res.loc(),
        instance_types=choices,
        ami_arch=ami.arch,
        ami_location=ami.location,
        ami_evidence=ami.evidence,
        ami_verified=ami.verified if ami.evidence else True,
        **facts,
    )
    ctx.facts.capacities.append(capacity)
    return capacity


def launch_template_of(ctx: Context, instance: ModuleInstance, spec: Any) -> Resource | None:
    """The aws_launch_template a `launch_template { id | name }` block (or spec object) points at."""
    for key in ("id", "launch_template_id", "name", "launch_template_name"):
        value = instance.eval_attr(spec, key) if hasattr(spec, "attrs") else None
        if value is None:
            continue
        found = ctx.referenced(value, "aws_launch_template")
        if found:
            return found[0]
        by_name = ctx.by_name(instance, "aws_launch_template", value)
        if by_name is not None:
            return by_name
    return None


def template_ami(ctx: Context, template: Resource) -> AmiFact:
    if template.block.attr("image_id") is None:
        return AmiFact(ArchFact.unknown(), None)
    return ctx.ami(template.eval("image_id"), template.loc("image_id"))


def template_choices(ctx: Context, template: Resource) -> list[InstanceChoice]:
    return ctx.instance_choices(template.eval("instance_type"), template.loc("instance_type"))


def launch_template(ctx: Context, res: Resource) -> None:
    _capacity(ctx, res, template_choices(ctx, res), template_ami(ctx, res))


def ec2_instance(ctx: Context, res: Resource) -> None:
    choices = ctx.instance_choices(res.eval("instance_type"), res.loc("instance_type"))
    ami = (
        ctx.ami(res.eval("ami"), res.loc("ami"))
        if res.block.attr("ami") is not None
        else AmiFact(ArchFact.unknown(), None)
    )
    spec = res.block.child("launch_template")
    template = launch_template_of(ctx, res.instance, spec) if spec is not None else None
    _capacity(ctx, res, choices, ami, launch_template=template.address if template is not None else None)


def autoscaling_group(ctx: Context, res: Resource) -> None:
    """One capacity for the group (its own instance types against its launch template's AMI), and
    one per `override` that brings its own launch template (so its own AMI)."""
    choices: list[InstanceChoice] = []
    template: Resource | None = None
    spec = res.block.child("launch_template")
    if spec is not None:
        template = launch_template_of(ctx, res.instance, spec)
    policy = res.block.child("mixed_instances_policy")
    overrides = []
    if policy is not None:
        lt_block = policy.child("launch_template")
        if lt_block is not None:
            main_spec = lt_block.child("launch_template_specification")
            if main_spec is not None:
                template = launch_template_of(ctx, res.instance, main_spec) or template
            overrides = lt_block.children("override")
    for index, override in enumerate(overrides):
        own_choices = ctx.instance_choices(
            res.instance.eval_attr(override, "instance_type"),
            Location(override.path, override.line_of("instance_type")),
        )
        own_spec = override.child("launch_template_specification")
        own_template = launch_template_of(ctx, res.instance, own_spec) if own_spec is not None else None
        if own_template is not None:
            _capacity(
                ctx,
                res,
                own_choices,
                template_ami(ctx, own_template),
                name=f"{res.address}.override[{index}]",
                launch_template=own_template.address,
                override_of=res.address,
            )
        else:
            choices.extend(own_choices)
    if template is None and res.block.attr("launch_configuration") is not None:
        template = _launch_configuration(ctx, res)
    ami = template_ami(ctx, template) if template is not None else AmiFact(ArchFact.unknown(), None)
    _capacity(ctx, res, choices, ami, launch_template=template.address if template is not None else None)


def _launch_configuration(ctx: Context, group: Resource) -> Resource | None:
    """The aws_launch_configuration a group launches from: its `instance_type` and `image_id` are
    read like a launch template's."""
    value = group.eval("launch_configuration")
    found = ctx.referenced(value, "aws_launch_configuration")
    if found:
        return found[0]
    return ctx.by_name(group.instance, "aws_launch_configuration", value)


def _of_group(name: Any, group: Resource) -> bool:
    """A capacity of the group, or of one of its instances when the group has `for_each`/`count`."""
    return isinstance(name, str) and (name == group.address or name.startswith(group.base_address + "["))


def host_archs(ctx: Context, group: Resource) -> tuple[ArchFact, Location | None]:
    """Architecture of the instances an auto scaling group launches (instance types first, then AMI)."""
    caps = [c for c in ctx.facts.capacities if _of_group(c.name, group) or _of_group(c.override_of, group)]
    choices = [i for c in caps for i in c.instance_types]
    template_addr = next((c.launch_template for c in caps if _of_group(c.name, group)), None)
    template = ctx.resource(template_addr) if template_addr else None
    if not choices and template is not None:
        choices = template_choices(ctx, template)
    archs = {i.arch for i in choices}
    if choices and None not in archs:
        names = ", ".join(sorted({i.instance_type for i in choices}))
        return ArchFact.derived(*sorted(a for a in archs if a), note=f"instance types {names}"), choices[
            0
        ].location
    if not choices and template is not None:
        ami = template_ami(ctx, template)
        if ami.arch.known and ami.verified:
            return ami.arch, ami.location
    return ArchFact.unknown(), None


_HANDLERS = {
    "aws_lambda_function": lambda_function,
    "aws_apprunner_service": apprunner_service,
    "aws_batch_job_definition": batch_job_definition,
    "aws_batch_compute_environment": batch_compute_environment,
    "aws_launch_template": launch_template,
    "aws_instance": ec2_instance,
    "aws_autoscaling_group": autoscaling_group,
}


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        ctx.at(block)
        handler = _HANDLERS.get(block.labels[0]) if block.labels else None
        if handler is None:
            continue
        for res in ctx.instances_of(instance, block):
            handler(ctx, res)
