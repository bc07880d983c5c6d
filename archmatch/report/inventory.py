"""`--list-workloads`: every workload (its architecture, how it was decided, its images), every
image build (the platform it requests and where that comes from) and every capacity (node groups,
launch templates, auto scaling groups, Batch environments: their architecture and what decided it).

Text: the workloads table, then a BUILDS and a CAPACITIES table when there are any. JSON: the same
rows with structured values (`arch` and `platform` as objects, `images` as a list)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from archmatch.model import Capacity, ImageBuild, Location, ValueSource, Workload
from archmatch.platforms import ArchFact, How
from archmatch.results import ScanResult
from archmatch.safetext import guard_lines, json_inert, one_line, shown_path

HEADER = ("LOCATION", "KIND", "NAME", "PROJECT", "ARCH", "DECIDED", "IMAGES")
BUILD_HEADER = ("LOCATION", "SOURCE", "NAME", "PROJECT", "PLATFORM", "DECIDED", "DOCKERFILE")
CAPACITY_HEADER = ("LOCATION", "KIND", "NAME", "PROJECT", "ARCH", "DECIDED", "CLUSTER", "INSTANCE TYPES")


@dataclass(frozen=True)
class _Where:
    """Paths as shown for one scan root (a root given as a subfolder prefixes them)."""

    prefix: str

    def loc(self, location: Location | None) -> str | None:
        return shown_path(f"{self.prefix}{location}") if location else None

    def project(self, project: str | None) -> str:
        if project:
            return shown_path((self.prefix + project).rstrip("/"))
        return self.prefix.rstrip("/") or "."


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    last = len(header) - 1
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(last)]
    return [
        "  ".join(c.ljust(widths[i]) if i < last else c for i, c in enumerate(r)).rstrip()
        for r in [header, *rows]
    ]


def render(result: ScanResult) -> str:
    """One row per workload (PROJECT tells apart the same module file evaluated by two root
    modules), then the builds and the capacities."""
    lines = _table(HEADER, rows_of(result))
    for title, header, rows in (
        ("BUILDS", BUILD_HEADER, build_rows(result)),
        ("CAPACITIES", CAPACITY_HEADER, capacity_rows(result)),
    ):
        if rows:
            lines += ["", title, *_table(header, rows)]
    return guard_lines("\n".join(lines) + "\n")


def _each(result: ScanResult) -> list[tuple[Any, _Where]]:
    return [(facts, _Where(prefix)) for facts, prefix in zip(result.facts, result.prefixes, strict=True)]


# --- workloads -------------------------------------------------------------------------------------
def _decided(w: Workload, where: _Where) -> str:
    text = f"{w.arch.how.value} @ {where.loc(w.arch_location) or '-'}"
    if w.deploys_to is not None:
        noun = (
            "task definition" if w.cli is not None and w.cli.command == "ecs update-service" else "function"
        )
        text += f" ({noun} {w.deploys_to.name}, {w.deploys_to.confidence} confidence)"
    hosts = w.ecs.hosts if w.ecs is not None else None
    if hosts is not None and w.arch.how is How.DERIVED:
        text += f" (ECS container instances: {hosts.name})"
    placed = w.batch.environments if w.batch is not None else None
    if placed is not None:
        text += f" ({placed.basis}; {placed.confidence} confidence)"
    if w.values is not None:
        text += "; " + w.values.describe(lambda p: shown_path(where.prefix + p))
    return text + _pod_placement(w)


def _pod_placement(w: Workload) -> str:
    """How a Kubernetes pod was placed: the node constraints it writes besides the architecture, and
    the node groups or Fargate profile that decided its architecture."""
    pod = w.pod
    if pod is None:
        return ""
    parts = [f"nodeSelector {k}={v}" for k, v in sorted(pod.scheduling.node_selector.items())]
    if pod.scheduling.tolerates_all:
        parts.append("tolerates every taint")
    parts += [f"tolerates {key}" for key, _, _ in pod.scheduling.tolerations]
    if pod.fargate_profile is not None:
        parts.append(f"EKS Fargate profile {pod.fargate_profile}")
    if pod.sole_capacity is not None:
        parts.append(f"placed by proximity, low confidence: {pod.sole_capacity}")
    return f" ({'; '.join(parts)})" if parts else ""


def rows_of(result: ScanResult) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for facts, where in _each(result):
        for w in facts.workloads:
            images = " ".join(i.ref or "?" for i in w.images) or "-"
            rows.append(
                (
                    where.loc(w.location) or "-",
                    one_line(w.kind),
                    one_line(w.name),
                    where.project(w.project),
                    ",".join(sorted(w.arch.archs)) or "-",
                    one_line(_decided(w, where)),
                    one_line(images),
                )
            )
    rows.sort()
    return rows


def _fact(arch: ArchFact, location: Location | None, via: Location | None, where: _Where) -> dict[str, Any]:
    return {
        "archs": sorted(arch.archs),
        "how": arch.how.value,
        "location": where.loc(location),
        "via": where.loc(via),
        "note": one_line(arch.note) if arch.note else None,
        "host_hint": sorted(arch.host_hint),
    }


def _workload_json(w: Workload, where: _Where) -> dict[str, Any]:
    target = w.deploys_to
    return {
        "location": where.loc(w.location),
        "kind": one_line(w.kind),
        "name": one_line(w.name),
        "project": where.project(w.project),
        "service": w.service,
        "arch": _fact(w.arch, w.arch_location, w.arch_via, where),
        "decided": one_line(_decided(w, where)),
        "images": [
            {"ref": one_line(i.ref) or None, "location": where.loc(i.location), "resolved": i.resolved}
            for i in w.images
        ],
        "deploys_to": None
        if target is None
        else {
            "name": one_line(target.name),
            "location": where.loc(target.location),
            "evidence": one_line(target.evidence),
            "confidence": target.confidence,
        },
        "values": None if w.values is None else _values_json(w.values, where),
        "compute_environments": _environments_json(w, where),
    }


def _environments_json(w: Workload, where: _Where) -> dict[str, Any] | None:
    """The compute environments an EC2 Batch job's architecture was derived from."""
    placed = w.batch.environments if w.batch is not None else None
    if placed is None:
        return None
    return {
        "basis": one_line(placed.basis),
        "confidence": placed.confidence,
        "environments": [
            {"name": one_line(name), "location": where.loc(location)}
            for name, location in placed.environments
        ],
    }


