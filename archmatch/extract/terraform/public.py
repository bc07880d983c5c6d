"""Calls to the public terraform-aws-modules modules, read through their documented inputs and
defaults (checked against the modules' variables.tf):

- lambda/aws: `create`/`create_function` (true), `package_type` ("Zip"), `image_uri`,
  `architectures` (null: Lambda's x86_64 default);
- lambda/aws//modules/docker-build: `source_path`, `docker_file_path` ("Dockerfile", relative to
  source_path), `platform` (null: the build host decides), `ecr_repo`, `image_tag`; output `image_uri`;
- ecs/aws//modules/service and ecs/aws `services`: `runtime_platform` (module default
  {cpu_architecture = "X86_64", operating_system_family = "LINUX"}), `requires_compatibilities`
  (["FARGATE"]), `launch_type` ("FARGATE"), `container_definitions` (map of objects with `image`);
- eks/aws `eks_managed_node_groups` (+ v20 `eks_managed_node_group_defaults`) and
  //modules/eks-managed-node-group: `ami_type` (null: EKS picks), `instance_types` (null: EKS's
  t3.medium), `labels` and `taints` (a map of {key, value, effect}; a list in older versions);
  `fargate_profiles` and //modules/fargate-profile.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from archmatch.aws.defaults import ECS_DEFAULT_ARCH, LAMBDA_DEFAULT_ARCH, eks_fargate_arch
from archmatch.aws.ecs import os_family_of, runs_on_fargate
from archmatch.aws.eks import cluster_ref
from archmatch.extract.terraform.ast import Expr
from archmatch.extract.terraform.builds import dockerfile_path, platform_fact
from archmatch.extract.terraform.context import Context, root_relative, sub_expr
from archmatch.extract.terraform.eks import ami_type_fact, node_group_capacity, node_labels_and_taints
from archmatch.extract.terraform.hcl import Block
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import as_text
from archmatch.extract.terraform_modules import module_key
from archmatch.model import Capacity, ClusterRef, EcsFacts, ImageBuild, LambdaFacts, Location, Workload
from archmatch.platforms import ArchFact


class Call:
    """A module block of a public module: inputs evaluated in the caller, with their lines."""

    def __init__(self, ctx: Context, instance: ModuleInstance, block: Block):
        self.ctx = ctx
        self.instance = instance
        self.block = block
        self.address = f"{instance.prefix}module.{block.labels[0]}"

    def get(self, name: str, default: Any = None) -> Any:
        attr = self.block.attr(name)
        if attr is None:
            return default
        value = self.instance.eval(attr.expr)
        return default if value is None else value

    def expr(self, name: str, *keys: str) -> Expr | None:
        attr = self.block.attr(name)
        return sub_expr(attr.expr, *keys) if attr is not None else None

    def loc(self, name: str | None = None, *keys: str) -> Location:
        if name is None:
            return Location(self.block.path, self.block.line)
        expr = self.expr(name, *keys)
        line = expr.line if expr is not None else self.block.line_of(name)
        return Location(self.block.path, line)

    def enabled(self, *flags: str) -> bool:
        return all(self.get(f, True) is not False for f in flags)

    def cluster(self, *inputs: str) -> ClusterRef | None:
        """The EKS cluster the module's node groups join: the first of `inputs` it sets."""
        name = next((i for i in inputs if self.block.attr(i) is not None), None)
        if name is None:
            return None
        value = self.get(name)
        where = self.loc(name)
        scope = f"{posixpath.dirname(where.path) or '.'}:{self.instance.prefix}".rstrip(":")
        text = value if isinstance(value, str) else None
        return cluster_ref(text, as_text(value), scope, f"{self.address}.{name}", where)


def _lambda(call: Call) -> None:
    if not call.enabled("create", "create_function"):
        return
    package = call.get("package_type", "Zip")
    arch_value = call.get("architectures")
    arch, arch_loc = call.ctx.arch_fact(
        arch_value, call.loc("architectures"), LAMBDA_DEFAULT_ARCH, "architectures"
    )
    images = (
        [call.ctx.image_ref(call.get("image_uri"), call.loc("image_uri"))]
        if call.block.attr("image_uri")
        else []
    )
    call.ctx.facts.workloads.append(
        Workload(
            kind="aws_lambda_function",
            name=call.address,
            service="lambda",
            location=call.loc(),
            arch=arch,
            arch_location=arch_loc,
            arch_via=call.ctx.via(arch_value, call.loc("architectures")),
            images=images,
            arch_syntax="tf-lambda",
            lambda_=LambdaFacts(
                package_type=package if isinstance(package, str) else "unknown",
                module="terraform-aws-modules/lambda/aws",
                function_name=name if isinstance(name := call.get("function_name"), str) and name else None,
            ),
        )
    )


