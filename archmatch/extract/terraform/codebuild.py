"""`aws_codebuild_project`: the buildspec it runs is read as a build script on the project's machine
(see `archmatch/extract/builds/buildspec.py`); the environment `type` says that machine's
architecture, the known `environment_variable` values feed the commands. A variable whose value is an
ECR repository of the configuration, whole (`aws_ecr_repository.app.repository_url` or `.name`, a
repository module's output, after at most a registry host), names the repository the buildspec
pushes to."""

from __future__ import annotations

import posixpath
from typing import Any

from archmatch.extract.builds._common import EnvValue
from archmatch.extract.builds.buildspec import CodeBuildProject, project_builds
from archmatch.extract.terraform.ast import Call, GetAttr, Template
from archmatch.extract.terraform.builds import repository_key
from archmatch.extract.terraform.context import Context, Resource, root_relative
from archmatch.extract.terraform.hcl import Block
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import as_text, origin_of
from archmatch.model import Location

# attributes of an ECR repository (or a repository module's outputs) that are its name or URL
_REPOSITORY_ATTRIBUTES = frozenset({"name", "id", "repository_url", "repository_name"})


def _variables(res: Resource, env: Block | None) -> dict[str, EnvValue]:
    out: dict[str, EnvValue] = {}
    for var in env.children("environment_variable") if env is not None else []:
        name, value = res.instance.eval_attr(var, "name"), res.instance.eval_attr(var, "value")
        kind = res.instance.eval_attr(var, "type")
        plain = kind is None or (isinstance(kind, str) and kind.upper() == "PLAINTEXT")
        known = isinstance(value, str | int | float) and not isinstance(value, bool)
        if isinstance(name, str) and known and plain:
            out[name] = EnvValue(as_text(value), Location(var.path, var.line_of("value")))
    return out


def _repositories(ctx: Context, res: Resource, env: Block | None) -> dict[str, frozenset[str]]:
    """Variables whose value is an ECR repository of the configuration, whole (its name or URL,
    after at most a registry host): the repository's keys."""
    out: dict[str, frozenset[str]] = {}
    for var in env.children("environment_variable") if env is not None else []:
        name, kind = res.instance.eval_attr(var, "name"), res.instance.eval_attr(var, "type")
        plain = kind is None or (isinstance(kind, str) and kind.upper() == "PLAINTEXT")
        attr = var.attr("value")
        reference = _repository_reference(attr.expr) if attr is not None else None
        if isinstance(name, str) and plain and reference is not None and reference.base is not None:
            base = res.instance.eval(reference.base, var.path)
            # a module read here is its outputs: the output's own value names the repository
            value = res.instance.eval(reference, var.path) if isinstance(base, dict) else base
            keys = frozenset(repository_key(k) for k in ctx.link_keys(value))
            if repositories := frozenset(k for k in keys if k.startswith(("ecr:", "repo:"))):
                out[name] = repositories
    return out


def _repository_reference(expr: Any) -> GetAttr | None:
    """`aws_ecr_repository.app.repository_url`, alone or after a registry host in a string (a dot, a
    port or an interpolation in it: `team/${...}` is a path of its own)."""
    if isinstance(expr, GetAttr) and expr.name in _REPOSITORY_ATTRIBUTES:
        return expr
    if not isinstance(expr, Template) or not expr.parts:
        return None
    *head, last = expr.parts
    prefix = "".join(p if isinstance(p, str) else "$" for p in head)  # `$`: an interpolation
    host = prefix.removesuffix("/")
    registry_only = not head or (host != prefix and "/" not in host and any(c in host for c in ".:$"))
    return _repository_reference(last) if registry_only and isinstance(last, GetAttr) else None


def _spec_line(ctx: Context, block: Block) -> int:
    """File line of the buildspec text's first line (a heredoc starts below `<<EOT`)."""
    line = block.line_of("buildspec")
    text = ctx.repo.read_text(block.path) if ctx.repo is not None else None
    lines = text.split("\n") if text else []
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    return line + 1 if "<<" in raw else line


def _buildspec(ctx: Context, res: Resource, source: Block | None) -> tuple[Any, int]:
    """The buildspec: a path (`file("x.yml")` counts as its path), inline text, or None."""
    attr = source.attr("buildspec") if source is not None else None
    if source is None or attr is None:
        return None, 0
    if isinstance(attr.expr, Call) and attr.expr.name in ("file", "templatefile") and attr.expr.args:
        path = root_relative(res.instance, res.instance.eval(attr.expr.args[0], source.path))
        return (path if path is not None else object()), 0
    return res.instance.eval_attr(source, "buildspec"), _spec_line(ctx, source)


def codebuild_project(ctx: Context, res: Resource) -> None:
    if ctx.repo is None:
        return
    env = res.block.child("environment")
    env_type = res.instance.eval_attr(env, "type") if env is not None else None
    written = Location(env.path, env.line_of("type")) if env is not None else res.loc()
    project = CodeBuildProject(
        name=f"CodeBuild project {res.address}",
        env_type=env_type,
        type_location=origin_of(env_type) or written,
        folder=posixpath.dirname(res.block.path),
        env=_variables(res, env),
        repositories=_repositories(ctx, res, env),
    )
    spec, line = _buildspec(ctx, res, res.block.child("source"))
    project_builds(ctx.repo, ctx.facts, project, spec, line)


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        if block.labels[:1] == ["aws_codebuild_project"]:
            ctx.at(block)
            for res in ctx.instances_of(instance, block):
                codebuild_project(ctx, res)
