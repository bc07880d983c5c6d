"""ARCH401: `buildArgs: {"--platform": ...}` (or a PLATFORM-like key) used to choose a CDK asset's platform."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archmatch.model import Finding, Fix, Related, RepoFacts
from archmatch.platforms import ARM64
from archmatch.rules import make

EXTRA_KIND = "cdk_buildargs_platform"


def _reported(fact: dict[str, Any]) -> bool:
    if not fact["dashed"] and (not fact["dockerfile_read"] or fact["arg_used_in_from_platform"]):
        return False
    # redundant but consistent with the platform the asset really gets: not misleading
    return not (fact["effective_arch"] is not None and fact["effective_arch"] == fact["arch"])


def _effect(fact: dict[str, Any]) -> str:
    if fact["effective_arch"] is not None:
        return f"the image is built for linux/{fact['effective_arch']}, not {fact['value']}"
    return "the image is built for whatever machine runs cdk deploy"


def _fix(fact: dict[str, Any]) -> Fix:
    if fact["effective_arch"] is not None:  # the platform is already set elsewhere: drop the no-op
        return Fix(
            f"remove the {fact['key']} build argument: the asset is built for linux/{fact['effective_arch']}",
            diff=f"- {fact['key']}: {fact['value']}",
        )
    member = "LINUX_AMD64" if fact["arch"] and fact["arch"] != ARM64 else "LINUX_ARM64"
    if fact["syntax"] == "cdk-py":
        new = f"platform=ecr_assets.Platform.{member},"
        old = f'build_args={{"{fact["key"]}": "{fact["value"]}"}},'
    else:
        new = f"platform: Platform.{member},  // import {{ Platform }} from 'aws-cdk-lib/aws-ecr-assets'"
        old = f"buildArgs: {{ '{fact['key']}': '{fact['value']}' }},"
    return Fix(f"set the asset's platform option instead of the {fact['key']} build argument", diff=f"- {old}\n+ {new}")


def check(facts: RepoFacts) -> Iterator[Finding]:
    for fact in facts.extra.get(EXTRA_KIND, []):
        if not _reported(fact):
            continue
        yield make(
            "ARCH401",
            fact["location"],
            f"{fact['asset']}@{fact['asset_location']}:{fact['key']}",
            asset=fact["asset"],
            key=fact["key"],
            value=fact["value"],
            effect=_effect(fact),
            related=[Related(fact["asset_location"], f"{fact['asset']} (image asset expression)")],
            fixes=[_fix(fact)],
        )
