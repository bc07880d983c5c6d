"""Link each workload image reference to the build(s) that produce it.

Evidence, strongest first; an image reference is linked at the first level that finds builds:
1. direct reference (high): a `link_key` shared by the ImageRef and the build (SAM metadata,
   Terraform `docker_registry_image.x.name` / a build module's output, Serverless image name, CDK
   asset), within one project (module instances of two Terraform roots are different resources);
   content-addressed CDK asset hashes are the same image anywhere. An image a deploy command
   redeploys without naming it (what its run pushed before `aws ecs update-service`,
   `ImageRef.deploy`: `archmatch/link/deploys.py`) meets the pushed build by its run's key in any
   project, as a `redeploy` link with that deploy target's confidence and evidence;
2. repository and tag match (medium): the same repository path and tag. Across projects only when
   the repository path is written out on both sides (the registry host or account may be unknown on
   one side); placeholders inside a path match only within a project. A name without a registry (a
   local tag) meets one with a registry only within a project, where a script may retag and push
   it, and never for a build whose image stays local (see 4). Tags both known must be equal; a digest reference matches no build (a build's digest is never known here). A repository
   key alone (`ecr:<name>`, an unresolved module output) names a repository, not an image: its tag
   is still compared (the evidence says "the same ECR repository" when both ends took their
   repository from the same key in one project). A build also has the names that pushed retags of
   other runs give it (`ImageRetag`, `_retagged`: an ops program's `docker tag letsgo-api:$T
   <ecr>/letsgo-$D-api:$T && docker push ...` gives the project's builds tagged `letsgo-api` that
   name), matched the same way from the retag's project; the evidence names the retag. When builds of several projects match, the nearest project wins; among its
   builds, those whose tag is written like the reference's (the same literal parts around the
   unresolved ones: `:$IMAGE_TAG.arm64` for `:${{ github.sha }}.arm64`) win over those that only a
   wildcard meets (`:$IMAGE_TAG`);
3. the config file's `images:` mapping (high: the user said so);
4. naming heuristics (low): the repository name equals the build's service or Dockerfile folder
   name, only within the workload's project (a CI job or script counts in the project of the
   Dockerfile it builds). Findings on such links stay warnings and say their confidence;
   then (low, `localtag.py`) a literally named, non-generic ECR repository meets the nearest builds
   whose local tag is that name and which are also tagged for a repository the files do not name (a
   secret, a `.env` variable) with the image's tag: a workflow or script whose project, or whose
   Dockerfile's, encloses the workload's (never a sibling project); a nearer build of that name
   (a compose service of the workload's project) wins even unpushed, and then nothing links. A
   build whose image stays local (`ImageBuild.stays_local`: its shell run pushes other images, such
   as a pulled placeholder retagged for the repository, and never this one) is named by neither, and
   is not a nearer build of the name;
5. proximity (low): an image whose repository name is not known at all (a parameter, an SSM
   parameter, a secret, a placeholder), linked by nothing above, meets the only build of its
   project when that build follows its host (unpinned) and no other workload's image is linked to
   it. Several candidate builds count as one when they are equivalent (same Dockerfile, context,
   target, platforms, build args: the branches of `if --no-cache ... else ...`). Builds that
   all read one Dockerfile (same target) but differ otherwise (build args, the machine: a push
   script and a CodeBuild project) still build the project's only image: the image meets each of
   them that writes no platform, when at least one follows whatever machine runs it; otherwise no
   link. A project that builds nothing meets the only build of the nearest enclosing project
   instead (a CLI at the repository root building the image that the Terraform it ships runs),
   when that folder holds no other build and nothing names the build's image either. A project
   holding a file that runs a docker build no build source reads (a command string in program
   code: `extract/builds/unread.py`) has no known only build, and is not a project that builds
   nothing. A build whose image stays local is never the one met (it still counts as a build of its
   project). Findings on it stay warnings and say so.
"""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass

