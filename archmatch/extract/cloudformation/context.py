"""What every CloudFormation resource handler needs: the template, lines, and image references."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from archmatch import lazyre
from archmatch.extract.cloudformation.intrinsics import Template, Unknown, known_text, references, text_of
from archmatch.extract.yamlsafe import LDict, LList, line_of
from archmatch.model import ImageRef, Location, RepoFacts
from archmatch.platforms import ArchFact, normalize_arch
from archmatch.repo import RepoView

_ASSET_TAG = lazyre.compile(r":([0-9a-f]{64})$")


@dataclass
class Resource:
    """One CloudFormation resource: its body, raw and evaluated properties."""

    logical_id: str
    type: str
    body: LDict
    raw: LDict  # raw Properties (intrinsics unevaluated), for lines
    props: LDict  # evaluated Properties
    line: int


class Ctx:
    def __init__(self, repo: RepoView, facts: RepoFacts, tpl: Template):
        self.repo = repo
        self.facts = facts
        self.tpl = tpl

    @property
    def path(self) -> str:
        return self.tpl.path

    def loc(self, line: int) -> Location:
        return Location(self.tpl.path, line)

    def resolve(self, value: Any) -> Any:
        return self.tpl.resolve(value)

    def text(self, value: Any) -> str | None:
        return known_text(self.tpl.resolve(value))

    def repo_path(self, *parts: str) -> str | None:
        """Root-relative POSIX path of `parts` joined under the template's folder; None if outside."""
        joined = posixpath.normpath(posixpath.join(self.tpl.folder, *parts))
        return None if joined == ".." or joined.startswith("../") or joined.startswith("/") else joined

    def image_ref(self, raw: Any, fallback_line: int, extra_keys: frozenset[str] = frozenset()) -> ImageRef:
        """An image reference with its line and direct link keys (ECR repository, CDK asset)."""
        value = self.tpl.resolve(raw)
        text = text_of(value) or ""
        keys = set(extra_keys)
        for logical in references(raw):
            if logical in self.tpl.ecr_names:
                keys.add(f"ecr:{self.tpl.ecr_names[logical]}")
        if m := _ASSET_TAG.search(text):
            keys.add(f"cdk:asset:{m.group(1)}")
        return ImageRef(
            text, self.loc(value_line(raw) or fallback_line), frozenset(keys), not isinstance(value, Unknown)
        )

    def logical_target(self, raw: Any, types: tuple[str, ...]) -> str | None:
        """The logical id of a resource of one of `types` that `raw` refers to (Ref / GetAtt / Sub)."""
        for logical in sorted(references(raw)):
            body = self.tpl.resources.get(logical)
            if isinstance(body, dict) and body.get("Type") in types:
                return logical
        return None


def value_line(raw: Any) -> int:
    """Line of a raw value; for a list, its first item."""
    if isinstance(raw, LList) and raw:
        return raw.line_of(0)
    return line_of(raw)


def key_value_line(parent: Any, key: str) -> int:
    """Line of `parent[key]`'s value, else of the key, else of the parent."""
    if not isinstance(parent, dict):
        return 0
    if key in parent:
        return value_line(parent[key]) or (parent.line_of(key) if isinstance(parent, LDict) else 0)
    return line_of(parent)


def sub(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, None when any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def arch_list_fact(value: Any, what: str) -> ArchFact:
    """ArchFact of an evaluated `Architectures`-style list (exactly one arch expected)."""
    if isinstance(value, Unknown):
        return ArchFact.unknown(f"{what} is {value.text}")
    items = as_list(value)
    texts = [known_text(i) for i in items]
    if any(t is None for t in texts):
        return ArchFact.unknown(f"{what} is not resolvable")
    archs = [normalize_arch(t or "") for t in texts]
    if len(archs) != 1 or archs[0] is None:
        return ArchFact.unknown(f"{what} {texts} is not one architecture")
    return ArchFact.explicit(archs[0])


def arch_text_fact(value: Any, what: str) -> ArchFact | None:
    """ArchFact of one evaluated arch string (`ARM64`, `x86_64`); None when absent."""
    if value is None:
        return None
    text = known_text(value)
    if text is None:
        return ArchFact.unknown(f"{what} is {text_of(value) or 'not resolvable'}")
    arch = normalize_arch(text)
    return ArchFact.explicit(arch) if arch else ArchFact.unknown(f"{what} {text!r} is not an architecture")
