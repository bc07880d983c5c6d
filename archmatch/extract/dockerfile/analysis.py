"""One Dockerfile's stages and what its images are built for (`archmatch.dockerfile_model`)."""

from __future__ import annotations

from collections.abc import Callable

from archmatch.dockerfile_model import DockerfileAnalysis, Hardcoded, HostCompile, Stage, StageHardcoded
from archmatch.extract.dockerfile.archscan import compiles, hardcoded
from archmatch.extract.dockerfile.lexer import lex
from archmatch.extract.dockerfile.stages import build_stages, units
from archmatch.platforms import arch_of_image_ref


def _stage_hardcoded(stage: Stage) -> list[StageHardcoded]:
    out: list[StageHardcoded] = []
    copied_from_stage = {e.line for e in stage.edges if e.stage is not None and e.keyword == "COPY"}
    for instr in stage.instructions:
        if instr.start in copied_from_stage:
            continue  # paths inside another stage: that stage is judged by what it builds
        out.extend(StageHardcoded(stage, instr.keyword, h) for h in hardcoded(instr.keyword, units(instr)))
    for edge in stage.edges:
        found = arch_of_image_ref(edge.source) if edge.stage is None else None
        if found:
            out.append(
                StageHardcoded(
                    stage, edge.keyword, Hardcoded(found[0], edge.line, f"--from={edge.source}", True)
                )
            )
    return out


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
    return df
