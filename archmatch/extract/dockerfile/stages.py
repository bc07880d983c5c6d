"""Build stages of a Dockerfile: FROM lines, `--platform`, ARG scope, variable uses, stage edges."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from archmatch.dockerfile_model import (
    PLATFORM_ARGS,
    ArgDecl,
    Edge,
    Instruction,
    Lexed,
    PlatformFlag,
    Stage,
    VarUse,
)
from archmatch.extract.dockerfile.words import (
    KEEP,
    expand,
    key_values,
    leading_flags,
    refs_with_unset_words,
    split_words,
)
from archmatch.platforms import arch_of

# Stand-ins for the automatic args while resolving FROM --platform: where they land tells
# whether the architecture part comes from the build host or from the target.
_BUILD, _TARGET = "\x01build", "\x01target"
_AUTOMATIC = {
    "TARGETPLATFORM": f"{_TARGET}os/{_TARGET}arch",
    "TARGETOS": f"{_TARGET}os",
    "TARGETARCH": f"{_TARGET}arch",
    "TARGETVARIANT": "",
    "BUILDPLATFORM": f"{_BUILD}os/{_BUILD}arch",
    "BUILDOS": f"{_BUILD}os",
    "BUILDARCH": f"{_BUILD}arch",
    "BUILDVARIANT": "",
}
# Instructions whose variables BuildKit expands at build time (CMD/ENTRYPOINT/HEALTHCHECK run
# later with the container's environment, where build args never exist).
_BUILD_TIME = frozenset(
    {"RUN", "ENV", "ARG", "COPY", "ADD", "WORKDIR", "LABEL", "USER", "EXPOSE", "VOLUME", "STOPSIGNAL"}
)


def units(instr: Instruction, with_bodies: bool = True) -> list[tuple[int, str]]:
    """(line, text) of each physical line of the instruction's arguments, then its heredoc bodies."""
    out = [(s.line, s.text) for s in instr.segments]
    if with_bodies:
        for doc in instr.heredocs:
            if instr.keyword == "RUN" or not doc.quoted:
                out.extend(doc.lines)
    return out


def resolve_platform(raw: str, global_args: dict[str, ArgDecl], escape: str) -> PlatformFlag:
    if not raw:
        return PlatformFlag()
    used: list[str] = []

    def lookup(name: str) -> object:
        if name in _AUTOMATIC:
            return _AUTOMATIC[name]
        decl = global_args.get(name)
        if decl is not None:
            used.append(name)
            return decl.default
        return None

    text, unset = expand(raw, lookup, escape)
    text = text.strip().strip("\"'")
    args = tuple(dict.fromkeys(used))
    parts = text.split("/")
    arch_part = parts[1] if len(parts) > 1 else parts[0]
    if _BUILD in arch_part:
        return PlatformFlag(raw, "build", None, args)
    if _TARGET in arch_part:
        return PlatformFlag(raw, "target", None, args)
    concrete = text.replace(f"{_TARGET}os", "linux").replace(f"{_BUILD}os", "linux")
    arch = arch_of(concrete) if "/" in concrete else None
    if arch is None:
        why = (
            f"ARG {', '.join(sorted(unset))} has no default"
            if unset
            else f"{text or raw!r} is not an os/arch platform"
        )
        return PlatformFlag(raw, "unknown", None, args, why)
    return PlatformFlag(raw, "const", arch, args)


def _expand_global(
    text: str, global_args: dict[str, ArgDecl], escape: str
) -> tuple[str, tuple[str, ...], bool]:
    used: list[str] = []

    def lookup(name: str) -> object:
        decl = global_args.get(name)
        if decl is not None and decl.default is not None and name not in _AUTOMATIC:
            used.append(name)
            return decl.default
        return None

    value, unset = expand(text, lookup, escape)
    return value, tuple(dict.fromkeys(used)), not unset


def _new_stage(
    instr: Instruction, index: int, stages: list[Stage], global_args: dict[str, ArgDecl], escape: str
) -> Stage:
    flags, pos = leading_flags(instr.args)
    platform_raw = next((value for name, value, _ in flags if name == "platform"), "")
    words = [w for w, _ in split_words(instr.args[pos:], escape)]
    base = words[0] if words else ""
    name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
    resolved, base_args, complete = _expand_global(base, global_args, escape)
    parent = next((s.index for s in stages if s.name is not None and s.name == resolved.lower()), None)
    return Stage(
        index=index,
        name=name,
        from_instr=instr,
        platform=resolve_platform(platform_raw, global_args, escape),
        base=base,
        base_resolved=resolved if complete else "",
        base_args=base_args,
        parent=parent,
    )