from archmatch.link.imageref import (
    RefParts,
    names_nothing,
    parse_ref,
    registries_agree,
    repository_name,
    same_tag_shape,
    tags_agree,
    unnamed_ecr_key,
    wild_match,
    with_repository,
)
from archmatch.link.localtag import image_tag, is_generic, local_names, repository_names, unknown_push
from archmatch.link.projects import (
    ProjectIndex,
    assign_projects,
    build_place,
    common_depth,
    contains,
    folder_of,
)
from archmatch.model import (
    PROXIMITY_SUBJECT,
    Confidence,
    ImageBuild,
    ImageRef,
    ImageRetag,
    Link,
    LinkKind,
    Location,
    RepoFacts,
    Workload,
)
from archmatch.platforms import ArchFact, How, parse_platform_list
from archmatch.settings import Config, ImageMapping

_REPOSITORY_KEYS = ("ecr:", "repo:")
_GLOBAL_KEYS = ("cdk:asset:",)  # content hashes: the same image in any project
_RUN_KEYS = ("pushed-here:",)  # the build a deploy command's own run pushed: in whatever project

Found = list[tuple[ImageBuild, str]]


def _is_module_handle(key: str) -> bool:
    """`tf:module.ecr`: an unresolved output of a module call, which may name a build module's image
    or a repository module's repository."""
    parts = key.split(".")
    return key.startswith("tf:") and len(parts) >= 2 and parts[-2].endswith("module")


def _repository_keys(keys: frozenset[str], *, image_side: bool) -> list[str]:
    out = []
    for key in sorted(keys):
        if key.startswith("ecr:"):
            out.append(key)
        elif key.startswith("repo:"):
            out.append(key[len("repo:") :])
        elif image_side and _is_module_handle(key):
            out.append(key)
    return out


@dataclass(frozen=True)
class _Name:
    """One image name a side knows: a parsed reference, its repository possibly taken from a key."""

    parts: RefParts
    key: str = ""  # the repository key it came from ("" when written in the reference)

    @property
    def local(self) -> bool:  # a Terraform handle: meaningful only inside its root module
        return self.key.startswith("tf:")

    @property
    def ecr(self) -> bool:
        return self.key.startswith("ecr:")


def _names(refs: list[str], keys: list[str]) -> list[_Name]:
    out: list[_Name] = []
    parsed = [parse_ref(r) for r in refs] or [None]
    for parts in parsed:
        if parts is not None and parts.repository != "*":
            out.append(_Name(parts))
            continue
        for key in keys:
            name = key[len("ecr:") :] if key.startswith("ecr:") else key
            out.append(_Name(with_repository(parts, name), key))
    return out


def _registry_fits(name: _Name, other: RefParts) -> bool:
    """A name taken from an ECR repository key is that registry's: a bare local tag is not it."""
    return not name.ecr or other.is_ecr or "*" in other.registry


def _match(image: _Name, build: _Name, same_project: bool, stays_local: bool = False) -> str | None:
    a, b = image.parts, build.parts
    if a.digest:
        return None  # only a build whose digest is known equal would do, and none is known here
    if stays_local and bool(a.registry) != bool(b.registry):
        return None  # a name without a registry meets one with a registry only if a run pushes it
    if (image.local or build.local) and not (image.local and build.local and same_project):
        return None
    if "*" in (a.repository, b.repository):
        return None  # a wholly unknown repository proves nothing
    if not (image.ecr and image.key == build.key) and (
        names_nothing(a.repository) or names_nothing(b.repository)
    ):
        return None  # nor placeholders joined by separators (`${PREFIX}-${NAME}` fits `billing-worker`)
    if a.repository != b.repository and not (same_project and wild_match(a.repository, b.repository)):
        return None  # placeholders inside a repository path are trusted only within a project
    if not (
        _registry_fits(image, b)
        and _registry_fits(build, a)
        and registries_agree(a, b, same_project)
        and tags_agree(a, b)
    ):
        return None
    if image.ecr and image.key == build.key and same_project:  # both name it by the same resource
        return f"repository and tag match (the same ECR repository {image.key[len('ecr:') :]}, tag {b.tag or 'latest'})"
    repository = b.repository[len("tf:") :] if build.local else b.repository
    return f"repository and tag match ({repository}:{b.tag or 'latest'})"


