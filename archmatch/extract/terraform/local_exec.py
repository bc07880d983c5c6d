"""Image builds run by Terraform `provisioner "local-exec"` (in `null_resource`, `terraform_data` or
any resource): the `command` (interpolations evaluated, heredocs included) is read as shell text, in
`working_dir` (relative to the root module folder, Terraform's working directory) with
`environment` as exported variables. Nothing runs. An `interpreter` that is not a POSIX shell
(PowerShell, Python) is skipped. A tag built from `aws_ecr_repository.x.repository_url` carries
that repository's key, so the Lambda function or ECS task that runs
`${aws_ecr_repository.x.repository_url}:tag` links to the build by repository and tag.

A command that only runs a script of the repository (`./push.sh ARGS`, `bash push.sh ARGS`, found
relative to the command's working directory) has that script read with its positional parameters
bound to the command's words: `docker build -t "$2:latest"` in the script is a build of the ECR
repository passed as `$2`. Only a build whose tag names an argument holding a repository reference
carries that repository's key. The script is read, never run, under its own budget.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable
from typing import Any

from archmatch import lazyre
from archmatch.dockercli import BuildCommand
from archmatch.extract.budget import Budget
from archmatch.extract.builds._awsdeploy import add_facts, mentions_deploy
from archmatch.extract.builds._common import CliSite, HostContext, LineMap, cli_build, has_unresolved, join
from archmatch.extract.builds._shellscan import (
    MAX_SHELL_STEPS,
    ShellState,
    follow_images,
    scan,
    scanned_builds,
    script_dir_of,
)
from archmatch.extract.builds._shellvalues import ShellValues
from archmatch.extract.terraform.builds import repository_key
from archmatch.extract.terraform.context import Context, Resource, root_relative
from archmatch.extract.terraform.hcl import Block
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import Unknown, refs_of
from archmatch.model import ImageBuild

_SHELLS = frozenset(["sh", "bash", "zsh", "dash", "ksh", "ash"])
_ENV_REF = lazyre.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
HOST_NOTE = "no --platform: the machine that runs terraform apply decides"


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return value.text
    return None


def _runs_a_shell(interpreter: Any) -> bool:
    if interpreter is None:
        return True
    if not isinstance(interpreter, list) or not interpreter or not isinstance(interpreter[0], str):
        return False
    return posixpath.basename(interpreter[0]) in _SHELLS or interpreter[0] in ("/usr/bin/env",)


def _environment(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def _expander(env: dict[str, str]) -> Callable[[str], str]:
    def expand(text: str) -> str:
        return _ENV_REF.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)

    return expand


def _first_line(ctx: Context, block: Block) -> int:
    """File line of the command's first shell line (a heredoc starts below `<<EOT`)."""
    line = block.line_of("command")
    text = ctx.repo.read_text(block.path) if ctx.repo is not None else None
    lines = text.split("\n") if text else []
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    return line + 1 if "<<" in raw else line


_SIMPLE_COMMAND = lazyre.compile(r"^[^;&|`<>()\n]+$")
_SCRIPT_SUFFIXES = (".sh", ".bash")


def _called_script(ctx: Context, text: str, cwd: str | None) -> tuple[str, list[str]] | None:
    """The repository script a one-command `text` runs (`./push.sh a b`, `bash push.sh a b`), and
    its arguments; None for anything else (pipes, several commands, a script outside the repository)."""
    if ctx.repo is None or not _SIMPLE_COMMAND.match(text.strip()):
        return None
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    if words and posixpath.basename(words[0]) in _SHELLS:
        words = words[1:]
    if not words or not words[0].endswith(_SCRIPT_SUFFIXES) or has_unresolved(words[0]):
        return None
    path = join(cwd, words[0])
    if path is None or not ctx.repo.exists(path):
        return None
    return path, words[1:]


def _script_builds(
    ctx: Context, res: Resource, command: Any, cwd: str | None, script: tuple[str, list[str]]
) -> list[ImageBuild]:
    """Builds of the script the command runs, its positional parameters bound to the arguments."""
    path, args = script
    repo = ctx.repo
    text = repo.read_text(path) if repo is not None else None
    if repo is None or not text or "docker" not in text:
        return []
    keyed = {arg: _argument_keys(ctx, command, arg) for arg in args}
    values = ShellValues(Budget(path, steps=MAX_SHELL_STEPS), positional=list(args))
    state = ShellState(path=path, script_dir=script_dir_of(path), cwd=cwd, values=values)
    builds = scanned_builds(
        repo,
        text,
        state,
        LineMap(text, 1),
        source="terraform-local-exec",
        where=f"script {path} run by terraform {res.address} local-exec",
        host=HostContext(HOST_NOTE),
    )
    for build in builds:
        named = [keys for arg, keys in keyed.items() if keys and any(arg in tag for tag in build.tags)]
        build.link_keys = frozenset(build.link_keys.union(*named))
    values.budget.report(repo)
    return builds


def _argument_keys(ctx: Context, command: Any, arg: str) -> frozenset[str]:
    """Repository keys of the Terraform references written in one argument of the command."""
    refs = frozenset(ref for ref in refs_of(command) if "${" + ref in arg)
    return frozenset(repository_key(k) for k in ctx.link_keys(Unknown(arg, refs))) if refs else frozenset()


def _builds(ctx: Context, res: Resource, block: Block) -> list[ImageBuild]:
    ev = res.instance.eval_attr
    command = ev(block, "command")
    text = _text(command)
    if not text or not _runs_a_shell(ev(block, "interpreter")):
        return []
    root = res.instance.chain[0] or "."
    working_dir = ev(block, "working_dir")
    cwd = root_relative(res.instance, working_dir) if working_dir is not None else root
    script = _called_script(ctx, text, cwd)
    if script is not None:
        return _script_builds(ctx, res, command, cwd, script)
    if "docker" not in text and not mentions_deploy(text):
        return []
    env = _environment(ev(block, "environment"))
    keys = frozenset(repository_key(k) for k in ctx.link_keys(command))
    state = ShellState(path=block.path, script_dir=root, cwd=cwd)
    line_at = LineMap(text, _first_line(ctx, block))
    out: list[ImageBuild] = []
    made: list[tuple[BuildCommand, ImageBuild]] = []
    for found in scan(text, state, line_at, _expander(env)):
        site = CliSite(
            source="terraform-local-exec",
            path=block.path,
            where=f"terraform {res.address} local-exec",
            line_at=line_at,
            cwd=found.cwd,
            host=HostContext(HOST_NOTE),
            default_platform=found.default_platform,
            host_test=found.host_note,
        )
        build = cli_build(ctx.repo, site, found.cmd, text) if ctx.repo is not None else None
        if build is not None:
            out.append(build)
            made.append((found.cmd, build))
    follow_images(state, made, ctx.repo)
    for build in out:  # an image that stays local is not the one pushed to the command's repository
        if not build.stays_local:
            build.link_keys = frozenset(build.link_keys | keys)
    if ctx.repo is not None:
        add_facts(ctx.repo, ctx.facts, block.path, state.aws, out)
    if state.values is not None and ctx.repo is not None:
        state.values.budget.report(ctx.repo)
    return out


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        if len(block.labels) != 2 or not any(
            p.labels[:1] == ["local-exec"] for p in block.children("provisioner")
        ):
            continue
        ctx.at(block)
        for res in ctx.instances_of(instance, block):
            for provisioner in res.block.children("provisioner"):
                if provisioner.labels[:1] == ["local-exec"]:
                    ctx.at(provisioner)
                    ctx.facts.builds.extend(_builds(ctx, res, provisioner))
