"""The pack registers its checks only into the Checkov registry that is loading it (issue 14):
Checkov executes the external checks file once per registry in each framework process, and a
registry that holds no archmatch check (GitHub Actions, secrets, ...) must not import archmatch.
Real Checkov registries, in a subprocess (registering checks is process-global in Checkov)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archmatch.integrations import CHECKS_DIR

pytestmark = pytest.mark.slow

SCRIPT = f"""
import json, sys
from checkov.dockerfile.registry import registry as dockerfile_registry
from checkov.github_actions.checks.registry import registry as actions_registry
from checkov.json_doc.registry import registry as json_registry
from checkov.yaml_doc.registry import registry as yaml_registry

def archmatch_ids(registry):
    found = [*registry.checks.values(), *registry.wildcard_checks.values()]
    return sorted({{c.id for checks in found for c in checks if c.id.startswith("CKV_ARCH_")}})

actions_registry.load_external_checks({str(CHECKS_DIR)!r})
yaml_registry.load_external_checks({str(CHECKS_DIR)!r})
json_registry.load_external_checks({str(CHECKS_DIR)!r})
after_actions = sorted(m for m in sys.modules if m == "archmatch" or m.startswith("archmatch."))
dockerfile_registry.load_external_checks({str(CHECKS_DIR)!r})
dockerfile_registry.load_external_checks({str(CHECKS_DIR)!r})  # a second load registers nothing new
from archmatch.integrations import checkov_classes
print(json.dumps({{
    "after_actions": after_actions,
    "actions": archmatch_ids(actions_registry),
    "generic": archmatch_ids(yaml_registry) + archmatch_ids(json_registry),
    "dockerfile": archmatch_ids(dockerfile_registry),
    "dockerfile_checks": sum(
        c.id.startswith("CKV_ARCH_") for v in dockerfile_registry.wildcard_checks.values() for c in v
    ),
    "frameworks": sorted(checkov_classes._REGISTERED),
    "rule_modules": sorted(m for m in sys.modules if m.startswith("archmatch.rules.") and ".arch" in m),
}}))
"""


def test_only_the_loading_registry_gets_archmatch_checks(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["after_actions"] == [] and got["actions"] == []
    # nothing in Checkov's generic yaml and json frameworks, which run only for external checks:
    # the documentation tells pack users to skip them (--skip-framework yaml json), losing nothing
    assert got["generic"] == []
    assert got["dockerfile"] == [f"CKV_ARCH_{n}" for n in range(101, 109)]
    assert got["dockerfile_checks"] == 8  # each check once, although the file was loaded twice
    assert got["frameworks"] == ["dockerfile"]
    assert got["rule_modules"] == []  # registering reads metadata; rule modules load on evaluation
