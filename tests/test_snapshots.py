"""Every rule fixture case has a reviewed snapshot of everything the scan reports about it
(messages, related locations, fixes with edits and diffs, diagnostics), the way cfn-lint keeps
snapshot results and ruff keeps `.snap` files.

After a deliberate change: `python -m pytest tests/test_snapshots.py --update-snapshots`, then read
`git diff tests/snapshots/` as you would read code (a wrong message is a bug, not a new snapshot).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_cases import SNAPSHOTS, case_id, cases, render, scan_case, snapshot_path


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_findings_match_the_reviewed_snapshot(
    case: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.chdir(case if case.is_dir() else case.parent)
    got = render(scan_case(case))
    path = snapshot_path(case)
    if request.config.getoption("--update-snapshots"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path}: run pytest tests/test_snapshots.py --update-snapshots"
    assert got == path.read_text(encoding="utf-8"), (
        f"{case_id(case)} differs from {path.relative_to(SNAPSHOTS.parent.parent)}; if the change is "
        "intended, run pytest tests/test_snapshots.py --update-snapshots and review the diff"
    )


def test_every_snapshot_belongs_to_a_case() -> None:
    expected = {snapshot_path(c) for c in cases()}
    stale = sorted(p for p in SNAPSHOTS.rglob("*.snap") if p not in expected)
    assert not stale, f"snapshots without a fixture case (delete them): {stale}"
