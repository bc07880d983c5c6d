"""`--list-workloads`: workloads, builds with where their platform comes from, capacities with
their architecture and what decided it; JSON with structured values."""

from __future__ import annotations

import json
from pathlib import Path

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.report import inventory

EXAMPLE = Path(__file__).parent.parent / "examples" / "eks-graviton-compose-amd64"


def _sections(text: str) -> dict[str, list[str]]:
    blocks = text.strip("\n").split("\n\n")
    out = {"WORKLOADS": blocks[0].splitlines()}
    for block in blocks[1:]:
        title, *rows = block.splitlines()
        out[title] = rows
    return out


def test_text_lists_builds_and_capacities_with_their_provenance(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(EXAMPLE)
    sections = _sections(inventory.render(scan([Path(".")], Config())))
    assert sorted(sections) == ["BUILDS", "CAPACITIES", "WORKLOADS"]
    (build,) = sections["BUILDS"][1:]
    assert build.split()[:2] == ["compose.yaml:3", "compose"] and "explicit @ compose.yaml:6" in build
    (group,) = sections["CAPACITIES"][1:]
    assert "aws_eks_node_group.general" in group and " arm64 " in group
    assert "AMI derived eks-ami-type:AL2023_ARM_64_STANDARD @ infra/eks.tf:6" in group
    assert "m7g.large(arm64)" in group


def test_json_values_are_structured(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(EXAMPLE)
    data = json.loads(inventory.render_json(scan([Path(".")], Config())))
    (workload,) = data["workloads"]
    assert workload["images"] == [
        {
            "ref": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:2.3.1",
            "location": "k8s/api.yaml:18",
            "resolved": True,
        }
    ]
    assert set(workload["arch"]) >= {"archs", "how", "location"}
    (build,) = data["builds"]
    assert build["platform"]["archs"] == ["amd64"] and build["platform"]["location"] == "compose.yaml:6"
    (group,) = data["capacities"]
    assert group["archs"] == ["arm64"] and group["ami"]["evidence"] == "eks-ami-type:AL2023_ARM_64_STANDARD"
    assert [i["arch"] for i in group["instance_types"]] == ["arm64", "arm64"]


def test_an_unpinned_build_says_who_decides(tmp_path: Path) -> None:
    (tmp_path / "build.sh").write_text("#!/bin/sh\ndocker build -t app .\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    sections = _sections(inventory.render(scan([tmp_path], Config())))
    (row,) = sections["BUILDS"][1:]
    assert "host (no --platform: the machine that runs the script decides)" in row
