"""Kubernetes manifests (plain or rendered Helm output, multi-document): pod-running objects.

A pod's architecture is what its scheduling constraints allow (docs/aws-facts.md#kubernetes-scheduling): the node label
`kubernetes.io/arch` (or the deprecated `beta.kubernetes.io/arch`) in `nodeSelector`, or in the
required node affinity (`In`/`NotIn`). Terms of `nodeSelectorTerms` are alternatives (OR); a
term without an arch expression allows every arch. No constraint: any node, `unknown` here.
"""

from __future__ import annotations

import re
from typing import Any

from archmatch import lazyre
from archmatch.extract import json_doc, yaml_docs
from archmatch.extract.yamlsafe import LDict, LList, line_of
from archmatch.isolation import isolated
from archmatch.model import ImageRef, Location, PodFacts, PodScheduling, RepoFacts, Workload
from archmatch.platforms import AMD64, ARM64, ArchFact, normalize_arch
from archmatch.repo import RepoView

ARCH_LABELS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")
OS_LABELS = ("kubernetes.io/os", "beta.kubernetes.io/os")
# NotIn is read against the node arches AWS offers.
NODE_ARCHS = frozenset({AMD64, ARM64})
UNCONSTRAINED = "no arch constraint: schedulable on any node"
_POD_SPEC_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
# Cheap checks before any parse: a manifest worth parsing names a pod-running kind (or a List of
# them) as the value of `kind`. A vendored JSON file that merely contains "apiVersion" (AWS SDK
# service models do) is never parsed.
_KINDS = "|".join([*_POD_SPEC_PATHS, "List"])
_SNIFF_API = lazyre.compile(r"^[ \t-]*[\"']?apiVersion[\"']?[ \t]*:", re.M)
_SNIFF_KIND = lazyre.compile(rf"^[ \t-]*[\"']?kind[\"']?[ \t]*:[ \t]*[\"']?(?:{_KINDS})\b", re.M)
_SNIFF_JSON_API = lazyre.compile(r"\"apiVersion\"\s*:")
_SNIFF_JSON_KIND = lazyre.compile(rf"\"kind\"\s*:\s*\"(?:{_KINDS})\"")


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for rel in repo.matching(lambda f: f.endswith((".yaml", ".yml", ".json"))):
        with isolated(repo, facts, rel) as focus:
            for doc in _documents(repo, rel):
                for obj in objects(doc):
                    focus.at(rel, obj.line)
                    workload = pod_workload(rel, obj)
                    if workload is not None:
                        facts.workloads.append(workload)


def _documents(repo: RepoView, rel: str) -> list[Any]:
    text = repo.read_text(rel)
    if text is None:
        return []
    if rel.endswith(".json"):
        return [json_doc(repo, rel)] if _SNIFF_JSON_KIND.search(text) and _SNIFF_JSON_API.search(text) else []
    if not declares_pods(text):
        return []
    # An unrendered Helm template is not YAML; that is expected, so only a note.
    return yaml_docs(repo, rel, level="note" if "{{" in text else "warning") or []


def objects(doc: Any) -> list[LDict]:
    """The objects of one YAML document (a `List`'s items)."""
    if not isinstance(doc, LDict):
        return []
    if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
        return [item for item in doc["items"] if isinstance(item, LDict)]
    return [doc]


def declares_pods(text: str) -> bool:
    """Whether a YAML text may declare a pod-running object (checked before any parse)."""
    return bool(_SNIFF_API.search(text) and _SNIFF_KIND.search(text))


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def pod_workload(path: str, obj: LDict) -> Workload | None:
    kind = obj.get("kind")
    if not isinstance(obj.get("apiVersion"), str) or not isinstance(kind, str) or kind not in _POD_SPEC_PATHS:
        return None
    spec = _get(obj, *_POD_SPEC_PATHS[kind])
    if not isinstance(spec, LDict):
        return None
    metadata = obj.get("metadata")
    name = str(_get(metadata, "name") or "?")
    namespace = str(_get(metadata, "namespace") or "default")
    arch, arch_line = pod_arch(spec)
    images = [
        ImageRef(
            str(c["image"]),
            Location(path, line_of(c["image"]) or c.line_of("image")),
            resolved="{{" not in str(c["image"]),
        )
        for key in ("initContainers", "containers")
        for c in _list(spec.get(key))
        if isinstance(c, LDict) and isinstance(c.get("image"), str)
    ]
    selector = given if isinstance(given := spec.get("nodeSelector"), dict) else {}
    os_name = next((str(selector[k]) for k in OS_LABELS if k in selector), "linux")
    labels = _get(obj, *_POD_SPEC_PATHS[kind][:-1], "metadata", "labels")
    return Workload(
        kind=f"k8s:{kind}",
        name=f"{namespace}/{name}",
        service="k8s",
        location=Location(path, obj.line),
        arch=arch,
        arch_location=Location(path, arch_line) if arch_line else None,
        images=images,
        os_family=os_name.lower(),
        arch_syntax="k8s",
        pod=PodFacts(namespace, _string_labels(labels), scheduling=pod_scheduling(spec)),
    )


