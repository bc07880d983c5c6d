"""Image builds run by Terraform `provisioner "local-exec"` (in `null_resource`, `terraform_data` or
any resource): the `command` (interpolations evaluated, heredocs included) is read as shell text, in
`working_dir` (relative to the root module folder, Terraform's working directory) with
`environment` as exported variables. Nothing runs. An `interpreter` that is not a POSIX shell
(PowerShell, Python) is skipped. A tag built from `aws_ecr_repository.x.repository_url` carries
that repository's key, so the Lambda function or ECS task that runs
`${aws_ecr_repository.x.repository_url}:tag` links to the build by repository and tag.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from archmatch import lazyre
from archmatch.extract.builds._awsdeploy import add_facts, mentions_deploy
from archmatch.extract.builds._common import CliSite, HostContext, LineMap, cli_build
from archmatch.extract.builds._shellscan import ShellState, scan
from archmatch.extract.terraform.builds import repository_key
from archmatch.extract.terraform.context import Context, Resource, root_relative
from archmatch.extract.terraform.hcl import Block
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import Unknown
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


def _builds(ctx: Context, res: Resource, block: Block) -> list[ImageBuild]:
    ev = res.instance.eval_attr
    command = ev(block, "command")
    text = _text(command)
    if (
        not text
        or ("docker" not in text and not mentions_deploy(text))
        or not _runs_a_shell(ev(block, "interpreter"))
    ):
        return []
    root = res.instance.chain[0] or "."
    working_dir = ev(block, "working_dir")
    cwd = root_relative(res.instance, working_dir) if working_dir is not None else root
    env = _environment(ev(block, "environment"))
    keys = frozenset(repository_key(k) for k in ctx.link_keys(command))
    state = ShellState(path=block.path, script_dir=root, cwd=cwd)
    line_at = LineMap(text, _first_line(ctx, block))
    out: list[ImageBuild] = []
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
            build.link_keys = frozenset(build.link_keys | keys)
            out.append(build)
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