def _docker_build(call: Call) -> None:
    context = root_relative(call.instance, call.get("source_path"))
    platform_value = call.get("platform")
    platforms, platform_loc = platform_fact(platform_value, call.loc("platform"), "platform")
    repo = call.get("ecr_repo")
    tag = call.get("image_tag")
    keys = {"tf:" + call.address}
    tags = []
    if isinstance(repo, str):
        keys.add("ecr:" + repo)
        tags.append(f"${{ecr_address}}/{repo}:{tag if isinstance(tag, str) else '${image_tag}'}")
    call.ctx.facts.builds.append(
        ImageBuild(
            source="terraform-lambda-docker-build",
            name=f"the docker-build module call {call.address}",
            location=call.loc(),
            dockerfile=dockerfile_path(context, call.get("docker_file_path", "Dockerfile")),
            context=context,
            platforms=platforms,
            platform_location=platform_loc or call.loc(),
            platform_via=call.ctx.via(platform_value, call.loc("platform")),
            tags=tags,
            link_keys=frozenset(keys),
            fix_syntax="tf-docker",
        )
    )


def _ecs_service(call: Call, config: dict[str, Any], prefix: tuple[str, ...], name: str) -> None:
    """One ECS service of the ecs module (`config` = the service submodule's inputs)."""
    if config.get("create", True) is False or config.get("create_task_definition", True) is False:
        return
    platform = config.get("runtime_platform")
    attr = prefix[0] if prefix else "runtime_platform"
    keys = (*prefix[1:], "runtime_platform") if prefix else ()
    if isinstance(platform, dict) and "cpu_architecture" in platform:
        arch, arch_loc = call.ctx.arch_fact(
            platform["cpu_architecture"],
            call.loc(attr, *keys, "cpu_architecture"),
            ECS_DEFAULT_ARCH,
            "cpu_architecture",
        )
    elif platform is None or isinstance(platform, dict):
        arch, arch_loc = (
            ArchFact.default(
                ECS_DEFAULT_ARCH, note="module default runtime_platform.cpu_architecture = X86_64"
            ),
            None,
        )
    else:
        arch, arch_loc = (
            ArchFact.unknown(f"runtime_platform = {getattr(platform, 'text', platform)}"),
            call.loc(attr, *keys),
        )
    os_value = platform.get("operating_system_family") if isinstance(platform, dict) else None
    compat = config.get("requires_compatibilities", ["FARGATE"])
    launch_type = config.get("launch_type", "FARGATE")
    strategy = config.get("capacity_provider_strategy")
    providers = (
        [str(v.get("capacity_provider")).upper() for v in strategy.values() if isinstance(v, dict)]
        if isinstance(strategy, dict)
        else []
    )
    images = []
    definitions = config.get("container_definitions")
    if isinstance(definitions, dict):
        for cname, cdef in definitions.items():
            if isinstance(cdef, dict) and "image" in cdef:
                ckeys = (*prefix[1:], "container_definitions", cname, "image") if prefix else (cname, "image")
                cattr = prefix[0] if prefix else "container_definitions"
                images.append(call.ctx.image_ref(cdef["image"], call.loc(cattr, *ckeys)))
    compatibilities = tuple(str(c).upper() for c in compat) if isinstance(compat, list) else None
    # the module passes no launch_type when a capacity provider strategy is given
    effective_launch_type = None if providers or not isinstance(launch_type, str) else launch_type.upper()
    ecs = EcsFacts(
        fargate=runs_on_fargate(effective_launch_type, providers, compatibilities),
        launch_type=effective_launch_type,
        requires_compatibilities=compatibilities,
        module="terraform-aws-modules/ecs/aws",
    )
    call.ctx.facts.workloads.append(
        Workload(
            kind="aws_ecs_task_definition",
            name=name,
            service="ecs",
            location=call.loc(*prefix) if prefix else call.loc(),
            arch=arch,
            arch_location=arch_loc,
            images=images,
            os_family=os_family_of(os_value),
            arch_syntax="tf-ecs-module",
            ecs=ecs,
        )
    )


def _ecs_root(call: Call) -> None:
    services = call.get("services")
    if not isinstance(services, dict):
        return
    for sname, config in services.items():
        if isinstance(config, dict):
            _ecs_service(call, config, ("services", sname), f"{call.address}.services.{sname}")