def _config_build(mapping: ImageMapping, config: Config) -> ImageBuild:
    platforms = ArchFact.host("not stated in the images: mapping")
    if mapping.platforms:
        archs, _ = parse_platform_list(mapping.platforms)
        platforms = (
            ArchFact.explicit(*archs, note="images: mapping")
            if archs
            else ArchFact.unknown("images: mapping")
        )
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


def _naming_candidates(build: ImageBuild) -> set[str]:
    candidates = {build.name.rsplit(" ", 1)[-1].lower()}
    if build.dockerfile:
        folder = posixpath.basename(posixpath.dirname(build.dockerfile))
        if folder:
            candidates.add(folder.lower())
    if build.context:
        candidates.add(posixpath.basename(build.context.rstrip("/")).lower())
    return {c for c in candidates if c and c != "."}


@dataclass(frozen=True)
class _Retagged:
    """A name a build's image gets from a run that did not build it (`ImageRetag`): pushed as
    `name` by `retag`, whose file is in `project`."""

    name: _Name
    retag: ImageRetag
    project: str

    def evidence(self, image: RefParts) -> str:
        where = f"{self.retag.location.path}:{self.retag.location.line}"
        return (
            f"repository and tag match ({self.name.parts.repository}:{image.tag or 'latest'}, through a retag): "
            f"{self.retag.run} tags `{self.retag.source}` as `{self.retag.target}` and pushes it ({where})"
        )


