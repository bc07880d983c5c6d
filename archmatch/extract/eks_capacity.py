"""EKS capacity written as Kubernetes-style YAML: eksctl `ClusterConfig` node groups and Karpenter
`NodePool`s (docs/aws-facts.md#eks-node-groups).

An eksctl node group's architecture is its instance types' (`instanceType`, `instanceTypes`,
`instancesDistribution.instanceTypes`); `amiFamily` names an OS, and eksctl picks that family's
image for the instance architecture, so it says nothing about the architecture. A node group without
instance types keeps an unknown architecture (eksctl's own default is not assumed).

A NodePool's architecture is its `kubernetes.io/arch` requirement (`In`/`NotIn`), else the
architecture of the instance types or families it allows, when they all have one; instance
categories (`m`, `c`) span both. A NodePool that constrains none of these stays unknown: Karpenter's
default for an omitted `kubernetes.io/arch` is not assumed.
"""

from __future__ import annotations

import re
from typing import Any

from archmatch import lazyre
from archmatch.aws import compute
from archmatch.extract import yaml_docs
from archmatch.extract.kubernetes import ARCH_LABELS, NODE_ARCHS
from archmatch.extract.yamlsafe import LDict, LList, line_of
from archmatch.isolation import isolated
from archmatch.model import Capacity, InstanceChoice, Location, NodeGroupFacts, RepoFacts
from archmatch.platforms import ArchFact, normalize_arch
from archmatch.repo import RepoView

_SNIFF = lazyre.compile(
    r"^[ \t-]*[\"']?apiVersion[\"']?[ \t]*:[ \t]*[\"']?(?:eksctl\.io/|karpenter\.sh/)", re.M
)
_GROUP_KEYS = ("managedNodeGroups", "nodeGroups")
_INSTANCE_TYPE_KEYS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
_FAMILY_KEY = "karpenter.k8s.aws/instance-family"


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for rel in repo.matching(lambda f: f.endswith((".yaml", ".yml"))):
        text = repo.read_text(rel)
        if text is None or not _SNIFF.search(text):
            continue
        with isolated(repo, facts, rel) as focus:
            for doc in yaml_docs(repo, rel) or []:
                if not isinstance(doc, LDict) or not isinstance(doc.get("apiVersion"), str):
                    continue
                focus.at(rel, doc.line)
                facts.capacities.extend(_capacities(rel, doc))


def _capacities(path: str, doc: LDict) -> list[Capacity]:
    api, kind = str(doc["apiVersion"]), doc.get("kind")
    if api.startswith("eksctl.io/") and kind == "ClusterConfig":
        return _eksctl_groups(path, doc)
    if api.startswith("karpenter.sh/") and kind == "NodePool":
        return [_node_pool(path, doc)]
    return []


def _name(node: Any, fallback: str) -> str:
    metadata = node.get("metadata") if isinstance(node, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return str(name) if isinstance(name, (str, int)) else fallback


# --- eksctl ---------------------------------------------------------------------------------------
def _eksctl_groups(path: str, doc: LDict) -> list[Capacity]:
    cluster = _name(doc, "?")
    out = []
    for key in _GROUP_KEYS:
        groups = doc.get(key)
        for group in groups if isinstance(groups, list) else []:
            if isinstance(group, LDict):
                out.append(_eksctl_group(path, cluster, key, group))
    return out


def _instance_type_values(group: LDict) -> list[tuple[str, int]]:
    """(instance type, line) as written; `instanceType: mixed` defers to the distribution's list."""
    found: list[tuple[str, int]] = []
    single = group.get("instanceType")
    if isinstance(single, str) and single != "mixed":
        found.append((single, group.line_of("instanceType")))
    listed = [group.get("instanceTypes")]
    distribution = group.get("instancesDistribution")
    if isinstance(distribution, LDict):
        listed.append(distribution.get("instanceTypes"))
    for values in listed:
        if isinstance(values, LList):
            found.extend((str(v), line_of(v) or values.line_of(i)) for i, v in enumerate(values))
    return found


def _eksctl_group(path: str, cluster: str, key: str, group: LDict) -> Capacity:
    name = group.get("name")
    kind = "eksctl:managedNodeGroup" if key == "managedNodeGroups" else "eksctl:nodeGroup"
    choices = [
        InstanceChoice(t, compute.instance_type_arch(t), Location(path, line))
        for t, line in _instance_type_values(group)
    ]
    family = group.get("amiFamily")
    note = (
        f"amiFamily {family}: eksctl picks its image for the instance architecture"
        if isinstance(family, str)
        else "no amiFamily: eksctl's default image for the instance architecture"
    )
    return Capacity(
        kind,
        f"{cluster}/{name if isinstance(name, str) else '?'}",
        Location(path, group.line),
        choices,
        ArchFact.unknown(note),
        node_group=NodeGroupFacts(),
    )


# --- Karpenter --------------------------------------------------------------------------------------
def _requirements(doc: LDict) -> list[LDict]:
    node: Any = doc
    for key in ("spec", "template", "spec", "requirements"):
        node = node.get(key) if isinstance(node, dict) else None
    return [r for r in node if isinstance(r, LDict)] if isinstance(node, list) else []


def _values(requirement: LDict) -> list[str]:
    values = requirement.get("values")
    return [str(v) for v in values] if isinstance(values, list) else []


def _allowed(requirement: LDict, universe: frozenset[str], read: Any) -> set[str] | None:
    """The set an `In`/`NotIn` requirement allows (each value mapped by `read`), None when it says
    nothing certain (another operator, or a value `read` does not know)."""
    mapped = [read(v) for v in _values(requirement)]
    if any(m is None for m in mapped):
        return None
    operator = requirement.get("operator")
    if operator == "In":
        return set(mapped)
    if operator == "NotIn":
        return set(universe - set(mapped))
    return None


def _node_pool(path: str, doc: LDict) -> Capacity:
    archs: set[str] | None = None
    reasons: list[str] = []
    line = 0
    for requirement in _requirements(doc):
        key = requirement.get("key")
        if key in ARCH_LABELS:
            allowed = _allowed(requirement, NODE_ARCHS, normalize_arch)
        elif key in _INSTANCE_TYPE_KEYS or key == _FAMILY_KEY:
            allowed = _allowed(requirement, NODE_ARCHS, compute.instance_type_arch)
            if requirement.get("operator") == "NotIn":
                allowed = None  # excluding some types still allows types of either architecture
        else:
            continue
        if allowed is None:
            continue
        archs = allowed if archs is None else archs & allowed
        reasons.append(f"{key} {requirement.get('operator')} [{', '.join(_values(requirement))}]")
        line = line or requirement.line
    location = Location(path, doc.line)
    if archs is None or len(archs) != 1:
        return Capacity(
            "karpenter:NodePool",
            _name(doc, "?"),
            location,
            ami_arch=ArchFact.unknown("no requirement that decides one architecture"),
            node_group=NodeGroupFacts(),
        )
    return Capacity(
        "karpenter:NodePool",
        _name(doc, "?"),
        location,
        ami_arch=ArchFact.derived(*sorted(archs), note="; ".join(reasons)),
        ami_location=Location(path, line),
        ami_evidence="karpenter-requirements",
        node_group=NodeGroupFacts(),
    )
