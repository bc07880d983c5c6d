"""Every rule fixture case, re-run the way Hadolint's `assertOnBuildChecks` re-runs its cases:

- with CRLF line endings, and with a UTF-8 byte order mark, in every text file: the same findings
  with the same messages (Windows checkouts and editors produce both);
- with `# archmatch ignore=RULE` (`//` in TypeScript/JavaScript) above each expected finding's
  line: every such finding is gone and the others stay, one line lower where the pragma pushed
  them. JSON cannot hold comments: findings in JSON files must stay.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from expectations import Expectation, case_expectations
from fixture_cases import case_id, cases, scan_case

_SLASH_COMMENTS = (".ts", ".tsx", ".js", ".mjs", ".cjs")


def _copy(case: Path, work: Path) -> Path:
    """A copy of the case under `work`; returns the copied case (file or folder)."""
    work.mkdir()
    if case.is_dir():
        return Path(shutil.copytree(case, work / case.name))
    return Path(shutil.copy(case, work / case.name))


def _text_files(case: Path) -> list[Path]:
    files = [case] if case.is_file() else sorted(p for p in case.rglob("*") if p.is_file())
    out = []
    for path in files:
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not path.name.endswith(".expect"):
            out.append(path)
    return out


def _scan(case: Path, monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, int, str, str]]:
    monkeypatch.chdir(case if case.is_dir() else case.parent)
    return {(f.location.path, f.location.line, f.rule_id, f.message) for f in scan_case(case).findings}


def _rewrite(case: Path, change) -> None:
    for path in _text_files(case):
        path.write_bytes(change(path.read_bytes().decode("utf-8")).encode("utf-8"))


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_crlf_and_bom_change_nothing(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _scan(_copy(case, tmp_path / "plain"), monkeypatch)
    crlf = _copy(case, tmp_path / "crlf")
    _rewrite(crlf, lambda text: text.replace("\r\n", "\n").replace("\n", "\r\n"))
    assert _scan(crlf, monkeypatch) == plain, "CRLF line endings changed the findings"
    bom = _copy(case, tmp_path / "bom")
    _rewrite(bom, lambda text: "\ufeff" + text.removeprefix("\ufeff"))
    assert _scan(bom, monkeypatch) == plain, "a UTF-8 byte order mark changed the findings"


def _comment(path: Path) -> str:
    return "//" if path.suffix in _SLASH_COMMENTS else "#"


def _add_pragmas(case: Path, expected: set[Expectation]) -> set[Expectation]:
    """Insert a pragma above every expected line outside JSON; returns the findings that must stay."""
    root = case if case.is_dir() else case.parent
    by_file: dict[str, dict[int, set[str]]] = {}
    for rel, line, rule in expected:
        by_file.setdefault(rel, {}).setdefault(line, set()).add(rule)
    kept: set[Expectation] = set()
    for rel, lines_rules in by_file.items():
        path = root / rel
        if path.suffix == ".json":
            kept |= {(rel, line, rule) for line, rules in lines_rules.items() for rule in rules}
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        for line in sorted(lines_rules, reverse=True):
            target = lines[line - 1]
            indent = target[: len(target) - len(target.lstrip())]
            codes = ",".join(sorted(lines_rules[line]))
            lines.insert(line - 1, f"{indent}{_comment(path)} archmatch ignore={codes}")
        path.write_text("\n".join(lines), encoding="utf-8")
    return kept


@pytest.mark.parametrize("case", [c for c in cases() if case_expectations(c)], ids=case_id)
def test_an_ignore_pragma_above_each_expected_line_removes_exactly_those_findings(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _copy(case, tmp_path / "pragma")
    kept = _add_pragmas(work, case_expectations(case))
    got = {(path, line, rule) for path, line, rule, _ in _scan(work, monkeypatch)}
    assert got == kept, f"left: {sorted(got - kept)}\nremoved too: {sorted(kept - got)}"
