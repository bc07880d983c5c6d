"""The settings of a scan, as `.archmatch.yaml` gives them (read and checked by `archmatch/config.py`):
plain data that every layer may read, such as the `images:` mapping the linker uses."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImageMapping:
    """A configured mapping from an image pattern to the Dockerfile that builds it."""

    pattern: str
    dockerfile: str
    context: str | None = None
    platforms: list[str] | None = None


@dataclass
class Config:
    """The `.archmatch.yaml` settings of a scan."""

    path: str | None = None
    ignored: set[str] = field(default_factory=set)
    overrides: dict[str, str] = field(default_factory=dict)  # rule id -> severity
    failure_threshold: str | None = None
    internal_errors: str | None = None  # fail | warn; None: the default (fail)
    excludes: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)  # default-skipped folders to walk (names or globs)
    images: list[ImageMapping] = field(default_factory=list)

    def severity(self, rule_id: str, default: str) -> str:
        return self.overrides.get(rule_id, default)
