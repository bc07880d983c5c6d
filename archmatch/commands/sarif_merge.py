"""`archmatch sarif-merge A.sarif B.sarif -o out.sarif`: one SARIF log, one run per input run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from archmatch.integrations.sarif_merge import SarifMergeError, merge_files
from archmatch.outputs import write_report
from archmatch.safetext import json_inert, one_line


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sarif-merge", help="merge SARIF logs (e.g. archmatch's and Hadolint's) into one")
    p.add_argument("inputs", nargs="+", metavar="SARIF")
    p.add_argument("-o", "--output", help="write the merged log to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        merged = merge_files([Path(p) for p in args.inputs])
    except SarifMergeError as exc:
        print(f"archmatch: {one_line(str(exc))}", file=sys.stderr)
        return 2
    text = json_inert(json.dumps(merged, indent=2, ensure_ascii=False)) + "\n"
    write_report(args.output, text)
    return 0
