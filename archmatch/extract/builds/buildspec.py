"""Docker builds in AWS CodeBuild buildspecs, run on the machine of the CodeBuild project.

A CodeBuild project (Terraform `aws_codebuild_project`, CloudFormation `AWS::CodeBuild::Project`)
names its buildspec: a file of the source (relative to the repository root; its folder is tried
next), inline YAML, or nothing (then `buildspec.yml` at the source root). The commands of the
`install`, `pre_build`, `build` and `post_build` phases are read as one shell script (CodeBuild
keeps the shell state between commands) from the source root, with the buildspec's
`env.variables` and the project's environment variables of known value (the project's win). An
unpinned `docker build` builds for the project's machine: its environment type says which
(`archmatch/aws/codebuild.py`), the way a GitHub runner label does. A buildspec file that no
project of the repository names (`finalize`) is still read, its host left unknown.

A project variable whose value is an ECR repository resource of the same template or configuration
(`IMAGE_REPO_NAME: !Ref Repo`, `value = aws_ecr_repository.app.repository_url`), its name usually
not known before deploying, makes a build whose image repository is that variable (`-t
$IMAGE_REPO_NAME:$IMAGE_TAG`, `$ACCOUNT.dkr.ecr.$REGION.amazonaws.com/$IMAGE_REPO_NAME`) carry the
repository's key (`ecr:<name>`): the build pushes to that repository, so the workloads that run an
image of the same resource link to it (tags still compared).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archmatch import lazyre
from archmatch.aws.codebuild import environment_arch
from archmatch.dockercli import BuildCommand
from archmatch.extract import yaml_docs, yamlsafe
from archmatch.extract.budget import Budget
from archmatch.extract.builds._common import (
    DEFAULT_PLATFORM_VAR,
    CliSite,
    EnvValue,
    HostContext,
    LineMap,
    cli_build,
    key_line,
    scalar_first_line,
)
from archmatch.extract.builds._shellscan import MAX_SHELL_STEPS, ShellState, follow_images, scan
from archmatch.extract.builds._shellvalues import MAX_VALUE_CHARS, ShellValues
from archmatch.isolation import isolated
from archmatch.model import ImageBuild, Location, RepoFacts
from archmatch.repo import RepoView

PHASES = ("install", "pre_build", "build", "post_build")
DEFAULT_BUILDSPEC = "buildspec.yml"
_BUILDSPEC_FILE = lazyre.compile(r"(?:^|/)buildspec[^/]*\.ya?ml$", re.IGNORECASE)
_VAR = lazyre.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
# `$VAR[:tag]`: the variable is the whole repository path (the part after any registry host)
_VARIABLE_PATH = lazyre.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(?::[^:]*)?$")
NO_PROJECT_NOTE = (
    "CodeBuild buildspec that no CodeBuild project of this repository runs: its environment decides"
)


@dataclass
class CodeBuildProject:
    """What a buildspec needs from the project that runs it."""

    name: str  # e.g. "CodeBuild project aws_codebuild_project.app"
    env_type: Any  # the environment type as evaluated (a string when known)
    type_location: Location | None
    folder: str  # folder of the file declaring the project
    env: dict[str, EnvValue] = field(default_factory=dict)  # variables of known value
    # variables whose value names an ECR repository resource: the repository's link keys
    repositories: dict[str, frozenset[str]] = field(default_factory=dict)
    orphan: bool = False  # a buildspec file no project names

    def host(self) -> HostContext:
        if self.orphan:
            return HostContext(NO_PROJECT_NOTE)
        arch = environment_arch(self.env_type)
        written = self.env_type if isinstance(self.env_type, str) else "not known"
        where = f" ({self.type_location})" if self.type_location is not None else ""
        note = f"{self.name}, environment type {written}{where}"
        return HostContext(note, frozenset({arch}) if arch else frozenset())


def is_buildspec_file(path: str) -> bool:
    return bool(_BUILDSPEC_FILE.search(path))


def project_builds(
    repo: RepoView, facts: RepoFacts, project: CodeBuildProject, buildspec: Any, spec_line: int
) -> None:
    """The builds of one project's buildspec: `buildspec` is None (the default file), a path, or
    inline YAML text written from `spec_line` on (the first line of its text). The buildspec is
    read in its own isolation: a buildspec that breaks the scanner is left out, not the IaC file
    (and the module or template) that declares the project."""
    if isinstance(buildspec, str) and _is_inline(buildspec):
        where = project.type_location.path if project.type_location is not None else ""
        with isolated(repo, facts, where, spec_line):
            docs = _load_inline(repo, buildspec, project.type_location)
            if docs is not None:
                facts.builds.extend(_builds(repo, docs, where, lambda v: spec_line + _line(v) - 1, project))
        return
    if buildspec is not None and not isinstance(buildspec, str):
        return  # an unknown value: which file is not known
    path = _spec_path(repo, buildspec or DEFAULT_BUILDSPEC, project.folder)
    if path is None:
        return
    facts.extra.claimed_buildspecs.append(path)
    with isolated(repo, facts, path):
        docs = yaml_docs(repo, path)
        if docs:
            builds = _builds(repo, docs[0], path, lambda v: scalar_first_line(repo, path, v), project)
            facts.builds.extend(builds)


def structured_builds(
    repo: RepoView, facts: RepoFacts, project: CodeBuildProject, spec: Any, path: str
) -> None:
    """The builds of a buildspec written as a structure in the file declaring the project (the
    CDK's `BuildSpec.fromObject`): loaded mappings, lists and strings whose `line` is in `path`."""
    with isolated(repo, facts, path, getattr(spec, "line", 0)):
        if isinstance(spec, dict):
            facts.builds.extend(_builds(repo, spec, path, _line, project))


def finalize(repo: RepoView, facts: RepoFacts) -> None:
    """Buildspec files no CodeBuild project of the repository names: builds on an unknown host."""
    claimed = set(facts.extra.claimed_buildspecs)
    for path in repo.files:
        if not is_buildspec_file(path) or path in claimed:
            continue
        with isolated(repo, facts, path):
            _orphan_builds(repo, facts, path)


def _orphan_builds(repo: RepoView, facts: RepoFacts, path: str) -> None:
    docs = yaml_docs(repo, path)
    if docs and isinstance(docs[0], dict) and "phases" in docs[0]:
        orphan = CodeBuildProject(f"buildspec {path}", None, None, posixpath.dirname(path), orphan=True)
        facts.builds.extend(_builds(repo, docs[0], path, lambda v: scalar_first_line(repo, path, v), orphan))


def _is_inline(buildspec: str) -> bool:
    """Inline YAML (or JSON) rather than a file name such as `ci/phases.yml`."""
    if "\n" in buildspec:
        return True
    return "phases" in buildspec and not buildspec.strip().lower().endswith((".yml", ".yaml"))


def _line(value: Any) -> int:
    return getattr(value, "line", 0) or 1


def _load_inline(repo: RepoView, text: str, where: Location | None) -> Any:
    try:
        docs = yamlsafe.load_all(text)
    except yamlsafe.YamlError as exc:
        if where is not None:
            repo.diag(where.path, f"inline buildspec: {exc}", line=where.line)
        return None
    return docs[0] if docs and isinstance(docs[0], dict) else None


def _spec_path(repo: RepoView, written: str, folder: str) -> str | None:
    """The buildspec file: relative to the source root (the repository), else to the declaring
    file's folder; None when it is not in the scan root."""
    if written.startswith("/") or "${" in written or "arn:" in written:
        return None
    for base in (".", folder or "."):
        joined = posixpath.normpath(posixpath.join(base, written))
        if not joined.startswith("../") and joined != ".." and repo.exists(joined):
            return joined
    return None


def _variables(spec: Any, path: str) -> dict[str, EnvValue]:
    env = spec.get("env") if isinstance(spec, dict) else None
    variables = env.get("variables") if isinstance(env, dict) else None
    out: dict[str, EnvValue] = {}
    if isinstance(variables, dict):
        for key, value in variables.items():
            if value is not None and not isinstance(value, dict | list):
                out[str(key)] = EnvValue(str(value), Location(path, key_line(variables, key)))
    return out


def _expander(variables: dict[str, EnvValue], budget: Budget) -> Callable[[str], str]:
    values = {k: v.value for k, v in variables.items()} | {"CODEBUILD_SRC_DIR": "."}

    def expand(text: str) -> str:
        for _ in range(5):  # variables may refer to variables
            new = _substitute(text, values, budget, variables)
            if new is None or new == text:
                break  # over the budget (left as written, so unknown), or nothing left to expand
            text = new
        return text

    return expand


def _substitute(
    text: str, values: dict[str, str], budget: Budget, variables: dict[str, EnvValue]
) -> str | None:
    """One pass of variable replacement; None when it would build a value longer than any image
    name, platform or path (a variable that repeats itself) or the budget is spent."""
    pieces: list[str] = []
    size = pos = 0
    for m in _VAR.finditer(text):
        if not budget.step():
            return None
        name = m.group(1) or m.group(2)
        value = values.get(name, m.group(0))
        size += m.start() - pos + len(value)
        if size > MAX_VALUE_CHARS:
            where = variables[name].location if name in variables else None
            what = f"a buildspec variable expanding to more than {MAX_VALUE_CHARS} characters"
            budget.refuse(what, where.line if where else 0, where.path if where else None)
            return None
        pieces += (text[pos : m.start()], value)
        pos = m.end()
    pieces.append(text[pos:])
    return "".join(pieces)


def _commands(spec: Any) -> list[Any]:
    phases = spec.get("phases") if isinstance(spec, dict) else None
    out: list[Any] = []
    for phase in PHASES:
        body = phases.get(phase) if isinstance(phases, dict) else None
        commands = body.get("commands") if isinstance(body, dict) else None
        if isinstance(commands, list):
            out.extend(c for c in commands if isinstance(c, str))
    return out


def _builds(
    repo: RepoView, spec: Any, path: str, first_line: Callable[[Any], int], project: CodeBuildProject
) -> list[ImageBuild]:
    variables = {**_variables(spec, path), **project.env}
    for name in project.repositories.keys() - project.env.keys():
        variables.pop(name, None)  # the project's value wins, and it is known only as a repository
    budget = Budget(path, steps=MAX_SHELL_STEPS)
    expand = _expander(variables, budget)
    state = ShellState(path=path, script_dir=".", root_vars=frozenset(["CODEBUILD_SRC_DIR"]))
    state.values = values = ShellValues(budget, external=expand)
    if DEFAULT_PLATFORM_VAR in variables:
        platform = variables[DEFAULT_PLATFORM_VAR]
        state.exported[DEFAULT_PLATFORM_VAR] = EnvValue(expand(platform.value), platform.location)
    host = project.host()
    out: list[ImageBuild] = []
    made: list[tuple[BuildCommand, ImageBuild]] = []  # the phases' commands are one shell run
    for command in _commands(spec):
        if budget.exceeded is not None:
            break  # the rest would only be split into words and dropped
        line_at = LineMap(command, first_line(command))
        for found in scan(command, state, line_at, expand):
            site = CliSite(
                source="codebuild",
                path=path,
                where=project.name,
                line_at=line_at,
                cwd=found.cwd,
                host=host,
                default_platform=found.default_platform,
                host_test=found.host_note,
            )
            out.append(cli_build(repo, site, found.cmd, command))
            made.append((found.cmd, out[-1]))
    follow_images(state, made, repo)
    budget.report(repo)
    assigned = set(values.values)  # a variable the commands assign is no longer the project's
    for build in out:
        build.link_keys = build.link_keys | _repository_keys(build.tags, project, assigned)
    return out


def _repository_keys(tags: list[str], project: CodeBuildProject, assigned: set[str]) -> frozenset[str]:
    """The keys of the ECR repositories whose project variable is the repository of one of the tags
    (`$IMAGE_REPO_NAME:latest`, `$ACCOUNT.dkr.ecr.$REGION.amazonaws.com/$IMAGE_REPO_NAME:latest`)."""
    keys: set[str] = set()
    for name, named in project.repositories.items():
        if name not in assigned and any(_repository_variable(tag) == name for tag in tags):
            keys |= named
    return frozenset(keys)


def _repository_variable(tag: str) -> str | None:
    """The variable a tag's whole repository path is (after at most a registry host, which has a
    dot, a port or a variable in it: `team/$VAR` is a path of its own), if any."""
    registry, slash, path = tag.partition("/")
    if not slash:
        registry, path = "", tag
    elif "/" in path or not any(c in registry for c in ".:$"):
        return None
    m = _VARIABLE_PATH.match(path)
    return (m.group(1) or m.group(2)) if m else None