class _Index:
    def __init__(self, builds: list[ImageBuild], projects: ProjectIndex, retags: list[ImageRetag]):
        self.builds = builds
        self.by_key: dict[str, list[ImageBuild]] = {}
        for b in builds:
            for key in b.link_keys:
                self.by_key.setdefault(key, []).append(b)
        self.names = {id(b): _names(b.tags, _repository_keys(b.link_keys, image_side=False)) for b in builds}
        self.place = {id(b): build_place(b, projects) for b in builds}
        # builds by the repository path of their names; paths with placeholders meet every reference
        self.by_repository: dict[str, list[ImageBuild]] = {}
        for b in builds:
            for repository in sorted(
                {"*" if "*" in n.parts.repository else n.parts.repository for n in self.names[id(b)]}
            ):
                self.by_repository.setdefault(repository, []).append(b)
        self.retagged = _retagged(builds, self.names, self.place, projects, retags)
        for b in builds:
            for named in self.retagged.get(id(b), []):
                repository = named.name.parts.repository
                bucket = self.by_repository.setdefault("*" if "*" in repository else repository, [])
                if b not in bucket:
                    bucket.append(b)
        # local tag names per build, and builds per local tag or naming candidate: made when first asked
        self._local: dict[int, set[str]] = {}
        self._by_name: dict[str, list[ImageBuild]] | None = None

    def _candidates(self, wanted: list[_Name]) -> list[ImageBuild]:
        if any("*" in w.parts.repository for w in wanted):
            return self.builds
        picked = {id(b) for w in wanted for b in self.by_repository.get(w.parts.repository, [])}
        picked |= {id(b) for b in self.by_repository.get("*", [])}
        return [b for b in self.builds if id(b) in picked]

    def direct(self, workload: Workload, image: ImageRef) -> Found:
        out: Found = []
        for key in sorted(k for k in image.link_keys if not k.startswith(_REPOSITORY_KEYS)):
            for build in self.by_key.get(key, []):
                if key.startswith(_GLOBAL_KEYS + _RUN_KEYS) or build.project == workload.project:
                    out.append((build, f"direct reference ({key})"))
        return out

    def repository(self, workload: Workload, image: ImageRef) -> Found:
        wanted = _names([image.ref] if image.ref else [], _repository_keys(image.link_keys, image_side=True))
        found: list[tuple[tuple[bool, int, bool], ImageBuild, str]] = []
        for build in self._candidates(wanted):
            same = build.project == workload.project
            matches = [
                (e, same_tag_shape(w.parts, n.parts))
                for w in wanted
                for n in self.names[id(build)]
                if (e := _match(w, n, same, bool(build.stays_local)))
            ]
            if matches:
                evidence, alike = max(matches, key=lambda m: m[1])
                rank = (same, common_depth(workload.project or "", build.project or ""), alike)
                found.append((rank, build, _across(evidence, workload, build)))
                continue
            for named in self.retagged.get(id(build), []):
                near = named.project == (workload.project or "")
                hit = next((w for w in wanted if _match(w, named.name, near)), None)
                if hit is not None:
                    rank = (
                        near,
                        common_depth(workload.project or "", named.project),
                        same_tag_shape(hit.parts, named.name.parts),
                    )
                    found.append((rank, build, named.evidence(hit.parts)))
                    break
        if not found:
            return []
        # the nearest project wins; among its builds, a tag written like the reference's
        # (`:${{ github.sha }}.arm64` for `:$IMAGE_TAG.arm64`) beats one only a wildcard meets
        best = max(rank for rank, _, _ in found)
        return [(build, evidence) for rank, build, evidence in found if rank == best]

    def naming(self, workload: Workload, image: ImageRef) -> Found:
        parts = parse_ref(image.ref) if image.ref else None
        names = {k[len("ecr:") :].rsplit("/", 1)[-1].lower() for k in image.link_keys if k.startswith("ecr:")}
        if parts is not None and parts.digest:
            return []  # a digest names one image: only its own build would do, never a name guess
        if parts is not None and "*" not in repository_name(parts):
            names.add(repository_name(parts))
        out: Found = []
        for build in self.builds:
            if not names or self.place[id(build)] != workload.project:
                continue  # naming never crosses a project boundary
            if build.stays_local:
                continue  # its run pushes other images, never this one: its name proves nothing
            hit = names & _naming_candidates(build)
            if hit:
                out.append(
                    (build, f"naming heuristic: repository name {sorted(hit)[0]!r} matches {build.name}")
                )
        return out

    def local_tag(self, workload: Workload, image: ImageRef) -> Found:
        """Level 4b (`localtag.py`): the nearest builds named like the image's literal ECR repository,
        whose local tag is that name and which are tagged for a repository the files do not name."""
        wanted = image_tag(image)
        if wanted.digest:
            return []
        out: Found = []
        for name in sorted(repository_names(image)):
            for build in self._nearest_named(workload, name):
                pushed = unknown_push(build, wanted) if name in self._local[id(build)] else None
                if pushed is not None and self._encloses(build, workload):
                    evidence = (
                        f"naming heuristic: local tag {name!r} is the name of ECR repository {name}; "
                        f"the build also tags it {pushed}, a repository the files do not name"
                    )
                    out.append((build, _across(evidence, workload, build)))
        return out

    def _nearest_named(self, workload: Workload, name: str) -> list[ImageBuild]:
        """The builds called `name` (a local tag, a service or Dockerfile folder) nearest the workload:
        in the project nearest its own, then with the Dockerfile nearest its folder. A build whose
        image stays local is no image of that name anywhere, so it neither links nor wins."""
        if self._by_name is None:
            self._by_name = {}
            for b in self.builds:
                if b.stays_local:
                    continue
                self._local[id(b)] = local_names(b)
                for n in sorted(self._local[id(b)] | _naming_candidates(b)):
                    self._by_name.setdefault(n, []).append(b)
        named = self._by_name.get(name, [])
        folder = workload.project or ""
        ranks = {
            id(b): (common_depth(folder, self.place[id(b)]), common_depth(folder, _build_folder(b)))
            for b in named
        }
        best = max(ranks.values(), default=None)
        return [b for b in named if ranks[id(b)] == best]

    def _encloses(self, build: ImageBuild, workload: Workload) -> bool:
        """The build's own project or its Dockerfile's encloses the workload's: a workflow or script of
        the repository, never a sibling project of a monorepo."""
        folder = workload.project or ""
        return contains(build.project or "", folder) or contains(self.place[id(build)], folder)


