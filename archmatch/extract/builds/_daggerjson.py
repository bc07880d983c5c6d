"""`dagger.json`: which SDK a Dagger module is written with, and where its source folder is."""

from __future__ import annotations

import json
import posixpath

from archmatch.extract.builds._common import folder_of, join
from archmatch.repo import RepoView


def module_sources(repo: RepoView, sdk: str, *, report_invalid: bool) -> dict[str, str]:
    """Source folder -> module folder, for every dagger.json naming `sdk` (`"sdk": "go"` or
    `"sdk": {"source": "go"}`). A file that is not JSON gets a note when `report_invalid` (one
    reader says so, not every reader)."""
    out: dict[str, str] = {}
    for path in repo.matching(lambda p: posixpath.basename(p) == "dagger.json"):
        text = repo.read_text(path)
        try:
            config = json.loads(text) if text else None
        except ValueError:
            if report_invalid:
                repo.diag(path, "dagger.json is not valid JSON; its module is not read", level="note")
            continue
        if not isinstance(config, dict):
            continue
        declared = config.get("sdk")
        sdk_name = declared.get("source") if isinstance(declared, dict) else declared
        if not isinstance(sdk_name, str) or sdk_name.strip().lower() != sdk:
            continue
        root = folder_of(path)
        source = config.get("source")
        folder = join(root, source if isinstance(source, str) and source else ".")
        if folder is not None:
            out[folder] = root
    return out
