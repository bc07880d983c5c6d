"""CDK cloud assembly (`cdk.out/`): Docker image assets of `*.assets.json` become image builds.

The templates beside them are plain CloudFormation (the cloudformation extractor reads them);
their image URIs end in `:<asset hash>`, which links them to these builds (`cdk:asset:<hash>`).
`cdk-assets` passes `--platform` only when the manifest has `source.platform` (docs/aws-facts.md#cdk-assets).
"""

from __future__ import annotations

import posixpath
from typing import Any

from archmatch.extract import json_doc
from archmatch.extract.cloudformation.intrinsics import known_text
from archmatch.extract.yamlsafe import LDict
from archmatch.isolation import isolated
from archmatch.model import CdkSyntax, ImageBuild, Location, RepoFacts
from archmatch.platforms import ArchFact, arch_of
from archmatch.repo import RepoView

HOST_NOTE = "the CDK asset has no platform: cdk-assets builds for the machine that runs cdk deploy"


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for rel in repo.matching(lambda f: f.endswith(".assets.json")):
        with isolated(repo, facts, rel):
            _extract_manifest(repo, facts, rel)


def _extract_manifest(repo: RepoView, facts: RepoFacts, rel: str) -> None:
    doc = json_doc(repo, rel)
    images = doc.get("dockerImages") if isinstance(doc, dict) else None
    if not isinstance(images, dict):
        return
    folder = posixpath.dirname(rel)
    syntax = _fix_syntax(repo, folder)
    for asset_hash, asset in images.items():
        build = _asset_build(rel, folder, str(asset_hash), asset, images, syntax)
        if build is not None:
            facts.builds.append(build)


def _asset_build(
    rel: str, folder: str, asset_hash: str, asset: Any, images: Any, syntax: CdkSyntax
) -> ImageBuild | None:
    source = asset.get("source") if isinstance(asset, dict) else None
    if not isinstance(source, dict) or known_text(source.get("directory")) is None:
        return None  # `executable` sources build outside docker build: nothing to read
    directory = posixpath.normpath(posixpath.join(folder, str(source["directory"])))
    dockerfile = posixpath.normpath(
        posixpath.join(directory, known_text(source.get("dockerFile")) or "Dockerfile")
    )
    line = images.line_of(asset_hash) if isinstance(images, LDict) else 0
    platform_text = known_text(source.get("platform"))
    platform_line = source.line_of("platform") if isinstance(source, LDict) and platform_text else 0
    if platform_text is None:
        platforms = ArchFact.host(HOST_NOTE)
    else:
        arch = arch_of(platform_text)
        platforms = (
            ArchFact.explicit(arch, note="asset manifest platform")
            if arch
            else ArchFact.unknown(f"platform {platform_text!r}")
        )
    tags = [f"{d['repositoryName']}:{d['imageTag']}" for d in _destinations(asset)]
    label = known_text(asset.get("displayName")) or asset_hash[:12]
    return ImageBuild(
        source="cdk-asset",
        name=f"cdk asset {label}",
        location=Location(rel, line),
        dockerfile=None if dockerfile.startswith("../") else dockerfile,
        context=None if directory.startswith("../") else directory,
        target=known_text(source.get("dockerBuildTarget")),
        platforms=platforms,
        platform_location=Location(rel, platform_line) if platform_line else None,
        tags=tags,
        link_keys=frozenset({f"cdk:asset:{asset_hash}"}),
        fix_syntax=syntax,
    )


def _destinations(asset: dict[str, Any]) -> list[dict[str, Any]]:
    dests = asset.get("destinations")
    if not isinstance(dests, dict):
        return []
    return [
        d
        for d in dests.values()
        if isinstance(d, dict) and known_text(d.get("repositoryName")) and known_text(d.get("imageTag"))
    ]


def _fix_syntax(repo: RepoView, cdk_out: str) -> CdkSyntax:
    """`cdk-py` when the app beside cdk.out is Python (cdk.json `app`), else `cdk-ts`."""
    app_dir = posixpath.dirname(cdk_out)
    cdk_json = posixpath.join(app_dir, "cdk.json") if app_dir else "cdk.json"
    doc = json_doc(repo, cdk_json) if repo.exists(cdk_json) else None
    app = known_text(doc.get("app")) if isinstance(doc, dict) else None
    return "cdk-py" if app and "python" in app else "cdk-ts"
