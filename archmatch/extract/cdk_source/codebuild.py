"""CDK `codebuild.Project` / `codebuild.PipelineProject` as build hosts.

The project's build image class gives its environment type (`archmatch/aws/codebuild.py`: a
`LinuxArmBuildImage` runs on arm64, a `LinuxBuildImage` on x86_64, and a project without one gets
the CDK's x86-64 default), and its buildspec is read like a Terraform or CloudFormation project's
(`extract/builds/buildspec.py`): `BuildSpec.fromObject({...})` as the structure written in the
source, `fromSourceFilename('x.yml')` as a file of the source, `fromAsset('x.yml')` as a file
relative to the app folder, and none as the source's `buildspec.yml`. An environment variable
whose value is an ECR repository construct's `repositoryUri` or `repositoryName` names the repository
the buildspec pushes to (`extract/cdk_source/ecr.py`).
"""

from __future__ import annotations

import posixpath
from typing import Any

from archmatch.aws.codebuild import CDK_DEFAULT_BUILD_IMAGE, cdk_image_type
from archmatch.extract.builds._common import EnvValue
from archmatch.extract.builds.buildspec import CodeBuildProject, project_builds, structured_builds
from archmatch.extract.cdk_source.discovery import _join
from archmatch.extract.cdk_source.ecr import named_repository_key
from archmatch.extract.cdk_source.values import (
    Arr,
    Call,
    Choice,
    Num,
    Obj,
    PathV,
    Ref,
    Str,
    Unknown,
    Val,
    as_obj,
    get,
    key_line,
)
from archmatch.extract.yamlsafe import LDict, LList, LStr
from archmatch.model import Location, RepoFacts
from archmatch.repo import RepoView

PROJECT_CONSTRUCTS = frozenset({"aws_codebuild.Project", "aws_codebuild.PipelineProject"})
MAX_SPEC_NODES = 10_000  # values of one inline buildspec converted for the shell scanner
MAX_SPEC_DEPTH = 32

_SPEC = "aws_codebuild.BuildSpec."


def codebuild_project(repo: RepoView, facts: RepoFacts, app_dir: str, call: Call, name: str) -> None:
    """One CodeBuild project construct: the docker builds of its buildspec, on its machine."""
    props = call.props(2)
    environment = get(props, "environment")
    image = get(environment, "buildImage") if environment is not None else None
    env_type, written = _environment_type(image)
    image_line = key_line(environment, "buildImage") if image is not None else 0
    project = CodeBuildProject(
        name=f"CodeBuild project {name}" + ("" if image is not None else f" (CDK default {written})"),
        env_type=env_type,
        type_location=Location(call.path, image_line or call.line),
        folder=app_dir,
        env=_variables(call.path, get(props, "environmentVariables")),
        repositories=_repositories(get(props, "environmentVariables")),
    )
    spec = get(props, "buildSpec")
    if spec is None:
        project_builds(repo, facts, project, None, 0)
    elif isinstance(spec, Call) and spec.callee in (f"{_SPEC}fromObject", f"{_SPEC}fromObjectToYaml"):
        budget = [MAX_SPEC_NODES]
        structured_builds(repo, facts, project, _plain(spec.arg(0, "value"), 0, budget), call.path)
    elif isinstance(spec, Call) and spec.callee == f"{_SPEC}fromSourceFilename":
        filename = spec.arg(0, "filename")
        if isinstance(filename, Str):
            project_builds(repo, facts, project, filename.value, 0)
    elif isinstance(spec, Call) and spec.callee == f"{_SPEC}fromAsset":
        path = _asset_path(spec.arg(0, "path"), app_dir)
        if path is not None:
            project_builds(repo, facts, project, path, 0)


def _environment_type(image: Val | None) -> tuple[object, str]:
    """(the environment type, the build image as written); the type is not a string when unknown."""
    if image is None:
        default_class, member = CDK_DEFAULT_BUILD_IMAGE.split(".")
        return cdk_image_type(default_class, member), CDK_DEFAULT_BUILD_IMAGE
    if isinstance(image, Choice):
        types = {_environment_type(option)[0] for option in image.options}
        known = next(iter(types)) if len(types) == 1 else None
        return (known if isinstance(known, str) else image), image.describe()
    qual = image.qual if isinstance(image, Ref) else image.callee if isinstance(image, Call) else None
    parts = (qual or "").split(".")
    if len(parts) == 3 and parts[0] == "aws_codebuild":
        found = cdk_image_type(parts[1], parts[2])
        return (found if found is not None else image), ".".join(parts[1:])
    return image, image.describe()


def _variables(path: str, value: Val | None) -> dict[str, EnvValue]:
    """`environmentVariables` of plain text and known value (`{ NAME: { value: 'x' } }`)."""
    out: dict[str, EnvValue] = {}
    variables = as_obj(value) if value is not None else None
    for key, entry in variables.fields.items() if variables is not None else ():
        kind = get(entry, "type")
        plain = kind is None or (isinstance(kind, Ref) and kind.qual.endswith(".PLAINTEXT"))
        known = get(entry, "value")
        if plain and isinstance(known, Str | Num):
            text = known.value if isinstance(known, Str) else _number(known)
            out[key] = EnvValue(text, Location(path, variables.key_lines.get(key, known.line)))  # type: ignore[union-attr]
    return out


def _repositories(value: Val | None) -> dict[str, frozenset[str]]:
    """`environmentVariables` whose value is an ECR repository construct's name or URI: its key."""
    out: dict[str, frozenset[str]] = {}
    variables = as_obj(value) if value is not None else None
    for key, entry in variables.fields.items() if variables is not None else ():
        kind = get(entry, "type")
        plain = kind is None or (isinstance(kind, Ref) and kind.qual.endswith(".PLAINTEXT"))
        repository = named_repository_key(get(entry, "value"))
        if plain and repository is not None:
            out[key] = frozenset({repository})
    return out


def _number(value: Num) -> str:
    return str(int(value.value)) if float(value.value).is_integer() else str(value.value)


def _asset_path(value: Val | None, app_dir: str) -> str | None:
    """`BuildSpec.fromAsset(path)`: a file relative to the app's working folder, in the root."""
    if isinstance(value, PathV):
        return value.rel
    if isinstance(value, Str) and not posixpath.isabs(value.value):
        return _join(app_dir, value.value)
    return None


def _plain(value: Val | None, depth: int, budget: list[int]) -> Any:
    """An evaluated buildspec object as loaded YAML (mappings, lists and strings that know their
    line); what is not known is None, so its commands are left out. `budget` bounds the nodes."""
    budget[0] -= 1
    if value is None or budget[0] < 0 or depth > MAX_SPEC_DEPTH:
        return None
    if isinstance(value, Str | Unknown) and (isinstance(value, Str) or value.template):
        text = LStr(value.value if isinstance(value, Str) else value.template)  # unknown parts as `${x}`
        text.line = value.line
        return text
    if isinstance(value, Num):
        return value.value
    if isinstance(value, Obj):
        mapping = LDict()
        mapping.line, mapping.key_lines = value.line, dict(value.key_lines)
        for key, item in value.fields.items():
            mapping[key] = _plain(item, depth + 1, budget)
        return mapping
    if isinstance(value, Arr):
        items = LList(_plain(item, depth + 1, budget) for item in value.items)
        items.line = value.line
        items.item_lines = [getattr(item, "line", value.line) for item in value.items]
        return items
    return None
