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

Each capacity records its cluster (`Capacity.cluster`): an eksctl node group the config's
`metadata.name`; a NodePool the cluster its `EC2NodeClass` (`nodeClassRef.name`, in any file of the
scan root) discovers subnets or security groups by (`karpenter.sh/discovery` or
`aws:eks:cluster-name` tag), when one literal name is written there. It also records the labels and
taints its nodes get (`NodeGroupFacts`), which a pod's nodeSelector, affinity and tolerations are
matched against.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from archmatch import lazyre
from archmatch.aws import compute
from archmatch.extract import yaml_docs
from archmatch.extract.kubernetes import ARCH_LABELS, NODE_ARCHS
from archmatch.extract.yamlsafe import LDict, LList, line_of
from archmatch.isolation import isolated
from archmatch.model import Capacity, ClusterRef, InstanceChoice, Location, NodeGroupFacts, RepoFacts
from archmatch.platforms import ArchFact, normalize_arch
from archmatch.repo import RepoView

_SNIFF = lazyre.compile(
    r"^[ \t-]*[\"']?apiVersion[\"']?[ \t]*:[ \t]*[\"']?(?:eksctl\.io/|karpenter\.sh/|karpenter\.k8s\.aws/)",
    re.M,
)
_GROUP_KEYS = ("managedNodeGroups", "nodeGroups")
_INSTANCE_TYPE_KEYS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
_FAMILY_KEY = "karpenter.k8s.aws/instance-family"
_DISCOVERY_TAGS = ("karpenter.sh/discovery", "aws:eks:cluster-name")
_SCHEDULING_EFFECTS = ("NoSchedule", "NoExecute")
# an eksctl node group setting one of these may give its nodes labels its `labels` do not list
# (Bottlerocket's `settings.kubernetes.node-labels` among its settings)
_BOOTSTRAP_KEYS = (
    "overrideBootstrapCommand",
    "preBootstrapCommands",
    "launchTemplate",
    "ami",
    "bottlerocket",
)
_UNKNOWN_VALUE = lazyre.compile(r"\$|\{\{|<[A-Z_a-z-]+>")  # $X, ${X}, {{X}}, <X>: filled in later


def extract(repo: RepoView, facts: RepoFacts) -> None:
    node_classes: dict[str, ClusterRef | None] = {}
    pools: list[tuple[Capacity, str | None]] = []  # each NodePool with its EC2NodeClass's name
    for rel in repo.matching(lambda f: f.endswith((".yaml", ".yml"))):
        text = repo.read_text(rel)
        if text is None or not _SNIFF.search(text):
            continue
        with isolated(repo, facts, rel) as focus:
            for doc in yaml_docs(repo, rel) or []:
                if not isinstance(doc, LDict) or not isinstance(doc.get("apiVersion"), str):
                    continue
                focus.at(rel, doc.line)
                if _is_node_class(doc):
                    _add_node_class(node_classes, rel, doc)
                elif _is_node_pool(doc):
                    pools.append((_node_pool(rel, doc), _node_class_name(doc)))
                    facts.capacities.append(pools[-1][0])
                elif _is_cluster_config(doc):
                    facts.capacities.extend(_eksctl_groups(rel, doc))
    _bind_node_pools(facts, pools, node_classes)


def _bind_node_pools(
    facts: RepoFacts, pools: list[tuple[Capacity, str | None]], node_classes: dict[str, ClusterRef | None]
) -> None:
    """Each NodePool gets the cluster of its EC2NodeClass (a pool whose file failed was rolled back:
    it is no longer among the capacities and is skipped)."""
    for pool, class_name in pools:
        cluster = node_classes.get(class_name) if class_name else None
        if cluster is not None:
            for index, capacity in enumerate(facts.capacities):
                if capacity is pool:
                    facts.capacities[index] = replace(capacity, cluster=cluster)


def _is_cluster_config(doc: LDict) -> bool:
    return str(doc["apiVersion"]).startswith("eksctl.io/") and doc.get("kind") == "ClusterConfig"


def _is_node_pool(doc: LDict) -> bool:
    return str(doc["apiVersion"]).startswith("karpenter.sh/") and doc.get("kind") == "NodePool"


def _node_class_name(doc: LDict) -> str | None:
    node: Any = doc
    for key in ("spec", "template", "spec", "nodeClassRef", "name"):
        node = node.get(key) if isinstance(node, dict) else None
    return _literal(node)


