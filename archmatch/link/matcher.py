"""Placeholder until the cross-file issue lands: no links."""

from __future__ import annotations

from archmatch.config import Config
from archmatch.model import Link, RepoFacts


def find_links(facts: RepoFacts, config: Config) -> list[Link]:
    return []
