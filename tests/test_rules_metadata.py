"""Rule metadata: schema-valid, ids consistent, docs generated from it and committed."""

from __future__ import annotations

import argparse
from pathlib import Path

import jsonschema
import pytest
import yaml

from archmatch.report.docs import index_markdown, rule_markdown
from archmatch.rules import (
    BUILT_METADATA,
    FAMILIES,
    RULES_DIR,
    _family_files,
    _schema,
    all_rules,
    build_metadata,
    load_meta,
    metadata,
)

ROOT = Path(__file__).resolve().parent.parent


def test_every_metadata_file_is_schema_valid_and_paired_with_a_module() -> None:
    for meta_path in sorted(RULES_DIR.glob("*/*.yaml")):
        data = yaml.safe_load(meta_path.read_text())
        jsonschema.validate(data, _schema())
        assert meta_path.with_suffix(".py").exists(), meta_path
        assert meta_path.stem.startswith(data["id"].lower() + "_"), (
            f"{meta_path.name} should start with {data['id'].lower()}_"
        )


def test_checkov_ids_map_one_to_one_to_rule_ids() -> None:
    rules = all_rules()
    assert rules, "no rules registered"
    for rule in rules:
        assert rule.meta.checkov_id == "CKV_ARCH_" + rule.meta.id[4:]
    assert len({r.meta.name for r in rules}) == len(rules)


def test_schema_rejects_bad_metadata() -> None:
    good = yaml.safe_load(next(RULES_DIR.glob("crossfile/arch301_*.yaml")).read_text())
    for broken in (
        {**good, "severity": "fatal"},
        {**good, "id": "X1"},
        {k: v for k, v in good.items() if k != "fix"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, _schema())


def test_committed_docs_are_generated_from_metadata() -> None:
    docs = ROOT / "docs" / "rules"
    metas = [r.meta for r in all_rules()]
    for meta in metas:
        path = docs / f"{meta.id}.md"
        assert path.exists(), f"run `archmatch docs`: {path} missing"
        assert path.read_text() == rule_markdown(meta), f"run `archmatch docs`: {path} is stale"
        for section in ("## What it does", "## Why it matters", "## Example", "## How to fix"):
            assert section in path.read_text()
    assert (docs / "README.md").read_text() == index_markdown(metas)
    stale = {p.stem for p in docs.glob("ARCH*.md")} - {m.id for m in metas}
    assert not stale, f"docs for removed rules: {stale}"


def test_checkov_ids_are_shown_only_for_rules_checkov_reports(capsys: pytest.CaptureFixture[str]) -> None:
    from archmatch.commands.rules import list_rules

    list_rules(argparse.Namespace())
    shown = {line.split()[0]: line.split()[2] for line in capsys.readouterr().out.splitlines()}
    for rule in all_rules():
        expected = rule.meta.checkov_id if rule.meta.in_checkov else "-"
        assert shown[rule.meta.id] == expected, rule.meta.id
    assert shown["ARCH303"] == "-" and shown["ARCH401"] == "-"  # frameworks: [none]


def test_built_metadata_json_is_up_to_date_with_the_yaml() -> None:
    """A scan reads `archmatch/rules/metadata.json`, not the YAML: it must say what the YAML says."""
    assert BUILT_METADATA.read_text(encoding="utf-8") == build_metadata(), (
        "archmatch/rules/metadata.json is out of date: run python scripts/rule_metadata.py"
    )
    from_yaml = {
        meta.id: meta
        for family in FAMILIES
        for _, meta in ((n, load_meta(p)) for n, p in _family_files(family))
    }
    assert metadata() == from_yaml


def test_built_metadata_check_notices_an_edited_yaml(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "archmatch", copy / "archmatch", ignore=shutil.ignore_patterns("__pycache__"))
    script = ROOT / "scripts" / "rule_metadata.py"
    check = [sys.executable, str(script), "--check", "--root", str(copy)]
    assert subprocess.run(check, capture_output=True).returncode == 0
    yaml_file = next((copy / "archmatch" / "rules" / "iac").glob("arch201_*.yaml"))
    yaml_file.write_text(yaml_file.read_text().replace("tags: [", "tags: [edited, ", 1))
    stale = subprocess.run(check, capture_output=True, text=True)
    assert stale.returncode == 1 and "out of date" in stale.stdout
    subprocess.run([sys.executable, str(script), "--root", str(copy)], check=True, capture_output=True)
    assert '"edited"' in (copy / "archmatch" / "rules" / "metadata.json").read_text()