def _literal(value: Any) -> str | None:
    """A value written out (not a placeholder that deploy tooling fills in)."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    text = str(value)
    return text if text and not unknown_value(text) else None


def unknown_value(text: str) -> bool:
    """A placeholder (`${X}`, `$X`, `{{ x }}`, `<name>`): no label value, cluster name or taint
    holds `$`, `{` or `<`."""
    return "$" in text or _UNKNOWN_VALUE.search(text) is not None


def _string_map(node: Any) -> dict[str, str] | None:
    """A map of literal strings; None when it is not a map or holds a value not written out."""
    if node is None:
        return {}
    if not isinstance(node, dict):
        return None
    out = {str(k): _literal(v) for k, v in node.items()}
    return None if any(v is None for v in out.values()) else {k: v for k, v in out.items() if v is not None}


def _taints(node: Any) -> tuple[tuple[str, str | None, str], ...] | None:
    """eksctl / Karpenter taints: a list of {key, value, effect}, or eksctl's older map
    `key: value:Effect`; None when one is not known."""
    if node is None:
        return ()
    out: list[tuple[str, str | None, str]] = []
    if isinstance(node, dict):
        for name, spec in node.items():
            written, _, old_effect = str(spec).rpartition(":")
            out.append((str(name), written or None, old_effect))
    elif isinstance(node, list):
        for taint in node:
            if not isinstance(taint, dict):
                return None
            key, effect, value = _literal(taint.get("key")), _literal(taint.get("effect")), taint.get("value")
            if key is None or effect is None:
                return None
            out.append((key, _literal(value) if value is not None else None, effect))
    else:
        return None
    if any(unknown_value(f"{k}{v or ''}{e}") for k, v, e in out):
        return None
    return tuple(out)


# --- Karpenter EC2NodeClass: the cluster of the NodePools that use it --------------------------------
def _is_node_class(doc: LDict) -> bool:
    return str(doc["apiVersion"]).startswith("karpenter.k8s.aws/") and doc.get("kind") == "EC2NodeClass"


def _add_node_class(node_classes: dict[str, ClusterRef | None], path: str, doc: LDict) -> None:
    name = _name(doc, "")
    if not name:
        return
    spec = doc.get("spec")
    clusters: dict[str, int] = {}
    for key in ("subnetSelectorTerms", "securityGroupSelectorTerms"):
        terms = spec.get(key) if isinstance(spec, dict) else None
        for term in terms if isinstance(terms, list) else []:
            tags = term.get("tags") if isinstance(term, LDict) else None
            for tag in _DISCOVERY_TAGS:
                value = _literal(tags.get(tag)) if isinstance(tags, LDict) else None
                if value is not None and isinstance(tags, LDict):
                    clusters.setdefault(value, tags.line_of(tag))
    cluster: ClusterRef | None = None
    if len(clusters) == 1:
        value, line = next(iter(clusters.items()))
        basis = f"EC2NodeClass {name}: discovery tag {value}"
        cluster = ClusterRef(value, basis, Location(path, line))
    # two classes of one name in different files (a cluster each): the name says nothing
    node_classes[name] = cluster if name not in node_classes or node_classes[name] == cluster else None


def _name(node: Any, fallback: str) -> str:
    metadata = node.get("metadata") if isinstance(node, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return str(name) if isinstance(name, (str, int)) else fallback


# --- eksctl ---------------------------------------------------------------------------------------
def _eksctl_cluster(path: str, doc: LDict) -> ClusterRef | None:
    metadata = doc.get("metadata")
    name = _literal(metadata.get("name")) if isinstance(metadata, LDict) else None
    if name is None or not isinstance(metadata, LDict):
        return None
    return ClusterRef(name, "eksctl ClusterConfig metadata.name", Location(path, metadata.line_of("name")))


def _eksctl_groups(path: str, doc: LDict) -> list[Capacity]:
    cluster = _name(doc, "?")
    ref = _eksctl_cluster(path, doc)
    out = []
    for key in _GROUP_KEYS:
        groups = doc.get(key)
        for group in groups if isinstance(groups, list) else []:
            if isinstance(group, LDict):
                out.append(replace(_eksctl_group(path, cluster, key, group), cluster=ref))
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
    labels = _string_map(group.get("labels"))
    return Capacity(
        kind,
        f"{cluster}/{name if isinstance(name, str) else '?'}",
        Location(path, group.line),
        choices,
        ArchFact.unknown(note),
        node_group=NodeGroupFacts(
            labels=labels,
            taints=_taints(group.get("taints")),
            labels_complete=labels is not None and not any(k in group for k in _BOOTSTRAP_KEYS),
        ),
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
    nodes = _pool_nodes(doc)
    if archs is None or len(archs) != 1:
        return Capacity(
            "karpenter:NodePool",
            _name(doc, "?"),
            location,
            ami_arch=ArchFact.unknown("no requirement that decides one architecture"),
            node_group=nodes,
        )
    return Capacity(
        "karpenter:NodePool",
        _name(doc, "?"),
        location,
        ami_arch=ArchFact.derived(*sorted(archs), note="; ".join(reasons)),
        ami_location=Location(path, line),
        ami_evidence="karpenter-requirements",
        node_group=nodes,
    )


def _pool_nodes(doc: LDict) -> NodeGroupFacts:
    """The labels a NodePool's nodes get (template labels; an `In` requirement allows its values
    only) and the taints that keep pods off them."""
    template: Any = doc
    for key in ("spec", "template"):
        template = template.get(key) if isinstance(template, dict) else None
    metadata = template.get("metadata") if isinstance(template, dict) else None
    spec = template.get("spec") if isinstance(template, dict) else None
    label_values: dict[str, frozenset[str] | None] = {}
    for requirement in _requirements(doc):
        label, values = requirement.get("key"), [_literal(v) for v in _values(requirement)]
        if isinstance(label, str) and label not in ARCH_LABELS and requirement.get("operator") == "In":
            known = all(v is not None for v in values)
            label_values[label] = frozenset(v for v in values if v is not None) if known else None
    return NodeGroupFacts(
        labels=_string_map(metadata.get("labels") if isinstance(metadata, dict) else None),
        label_values=label_values,
        taints=_taints(spec.get("taints") if isinstance(spec, dict) else None),
    )
