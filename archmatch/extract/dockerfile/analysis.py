"""One Dockerfile's stages and what its images are built for (`archmatch.dockerfile_model`)."""

from __future__ import annotations

import re
from collections.abc import Callable

from archmatch import lazyre
from archmatch.dockerfile_model import (
    BUILD_ARGS,
    TARGET_ARGS,
    DockerfileAnalysis,
    Hardcoded,
    HostCompile,
    Instruction,
    Stage,
    StageHardcoded,
)
from archmatch.extract.dockerfile.archscan import compiles, hardcoded
from archmatch.extract.dockerfile.lexer import lex
from archmatch.extract.dockerfile.stages import build_stages, units
from archmatch.model import Related
from archmatch.platforms import arch_of, arch_of_image_ref, normalize_arch

# the build host's architecture, asked of the machine that runs the command
_HOST_ARCH_COMMAND = lazyre.compile(r"uname\s+-[a-z]*[mp]|--print-arch|\$\(\s*arch\s*\)|`arch`")
_TARGET_WORD = lazyre.compile(r"TARGET(?:ARCH|PLATFORM|OS|VARIANT)")
_DOWNLOAD = lazyre.compile(r"://|\b(?:wget|curl)\b")
_URL_END = lazyre.compile(r"[^\s\"';|&()<>]+")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_GO_COMPILE = lazyre.compile(r"\bgo\s+(?:build|install)\b")


def _stage_hardcoded(stage: Stage) -> list[StageHardcoded]:
    out: list[StageHardcoded] = []
    copied_from_stage = {e.line for e in stage.edges if e.stage is not None and e.keyword == "COPY"}
    for index, instr in enumerate(stage.instructions):
        if instr.start in copied_from_stage:
            continue  # paths inside another stage: that stage is judged by what it builds
        for h in hardcoded(instr.keyword, units(instr)):
            arg = _arg_holding(stage, instr, h.token) if instr.keyword == "ARG" else ""
            if not _arg_used(stage, index, arg):
                arg = ""  # a default nothing reads decides nothing
            out.append(StageHardcoded(stage, instr.keyword, h, arg))
    out.extend(_target_arg_defaults(stage))
    for edge in stage.edges:
        found = arch_of_image_ref(edge.source) if edge.stage is None else None
        if found:
            out.append(
                StageHardcoded(
                    stage, edge.keyword, Hardcoded(found[0], edge.line, f"--from={edge.source}", True)
                )
            )
    return out


def _target_arg_defaults(stage: Stage) -> list[StageHardcoded]:
    """`ARG TARGETARCH=amd64` in a stage: BuildKit uses a stage ARG's default unless the build
    passes a --build-arg of that name (the automatic value only fills an ARG without one), so
    every use of it below is the written architecture."""
    out: list[StageHardcoded] = []
    for decl in stage.args:
        if decl.name not in ("TARGETARCH", "TARGETPLATFORM") or not decl.default:
            continue
        value = decl.default.strip("\"'")
        arch = normalize_arch(value) if decl.name == "TARGETARCH" else arch_of(value)
        used = any(u.name == decl.name and u.in_scope and u.line > decl.line for u in stage.uses)
        if arch and used and "$" not in value:
            token = f"ARG {decl.name}={decl.default}"
            out.append(StageHardcoded(stage, "ARG", Hardcoded(arch, decl.line, token, True), decl.name))
    return out


