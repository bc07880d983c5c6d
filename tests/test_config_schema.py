"""`.archmatch.yaml` validated by the JSON schema shipped in the package, with "did you mean"."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ROOT

from archmatch.config import ConfigError, parse_config
from archmatch.config_check import config_schema


def test_schema_is_valid_and_ships_in_the_package() -> None:
    schema = config_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert "schemas/*.json" in (ROOT / "setup.cfg").read_text()


@pytest.mark.parametrize("doc", ["README.md", "archmatch/config.py"])
def test_documented_examples_are_valid(doc: str) -> None:
    text = (ROOT / doc).read_text()
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "failure-threshold" in b]
    assert blocks
    for block in blocks:
        parse_config(yaml.safe_load(block), doc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ignore: [ARCH104]\n", "unknown key `ignore` (did you mean `ignored`?)"),
        ("failure_threshold: info\n", "unknown key `failure_threshold` (did you mean `failure-threshold`?)"),
        ("excludes: [vendor]\n", "unknown key `excludes` (did you mean `exclude`?)"),
        ("override: {warn: [ARCH104]}\n", "unknown key `override.warn` (did you mean `warning`?)"),
        (
            "images: [{pattern: x, dockerfile: D, platform: [linux/arm64]}]\n",
            "unknown key `images[0].platform` (did you mean `platforms`?)",
        ),
        ("ignored: [ARCH1O4]\n", "unknown rule id `ARCH1O4` in `ignored` (did you mean `ARCH104`?)"),
        (
            "ignored: [CKV_ARCH_301]\n",
            "unknown rule id `CKV_ARCH_301` in `ignored` (did you mean `ARCH301`?)",
        ),
        (
            "override: {error: [arch201]}\n",
            "unknown rule id `arch201` in `override.error` (did you mean `ARCH201`?)",
        ),
        (
            "ignored: [DL3006]\n",
            "unknown rule id `DL3006` in `ignored` (`archmatch rules` lists the rule ids)",
        ),
        (
            "failure-threshold: high\n",
            "`failure-threshold`: 'high' is not one of error, warning, info, style, none",
        ),
        ("exclude: 3\n", "`exclude`: 3 must be a string or a list of strings"),
        ("images: [{pattern: x}]\n", "`images[0]`: 'dockerfile' is a required property"),
    ],
)
def test_problems_name_the_file_and_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(yaml.safe_load(text), "ci/.archmatch.yaml")
    assert str(info.value) == f"ci/.archmatch.yaml: {message}"


def test_scan_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / ".archmatch.yaml").write_text("ignore: [ARCH104]\nfailure_threshold: info\n")
    (tmp_path / "Dockerfile").write_text("FROM node:20-slim\n")
    proc = subprocess.run(
        [sys.executable, "-m", "archmatch", "scan", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        f"archmatch: {tmp_path / '.archmatch.yaml'}: unknown key `ignore` (did you mean `ignored`?)"
        " (and 1 more)\n"
    )