def _retagged(
    builds: list[ImageBuild],
    names: dict[int, list[_Name]],
    place: dict[int, str],
    projects: ProjectIndex,
    retags: list[ImageRetag],
) -> dict[int, list[_Retagged]]:
    """The names builds get from runs that push what another run built: a literal, non-generic
    local tag (`letsgo-api:*`) retagged for a registry and pushed gives the builds of its project
    tagged with that local name (tags agreeing) the pushed name too. The local image store of the
    machine joins the two runs, as a local tag meets a registry reference within a project."""
    out: dict[int, list[_Retagged]] = {}
    for retag in retags:
        source, target = parse_ref(retag.source), parse_ref(retag.target)
        if source is None or target is None or source.registry or source.digest or target.digest:
            continue
        if "*" in source.repository or is_generic(repository_name(source)) or target.repository == "*":
            continue
        project = projects.enclosing(retag.location.path)
        for build in builds:
            if build.stays_local or project not in (place[id(build)], build.project or ""):
                continue
            if any(
                not n.parts.registry
                and n.parts.repository == source.repository
                and tags_agree(n.parts, source)
                for n in names[id(build)]
            ):
                out.setdefault(id(build), []).append(_Retagged(_Name(target), retag, project))
    return out


def _build_folder(build: ImageBuild) -> str:
    """The folder of what the build reads: its Dockerfile's, else its context, else its own file's."""
    if build.dockerfile:
        return folder_of(build.dockerfile)
    if build.context and build.context not in (".", "./"):
        return build.context.rstrip("/")
    return folder_of(build.location.path)


def _across(evidence: str, workload: Workload, build: ImageBuild) -> str:
    if build.project == workload.project:
        return evidence
    return f"{evidence}, across projects (build in {build.project or '.'}, workload in {workload.project or '.'})"


def _unique(pairs: Found) -> Found:
    seen: set[int] = set()
    out = []
    for build, evidence in pairs:
        if id(build) not in seen:
            seen.add(id(build))
            out.append((build, evidence))
    return out


def _link_image(
    index: _Index, workload: Workload, image: ImageRef, config: Config
) -> tuple[Found, Confidence, LinkKind]:
    found = _unique(index.direct(workload, image))
    if found:
        return found, "high", "direct"
    found = _unique(index.repository(workload, image))
    if found:
        return found, "medium", "repository"
    for mapping in config.images if image.ref else []:
        if fnmatch.fnmatchcase(image.ref, mapping.pattern):
            build = _config_build(mapping, config)
            return [(build, f"config images: mapping {mapping.pattern!r}")], "high", "config"
    found = _unique(index.naming(workload, image))
    if found:
        return found, "low", "naming"
    return _unique(index.local_tag(workload, image)), "low", "naming-local-tag"


@dataclass(frozen=True)
class _Only:
    """The builds standing for the only image a project builds: a single build (kind `proximity`),
    the first of `count` equivalent ones (`proximity-equivalent`), or those of `count` builds of one
    Dockerfile that write no platform (`proximity-dockerfile`)."""

    builds: tuple[ImageBuild, ...]
    kind: LinkKind
    count: int


def _proximity_links(workload: Workload, image: ImageRef, only: _Only, scope: str) -> list[Link]:
    """Low-confidence links to the only image built in `scope` ("this project", "the repository")."""
    out = []
    for build in only.builds:
        detail = build.name
        if only.kind == "proximity-equivalent":
            detail += f"; {only.count} equivalent builds: same Dockerfile, context, target, platforms and build args"
        elif only.kind == "proximity-dockerfile":
            detail += f"; {only.count} builds read {build.dockerfile}"
            detail += "".join(
                f", {b.name} from {b.clone_of}" for b in only.builds if b.clone_of and b is not build
            )
        evidence = f"proximity: {PROXIMITY_SUBJECT[only.kind]} {scope} ({detail})"
        out.append(Link(workload, image, build, evidence, "low", only.kind, scope))
    return out


def _unnamed(image: ImageRef) -> bool:
    """An image reference whose repository name nothing in the repository says (an ECR repository
    whose name is computed from values the repository does not hold counts as unnamed)."""
    if any(k.startswith("ecr:") and not unnamed_ecr_key(k) for k in image.link_keys):
        return False
    parts = parse_ref(image.ref) if image.ref else None
    if parts is None:
        return True
    return not parts.digest and "*" in repository_name(parts)


