"""`archmatch checks-dir`: where the installed Checkov checks (or YAML policies) live.

    checkov -d . --external-checks-dir "$(archmatch checks-dir)"

The Python checks import archmatch inside Checkov's Python, so Checkov and archmatch must share one
environment: `pip install "archmatch[checkov]"`. Without Checkov here the folder is still printed
(stdout stays usable in `$(...)`) with a note on stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from archmatch.integrations import CHECKS_DIR, POLICIES_DIR
from archmatch.outputs import write_stdout

MISSING_CHECKOV = (
    "archmatch: note: Checkov is not installed in this Python ({python}); the checks in this folder run "
    'inside Checkov and import archmatch, so install both together: pip install "archmatch[checkov]"'
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "checks-dir", help="print the folder of the Checkov external checks (for --external-checks-dir)"
    )
    p.add_argument(
        "--policies", action="store_true", help="print the folder of the YAML custom policies instead"
    )
    p.set_defaults(func=run)


def checkov_installed() -> bool:
    try:
        return importlib.util.find_spec("checkov") is not None
    except (ImportError, ValueError):  # a broken or half-removed installation
        return False


def run(args: argparse.Namespace) -> int:
    write_stdout(f"{POLICIES_DIR if args.policies else CHECKS_DIR}\n")
    if not args.policies and not checkov_installed():  # YAML policies need no archmatch in Checkov
        print(MISSING_CHECKOV.format(python=sys.executable), file=sys.stderr)
    return 0
