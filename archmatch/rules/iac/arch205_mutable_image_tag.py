"""ARCH205: a workload image referenced by a mutable tag (`:latest` or no tag, no digest).

Facts read: Workload.images[].ref / .location / .resolved. A reference whose tag (or, when there
is no tag, whose last segment) is an unresolved placeholder is skipped: the real value may carry a
tag or digest. `${...repository_url}` is a bare repository (Terraform's ECR attribute has no tag).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from archmatch.link.imageref import parse_ref
from archmatch.model import Finding, RepoFacts
from archmatch.rules import make

_ENDS_WITH_PLACEHOLDER = re.compile(r"\$\{[^}]*\}$|\$\{\{.*\}\}$")
_BARE_REPOSITORY = re.compile(r"\$\{[^}]*\.repository_url\}$")


def _mutable(ref: str) -> str | None:
    parts = parse_ref(ref)
    if parts is None or parts.digest or "*" in parts.tag:
        return None
    if parts.tag == "latest":
        return "the tag latest"
    if parts.tag:
        return None
    if _ENDS_WITH_PLACEHOLDER.search(ref) and not _BARE_REPOSITORY.search(ref):
        return None  # `${var.image}` may hold a tag or digest
    return "no tag (so latest)"


def check(facts: RepoFacts) -> Iterator[Finding]:
    for w in facts.workloads:
        for image in w.images:
            reason = _mutable(image.ref) if image.ref else None
            if reason:
                yield make("ARCH205", image.location, w.name, workload=w.name, ref=image.ref, reason=reason)
