"""Writing, or checking, a file the repository generates and commits (shared by the scripts here)."""

from __future__ import annotations

from pathlib import Path


def write_or_check(root: Path, target: Path, text: str, *, check: bool, script: str) -> int:
    """With `check`, exit status 1 (and say how to rebuild it) when `target` differs from `text`;
    otherwise write `text` there when it differs. Returns the exit status."""
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    if current == text:
        return 0
    if check:
        print(f"{target.relative_to(root)} is out of date: run python scripts/{script}")
        return 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target.relative_to(root)}")
    return 0
