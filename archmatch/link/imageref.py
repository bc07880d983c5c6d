"""Image references split into registry / repository / tag, with unresolved parts as wildcards."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from archmatch import lazyre

# ${var}, ${{ expr }}, $VAR, $(VAR), <placeholder>: anything we could not resolve.
# Each placeholder ends before the next opener of its kind, so an unclosed run of openers
# (`${${${...`, `<<<<...`) costs linear time.
_PLACEHOLDER = lazyre.compile(
    r"\$\{\{(?:(?!\$\{\{).)*?\}\}|\$\{(?:[^}$]|\$(?!\{))*\}|\$\((?:[^)$]|\$(?!\())*\)|\$[A-Za-z_][A-Za-z0-9_]*|<[^<>]*>"
)
# An OCI digest (`sha256:<hex>`); a wildcard stands for an unresolved one.
_DIGEST = lazyre.compile(r"^(?:\*|[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_*-]+)$")
_ECR_HOST = lazyre.compile(r"^(?:\*|\d{12})\.dkr\.ecr(?:-fips)?\.(?:\*|[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


# The Terraform extractor names an ECR repository whose `name` it cannot compute (`each.key` of an
# unknown collection, a variable without a value) by the resource's address; the CDK extractor one
# the CDK names at deploy time by its construct (`ecr:Repo@cdk:lib/stack.ts:10`).
_UNNAMED_ECR = lazyre.compile(
    r"^ecr:(?:(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*(?:data\.)?aws_ecr(?:public)?_repository\.[\w-]+(?:\[[^\]]*\])?"
    r"|[^@]*@cdk:[^@]*)$"
)


def unnamed_ecr_key(key: str) -> bool:
    """An `ecr:` key that names its repository by a resource address or a construct, not by a name."""
    return bool(_UNNAMED_ECR.match(key))


@dataclass(frozen=True)
class RefParts:
    """An image reference split into registry, repository, tag and digest."""

    registry: str  # "" when none was written (Docker Hub or a local tag)
    repository: str
    tag: str  # "" when none; wildcards are "*"
    digest: str

    @property
    def is_ecr(self) -> bool:
        return bool(_ECR_HOST.match(self.registry))

    @property
    def mutable(self) -> bool:
        return not self.digest and self.tag in ("", "latest")


def _wild(text: str) -> str:
    return _PLACEHOLDER.sub("*", text)


def parse_ref(ref: str) -> RefParts | None:
    text = _wild(ref.strip().strip("'\""))
    if not text or text == "*":
        return None
    digest = ""
    if "@" in text:
        before, after = text.split("@", 1)
        if "/" not in before and not _DIGEST.match(after):
            text = after  # `user:password@registry/...`: credentials, not an image name
        else:
            text, digest = before, after
    registry = ""
    if text.startswith("/"):  # `${REGISTRY}/api` with the registry variable left empty: set elsewhere
        text, registry = text.lstrip("/"), "*"
    first, _, rest = text.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost" or first == "*"):
        registry, text = first, rest
    tag = ""
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
    if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        registry = ""
        if text.startswith("library/"):
            text = text[len("library/") :]
    if not text:
        return None
    return RefParts(registry.lower(), text.lower(), tag, digest)


def wild_match(a: str, b: str) -> bool:
    """Equal, or equal once the unresolved parts (`*`) of either side are filled in."""
    return _part_matches(a, b)


def _part_matches(a: str, b: str) -> bool:
    if a == b:
        return True
    if "*" in a and fnmatch.fnmatchcase(b, a):
        return True
    return "*" in b and fnmatch.fnmatchcase(a, b)


def names_nothing(repository: str) -> bool:
    """A repository path written only of unresolved parts and separators (`*-*`, `*/*`, `*_*`): any
    repository with such a separator fits it, so it says no more than a wholly unknown one."""
    return not any(ch.isalnum() for ch in repository if ch != "*")


def repository_name(parts: RefParts) -> str:
    return parts.repository.rsplit("/", 1)[-1]


def is_exact(text: str) -> bool:
    return "*" not in text


def registries_agree(a: RefParts, b: RefParts, same_project: bool = True) -> bool:
    """Where both registries are written they must agree; an unresolved one (`${REGISTRY}`) agrees
    with any. A reference written without a registry (Docker Hub or a local tag) meets a registry
    one only inside a project, where a script may retag and push it."""
    if a.registry and b.registry:
        return _part_matches(a.registry, b.registry)
    written = a.registry or b.registry
    return same_project or not written or "*" in written


def tags_agree(a: RefParts, b: RefParts) -> bool:
    """Tags that are both known must be equal; an unresolved tag on either side does not contradict."""
    ta, tb = a.tag or "latest", b.tag or "latest"
    if is_exact(ta) and is_exact(tb):
        return ta == tb
    return _part_matches(ta, tb)


def same_tag_shape(a: RefParts, b: RefParts) -> bool:
    """The two tags are written alike: equal once resolved, or with their unresolved parts in the same
    places (`*` and `*`, `*.arm64` and `*.arm64`), not merely matched through a wildcard (`*` meets
    `*.arm64` too)."""
    return (a.tag or "latest") == (b.tag or "latest")


def with_repository(parts: RefParts | None, repository: str) -> RefParts:
    """The reference with its wholly unknown repository replaced by one a key names (an ECR
    repository's name, a project-local handle such as `tf:module.ecr`)."""
    if parts is None:
        return RefParts("*", repository.lower(), "", "")
    return RefParts(parts.registry or "*", repository.lower(), parts.tag, parts.digest)
