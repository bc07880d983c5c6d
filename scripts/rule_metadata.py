"""Build archmatch/rules/metadata.json from the rules' YAML metadata (run after editing a rule's YAML).

    python scripts/rule_metadata.py          # write it
    python scripts/rule_metadata.py --check  # exit 1 when it is out of date

A scan reads the rule metadata from this one JSON file instead of importing PyYAML and parsing
every rule's YAML at start-up; tests/test_rules_metadata.py checks that it is up to date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _generated import write_or_check

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.root))
    from archmatch.rules import BUILT_METADATA, build_metadata

    rules_dir = args.root / "archmatch" / "rules"
    target = rules_dir / BUILT_METADATA.name
    text = build_metadata(rules_dir)
    return write_or_check(args.root, target, text, check=args.check, script="rule_metadata.py")


if __name__ == "__main__":
    raise SystemExit(main())
