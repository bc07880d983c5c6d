"""`AWS::CodeBuild::Project`: its buildspec (`Source.BuildSpec`: a file of the source or inline
YAML; `buildspec.yml` when absent) read as a build script on the project's machine, whose
architecture `Environment.Type` says (see `archmatch/extract/builds/buildspec.py`). An environment
variable whose value is an `AWS::ECR::Repository` of the template (`!Ref Repo`, `!GetAtt
Repo.RepositoryUri`, `!Sub "${Repo.RepositoryUri}"`, `!Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}
.amazonaws.com/${Repo}"`) names the repository the buildspec pushes to."""

from __future__ import annotations

import posixpath
from typing import Any

from archmatch import lazyre
from archmatch.extract.builds._common import EnvValue, scalar_first_line
from archmatch.extract.builds.buildspec import CodeBuildProject, project_builds
from archmatch.extract.cloudformation.context import Ctx, Resource, key_value_line, sub
from archmatch.extract.cloudformation.intrinsics import intrinsic, known_text
from archmatch.model import Location

# `!Sub` templates that are a repository's name or URI: `${Repo}` after at most a registry host (a
# dot, a port or a pseudo parameter in it, no other variable; `team/${Repo}` is a path of its own),
# or `${Repo.RepositoryUri}` alone
_SUB_REPOSITORY = lazyre.compile(
    r"^(?:(?=[^/]*[.:$])[^/${}]*(?:\$\{AWS::[A-Za-z]+\}[^/${}]*)*/)?\$\{([A-Za-z0-9]+)\}$"
)
_SUB_URI = lazyre.compile(r"^\$\{([A-Za-z0-9]+)\.RepositoryUri\}$")


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


def _repositories(ctx: Ctx, res: Resource) -> dict[str, frozenset[str]]:
    """Variables whose value is an ECR repository of the template: its name or URI, whole."""
    out: dict[str, frozenset[str]] = {}
    raw = sub(res.raw, "Environment", "EnvironmentVariables")
    for item in raw if isinstance(raw, list) else []:
        name = known_text(ctx.resolve(sub(item, "Name")))
        kind = known_text(ctx.resolve(sub(item, "Type")))
        logical = _repository_named(sub(item, "Value"))
        if name and logical in ctx.tpl.ecr_names and (kind is None or kind.upper() == "PLAINTEXT"):
            out[name] = frozenset({f"ecr:{ctx.tpl.ecr_names[logical]}"})
    return out


def _repository_named(raw: Any) -> str | None:
    """The logical id whose repository name or URI `raw` is (`!Ref R`, `!GetAtt R.RepositoryUri`, a
    `!Sub` of them), None for anything else (an ARN, a name with a suffix)."""
    call = intrinsic(raw)
    fn, arg = call if call is not None else (None, None)
    if fn == "Ref" and isinstance(arg, str):
        return arg
    if fn == "Fn::GetAtt":
        parts = arg.split(".", 1) if isinstance(arg, str) else arg
        if isinstance(parts, list) and len(parts) == 2 and parts[1] == "RepositoryUri":
            return str(parts[0])
    if fn == "Fn::Sub" and isinstance(arg, str):
        m = _SUB_REPOSITORY.match(arg) or _SUB_URI.match(arg)
        return m.group(1) if m else None
    return None


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
        repositories=_repositories(ctx, res),
    )
    raw_spec = sub(res.raw, "Source", "BuildSpec")
    spec = known_text(ctx.resolve(raw_spec)) if raw_spec is not None else None
    if raw_spec is not None and spec is None:
        return  # a parameter or an intrinsic: which buildspec is not known
    line = scalar_first_line(ctx.repo, ctx.path, raw_spec) if raw_spec is not None else 0
    project_builds(ctx.repo, ctx.facts, project, spec, line)
