"""ARCH107: the final stage's base image is architecture-specific (information for the cross-file rules)."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch import lazyre
from archmatch.model import Applicability, Edit, Finding, Fix, RepoFacts
from archmatch.platforms import HUB_NAMESPACES
from archmatch.rules import make
from archmatch.rules.dockerfile._common import analyses, entity, final_stages, find

_LAMBDA_SUFFIX = lazyre.compile(r"-(?:arm64|x86_64)(?=$|@)")


def multi_arch_counterpart(image: str) -> str:
    """`arm64v8/node:20` -> `node:20`; `public.ecr.aws/lambda/python:3.12-arm64` -> `...:3.12`."""
    if image.startswith("public.ecr.aws/lambda/"):
        return _LAMBDA_SUFFIX.sub("", image, count=1)
    parts = image.split("/")
    if parts[0] in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        parts = parts[1:]
    if len(parts) == 2 and parts[0] in HUB_NAMESPACES:
        return parts[1]
    return image


def check(facts: RepoFacts) -> Iterator[Finding]:
    for df in analyses(facts):
        for final in final_stages(facts, df):
            evidence = df.base_arch(final)
            if evidence is None:
                continue
            root = df.chain(final)[-1]
            image = root.base_resolved
            better = multi_arch_counterpart(image)
            region = (
                find(df, root.from_instr.start, root.from_instr.end, root.base)
                if root.base == image
                else None
            )
            edits = (Edit(region, better),) if region is not None and better != image else ()
            yield make(
                "ARCH107",
                evidence.location,
                entity(final),
                stage=final.label,
                image=image,
                arch=evidence.arch,
                why=evidence.reason.split(": ", 1)[-1],
                line=evidence.location.line,
                fixes=[
                    Fix(
                        f"use the multi-architecture image `{better}` and choose the platform at build time",
                        edits,
                        f"- FROM {image}\n+ FROM {better}" if better != image else "",
                        # a build that requests no platform then follows its host's architecture
                        Applicability.UNSAFE,
                    )
                ],
            )