def _values_json(values: ValueSource, where: _Where) -> dict[str, Any]:
    def shown(path: str) -> str:
        return shown_path(where.prefix + path)

    return {
        "files": [shown(f) for f in values.files],
        "named_at": [" via ".join(map(shown, n.split(" via "))) for n in values.named_at],
        "candidate_sets": values.candidates,
        "from_sets": len(values.variants),
        "text": one_line(values.describe(shown)),
    }


# --- builds ----------------------------------------------------------------------------------------
def _platform_decided(b: ImageBuild, where: _Where) -> str:
    fact = b.platforms
    if fact.how is How.HOST:
        hint = f", usually {'/'.join(sorted(fact.host_hint))}" if fact.host_hint else ""
        return f"host ({fact.note or 'no platform requested'}{hint})"
    if fact.how is How.UNKNOWN:
        return f"unknown ({fact.note})" if fact.note else "unknown"
    via = f" via {where.loc(b.platform_via)}" if b.platform_via else ""
    return f"{fact.how.value} @ {where.loc(b.platform_location) or '-'}{via}"


def build_rows(result: ScanResult) -> list[tuple[str, ...]]:
    rows = [
        (
            where.loc(b.location) or "-",
            b.source,
            one_line(b.name),
            where.project(b.project),
            ",".join(sorted(b.platforms.archs)) or "-",
            one_line(_platform_decided(b, where)),
            _dockerfile_cell(b, where),
        )
        for facts, where in _each(result)
        for b in facts.builds
    ]
    return sorted(rows)


def _dockerfile_cell(b: ImageBuild, where: _Where) -> str:
    path = (where.loc(Location(b.dockerfile)) if b.dockerfile else None) or "-"
    return f"{path} ({one_line(b.dockerfile_origin)})" if b.dockerfile_origin else path


def _build_json(b: ImageBuild, where: _Where) -> dict[str, Any]:
    origin = {"dockerfile_origin": one_line(b.dockerfile_origin)} if b.dockerfile_origin else {}
    local = {"stays_local": one_line(b.stays_local)} if b.stays_local else {}
    return {
        "location": where.loc(b.location),
        "source": b.source,
        "name": one_line(b.name),
        "project": where.project(b.project),
        "platform": _fact(b.platforms, b.platform_location, b.platform_via, where),
        "decided": one_line(_platform_decided(b, where)),
        "dockerfile": where.loc(Location(b.dockerfile)) if b.dockerfile else None,
        **origin,
        "target": b.target,
        "tags": [one_line(t) for t in b.tags],
        **local,
    }


