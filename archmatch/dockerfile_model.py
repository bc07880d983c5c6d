"""The structure of one Dockerfile, as the Dockerfile extractor records it and the Dockerfile
rules read it: instructions, build stages (FROM, `--platform`, ARG scope, variable uses, stage
edges), and what each stage hard-codes or compiles for the build host. Produced by
`archmatch/extract/dockerfile/`; nothing here parses text.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from archmatch import lazyre
from archmatch.model import ArchEvidence, DockerImageFacts, Location, Related
from archmatch.platforms import arch_of_image_ref

TARGET_ARGS = ("TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT")
BUILD_ARGS = ("BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT")
PLATFORM_ARGS = TARGET_ARGS + BUILD_ARGS

# `--platform=<value>` on a FROM line, with the whitespace after it
PLATFORM_FLAG = lazyre.compile(r"--platform(?:=|\s+)(?:\"[^\"]*\"|'[^']*'|\S+)\s*")


@dataclass(frozen=True)
class Heredoc:
    """The body of a heredoc (`<<EOF`) an instruction opens."""

    delimiter: str
    quoted: bool  # `<<'EOF'` / `<<"EOF"`: no variable expansion in the body
    lines: tuple[tuple[int, str], ...]  # (line number, text) of the body
    terminated: bool
    end: int  # line of the terminator (of the last body line when unterminated)


@dataclass(frozen=True)
class Segment:
    """The part of an instruction's arguments on one physical line."""

    line: int
    column: int  # 0-based column of `text` in the physical line
    text: str  # continuation character removed


@dataclass
class Instruction:
    """One Dockerfile instruction, over one or more physical lines."""

    keyword: str  # upper-case
    start: int  # 1-based first line
    end: int  # 1-based last line, heredoc terminators included
    segments: tuple[Segment, ...]  # the arguments, one per physical line (comments dropped)
    first_line: str  # the physical first line, for columns in fixes
    heredocs: tuple[Heredoc, ...] = ()
    args: str = field(init=False)  # the arguments as BuildKit joins them

    def __post_init__(self) -> None:
        self.args = "".join(s.text for s in self.segments)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, 1-based column) of a character offset into `args`."""
        for seg in self.segments:
            if offset < len(seg.text) or seg is self.segments[-1]:
                return seg.line, seg.column + min(offset, len(seg.text)) + 1
            offset -= len(seg.text)
        return self.start, 1


@dataclass
class Lexed:
    """A Dockerfile split into instructions, with its escape character and comments."""

    instructions: list[Instruction]
    escape: str
    comments: dict[int, str]  # line -> comment text (without '#')
    lines: list[str]  # the physical lines


@dataclass(frozen=True)
class ArgDecl:
    """An `ARG` declaration: name and default value."""

    name: str
    default: str | None
    line: int


@dataclass(frozen=True)
class PlatformFlag:
    """A FROM line's `--platform`, resolved: kind none | const | build | target | unknown."""

    raw: str = ""
    kind: str = "none"
    arch: str | None = None
    args: tuple[str, ...] = ()  # user ARGs whose defaults decided the value (a --build-arg can change it)
    note: str = ""

    @property
    def certain(self) -> bool:
        return self.kind == "const" and not self.args


@dataclass(frozen=True)
class VarUse:
    """A variable an instruction reads, and whether an `ARG` or `ENV` gives it a value there."""

    name: str
    line: int
    column: int
    keyword: str
    in_scope: bool
    expands_to: str  # what an out-of-scope use becomes: "" or its `${X:-default}` word


@dataclass(frozen=True)
class Edge:
    """Content of another stage (or image) used by this one: COPY --from or RUN --mount from=."""

    source: str  # as written
    stage: int | None  # index of the source stage, None for an image
    line: int
    keyword: str
    # the paths COPY/ADD takes from the source, as written; () for a RUN --mount (all of it)
    paths: tuple[str, ...] = ()


