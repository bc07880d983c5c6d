"""`archmatch rules` and `archmatch docs`: the rule catalogue, from the metadata."""

from __future__ import annotations

import argparse
from pathlib import Path

from archmatch.outputs import write_stdout
from archmatch.report.docs import generate
from archmatch.rules import all_rules


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rules", help="list every rule with its severity and Checkov id")
    p.set_defaults(func=list_rules)
    d = sub.add_parser("docs", help="generate the rule docs (Markdown) from the rule metadata")
    d.add_argument("--out", default="docs/rules", help="output folder (default: docs/rules)")
    d.set_defaults(func=write_docs)


def list_rules(args: argparse.Namespace) -> int:
    lines = [
        f"{m.id:8} {m.severity:8} {m.checkov_id if m.in_checkov else '-':14} {m.title}"
        for m in (r.meta for r in all_rules())
    ]
    write_stdout("".join(line + "\n" for line in lines))
    return 0


def write_docs(args: argparse.Namespace) -> int:
    write_stdout("".join(f"{path}\n" for path in generate(Path(args.out))))
    return 0