# --- capacities ------------------------------------------------------------------------------------
def _capacity_archs(c: Capacity) -> list[str]:
    archs = set(c.ami_arch.archs) | {i.arch for i in c.instance_types if i.arch}
    return sorted(archs)


def _capacity_decided(c: Capacity, where: _Where) -> str:
    parts = []
    if c.ami_arch.how is not How.UNKNOWN or c.ami_location:
        evidence = f" {c.ami_evidence}" if c.ami_evidence else ""
        unverified = " (unverified)" if not c.ami_verified else ""
        parts.append(f"AMI {c.ami_arch.how.value}{evidence}{unverified} @ {where.loc(c.ami_location) or '-'}")
    if c.instance_types:
        default = " (EKS default)" if c.node_group is not None and c.node_group.instance_types_default else ""
        parts.append(f"instance types{default} @ {where.loc(c.instance_types[0].location) or '-'}")
    if c.fargate:
        parts.append("Fargate")
    parts += _node_labels_and_taints(c)
    return "; ".join(parts) or "unknown"


def _node_labels_and_taints(c: Capacity) -> list[str]:
    """An EKS node group's labels and taints, which pods' selectors and tolerations are matched to."""
    nodes = c.node_group
    if nodes is None:
        return []
    out = []
    if nodes.labels is None:
        out.append("labels not known")
    elif nodes.labels:
        labels = " ".join(f"{k}={v}" for k, v in sorted(nodes.labels.items()))
        out.append(f"labels {labels}" + ("" if nodes.labels_complete else " (maybe more)"))
    if nodes.taints is None:
        out.append("taints not known")
    elif nodes.taints:
        out.append("taints " + " ".join(f"{k}={v or ''}:{e}" for k, v, e in nodes.taints))
    return out


def _cluster_text(c: Capacity, where: _Where) -> str:
    """The EKS cluster a capacity belongs to and how that was decided ("-": not an EKS capacity, or
    the files do not say)."""
    ref = c.cluster
    if ref is None:
        return "-"
    name = ref.name if ref.known else "?"
    return f"{name} ({ref.basis} @ {where.loc(ref.location) or '-'})"


def capacity_rows(result: ScanResult) -> list[tuple[str, ...]]:
    rows = [
        (
            where.loc(c.location) or "-",
            one_line(c.kind),
            one_line(c.name),
            where.project(c.project),
            ",".join(_capacity_archs(c)) or "-",
            one_line(_capacity_decided(c, where)),
            one_line(_cluster_text(c, where)),
            one_line(" ".join(f"{i.instance_type}({i.arch or '?'})" for i in c.instance_types) or "-"),
        )
        for facts, where in _each(result)
        for c in facts.capacities
    ]
    return sorted(rows)


def _capacity_json(c: Capacity, where: _Where) -> dict[str, Any]:
    return {
        "location": where.loc(c.location),
        "kind": one_line(c.kind),
        "name": one_line(c.name),
        "project": where.project(c.project),
        "archs": _capacity_archs(c),
        "decided": one_line(_capacity_decided(c, where)),
        "ami": {
            **_fact(c.ami_arch, c.ami_location, None, where),
            "evidence": c.ami_evidence or None,
            "verified": c.ami_verified,
        },
        "instance_types": [
            {"type": one_line(i.instance_type), "arch": i.arch, "location": where.loc(i.location)}
            for i in c.instance_types
        ],
        "fargate": c.fargate,
        "cluster": {
            "name": one_line(c.cluster.name) if c.cluster.known else None,
            "reference": None if c.cluster.known else one_line(c.cluster.name),
            "decided": one_line(c.cluster.basis),
            "location": where.loc(c.cluster.location),
        }
        if c.cluster is not None
        else None,
    }


def render_json(result: ScanResult) -> str:
    """Workloads, builds and capacities as JSON objects, in the order of the text tables."""

    def ordered(items: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
        return sorted(items, key=lambda d: tuple(str(d.get(k) or "") for k in keys))

    each = _each(result)
    out = {
        "workloads": ordered(
            [_workload_json(w, where) for facts, where in each for w in facts.workloads],
            "location",
            "kind",
            "name",
            "project",
        ),
        "builds": ordered(
            [_build_json(b, where) for facts, where in each for b in facts.builds],
            "location",
            "source",
            "name",
        ),
        "capacities": ordered(
            [_capacity_json(c, where) for facts, where in each for c in facts.capacities],
            "location",
            "kind",
            "name",
            "project",
        ),
    }
    return json_inert(json.dumps(out, indent=2, ensure_ascii=False)) + "\n"