def _equivalence(build: ImageBuild) -> tuple[object, ...] | None:
    """What makes two unpinned builds the same image: Dockerfile, context, target, requested
    platforms and build args. None when the Dockerfile is unknown (nothing says they agree)."""
    if build.dockerfile is None:
        return None
    args = tuple(sorted(build.build_args)) if build.build_args is not None else None
    return (build.dockerfile, build.context, build.target, build.platforms.how, build.platforms.archs, args)


def _one_image(candidates: list[ImageBuild]) -> _Only | None:
    """The build standing for the only image a project builds: a single build, or several equivalent
    ones (the two branches of `if --no-cache ... else ...`). None otherwise."""
    if len(candidates) == 1:
        if candidates[0].dockerfile_candidates:  # `-f Dockerfile.$SERVICE`: maybe several images
            return None
        return _Only((candidates[0],), "proximity", 1)
    keys = {_equivalence(build) for build in candidates}
    if len(keys) != 1 or None in keys:
        return None
    first = min(candidates, key=lambda b: (b.location.path, b.location.line, b.name))
    return _Only((first,), "proximity-equivalent", len(candidates))


def _one_dockerfile(candidates: list[ImageBuild]) -> _Only | None:
    """The builds of a project that all read one Dockerfile with one target, though with other build
    args or on other machines (a push script and a CodeBuild project): those that write no platform,
    when one of them follows whatever machine runs it. None otherwise."""
    files = {(build.dockerfile, build.target) for build in candidates}
    if (
        len(candidates) < 2
        or len(files) != 1
        or any(b.dockerfile is None or b.dockerfile_unread for b in candidates)
    ):
        return None
    unpinned = [b for b in candidates if b.platforms.how is How.HOST]
    if not any(b.platforms.settled_host is None for b in unpinned):
        return None
    ordered = sorted(unpinned, key=lambda b: (b.location.path, b.location.line, b.name))
    return _Only(tuple(ordered), "proximity-dockerfile", len(candidates))


def _pushed(only: _Only | None) -> _Only | None:
    """The only image's builds without those that stay local (their run pushes other images):
    such a build is still one of the project's builds, but no image anything runs."""
    if only is None:
        return None
    builds = tuple(b for b in only.builds if not b.stays_local)
    return _Only(builds, only.kind, only.count) if builds else None


def _proximity(
    index: _Index,
    projects: ProjectIndex,
    links: list[Link],
    unlinked: list[tuple[Workload, ImageRef]],
    unread: list[Location],
) -> list[Link]:
    """Level 5: each unnamed image alone in its workload meets the only image built in its project;
    a project that builds nothing meets the only build of the nearest enclosing project that does,
    when nothing names the build's image either (a CLI at the repository root that builds the image
    the Terraform it ships deploys). A project with a file running a docker build that no build
    source reads (`unread`) has builds archmatch cannot see: none of its builds is known to be the
    only one, and it does not build nothing."""
    linked = {id(lk.build) for lk in links}
    hidden = {projects.enclosing(location.path) for location in unread}
    by_place: dict[str | None, list[ImageBuild]] = {}
    for build in index.builds:
        by_place.setdefault(index.place[id(build)], []).append(build)
    chosen: dict[str | None, _Only | None] = {}  # per project, decided once
    for place, candidates in by_place.items():
        if place in hidden or any(id(b) in linked for b in candidates):
            chosen[place] = None
        elif all(b.platforms.how is How.HOST for b in candidates):
            chosen[place] = _pushed(_one_image(candidates) or _one_dockerfile(candidates))
        else:
            chosen[place] = _pushed(_one_dockerfile(candidates))
    out = []
    unnamed: dict[int, int] = {}  # unnamed images per workload, counted once (not once per image)
    for workload, image in unlinked:
        if workload.project in by_place or workload.project in hidden:
            pick, scope = chosen.get(workload.project), "this project"
        else:
            pick, scope = _enclosing_pick(index, projects, by_place, chosen, workload.project or "")
        if pick is None or not _unnamed(image):
            continue
        if id(workload) not in unnamed:
            unnamed[id(workload)] = sum(1 for i in workload.images if _unnamed(i))
        if unnamed[id(workload)] > 1:  # another unnamed image of the workload could be the build's
            continue
        out.extend(_proximity_links(workload, image, pick, scope))
    return out


