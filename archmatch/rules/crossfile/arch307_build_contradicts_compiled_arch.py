"""ARCH307: a build requests a platform that its Dockerfile's content cannot be for.

Facts read: `ImageBuild.platforms`, `build_args`, `platform_location`; the Dockerfile's
`DockerImageFacts.hardcoded` and `host_downloads`; `RepoFacts.links` (a contradiction that breaks a
linked workload is ARCH301's). See `archmatch/rules/_contradiction.py` for what counts.
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch import lazyre
from archmatch.dockerfile_model import DockerfileAnalysis
from archmatch.fixrender import request_platform
from archmatch.model import Applicability, ArchEvidence, Edit, Finding, Fix, Location, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules._contradiction import Contradiction, contradictions

_ARCH_WORDS = {"amd64": "amd64 (x86_64)", "arm64": "arm64 (aarch64)"}
_GOARCH_LITERAL = lazyre.compile(r"\bGOARCH=[\"']?[A-Za-z0-9_]+[\"']?")


def _target_fix(facts: RepoFacts, evidence: ArchEvidence) -> Fix:
    """`GOARCH=$TARGETARCH` with `ARG TARGETARCH` in the stage, where the constant is a GOARCH
    assignment; otherwise the advice in words (a file name needs a per-architecture mapping)."""
    written = evidence.reason.split("`")[1] if evidence.reason.count("`") >= 2 else "the constant"
    advice = Fix(
        f"derive the architecture from the target at {evidence.location}: declare `ARG TARGETARCH` in that "
        f"stage and build `{written}` from ${{TARGETARCH}} (map amd64/arm64 to x86_64/aarch64 with a case "
        "statement where the name needs it)"
    )
    df = facts.dockerfiles.get(evidence.location.path)
    literal = _GOARCH_LITERAL.search(evidence.reason)
    if not isinstance(df, DockerfileAnalysis) or literal is None:
        return advice
    line = evidence.location.line
    stage = next((s for s in df.stages if any(i.start <= line <= i.end for i in s.instructions)), None)
    if stage is None:
        return advice
    edits = [Edit(Location(df.path, line), "GOARCH=$TARGETARCH", find=literal.group(0))]
    text = df.lexed.lines[line - 1].strip()
    diff = f"- {text}\n+ {text.replace(literal.group(0), 'GOARCH=$TARGETARCH', 1)}"
    if not any(a.name == "TARGETARCH" for a in stage.args):
        edits.insert(0, Edit(Location(df.path, stage.from_instr.end + 1), "ARG TARGETARCH\n"))
        diff = f"  {df.lexed.lines[stage.from_instr.end - 1].strip()}\n+ ARG TARGETARCH\n" + diff
    return Fix(
        f"build for the target: GOARCH=$TARGETARCH with `ARG TARGETARCH` in stage {stage.label}",
        tuple(edits),
        diff,
        Applicability.SAFE,  # the content follows the platform each build requests
    )


def _platforms(archs: tuple[str, ...] | frozenset[str]) -> str:
    return ", ".join(f"linux/{a}" for a in sorted(archs))


def _fixes(facts: RepoFacts, found: Contradiction) -> list[Fix]:
    evidence = found.hardcoded
    if evidence is None:
        return [
            Fix(
                "choose the download by the target: declare `ARG TARGETARCH` (or TARGETPLATFORM) in that stage "
                "and build the file name from it instead of $BUILDPLATFORM/$BUILDARCH"
            )
        ]
    out: list[Fix] = []
    if evidence.arg in ("TARGETARCH", "TARGETPLATFORM"):
        written = evidence.reason.split("`")[1].removeprefix("ARG ") if "`" in evidence.reason else ""
        edits = (Edit(Location(evidence.location.path, evidence.location.line), evidence.arg, find=written),)
        out.append(
            Fix(
                f"drop the default of `ARG {evidence.arg}` at {evidence.location}: BuildKit then fills it "
                "with each requested platform",
                edits if written else (),
                f"- ARG {written}\n+ ARG {evidence.arg}" if written else "",
                Applicability.SAFE,  # the automatic value is what the build requests
            )
        )
    else:
        out.append(_target_fix(facts, evidence))
    keep = request_platform(found.build, evidence.arch, facts=facts)
    out.append(
        Fix(
            f"or request only linux/{evidence.arch}: {keep.description}",
            keep.edits,
            keep.diff,
            keep.applicability,
        )
    )
    return out


def _consequence(found: Contradiction) -> str:
    if found.hardcoded is not None:
        images = " and ".join(f"linux/{a}" for a in found.missing)
        verb = "holds" if len(found.missing) == 1 else "hold"
        return (
            f"the {images} image {verb} {_ARCH_WORDS.get(found.hardcoded.arch, found.hardcoded.arch)} files"
        )
    return "every image except the one for the build host's own architecture holds the build host's files"


def check(facts: RepoFacts) -> Iterator[Finding]:
    for found in contradictions(facts):
        build = found.build
        evidence = found.hardcoded
        if evidence is not None:
            note = f"{evidence.reason} makes the content {evidence.arch} whatever the build requests"
            if evidence.arg:
                note += f" (the default of ARG {evidence.arg}, and the build passes no --build-arg {evidence.arg})"
        else:
            note = found.host_download.message  # type: ignore[union-attr]
        where = found.location
        yield make(
            "ARCH307",
            build.platform_location or build.location,
            build.name,
            build=build.name,
            requested=_platforms(build.platforms.archs),
            reason=note,
            dockerfile=str(where),
            consequence=_consequence(found),
            related=[Related(where, note)],
            fixes=_fixes(facts, found),
        )
