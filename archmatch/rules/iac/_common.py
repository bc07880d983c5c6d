"""Shared by the IaC rules (ARCH2xx). They read only facts, so they work for Terraform and
CloudFormation/SAM/Serverless alike; the `details` keys each rule reads are listed at the top of
its module."""

from __future__ import annotations

from archmatch.model import Capacity, Location, Workload
from archmatch.platforms import How, aws_name

KNOWN_HOW = (How.EXPLICIT, How.DEFAULT, How.DERIVED)


def spelled(arch: str, workload: Workload | None = None) -> str:
    """An arch the way the workload's service writes it (ECS `ARM64`, Lambda `arm64`)."""
    style = "ecs" if workload is not None and workload.service in ("ecs", "batch") else "lambda"
    return aws_name(arch, style)


def archs_text(archs: set[str] | frozenset[str]) -> str:
    return "/".join(aws_name(a) for a in sorted(archs))


def is_node_group(capacity: Capacity) -> bool:
    kind = capacity.kind.lower().replace("_", "").replace(":", "")
    return "nodegroup" in kind or capacity.details.get("eks_node_group") is True


def ami_is_certain(capacity: Capacity) -> bool:
    """AMI arch known from verified evidence (an UNVERIFIED SSM path pattern does not count)."""
    return capacity.ami_arch.how in KNOWN_HOW and capacity.ami_arch.known and capacity.details.get("ami_verified", True) is not False


def where(location: Location | None, fallback: Location) -> Location:
    return location if location is not None and location.line else fallback