@dataclass
class Stage:
    """One build stage: its `FROM`, platform, base image and what its instructions show."""

    index: int
    name: str | None  # lower-case, as BuildKit matches it
    from_instr: Instruction
    platform: PlatformFlag
    base: str  # image as written
    base_resolved: str  # global ARG defaults applied; "" when a variable has no value
    base_args: tuple[str, ...]  # user ARGs whose defaults went into base_resolved
    parent: int | None  # index of the stage named in FROM
    instructions: list[Instruction] = field(default_factory=list)
    args: list[ArgDecl] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    uses: list[VarUse] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    # (line, text) per physical line of each instruction (heredoc bodies included), with
    # out-of-scope platform args expanded as BuildKit would (usually to nothing).
    effective: list[list[tuple[int, str]]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f'"{self.name}"' if self.name else f"#{self.index}"

    @property
    def line(self) -> int:
        return self.from_instr.start


@dataclass(frozen=True)
class Hardcoded:
    """An architecture written as a constant in an instruction."""

    arch: str
    line: int
    token: str  # as written
    decides_output: bool  # selects what a compiler/installer produces (vs. names a file or URL)


@dataclass(frozen=True)
class Compile:
    """A command that compiles native code."""

    tool: str
    line: int
    command: str


@dataclass(frozen=True)
class StageHardcoded:
    """A hard-coded architecture found in a stage, with the instruction that holds it."""

    stage: Stage
    keyword: str
    found: Hardcoded
    arg: str = ""  # the ARG whose default this is, when a later instruction reads it ("" otherwise)

    @property
    def reason(self) -> str:
        return f"`{self.found.token}` in {self.keyword} (stage {self.stage.label})"


@dataclass(frozen=True)
class HostCompile:
    """A stage that compiles native code on the build host's platform."""

    stage: Stage
    compile: Compile


class DockerfileAnalysis:
    """Implements `archmatch.model.DockerfileLike`; the rules also read its stages."""

    def __init__(self, path: str, lexed: Lexed, global_args: dict[str, ArgDecl], stages: list[Stage]):
        self.path = path
        self.lexed = lexed
        self.global_args = global_args
        self.stages = stages
        # per stage index, filled by the extractor (archmatch/extract/dockerfile/analysis.py)
        self.stage_hardcoded: dict[int, list[StageHardcoded]] = {}
        self.stage_host_compiles: dict[int, list[HostCompile]] = {}
        self.stage_host_downloads: dict[int, list[Related]] = {}

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
        """Architectures the stage's instructions write literally (recorded by the extractor)."""
        return self.stage_hardcoded.get(stage.index, [])

    def host_compiles(self, stage: Stage) -> list[HostCompile]:
        """Compiling RUN lines of a $BUILDPLATFORM stage that never tells the tools the target."""
        return self.stage_host_compiles.get(stage.index, [])

    def host_downloads(self, stage: Stage) -> list[Related]:
        """Downloads of the stage chosen by the build host's architecture (recorded by the extractor)."""
        return self.stage_host_downloads.get(stage.index, [])

    def dependencies_reach(self, final: Stage, stage: Stage) -> bool:
        """Can the dependency folder an install in `stage` writes (`node_modules`) reach `final`
        as it is? Through a RUN --mount, or a COPY --from of a path that may hold it: the folder
        itself, the whole stage, a folder at or above a WORKDIR, a glob or a variable. A final stage
        that takes only build output (`/app/.next/standalone`, `/app/dist`) from the stages holding
        it gets what that build made of them, which the files do not show."""
        holders = self._holders(stage)
        workdirs = {w for index in holders for w in _workdirs(self.stages[index])}
        for member in self.chain(final):
            for edge in member.edges:
                if edge.stage is None or edge.stage not in holders:
                    continue
                if not edge.paths or any(_may_hold(p, workdirs) for p in edge.paths):
                    return True
        return False

    def _holders(self, stage: Stage) -> set[int]:
        """The stage and every stage whose content includes its content (built FROM it, or
        copying or mounting from it, directly or through others)."""
        held = {stage.index}
        changed = True
        while changed:
            changed = False
            for other in self.stages:
                if other.index in held:
                    continue
                if other.parent in held or any(e.stage in held for e in other.edges):
                    held.add(other.index)
                    changed = True
        return held

    def platform_flag_text(self, line: int) -> str:
        """`--platform=<value> ` as written on a FROM line (with the whitespace after it), or ""."""
        text = self.lexed.lines[line - 1] if 0 < line <= len(self.lexed.lines) else ""
        m = PLATFORM_FLAG.search(text)
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
            items = self.hardcoded(stage)
            one_arch = len({i.found.arch for i in items}) == 1
            for item in items:
                # a file named in a stage we only COPY from may not be what is copied, nor one of
                # several architectures the stage builds
                decides = in_final or (item.found.decides_output and one_arch)
                certain = item.keyword != "ARG" and decides
                facts.hardcoded.append(
                    ArchEvidence(
                        item.found.arch,
                        self.loc(item.found.line),
                        item.reason,
                        certain,
                        arg=item.arg if decides else "",
                    )
                )
            if not in_final:
                facts.host_binaries.extend(self.loc(h.compile.line) for h in self.host_compiles(stage))
            if not in_final or host is None:
                facts.host_downloads.extend(self.host_downloads(stage))
        return facts


def _workdirs(stage: Stage) -> list[str]:
    """The stage's WORKDIRs as absolute paths ("/" when it sets none)."""
    out, current = [], "/"
    for instr in stage.instructions:
        if instr.keyword == "WORKDIR":
            current = posixpath.normpath(posixpath.join(current, instr.args.strip().strip("\"'")))
            out.append(current)
    return out or ["/"]


def _may_hold(path: str, workdirs: set[str]) -> bool:
    """May a COPY --from source path hold a dependency folder installed in one of `workdirs`?"""
    if "$" in path or any(ch in path for ch in "*?["):
        return True
    absolute = posixpath.normpath("/" + path)
    if absolute == "/" or "node_modules" in absolute.split("/"):
        return True
    return any(w == absolute or w.startswith(absolute + "/") for w in workdirs)
