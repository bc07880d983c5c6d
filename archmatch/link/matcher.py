"""Link each workload image reference to the build(s) that produce it.

Evidence, strongest first; an image reference is linked at the first level that finds builds:
1. direct reference: a `link_key` shared by the ImageRef and the build (SAM metadata, Terraform
   `docker_registry_image.x.name` / module output, Serverless image name, CDK asset);
2. repository/tag match: the same repository (ECR repository resource or URL, registry path)
   with compatible tags, unresolved `${...}` parts acting as wildcards;
3. the config file's `images:` mapping (pattern -> Dockerfile);
4. naming heuristics: the repository name equals the build's service or Dockerfile folder
   name (low confidence, and said so in every finding).
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections import defaultdict

from archmatch.config import Config, ImageMapping
from archmatch.link.imageref import RefParts, parse_ref, repository_matches, repository_name, tags_compatible
from archmatch.model import ImageBuild, ImageRef, Link, Location, RepoFacts
from archmatch.platforms import ArchFact, parse_platform_list

_REPO_KEY = "ecr:"


def _is_direct(key: str) -> bool:
    return not key.startswith(_REPO_KEY)


def _build_refs(build: ImageBuild) -> list[RefParts]:
    return [p for p in (parse_ref(t) for t in build.tags) if p is not None]


def _ecr_names(keys: frozenset[str]) -> set[str]:
    return {k[len(_REPO_KEY) :].lower() for k in keys if k.startswith(_REPO_KEY)}


def _config_build(mapping: ImageMapping, image: ImageRef, config: Config) -> ImageBuild:
    platforms = ArchFact.host("not stated in the images: mapping")
    if mapping.platforms:
        archs, _ = parse_platform_list(mapping.platforms)
        platforms = ArchFact.explicit(*archs, note="images: mapping") if archs else ArchFact.unknown("images: mapping")
    dockerfile = posixpath.normpath(mapping.dockerfile)
    return ImageBuild(
        source="config",
        name=f"images: mapping {mapping.pattern}",
        location=Location(config.path or ".archmatch.yaml"),
        dockerfile=dockerfile,
        context=mapping.context,
        platforms=platforms,
        tags=[mapping.pattern],
        fix_syntax="config",
    )


class _Index:
    def __init__(self, builds: list[ImageBuild]):
        self.builds = builds
        self.by_key: dict[str, list[ImageBuild]] = defaultdict(list)
        # build tags bucketed by repository name; names with wildcards go to "*" and meet everyone
        self.refs: dict[str, list[tuple[ImageBuild, RefParts]]] = defaultdict(list)
        for b in builds:
            for key in b.link_keys:
                self.by_key[key].append(b)
            for p in _build_refs(b):
                name = repository_name(p)
                self.refs["*" if "*" in name else name].append((b, p))

    def _candidates(self, names: set[str]) -> list[tuple[ImageBuild, RefParts]]:
        if "*" in names or any("*" in n for n in names):
            return [pair for bucket in self.refs.values() for pair in bucket]
        return [pair for n in sorted(names) for pair in self.refs.get(n, [])] + self.refs.get("*", [])

    def direct(self, image: ImageRef) -> list[tuple[ImageBuild, str]]:
        out: list[tuple[ImageBuild, str]] = []
        for key in sorted(k for k in image.link_keys if _is_direct(k)):
            out.extend((b, f"direct reference ({key})") for b in self.by_key.get(key, []))
        return out

    def repository(self, image: ImageRef) -> list[tuple[ImageBuild, str]]:
        out: list[tuple[ImageBuild, str]] = []
        for key in sorted(k for k in image.link_keys if not _is_direct(k)):
            out.extend((b, f"same ECR repository ({key[len(_REPO_KEY):]})") for b in self.by_key.get(key, []))
        names = _ecr_names(image.link_keys)
        parts = parse_ref(image.ref) if image.ref else None
        wanted = {n.rsplit("/", 1)[-1] for n in names} | ({repository_name(parts)} if parts else set())
        for build, bparts in self._candidates(wanted):
            if parts is not None and repository_matches(parts, bparts) and tags_compatible(parts, bparts):
                out.append((build, f"repository and tag match ({bparts.repository}:{bparts.tag or 'latest'})"))
            elif names and (bparts.repository in names or repository_name(bparts) in names) and (bparts.is_ecr or "*" in bparts.registry):
                out.append((build, f"same ECR repository ({bparts.repository})"))
        return out

    def naming(self, image: ImageRef) -> list[tuple[ImageBuild, str]]:
        parts = parse_ref(image.ref) if image.ref else None
        names = _ecr_names(image.link_keys)
        if parts is not None and "*" not in repository_name(parts):
            names.add(repository_name(parts))
        if not names:
            return []
        out = []
        for build in self.builds:
            candidates = {build.name.rsplit(" ", 1)[-1].lower()}
            if build.dockerfile:
                folder = posixpath.basename(posixpath.dirname(build.dockerfile))
                if folder:
                    candidates.add(folder.lower())
            if build.context:
                candidates.add(posixpath.basename(build.context.rstrip("/")).lower())
            hit = names & {c for c in candidates if c and c != "."}
            if hit:
                out.append((build, f"naming heuristic: repository name {sorted(hit)[0]!r} matches {build.name}"))
        return out


def _unique(pairs: list[tuple[ImageBuild, str]]) -> list[tuple[ImageBuild, str]]:
    seen: set[int] = set()
    out = []
    for build, evidence in pairs:
        if id(build) not in seen:
            seen.add(id(build))
            out.append((build, evidence))
    return out


def find_links(facts: RepoFacts, config: Config) -> list[Link]:
    index = _Index(facts.builds)
    links: list[Link] = []
    for workload in facts.workloads:
        for image in workload.images:
            found = _unique(index.direct(image))
            confidence = "high"
            if not found:
                found, confidence = _unique(index.repository(image)), "medium"
            if not found and image.ref:
                for mapping in config.images:
                    if fnmatch.fnmatchcase(image.ref, mapping.pattern):
                        build = _config_build(mapping, image, config)
                        found, confidence = [(build, f"config images: mapping {mapping.pattern!r}")], "high"
                        break
            if not found:
                found, confidence = _unique(index.naming(image)), "low"
            links.extend(Link(workload, image, build, evidence, confidence) for build, evidence in found)
    links.sort(key=lambda lk: (lk.workload.location, lk.image.location, lk.build.location, lk.build.name))
    return links
