"""The public terraform-aws-modules modules the Terraform extractor reads
(`archmatch/extract/terraform/public.py`), and what each creates that archmatch judges: the one
thing about the Terraform extractor that integrations need (which rules apply to a Checkov
`module` block). No parser is imported here.
"""

from __future__ import annotations

import re

from archmatch import lazyre

_SOURCE = lazyre.compile(
    r"terraform-aws-modules/(?:terraform-aws-)?(?P<name>lambda|ecs|eks)(?:/aws)?(?:\.git)?(?://(?P<sub>modules/[\w-]+))?",
    re.IGNORECASE,
)

# What each understood module creates that archmatch judges (for integrations that must say which
# rules apply to a module call).
_CREATES = {
    ("lambda", ""): frozenset({"aws_lambda_function"}),
    ("lambda", "modules/docker-build"): frozenset({"docker_registry_image"}),
    ("ecs", ""): frozenset({"aws_ecs_task_definition", "aws_ecs_service"}),
    ("ecs", "modules/service"): frozenset({"aws_ecs_task_definition", "aws_ecs_service"}),
    ("eks", ""): frozenset({"aws_eks_node_group", "aws_eks_fargate_profile", "aws_launch_template"}),
    ("eks", "modules/eks-managed-node-group"): frozenset({"aws_eks_node_group", "aws_launch_template"}),
    ("eks", "modules/fargate-profile"): frozenset({"aws_eks_fargate_profile"}),
}


def module_key(source: str) -> tuple[str, str] | None:
    """(module, submodule) of a terraform-aws-modules source (`("eks", "modules/fargate-profile")`)."""
    m = _SOURCE.search(source)
    return (m["name"].lower(), (m["sub"] or "").lower()) if m else None


def module_resource_types(source: str) -> frozenset[str] | None:
    """Resource types a call to this public module creates, or None if archmatch does not read it."""
    key = module_key(source)
    return _CREATES.get(key) if key else None
