"""ARCH307: a build requests a platform that its Dockerfile's content cannot be for.

Facts read: `ImageBuild.platforms`, `build_args`, `platform_location`; the Dockerfile's
`DockerImageFacts.hardcoded` and `host_downloads`; `RepoFacts.links` (a contradiction that breaks a
linked workload is ARCH301's). See `archmatch/rules/_contradiction.py` for what counts.
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Edit, Finding, Fix, Location, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules._contradiction import Contradiction, contradictions
from archmatch.rules.crossfile._fixes import build_fix
from archmatch.rules.dockerfile._common import describe_arch
from archmatch.rules.dockerfile._hardcoded import follow_target_fix, hits


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
            )
        )
    else:
        hit = next(
            (h for h in hits(facts) if h.df.loc(h.item.found.line) == evidence.location),
            None,
        )
        out.append(
            follow_target_fix(hit)
            if hit is not None
            else Fix(
                f"derive the architecture from the target at {evidence.location}: declare `ARG TARGETARCH` in that "
                "stage and use it (`GOARCH=$TARGETARCH`, `…linux-${TARGETARCH}…`) instead of the constant"
            )
        )
    keep = build_fix(found.build, evidence.arch, facts=facts)
    out.append(Fix(f"or request only linux/{evidence.arch}: {keep.description}", keep.edits, keep.diff))
    return out


def _consequence(found: Contradiction) -> str:
    if found.hardcoded is not None:
        images = " and ".join(f"linux/{a}" for a in found.missing)
        verb = "holds" if len(found.missing) == 1 else "hold"
        return f"the {images} image {verb} {describe_arch(found.hardcoded.arch)} files"
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
