"""Hard-coded architectures in stages that follow the requested platform (ARCH106 and ARCH108).

Both rules see the same hazard: a stage with no fixed platform writes one architecture into the
image. What the rest of the repository says decides which rule reports it:

* some build of the Dockerfile requests another architecture, a linked workload runs another one,
  or a build follows its host and no linked workload fixes what the image must be: the image will
  (or may) be built for an architecture its files do not match -> ARCH106, a warning that names
  that build or workload;
* every build requests exactly the hard-coded architecture and every linked workload runs it: the
  image is only ever built for that architecture -> nothing to report;
* a build that requests another platform explicitly gets the hard-coded architecture whatever it
  requests (the stage's output reaches the final image): ARCH307 reports the error on that build
  and this hazard is not reported again;
* nothing in the repository builds or runs it for another architecture (no build at all, or only
  host-dependent builds whose linked workloads all run the hard-coded architecture, which ARCH302
  reports) -> ARCH108, an info-level portability hint.

One download is one hazard: the lines that name the same file again (`curl …/tool-linux-amd64.gz`,
`gunzip tool-linux-amd64.gz`, `chmod +x tool-linux-amd64`) are related locations of the first.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from archmatch import lazyre
from archmatch.model import Related, RepoFacts
from archmatch.platforms import How, aws_name
from archmatch.rules._contradiction import contradicted_locations
from archmatch.rules._linked import consumers, workload_archs
from archmatch.rules.dockerfile._hardcoded import Hit, hits

_ARCHIVE_SUFFIX = lazyre.compile(r"(\.(tar|gz|tgz|zip|xz|bz2|zst|deb|rpm|apk|exe|sh))+$", re.IGNORECASE)


@dataclass
class Hazard:
    """A hard-coded architecture that another architecture may meet, with its repeats."""

    hit: Hit
    evidence: str | None  # why another architecture is in play, None when nothing says so
    repeats: list[Hit] = field(default_factory=list)

    def related(self) -> list[Related]:
        return [
            Related(h.df.loc(h.item.found.line), f"the same file again (`{h.item.found.token}`)")
            for h in self.repeats
        ]


def _stem(token: str) -> str:
    """The file a token names, without folders and archive suffixes."""
    name = posixpath.basename(token.strip("\"'").rstrip("/")).lower()
    return _ARCHIVE_SUFFIX.sub("", name) or name


def _other_arch_evidence(facts: RepoFacts, hit: Hit) -> str | None:
    arch = hit.item.found.arch
    group = consumers(facts, hit.df.path)
    for build in group.builds:
        others = build.platforms.archs - {arch}
        if build.platforms.how is How.EXPLICIT and others:
            wanted = ", ".join(f"linux/{a}" for a in sorted(build.platforms.archs))
            return f"{build.name} builds it for {wanted}"
    for workload in group.workloads_not_running(arch):
        runs = "/".join(aws_name(a) for a in sorted(workload_archs(workload)))
        return f"{workload.name} runs it on {runs}"
    linked = {link.build.id for link in group.links if workload_archs(link.workload)}
    for build in group.builds:
        # a CI runner whose labels say it is this architecture builds the hard-coded one
        known_host = build.platforms.host_hint == frozenset({arch})
        if build.platforms.how is How.HOST and build.id not in linked and not known_host:
            return f"{build.name} builds it for whatever machine runs the build"
    return None


def hazards(facts: RepoFacts) -> Iterator[Hazard]:
    """Every hazard once (repeats of the same file folded in), with its evidence."""
    first: dict[tuple[str, str, str, str], Hazard] = {}
    errors = contradicted_locations(facts)  # ARCH307 reports these as the build's error
    folded: set[tuple[str, str, str, str]] = set()
    for hit in hits(facts):
        if hit.certain_conflict:
            continue
        key = (hit.df.path, hit.stage.label, hit.item.found.arch, _stem(hit.item.found.token))
        if key in folded or hit.df.loc(hit.item.found.line) in errors:
            folded.add(key)  # the same file again is part of that error too
            continue
        if key in first:
            first[key].repeats.append(hit)
            continue
        if consumers(facts, hit.df.path).agree_on(hit.item.found.arch) and _follows_request(hit):
            continue  # only ever built for this architecture: the hard-coded one is right
        first[key] = Hazard(hit, _other_arch_evidence(facts, hit))
    yield from (hazard for key, hazard in first.items() if key not in folded)


def _follows_request(hit: Hit) -> bool:
    decider = hit.df.platform_stage(hit.stage)
    return decider is None or decider.platform.kind in ("none", "target")