def _stage_ref(value: str, stage: Stage, stages: list[Stage]) -> int | None:
    lowered = value.lower()
    for other in stages:
        if other.index < stage.index and other.name == lowered:
            return other.index
    if value.isdigit() and int(value) < stage.index:
        return int(value)
    return None


def _edges(instr: Instruction, stage: Stage, stages: list[Stage]) -> list[Edge]:
    flags, _ = leading_flags(instr.args)
    sources: list[str] = []
    for name, value, _ in flags:
        if name == "from" and instr.keyword in ("COPY", "ADD"):
            sources.append(value)
        elif name == "mount":
            options = dict(part.partition("=")[::2] for part in value.split(","))
            if options.get("from"):
                sources.append(options["from"])
    keyword = instr.keyword if instr.keyword != "RUN" else "RUN --mount"
    paths = _copied_paths(instr) if instr.keyword in ("COPY", "ADD") else ()
    return [Edge(src, _stage_ref(src, stage, stages), instr.start, keyword, paths) for src in sources if src]


def _copied_paths(instr: Instruction) -> tuple[str, ...]:
    """The source paths of a COPY/ADD (every word but the destination), shell or JSON form."""
    _, pos = leading_flags(instr.args)
    rest = instr.args[pos:].strip()
    words: list[str] = []
    if rest.startswith("["):
        try:
            loaded = json.loads(rest)
        except ValueError:
            loaded = None
        if isinstance(loaded, list):
            words = [str(w) for w in loaded]
    if not words:
        words = [w for w, _ in split_words(rest)]
    return tuple(words[:-1])


def _local_assignment(name: str, text: str, before: int) -> bool:
    return re.search(rf"(?<![\w$]){name}=", text[:before]) is not None


def _scope_instruction(instr: Instruction, stage: Stage, visible: set[str], escape: str) -> None:
    """Record platform-arg uses of one instruction, then its own ARG/ENV definitions."""
    effective: list[tuple[int, str]] = []
    for line, text in units(instr):
        out_of_scope: set[str] = set()
        if instr.keyword in _BUILD_TIME:
            for ref, unset_word in refs_with_unset_words(text, escape):
                if ref.name not in PLATFORM_ARGS or (
                    instr.keyword == "RUN" and _local_assignment(ref.name, text, ref.start)
                ):
                    continue
                in_scope = ref.name in visible
                expands_to = ""
                if not in_scope:
                    out_of_scope.add(ref.name)
                    if ref.modifier in (":-", "-"):
                        expands_to = unset_word
                column = next(
                    (s.column + ref.start + 1 for s in instr.segments if s.line == line), ref.start + 1
                )
                stage.uses.append(VarUse(ref.name, line, column, instr.keyword, in_scope, expands_to))
        if out_of_scope:
            text = expand(text, lambda n, gone=out_of_scope: None if n in gone else KEEP, escape)[0]  # type: ignore[misc]  # a lambda with defaults
        effective.append((line, text))
    stage.effective.append(effective)
    if instr.keyword == "ARG":
        for name, default, _ in key_values(instr.args, escape):
            stage.args.append(ArgDecl(name, default, instr.start))
            visible.add(name)
    elif instr.keyword == "ENV":
        for name, _, _ in key_values(instr.args, escape, legacy=True):
            stage.env.append(name)
            visible.add(name)


def build_stages(lexed: Lexed, diag: Callable[[str, int], None]) -> tuple[dict[str, ArgDecl], list[Stage]]:
    """Global ARGs (before the first FROM) and the stages, with scopes resolved."""
    global_args: dict[str, ArgDecl] = {}
    stages: list[Stage] = []
    visible: set[str] = set()
    for instr in lexed.instructions:
        if instr.keyword == "FROM":
            stage = _new_stage(instr, len(stages), stages, global_args, lexed.escape)
            stages.append(stage)
            # ENV persists into stages built FROM this one; ARGs do not.
            visible = set(_inherited_env(stage, stages))
            continue
        if not stages:
            if instr.keyword == "ARG":
                for name, default, _ in key_values(instr.args, lexed.escape):
                    global_args[name] = ArgDecl(name, default, instr.start)
            else:
                diag(f"{instr.keyword} before the first FROM: BuildKit rejects it", instr.start)
            continue
        stage = stages[-1]
        stage.instructions.append(instr)
        stage.edges.extend(_edges(instr, stage, stages))
        _scope_instruction(instr, stage, visible, lexed.escape)
    return global_args, stages


def _inherited_env(stage: Stage, stages: list[Stage]) -> list[str]:
    names: list[str] = []
    parent = stage.parent
    while parent is not None:
        names.extend(stages[parent].env)
        parent = stages[parent].parent
    return names
