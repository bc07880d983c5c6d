"""Naming by local tag: a build whose local tag is the literal name of a workload's ECR repository and
which is also tagged for a repository the files do not name (a secret, a `.env` variable).

A common way to ship: `docker build -t nightly-job job/`, `docker tag nightly-job
"${{ secrets.JOB_ECR_URL }}:latest"`, `docker push ...`, with the repository `nightly-job` declared in
the Terraform of another folder. Nothing resolves the push target, so only the name links the two
ends: a low-confidence link (findings on it are warnings that say so). The matcher tries it last,
after the naming heuristic inside the workload's project, and only:

- for a repository named literally (an `aws_ecr_repository` whose `name` is written, an ECR image
  reference with its repository path written out) whose name is not generic (`app`, `api`, `web`:
  many unrelated images are called that);
- for an image that nothing stronger links: a build that tags the repository itself (its `ecr:`
  key, a registry and that repository path) and the image's tag links by repository and tag, and
  then no name is tried, whatever the named builds request;
- for builds whose project or Dockerfile's project encloses the workload's project (a CI workflow or
  a script of the repository, not a sibling project of a monorepo), and only the nearest builds of
  that name: a build of the same name nearer the workload (its own project's compose service) wins,
  even when it is not pushed anywhere, and then nothing links.
"""

from __future__ import annotations

from archmatch.link.imageref import RefParts, parse_ref, tags_agree, unnamed_ecr_key
from archmatch.model import ImageBuild, ImageRef

# names that many unrelated images share: equal names prove nothing
GENERIC_NAMES = frozenset(
    {
        "api",
        "app",
        "application",
        "backend",
        "base",
        "bot",
        "build",
        "client",
        "container",
        "core",
        "cron",
        "db",
        "default",
        "demo",
        "dev",
        "docker",
        "example",
        "frontend",
        "function",
        "handler",
        "hello-world",
        "image",
        "job",
        "lambda",
        "latest",
        "main",
        "my-app",
        "myapp",
        "nginx",
        "prod",
        "proxy",
        "repo",
        "repository",
        "sample",
        "server",
        "service",
        "site",
        "staging",
        "task",
        "test",
        "ui",
        "web",
        "webapp",
        "website",
        "worker",
    }
)

_UNRESOLVED = ("*", "$", "{", "}", "<", ">")


def _literal(name: str) -> bool:
    return bool(name) and not any(c in name for c in _UNRESOLVED)


def is_generic(name: str) -> bool:
    return len(name) < 3 or name.replace("_", "-") in GENERIC_NAMES


def repository_names(image: ImageRef) -> set[str]:
    """The literal, non-generic names of the ECR repository an image reference runs: its `ecr:` keys
    whose name is written (not those named by their resource address or construct), and the
    repository path of a reference to an ECR registry written out."""
    names = {
        key.removeprefix("ecr:").lower()
        for key in image.link_keys
        if key.startswith("ecr:") and not unnamed_ecr_key(key)
    }
    parts = parse_ref(image.ref) if image.ref else None
    if parts is not None and parts.is_ecr:
        names.add(parts.repository)
    return {n for n in names if _literal(n) and not is_generic(n)}


def image_tag(image: ImageRef) -> RefParts:
    """The reference as far as its tag goes (an unknown tag when nothing is written)."""
    parts = parse_ref(image.ref) if image.ref else None
    return RefParts(
        "*", "*", parts.tag if parts is not None else "*", parts.digest if parts is not None else ""
    )


def local_names(build: ImageBuild) -> set[str]:
    """The repository paths of the build's local tags (no registry, nothing unresolved)."""
    out = set()
    for tag in build.tags:
        parts = parse_ref(tag)
        if parts is not None and not parts.registry and _literal(parts.repository):
            out.add(parts.repository)
    return out


def unknown_push(build: ImageBuild, wanted: RefParts) -> str | None:
    """The build's tag for a repository the files do not name (`${{ secrets.URL }}:latest`,
    `$IMAGE_URI`) whose tag agrees with the image reference's, as written; None when it has none."""
    for tag in build.tags:
        parts = parse_ref(tag)
        if parts is None and tag.strip().strip("'\""):  # one unresolved value: repository and tag unknown
            return tag
        if parts is not None and parts.repository == "*" and tags_agree(parts, wanted):
            return tag
    return None
