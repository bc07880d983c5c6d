"""`AWS::CodeBuild::Project`: its buildspec (`Source.BuildSpec`: a file of the source or inline
YAML; `buildspec.yml` when absent) read as a build script on the project's machine, whose
architecture `Environment.Type` says (see `archmatch/extract/builds/buildspec.py`)."""

from __future__ import annotations

import posixpath
from typing import Any

from archmatch.extract.builds._common import EnvValue, scalar_first_line
from archmatch.extract.builds.buildspec import CodeBuildProject, project_builds
from archmatch.extract.cloudformation.context import Ctx, Resource, key_value_line, sub
from archmatch.extract.cloudformation.intrinsics import known_text
from archmatch.model import Location


def _variables(ctx: Ctx, res: Resource) -> dict[str, EnvValue]:
    out: dict[str, EnvValue] = {}
    raw = sub(res.raw, "Environment", "EnvironmentVariables")
    for item in raw if isinstance(raw, list) else []:
        name = known_text(ctx.resolve(sub(item, "Name")))
        value = known_text(ctx.resolve(sub(item, "Value")))
        kind = known_text(ctx.resolve(sub(item, "Type")))
        if name and value is not None and (kind is None or kind.upper() == "PLAINTEXT"):
            out[name] = EnvValue(value, ctx.loc(key_value_line(item, "Value")))
    return out


def codebuild_project(ctx: Ctx, res: Resource) -> None:
    env_type: Any = ctx.resolve(sub(res.raw, "Environment", "Type"))
    env_type = known_text(env_type) if known_text(env_type) is not None else env_type
    environment = sub(res.raw, "Environment")
    type_line = key_value_line(environment, "Type") if environment is not None else res.line
    project = CodeBuildProject(
        name=f"CodeBuild project {res.logical_id}",
        env_type=env_type,
        type_location=Location(ctx.path, type_line or res.line),
        folder=posixpath.dirname(ctx.path),
        env=_variables(ctx, res),
    )
    raw_spec = sub(res.raw, "Source", "BuildSpec")
    spec = known_text(ctx.resolve(raw_spec)) if raw_spec is not None else None
    if raw_spec is not None and spec is None:
        return  # a parameter or an intrinsic: which buildspec is not known
    line = scalar_first_line(ctx.repo, ctx.path, raw_spec) if raw_spec is not None else 0
    project_builds(ctx.repo, ctx.facts, project, spec, line)
