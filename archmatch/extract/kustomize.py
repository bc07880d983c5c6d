"""Kustomize `images:` overrides (kustomization.yaml / kustomization.yml / Kustomization).

An entry `{name, newName, newTag, digest}` replaces the image `name` in every resource the
kustomization renders, so the tag written in a base manifest is not the tag that runs. Each entry
goes to `facts.extra.kustomize_images`.
"""

from __future__ import annotations

import posixpath

from archmatch.extract import yaml_docs
from archmatch.extract.yamlsafe import LDict, LList
from archmatch.isolation import isolated
from archmatch.model import KustomizeImage, Location, RepoFacts
from archmatch.repo import RepoView

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_FIELDS = ("name", "newName", "newTag", "digest")


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for rel in repo.matching(lambda f: posixpath.basename(f) in KUSTOMIZATION_NAMES):
        with isolated(repo, facts, rel) as focus:
            for doc in yaml_docs(repo, rel) or []:
                images = doc.get("images") if isinstance(doc, LDict) else None
                if not isinstance(images, LList):
                    continue
                for index, entry in enumerate(images):
                    focus.at(rel, images.line_of(index))
                    if isinstance(entry, LDict) and isinstance(entry.get("name"), str):
                        found = {k: str(entry[k]) for k in _FIELDS if entry.get(k) is not None}
                        facts.extra.kustomize_images.append(
                            KustomizeImage(
                                Location(rel, images.line_of(index)),
                                found["name"],
                                found.get("newName"),
                                found.get("newTag"),
                                found.get("digest"),
                            )
                        )