def _required_node_terms(spec: dict[str, Any]) -> Any:
    """The pod's required node affinity terms (any of them may hold), as written."""
    return _get(
        spec,
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
    )


def pod_scheduling(spec: dict[str, Any]) -> PodScheduling:
    """The pod's node constraints other than the architecture (matched against node group labels
    and taints); values that are not plain strings, or are placeholders, are left out (they
    constrain nothing known)."""
    selector = spec.get("nodeSelector")
    node_selector = {
        str(k): str(v)
        for k, v in (selector.items() if isinstance(selector, dict) else [])
        if isinstance(v, (str, int)) and not isinstance(v, bool) and k not in ARCH_LABELS and _known(v)
    }
    terms = _required_node_terms(spec)
    affinity = tuple(_affinity_term(t) for t in _list(terms))
    tolerations = [t for t in _list(spec.get("tolerations")) if isinstance(t, dict)]
    tolerates_all = any(
        (t.get("key") in (None, "") and t.get("operator") == "Exists") or not _known(t.get("key"))
        for t in tolerations
    )
    return PodScheduling(
        node_selector=node_selector,
        affinity_terms=affinity,
        tolerations=tuple(_toleration(t) for t in tolerations if isinstance(t.get("key"), str)),
        tolerates_all=tolerates_all,
    )


def _affinity_term(term: Any) -> tuple[tuple[str, frozenset[str] | None], ...]:
    """One nodeSelectorTerm's `In` expressions on labels other than the architecture (the others
    are kept as allowing anything)."""
    out: list[tuple[str, frozenset[str] | None]] = []
    for expr in _list(_get(term, "matchExpressions")):
        if not isinstance(expr, dict) or not isinstance(expr.get("key"), str) or expr["key"] in ARCH_LABELS:
            continue
        values = expr.get("values")
        written = values if expr.get("operator") == "In" and isinstance(values, list) else []
        known = bool(written) and all(_known(v) for v in written)
        out.append((expr["key"], frozenset(str(v) for v in written) if known else None))
    return tuple(out)


def _known(value: Any) -> bool:
    """Not a placeholder deploy tooling fills in (`${ROLE}`, `$ROLE`, `{{ .Values.role }}`): a
    label value, taint key or value never holds `$`, `{` or `<`."""
    return not any(mark in str(value) for mark in ("$", "{", "<"))


def _toleration(t: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    written = t.get("value")
    unknown = t.get("operator") == "Exists" or not _known(written if written is not None else "")
    value = None if unknown else str(written or "")
    effect = t.get("effect")
    return str(t["key"]), value, str(effect) if isinstance(effect, str) and effect else None


def _string_labels(labels: Any) -> dict[str, str]:
    """The pod template's labels that a Fargate profile selector can match (string keys and values)."""
    if not isinstance(labels, dict):
        return {}
    return {str(k): str(v) for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)}


def pod_arch(spec: dict[str, Any]) -> tuple[ArchFact, int]:
    """Arches the pod may run on, and the line of the constraint that decides it (0 when `spec` is
    a plain dict without lines: a Terraform pod spec written as the manifest would be)."""
    allowed: set[str] | None = None
    line = 0
    selector = spec.get("nodeSelector")
    if isinstance(selector, dict):
        for label in ARCH_LABELS:
            if label in selector:
                arch = normalize_arch(str(selector[label]))
                if arch is None:
                    return ArchFact.unknown(f"nodeSelector {label}: {selector[label]!r}"), _line_of(
                        selector, label
                    )
                allowed = {arch} if allowed is None else allowed & {arch}
                line = line or _line_of(selector, label)
    terms = _required_node_terms(spec)
    if isinstance(terms, list) and terms:
        from_affinity, affinity_line = _affinity_archs(terms)
        if from_affinity is not None:
            allowed = from_affinity if allowed is None else allowed & from_affinity
            line = line or affinity_line
    if allowed is None:
        return ArchFact.unknown(UNCONSTRAINED), 0
    if not allowed:
        return ArchFact.unknown("the arch constraints exclude every node architecture"), line
    return ArchFact.explicit(*sorted(allowed)), line


def _affinity_archs(terms: list[Any]) -> tuple[set[str] | None, int]:
    union: set[str] = set()
    line = 0
    for term in terms:
        term_archs: set[str] | None = None
        for expr in _get(term, "matchExpressions") or []:
            if not isinstance(expr, dict) or expr.get("key") not in ARCH_LABELS:
                continue
            values = given if isinstance(given := expr.get("values"), list) else []
            archs = {a for a in (normalize_arch(str(v)) for v in values) if a}
            operator = expr.get("operator")
            if operator == "In":
                chosen = archs
            elif operator == "NotIn":
                chosen = set(NODE_ARCHS - archs)
            else:
                continue  # Exists / DoesNotExist say nothing about which arch
            term_archs = chosen if term_archs is None else term_archs & chosen
            line = line or (values.line_of(0) if isinstance(values, LList) and values else line_of(expr))
        if term_archs is None:
            return None, 0  # this alternative allows any node
        union |= term_archs
    return union, line


def _line_of(mapping: dict[str, Any], key: str) -> int:
    return mapping.line_of(key) if isinstance(mapping, LDict) else 0


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