def _ecs_service_module(call: Call) -> None:
    inputs = {k: call.get(k) for k in call.block.attrs}
    _ecs_service(call, {k: v for k, v in inputs.items() if v is not None}, (), call.address)


# node group inputs through which the module's launch template or user data may give nodes more labels
_NODE_BOOTSTRAP_INPUTS = (
    "ami_id",
    "bootstrap_extra_args",
    "pre_bootstrap_user_data",
    "post_bootstrap_user_data",
    "user_data_template_path",
    "cloudinit_pre_nodeadm",
    "cloudinit_post_nodeadm",
    "launch_template_id",
)


def _node_group(
    call: Call,
    config: dict[str, Any],
    name: str,
    attr: str | None,
    keys: tuple[str, ...],
    defaults: dict[str, Any],
    cluster: ClusterRef | None,
) -> None:
    merged = {**defaults, **config}
    if merged.get("create", True) is False:
        return
    loc_of = (
        (
            lambda k: (
                call.loc(attr, *keys, k) if k in config else call.loc("eks_managed_node_group_defaults", k)
            )
        )
        if attr
        else call.loc
    )
    ami = ami_type_fact(merged.get("ami_type"), loc_of("ami_type"))
    choices = call.ctx.instance_choices(merged.get("instance_types"), loc_of("instance_types"))
    location = call.loc(attr, *keys) if attr else call.loc()
    nodes = node_labels_and_taints(
        merged.get("labels"),
        _module_taints(merged.get("taints")),
        complete=not any(merged.get(k) is not None for k in _NODE_BOOTSTRAP_INPUTS),
    )
    capacity = node_group_capacity(
        "aws_eks_node_group",
        name,
        location,
        choices,
        ami,
        module="terraform-aws-modules/eks/aws",
        nodes=nodes,
    )
    call.ctx.facts.capacities.append(replace(capacity, cluster=cluster))


def _module_taints(taints: Any) -> list[Any] | None:
    """A node group's `taints`: a map of {key, value, effect} (a list in older module versions)."""
    if taints is None:
        return []
    if isinstance(taints, dict):
        return list(taints.values())
    return taints if isinstance(taints, list) else None


def _eks_root(call: Call) -> None:
    defaults = call.get("eks_managed_node_group_defaults")
    defaults = defaults if isinstance(defaults, dict) else {}
    groups = call.get("eks_managed_node_groups")
    if isinstance(groups, dict):
        for gname, config in groups.items():
            if isinstance(config, dict):
                _node_group(
                    call,
                    config,
                    f"{call.address}.eks_managed_node_groups.{gname}",
                    "eks_managed_node_groups",
                    (gname,),
                    defaults,
                    call.cluster("cluster_name", "name"),
                )
    profiles = call.get("fargate_profiles")
    if isinstance(profiles, dict):
        for pname in profiles:
            _fargate(
                call,
                f"{call.address}.fargate_profiles.{pname}",
                call.loc("fargate_profiles", pname),
                call.cluster("cluster_name", "name"),
            )


def _fargate(call: Call, name: str, location: Location, cluster: ClusterRef | None) -> None:
    call.ctx.facts.capacities.append(
        Capacity(
            "aws_eks_fargate_profile",
            name,
            location,
            ami_arch=eks_fargate_arch(),
            fargate=True,
            cluster=cluster,
        )
    )


def _eks_node_group_module(call: Call) -> None:
    inputs = {k: call.get(k) for k in ("create", "ami_type", "instance_types", "labels", "taints")}
    inputs.update({k: call.get(k) for k in _NODE_BOOTSTRAP_INPUTS})
    _node_group(
        call,
        {k: v for k, v in inputs.items() if v is not None},
        call.address,
        None,
        (),
        {},
        call.cluster("cluster_name"),
    )


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("module"):
        ctx.at(block)
        if not block.labels:
            continue
        source = instance.eval_attr(block, "source")
        key = module_key(source) if isinstance(source, str) else None
        if key is None:
            continue
        call = Call(ctx, instance, block)
        handler = _HANDLERS.get(key)
        if handler is not None:
            handler(call)


_HANDLERS: dict[tuple[str, str], Callable[[Call], None]] = {
    ("lambda", ""): _lambda,
    ("lambda", "modules/docker-build"): _docker_build,
    ("ecs", ""): _ecs_root,
    ("ecs", "modules/service"): _ecs_service_module,
    ("eks", ""): _eks_root,
    ("eks", "modules/eks-managed-node-group"): _eks_node_group_module,
    ("eks", "modules/fargate-profile"): lambda call: _fargate(
        call, call.address, call.loc(), call.cluster("cluster_name")
    ),
}
