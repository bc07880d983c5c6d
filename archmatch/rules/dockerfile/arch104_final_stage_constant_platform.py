"""ARCH104: the final stage is pinned to a constant platform."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, Fix, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.dockerfile._common import (
    analyses,
    describe_arch,
    entity,
    final_stages,
    remove_platform_flag,
)


def check(facts: RepoFacts) -> Iterator[Finding]:
    for df in analyses(facts):
        for final in final_stages(facts, df):
            decider = df.platform_stage(final)
            if decider is None or decider.platform.kind != "const" or decider.platform.arch is None:
                continue
            platform = decider.platform
            how = f"--platform={platform.raw}"
            if platform.args:
                how += f", the default of ARG {', '.join(platform.args)} (a --build-arg can change it)"
            via = "" if decider is final else f" through stage {decider.label}, which it is built FROM"
            edit, diff = remove_platform_flag(df, decider)
            yield make(
                "ARCH104",
                df.loc(decider.line),
                entity(final),
                stage=final.label,
                how=how,
                via=via,
                line=decider.line,
                arch=describe_arch(platform.arch),
                related=[] if decider is final else [Related(df.loc(final.line), f"final stage {final.label}")],
                fixes=[
                    Fix(
                        f"remove `--platform={platform.raw}` from line {decider.line} and pass --platform to the build (docker buildx build --platform linux/{platform.arch})",
                        (edit,) if edit else (),
                        diff,
                    )
                ],
            )
