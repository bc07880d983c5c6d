"""ARCH102: an automatic platform ARG used in a stage that never declared it: it is empty there."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Applicability, Finding, Fix, RepoFacts
from archmatch.rules import make
from archmatch.rules.dockerfile._common import analyses, entity, insert_after_from


def check(facts: RepoFacts) -> Iterator[Finding]:
    for df in analyses(facts):
        for stage in df.stages:
            seen: set[tuple[str, int]] = set()
            for use in stage.uses:
                if use.in_scope or (use.name, use.line) in seen:
                    continue
                seen.add((use.name, use.line))
                edit, diff = insert_after_from(df, stage, f"ARG {use.name}")
                yield make(
                    "ARCH102",
                    df.loc(use.line, use.column, use.column + len(use.name)),
                    entity(stage),
                    name=use.name,
                    keyword=use.keyword,
                    line=use.line,
                    stage=stage.label,
                    from_line=stage.line,
                    expansion=f"its default `{use.expands_to}`" if use.expands_to else "an empty string",
                    fixes=[
                        Fix(
                            f"declare `ARG {use.name}` in stage {stage.label}, after its FROM (line {stage.line})",
                            (edit,),
                            diff,
                            Applicability.SAFE,  # the variable gets the value the line meant
                        )
                    ],
                )