def _host_downloads(df: DockerfileAnalysis, stage: Stage) -> list[Related]:
    """Downloads whose file is chosen by the build host's architecture: a URL built from an
    in-scope $BUILDPLATFORM/$BUILDARCH, or from `uname -m` in a stage that runs on the build
    host. An instruction that also names a TARGET* arg may choose by the target, and a stage
    that uses one anywhere is taken to fetch build tools that way and build the target's files
    with the TARGET* value (a `protoc` for the build host, then `GOARCH=$TARGETARCH`): neither
    is reported."""
    if any(u.in_scope and u.name in TARGET_ARGS for s in df.chain(stage) for u in s.uses):
        return []
    on_host = df.runs_on_build_host(stage) is not None
    out: list[Related] = []
    for instr, lines in zip(stage.instructions, stage.effective, strict=True):
        if instr.keyword not in ("RUN", "ADD"):
            continue
        text = "\n".join(t for _, t in lines)
        if _TARGET_WORD.search(text) or not _DOWNLOAD.search(text):
            continue
        by_arg = next(
            (
                u.name
                for u in stage.uses
                if u.in_scope and u.name in BUILD_ARGS and instr.start <= u.line <= instr.end
            ),
            None,
        )
        by_command = _HOST_ARCH_COMMAND.search(text) if on_host else None
        if by_arg is not None:
            chosen = f"${by_arg}"
        elif by_command is not None:
            chosen = f"`{by_command.group(0)}` on $BUILDPLATFORM"
        else:
            continue
        url = _first_url(text)
        what = f"`{url}`" if url else "its download"
        out.append(
            Related(
                df.loc(instr.start),
                f"stage {stage.label} downloads {what} chosen by {chosen}: the build host's architecture",
            )
        )
    return out


def _first_url(text: str) -> str:
    """The first `scheme://...` word of the text, or "" (found from `://`, never by backtracking)."""
    at = text.find("://")
    if at < 0:
        return ""
    start = at
    while start > 0 and at - start < 20 and text[start - 1] in _SCHEME_CHARS:
        start -= 1
    rest = _URL_END.match(text, at)
    return text[start:at] + (rest.group(0) if rest else "")


def _arg_holding(stage: Stage, instr: Instruction, token: str) -> str:
    """The name of the ARG declared by `instr` whose default holds `token`."""
    decls = [a for a in stage.args if a.line == instr.start]
    return next((a.name for a in decls if a.default and token in f"{a.name}={a.default}"), "") or (
        decls[0].name if len(decls) == 1 else ""
    )


def _arg_used(stage: Stage, index: int, name: str) -> bool:
    """Does an instruction after `index` read the ARG: `$NAME`, or Go reading GOARCH/GOOS from the
    environment that BuildKit gives RUN from the stage's ARGs."""
    if not name:
        return False
    ref = re.compile(rf"\$\{{?{re.escape(name)}\b")
    for instr in stage.instructions[index + 1 :]:
        text = "\n".join(t for _, t in units(instr))
        if ref.search(text) or (
            name.startswith("GO") and instr.keyword == "RUN" and _GO_COMPILE.search(text)
        ):
            return True
    return False


def _host_compiles(df: DockerfileAnalysis, stage: Stage) -> list[HostCompile]:
    """Compiling RUN lines of a $BUILDPLATFORM stage that never tells the tools the target."""
    if df.runs_on_build_host(stage) is None or df.declares_target_args(stage):
        return []
    env = "\n".join(i.args for s in df.chain(stage) for i in s.instructions if i.keyword == "ENV")
    out: list[HostCompile] = []
    for instr, lines in zip(stage.instructions, stage.effective, strict=True):
        if instr.keyword == "RUN":
            out.extend(HostCompile(stage, c) for c in compiles(lines, env))
    return out


def analyse(path: str, text: str, diag: Callable[[str, int], None]) -> DockerfileAnalysis:
    lexed = lex(text, diag)
    global_args, stages = build_stages(lexed, diag)
    if not stages:
        diag("no FROM instruction: not a Dockerfile stage graph", 0)
    df = DockerfileAnalysis(path, lexed, global_args, stages)
    for stage in stages:
        df.stage_hardcoded[stage.index] = _stage_hardcoded(stage)
        df.stage_host_compiles[stage.index] = _host_compiles(df, stage)
        df.stage_host_downloads[stage.index] = _host_downloads(df, stage)
    return df
