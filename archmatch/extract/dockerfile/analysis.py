"""One Dockerfile's stages and what its images are built for (`DockerfileLike`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from archmatch.extract.dockerfile.archscan import Compile, Hardcoded, compiles, hardcoded
from archmatch.extract.dockerfile.lexer import Lexed, lex
from archmatch.extract.dockerfile.stages import TARGET_ARGS, ArgDecl, Edge, Stage, build_stages, units
from archmatch.model import ArchEvidence, DockerImageFacts, Location
from archmatch.platforms import arch_of_image_ref

_PLATFORM_FLAG = re.compile(r"--platform(?:=|\s+)(?:\"[^\"]*\"|'[^']*'|\S+)\s*")


@dataclass(frozen=True)
class StageHardcoded:
    stage: Stage
    keyword: str
    found: Hardcoded

    @property
    def reason(self) -> str:
        return f"`{self.found.token}` in {self.keyword} (stage {self.stage.label})"


@dataclass(frozen=True)
class HostCompile:
    stage: Stage
    compile: Compile


class DockerfileAnalysis:
    """Implements `archmatch.model.DockerfileLike`; the rules also read its stages."""

    def __init__(self, path: str, lexed: Lexed, global_args: dict[str, ArgDecl], stages: list[Stage]):
        self.path = path
        self.lexed = lexed
        self.global_args = global_args
        self.stages = stages

    def loc(self, line: int, column: int = 0, end_column: int = 0) -> Location:
        return Location(self.path, line, column, line if end_column else 0, end_column)

    # --- stage relations ----------------------------------------------------------------

    def stage_for(self, target: str | None = None) -> Stage | None:
        if not self.stages:
            return None
        if target is None:
            return self.stages[-1]
        return next((s for s in self.stages if s.name == target.lower()), None)

    def chain(self, stage: Stage) -> list[Stage]:
        """The stage and the stages it is built FROM, nearest first."""
        out = [stage]
        while out[-1].parent is not None and out[-1].parent not in (s.index for s in out):
            out.append(self.stages[out[-1].parent])
        return out

    def platform_stage(self, stage: Stage) -> Stage | None:
        """The stage in the chain whose FROM --platform decides this stage's platform."""
        return next((s for s in self.chain(stage) if s.platform.kind != "none"), None)

    def sources(self, final: Stage) -> dict[int, Edge]:
        """Stages whose content reaches `final` through COPY --from / RUN --mount (directly or via
        other stages), each with the edge in `final`'s chain it arrives by."""
        in_chain = {s.index for s in self.chain(final)}
        found: dict[int, Edge] = {}
        queue = [(e.stage, e) for s in self.chain(final) for e in s.edges if e.stage is not None]
        while queue:
            index, entry = queue.pop(0)
            if index is None or index in found or index in in_chain:
                continue
            for member in self.chain(self.stages[index]):
                if member.index not in in_chain:
                    found.setdefault(member.index, entry)
                queue.extend((e.stage, entry) for e in member.edges if e.stage is not None)
        return found

    # --- per-stage architecture ---------------------------------------------------------

    def pin(self, stage: Stage) -> ArchEvidence | None:
        decider = self.platform_stage(stage)
        if decider is None or decider.platform.kind != "const" or decider.platform.arch is None:
            return None
        p = decider.platform
        reason = f"FROM --platform={p.raw} {decider.base}"
        if p.args:
            reason += f" (default of ARG {', '.join(p.args)}; a --build-arg can change it)"
        return ArchEvidence(p.arch, self.loc(decider.line), reason, p.certain)  # type: ignore[arg-type]

    def base_arch(self, stage: Stage) -> ArchEvidence | None:
        root = self.chain(stage)[-1]
        found = arch_of_image_ref(root.base_resolved) if root.base_resolved else None
        if found is None:
            return None
        arch, why = found
        return ArchEvidence(
            arch, self.loc(root.line), f"FROM {root.base_resolved}: {why}", not root.base_args
        )

    def runs_on_build_host(self, stage: Stage) -> Stage | None:
        """The stage whose `FROM --platform=$BUILDPLATFORM` this stage runs under, if any."""
        decider = self.platform_stage(stage)
        return decider if decider is not None and decider.platform.kind == "build" else None

    def declares_target_args(self, stage: Stage) -> bool:
        return any(a.name in TARGET_ARGS for s in self.chain(stage) for a in s.args)

    def hardcoded(self, stage: Stage) -> list[StageHardcoded]:
        out: list[StageHardcoded] = []
        copied_from_stage = {e.line for e in stage.edges if e.stage is not None and e.keyword == "COPY"}
        for instr in stage.instructions:
            if instr.start in copied_from_stage:
                continue  # paths inside another stage: that stage is judged by what it builds
            out.extend(
                StageHardcoded(stage, instr.keyword, h) for h in hardcoded(instr.keyword, units(instr))
            )
        for edge in stage.edges:
            found = arch_of_image_ref(edge.source) if edge.stage is None else None
            if found:
                out.append(
                    StageHardcoded(
                        stage, edge.keyword, Hardcoded(found[0], edge.line, f"--from={edge.source}", True)
                    )
                )
        return out

    def host_compiles(self, stage: Stage) -> list[HostCompile]:
        """Compiling RUN lines of a $BUILDPLATFORM stage that never tells the tools the target."""
        if self.runs_on_build_host(stage) is None or self.declares_target_args(stage):
            return []
        env = "\n".join(i.args for s in self.chain(stage) for i in s.instructions if i.keyword == "ENV")
        out: list[HostCompile] = []
        for instr, lines in zip(stage.instructions, stage.effective, strict=True):
            if instr.keyword == "RUN":
                out.extend(HostCompile(stage, c) for c in compiles(lines, env))
        return out

    def platform_flag_text(self, line: int) -> str:
        """`--platform=<value> ` as written on a FROM line (with the whitespace after it), or ""."""
        text = self.lexed.lines[line - 1] if 0 < line <= len(self.lexed.lines) else ""
        m = _PLATFORM_FLAG.search(text)
        return m.group(0) if m else ""

    # --- DockerfileLike -----------------------------------------------------------------

    def image_facts(self, target: str | None = None) -> DockerImageFacts | None:
        final = self.stage_for(target)
        if final is None:
            return None
        chain = self.chain(final)
        facts = DockerImageFacts(
            path=self.path,
            target=target,
            final_stage=final.name or str(final.index),
            final_from=self.loc(final.line),
            pinned=self.pin(final),
            base_arch=self.base_arch(final),
        )
        if facts.pinned is not None:
            facts.pin_flag = self.platform_flag_text(facts.pinned.location.line)
        host = self.runs_on_build_host(final)
        if host is not None and chain[-1].base_resolved.lower() != "scratch":
            facts.from_buildplatform = self.loc(host.line)
        sources = self.sources(final)
        for stage in [*chain, *(self.stages[i] for i in sorted(sources))]:
            in_final = stage in chain
            for item in self.hardcoded(stage):
                # a file named in a stage we only COPY from may not be what is copied
                certain = item.keyword != "ARG" and (in_final or item.found.decides_output)
                facts.hardcoded.append(
                    ArchEvidence(item.found.arch, self.loc(item.found.line), item.reason, certain)
                )
            if not in_final:
                facts.host_binaries.extend(self.loc(h.compile.line) for h in self.host_compiles(stage))
        return facts


def analyse(path: str, text: str, diag: Callable[[str, int], None]) -> DockerfileAnalysis:
    lexed = lex(text, diag)
    global_args, stages = build_stages(lexed, diag)
    if not stages:
        diag("no FROM instruction: not a Dockerfile stage graph", 0)
    return DockerfileAnalysis(path, lexed, global_args, stages)
