"""ARCH101: the final stage runs on $BUILDPLATFORM, so its content is the build host's."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Applicability, Finding, Fix, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.dockerfile._common import analyses, entity, final_stages, remove_platform_flag


def check(facts: RepoFacts) -> Iterator[Finding]:
    for df in analyses(facts):
        for final in final_stages(facts, df):
            host = df.runs_on_build_host(final)
            if host is None or df.chain(final)[-1].base_resolved.lower() == "scratch":
                continue
            edit, diff = remove_platform_flag(df, host)
            via = "" if host is final else f" (through stage {host.label}, which it is built FROM)"
            yield make(
                "ARCH101",
                df.loc(host.line),
                entity(final),
                stage=final.label,
                line=host.line,
                via=via,
                flag=host.platform.raw,
                related=[] if host is final else [Related(df.loc(final.line), f"final stage {final.label}")],
                fixes=[
                    Fix(
                        f"remove `--platform={host.platform.raw}` from line {host.line} so the final stage follows the target platform",
                        (edit,) if edit else (),
                        diff,
                        # the final stage's content then matches its label; only slower (emulated)
                        Applicability.SAFE,
                    )
                ],
            )
