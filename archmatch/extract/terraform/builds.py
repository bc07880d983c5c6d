"""Image builds declared in Terraform: kreuzwerker `docker_image` / `docker_registry_image` with a
`build` block (an omitted `platform` means the machine running Terraform decides)."""

from __future__ import annotations

import posixpath
from typing import Any

from archmatch.extract.terraform.context import Context, Resource, root_relative
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import Unknown, as_text, origin_of, refs_of
from archmatch.model import ImageBuild, Location
from archmatch.platforms import ArchFact, parse_platform_list

DOCKER_TYPES = ("docker_image", "docker_registry_image")


def platform_fact(value: Any, location: Location, what: str) -> tuple[ArchFact, Location | None]:
    """The requested platforms, located where the literal was written (a module caller, tfvars)."""
    location = origin_of(value) or location
    if value in (None, ""):
        return ArchFact.host(f"{what} not set"), None
    if not isinstance(value, str):
        return ArchFact.unknown(f"{what} = {as_text(value)}"), location
    archs, bad = parse_platform_list(value)
    if bad or not archs:
        return ArchFact.unknown(f"{what} = {value}"), location
    return ArchFact.explicit(*archs), location


def dockerfile_path(context: str | None, dockerfile: Any) -> str | None:
    if context is None:
        return None
    name = dockerfile if isinstance(dockerfile, str) and dockerfile else "Dockerfile"
    if name.startswith("/") or "${" in name:
        return None
    joined = posixpath.normpath(posixpath.join(context or ".", name))
    return None if joined.startswith("../") else joined


def repository_key(key: str) -> str:
    """`tf:module.ecr` (an unresolved module output) names a repository; resource keys stay."""
    parts = key.split(".")
    return (
        "repo:" + key if key.startswith("tf:") and len(parts) >= 2 and parts[-2].endswith("module") else key
    )


def _pushers(ctx: Context, res: Resource) -> list[Resource]:
    """docker_registry_image resources that push this docker_image (`name = docker_image.x.name`)."""
    return [
        other
        for other in ctx.resources.values()
        if other.block.labels[:1] == ["docker_registry_image"]
        and other.instance is res.instance
        and refs_of(other.eval("name")) & {res.address, res.base_address}
    ]


def _text(value: Any) -> str:
    return value.text if isinstance(value, Unknown) else str(value)


def _build(ctx: Context, res: Resource) -> ImageBuild | None:
    build = res.block.child("build")
    if build is None:
        return None
    ev = res.instance.eval_attr
    # `path` is what kreuzwerker provider versions before 3.0 called the context
    context_value = ev(build, "context") if build.attr("context") is not None else ev(build, "path")
    context = root_relative(res.instance, context_value)
    platform_value, written = ev(build, "platform"), Location(build.path, build.line_of("platform"))
    platforms, platform_loc = platform_fact(platform_value, written, "build.platform")
    name = res.eval("name")
    # what the name references is the repository pushed into (an ECR repository, an unresolved
    # module output), not this image: those keys only say "same repository"
    keys = {"tf:" + res.address} | {repository_key(k) for k in ctx.link_keys(name)}
    tags = [_text(name)] if name is not None else []
    extra = ev(build, "tag")  # `build { tag = [...] }`: more names for the same image
    for tag in extra if isinstance(extra, list) else []:
        tags.append(_text(tag))
        keys |= {repository_key(k) for k in ctx.link_keys(tag)}
    for pusher in _pushers(ctx, res):
        keys.add("tf:" + pusher.address)
    target = ev(build, "target")
    return ImageBuild(
        source="terraform-docker",
        name=f"terraform {res.address}",
        location=res.loc(),
        dockerfile=dockerfile_path(context, ev(build, "dockerfile")),
        context=context,
        target=target if isinstance(target, str) else None,
        platforms=platforms,
        platform_location=platform_loc or Location(build.path, build.line),
        platform_via=Context.via(platform_value, written),
        tags=tags,
        link_keys=frozenset(keys),
        fix_syntax="tf-docker",
    )


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        ctx.at(block)
        if block.labels[:1] and block.labels[0] in DOCKER_TYPES:
            for res in ctx.instances_of(instance, block):
                built = _build(ctx, res)
                if built is not None:
                    ctx.facts.builds.append(built)
