"""Scaffold a new rule, the way ruff's `add_rule.py` does.

    python scripts/new_rule.py ARCH207 fargate-spot-arm64 --family iac

creates the rule module and its metadata beside it, a failing and a passing fixture, and
regenerates docs/rules/. The module's `check` reports nothing yet, so the failing fixture fails
(`python -m pytest tests/test_fixtures.py -k ARCH207`) until the rule is written; then record the
snapshots (`python -m pytest tests/test_snapshots.py --update-snapshots`) and review them.
See CONTRIBUTING.md ("Add a rule").
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

FAMILIES = {"dockerfile": "1", "iac": "2", "crossfile": "3", "cdk": "4"}

_MODULE = '''"""{rule_id}: {title}.

Facts read: TODO (the fields of archmatch/model.py this rule reads, as the other rules list them).
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, RepoFacts
from archmatch.rules import make  # noqa: F401 - for the findings this rule will yield


def check(facts: RepoFacts) -> Iterator[Finding]:
    # TODO: for each case, yield make("{rule_id}", location, entity, subject=...) with the fields of
    # the message template in {stem}.yaml. The failing fixture in
    # tests/fixtures/rules/{rule_id}/ fails until this reports it.
    yield from ()
'''

_METADATA = """id: {rule_id}
name: {name}
title: TODO one sentence saying what is wrong
severity: warning
family: {family}
message: "{{subject}}: TODO what is wrong here and what it breaks"
rationale: >-
  TODO why this breaks a build or a deployment, with the evidence a maintainer accepts (an
  error-level rule claims that deploys fail).
fix: >-
  TODO what to change.
example:
  language: {language}
  bad: |
    TODO
  good: |
    TODO
checkov:
  id: CKV_ARCH_{number}
  frameworks: [none]
"""

_DOCKERFILE_PASS = "FROM python:3.12-slim\nRUN echo ok\n"
_DOCKERFILE_FAIL = "FROM python:3.12-slim\n# expect: {rule_id}\nRUN echo TODO the line the rule must report\n"
_TERRAFORM = """resource "aws_lambda_function" "fn" {{
  function_name = "fn"
  role          = "arn:aws:iam::123456789012:role/fn"
  package_type  = "Image"
  image_uri     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:1.0.0"
{expect}  architectures = ["arm64"]
}}
"""


def _fixtures(rule_id: str, family: str) -> dict[str, str]:
    """Relative path under tests/fixtures/rules/<rule>/ -> content."""
    if family == "dockerfile":
        return {
            "fail_example.Dockerfile": _DOCKERFILE_FAIL.format(rule_id=rule_id),
            "pass_example.Dockerfile": _DOCKERFILE_PASS,
        }
    return {
        "fail_example/main.tf": _TERRAFORM.format(expect=f"  # expect: {rule_id}\n"),
        "pass_example/main.tf": _TERRAFORM.format(expect=""),
    }


def _write_new(path: Path, text: str) -> Path:
    if path.exists():
        raise SystemExit(f"new_rule: {path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def scaffold(root: Path, rule_id: str, name: str, family: str) -> list[Path]:
    """Create the module, metadata and fixtures of a new rule under `root`; returns what it wrote."""
    if not re.fullmatch(rf"ARCH{FAMILIES[family]}\d\d", rule_id):
        raise SystemExit(f"new_rule: {family} rules are ARCH{FAMILIES[family]}xx, not {rule_id}")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise SystemExit(f"new_rule: the name is lower-case words joined by '-', not {name!r}")
    existing = sorted((root / "archmatch" / "rules").glob(f"*/{rule_id.lower()}_*.yaml"))
    if existing:
        raise SystemExit(f"new_rule: {rule_id} exists: {existing[0]}")
    stem = f"{rule_id.lower()}_{name.replace('-', '_')}"
    folder = root / "archmatch" / "rules" / family
    language = "dockerfile" if family == "dockerfile" else "hcl"
    fields = {"rule_id": rule_id, "name": name, "family": family, "stem": stem, "language": language}
    written = [
        _write_new(folder / f"{stem}.py", _MODULE.format(title="TODO one sentence", **fields)),
        _write_new(folder / f"{stem}.yaml", _METADATA.format(number=rule_id[4:], **fields)),
    ]
    cases = root / "tests" / "fixtures" / "rules" / rule_id
    written += [_write_new(cases / rel, text) for rel, text in _fixtures(rule_id, family).items()]
    return written


def regenerate_docs(root: Path) -> None:
    """The built rule metadata (`archmatch/rules/metadata.json`, which a scan reads), then
    `archmatch docs`, with the package of `root` (a fresh interpreter sees the new rule)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    subprocess.run(
        [sys.executable, str(root / "scripts" / "rule_metadata.py"), "--root", str(root)],
        cwd=root,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [sys.executable, "-m", "archmatch", "docs", "--out", str(root / "docs" / "rules")],
        cwd=root,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("rule_id", help="ARCHnnn (1xx dockerfile, 2xx iac, 3xx crossfile, 4xx cdk)")
    parser.add_argument("name", help="kebab-case name, e.g. fargate-spot-arm64")
    parser.add_argument("--family", required=True, choices=sorted(FAMILIES))
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    for path in scaffold(root, args.rule_id, args.name, args.family):
        print(path.relative_to(root))
    regenerate_docs(root)
    print(f"docs/rules/{args.rule_id}.md")
    print(f"next: write check(), then python -m pytest tests/test_fixtures.py -k {args.rule_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
