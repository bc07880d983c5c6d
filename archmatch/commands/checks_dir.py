"""`archmatch checks-dir`: where the installed Checkov checks (or YAML policies) live.

    checkov -d . --external-checks-dir "$(archmatch checks-dir)"
"""

from __future__ import annotations

import argparse

from archmatch.integrations import CHECKS_DIR, POLICIES_DIR


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("checks-dir", help="print the folder of the Checkov external checks (for --external-checks-dir)")
    p.add_argument("--policies", action="store_true", help="print the folder of the YAML custom policies instead")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(POLICIES_DIR if args.policies else CHECKS_DIR)
    return 0
