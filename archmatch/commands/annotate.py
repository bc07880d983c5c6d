"""`archmatch annotate SARIF...`: GitHub workflow annotations from SARIF logs (one scan, two outputs).

archmatch scan . --format sarif --output archmatch.sarif
archmatch annotate archmatch.sarif     # the same lines `scan --format github` prints
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archmatch.integrations.sarif_annotate import SarifAnnotateError, annotate_files
from archmatch.outputs import write_stdout
from archmatch.safetext import one_line


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("annotate", help="print GitHub workflow annotations for the results of SARIF logs")
    p.add_argument("inputs", nargs="+", metavar="SARIF")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        text = annotate_files([Path(p) for p in args.inputs])
    except SarifAnnotateError as exc:
        print(f"archmatch: {one_line(str(exc))}", file=sys.stderr)
        return 2
    write_stdout(text)
    return 0