def _enclosing_pick(
    index: _Index,
    projects: ProjectIndex,
    by_place: dict[str | None, list[ImageBuild]],
    chosen: dict[str | None, _Only | None],
    folder: str,
) -> tuple[_Only | None, str]:
    """The only image built in the nearest project enclosing `folder` that builds any, when that
    project's whole folder (nested projects included) holds no other build and no name of the
    build's image is known; with where it is the only one ("the repository", "the enclosing project
    infra")."""
    for outer in projects.folders:
        if outer == folder or not contains(outer, folder) or outer not in by_place:
            continue
        inside = [b for b in index.builds if contains(outer, index.place[id(b)] or "")]
        pick = chosen.get(outer)
        if pick is None or len(inside) != len(by_place[outer]):
            return None, ""
        if any(not _wholly_unknown(n.parts) for b in inside for n in index.names[id(b)]):
            return None, ""
        return pick, "the repository" if outer == "" else f"the enclosing project {outer}"
    return None, ""


def _wholly_unknown(parts: RefParts | None) -> bool:
    return parts is None or "*" in parts.repository


_STRENGTH: dict[Confidence, int] = {"low": 0, "medium": 1, "high": 2}


def _weaker(a: Confidence, b: Confidence) -> Confidence:
    return a if _STRENGTH[a] <= _STRENGTH[b] else b


def _strongest_per_build(links: list[Link]) -> list[Link]:
    """A workload that reaches one build through several of its images (the two branches of a CDK
    conditional: the asset, and the registry image its folder name suggests) keeps only the
    strongest evidence for that build: one root cause, one finding."""
    best: dict[tuple[int, int], int] = {}
    for link in links:
        pair = (id(link.workload), id(link.build))
        best[pair] = max(best.get(pair, 0), _STRENGTH[link.confidence])
    return [lk for lk in links if _STRENGTH[lk.confidence] == best[(id(lk.workload), id(lk.build))]]


def _from_clones(links: list[Link]) -> list[Link]:
    """A build that reads a clone of this repository reads some branch or commit of it, perhaps not
    the files scanned: its links are of low confidence at most, and say so."""
    for link in links:
        if link.build.clone_of:
            link.confidence = _weaker(link.confidence, "low")
            link.evidence = f"{link.evidence}; the build reads {link.build.clone_of}"
    return links


def find_links(facts: RepoFacts, config: Config) -> list[Link]:
    projects = assign_projects(facts)
    index = _Index(facts.builds, projects, facts.extra.image_retags)
    links: list[Link] = []
    unlinked: list[tuple[Workload, ImageRef]] = []
    for workload in facts.workloads:
        for image in workload.images:
            found, confidence, kind = _link_image(index, workload, image, config)
            if image.deploy is not None:  # pushed by its run: the push and the service are the evidence
                confidence, kind = _weaker(confidence, image.deploy.confidence), "redeploy"
                found = [(build, f"push and redeploy: {image.deploy.evidence}") for build, _ in found]
            elif workload.deploys_to is not None:  # its function, found in a template: the weaker counts
                target = workload.deploys_to
                confidence = _weaker(confidence, target.confidence)
                found = [(build, f"{evidence}; deploys to {target.evidence}") for build, evidence in found]
            if image.candidate:  # only one branch of a condition runs this image
                found = [(build, f"{evidence}, {image.candidate}") for build, evidence in found]
            links.extend(
                Link(workload, image, build, evidence, confidence, kind) for build, evidence in found
            )
            if not found:
                unlinked.append((workload, image))
    links.extend(_proximity(index, projects, links, unlinked, facts.extra.unread_builds))
    links = _strongest_per_build(_from_clones(links))
    links.sort(
        key=lambda lk: (
            lk.workload.location,
            lk.image.location,
            lk.build.location,
            lk.build.name,
            lk.workload.project or "",
        )
    )
    return links
