"""Kubernetes workloads declared with the Terraform kubernetes provider: `kubernetes_deployment`,
`kubernetes_stateful_set`, `kubernetes_daemon_set` (`kubernetes_daemonset`), `kubernetes_job`,
`kubernetes_cron_job`, `kubernetes_pod` and their `_v1` names.

Their pod spec (`spec.template.spec`, a cron job's `spec.job_template.spec.template.spec`, a pod's
`spec`) is written in blocks: `container` / `init_container` with `image`, `node_selector`,
`affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_term
.match_expressions`, `toleration` (a `dynamic "toleration"` over a collection not known may tolerate
any taint). It is evaluated with the module's values (variables, locals, an
`aws_ecr_repository`'s `repository_url`), rewritten as the manifest would spell it, and read by the
same code as a manifest (`extract/kubernetes.py`), so a pod declared here is placed on node groups and
Fargate profiles, and linked to builds, like any other pod.
"""

from __future__ import annotations

from typing import Any

from archmatch.extract.kubernetes import ARCH_LABELS, OS_LABELS, pod_arch, pod_scheduling
from archmatch.extract.terraform.ast import Lit, ObjectExpr
from archmatch.extract.terraform.context import Context, Resource
from archmatch.extract.terraform.hcl import Block
from archmatch.extract.terraform.instances import unexpanded
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import Unknown, as_text, origin_of
from archmatch.model import ImageRef, Location, PodFacts, Workload
from archmatch.platforms import ArchFact

_TEMPLATE = ("spec", "template")
_POD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "kubernetes_deployment": _TEMPLATE,
    "kubernetes_stateful_set": _TEMPLATE,
    "kubernetes_daemon_set": _TEMPLATE,
    "kubernetes_daemonset": _TEMPLATE,
    "kubernetes_replication_controller": _TEMPLATE,
    "kubernetes_job": _TEMPLATE,
    "kubernetes_cron_job": ("spec", "job_template", "spec", "template"),
    "kubernetes_pod": (),
}
_REQUIRED = ("affinity", "node_affinity", "required_during_scheduling_ignored_during_execution")


def _template_path(resource_type: str) -> tuple[str, ...] | None:
    """The blocks leading to the resource's pod template (a pod: the resource itself)."""
    return _POD_TEMPLATES.get(resource_type.removesuffix("_v1"))


def _descend(block: Block | None, path: tuple[str, ...]) -> Block | None:
    for name in path:
        block = block.child(name) if block is not None else None
    return block


def _plain(value: Any) -> Any:
    """An evaluated value as a manifest would hold it: unknown parts as their `${...}` text."""
    if isinstance(value, Unknown):
        return as_text(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _evaluated(res: Resource, block: Block, names: tuple[str, ...]) -> dict[str, Any]:
    """The block's attributes among `names` that are written, evaluated."""
    return {n: _plain(res.instance.eval_attr(block, n)) for n in names if block.attr(n) is not None}


def _manifest_spec(res: Resource, spec: Block) -> dict[str, Any]:
    """The pod spec's scheduling fields spelled as in a manifest (`nodeSelector`, `affinity`,
    `tolerations`), which `extract/kubernetes.py` reads."""
    out: dict[str, Any] = {}
    if spec.attr("node_selector") is not None:
        out["nodeSelector"] = _plain(res.instance.eval_attr(spec, "node_selector"))
    required = _descend(spec, _REQUIRED)
    if required is not None:
        terms = [
            {
                "matchExpressions": [
                    _evaluated(res, e, ("key", "operator", "values"))
                    for e in term.children("match_expressions")
                ]
            }
            for term in required.children("node_selector_term")
        ]
        out["affinity"] = {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}
        }
    out["tolerations"] = [
        _evaluated(res, t, ("key", "operator", "value", "effect")) for t in spec.children("toleration")
    ]
    if unexpanded(spec, "toleration"):  # tolerations the files do not give may tolerate any taint
        out["tolerations"].append({"operator": "Exists"})
    return out


def _arch_location(res: Resource, spec: Block) -> tuple[Location | None, Location | None]:
    """Where the pod's arch constraint is written (its literal, followed through variables) and the
    attribute that only passes it on; (None, None) when it writes none."""
    if spec.attr("node_selector") is not None:
        selector = res.instance.eval_attr(spec, "node_selector")
        written = Location(spec.path, spec.line_of("node_selector"))
        if not isinstance(selector, dict):
            return written, None  # the whole map is not known: it may pin the architecture
        label = next((k for k in ARCH_LABELS if k in selector), None)
        if label is not None:
            literal = _entry_location(spec, "node_selector", label) or written
            origin = origin_of(selector[label])
            if origin is None or origin == written:
                return literal, None
            return origin, written
    required = _descend(spec, _REQUIRED)
    for term in required.children("node_selector_term") if required is not None else []:
        for expr in term.children("match_expressions"):
            if res.instance.eval_attr(expr, "key") in ARCH_LABELS:
                return Location(expr.path, expr.line_of("values")), None
    return None, None


def _entry_location(block: Block, name: str, key: str) -> Location | None:
    """Where a map attribute writes `key` (quoted keys such as `"kubernetes.io/arch"` included)."""
    attr = block.attr(name)
    if attr is None or not isinstance(attr.expr, ObjectExpr):
        return None
    for written, value in attr.expr.items:
        if (written.value if isinstance(written, Lit) else written) == key and value.line:
            return Location(block.path, value.line)
    return None


def _pod_facts(res: Resource, template: Block, manifest: dict[str, Any]) -> PodFacts:
    """The namespace (the resource's metadata), the pod template's labels and the scheduling."""
    metadata = res.block.child("metadata")
    namespace = _plain(res.instance.eval_attr(metadata, "namespace")) if metadata is not None else None
    template_metadata = template.child("metadata")
    labels = _plain(res.instance.eval_attr(template_metadata, "labels")) if template_metadata else None
    return PodFacts(
        str(namespace) if namespace else "default",
        {k: v for k, v in labels.items() if isinstance(v, str)} if isinstance(labels, dict) else {},
        scheduling=pod_scheduling(manifest),
    )


def _images(ctx: Context, res: Resource, spec: Block) -> list[ImageRef]:
    return [
        ctx.image_ref(res.instance.eval_attr(c, "image"), Location(c.path, c.line_of("image")))
        for kind in ("init_container", "container")
        for c in spec.children(kind)
        if c.attr("image") is not None
    ]


def pod_workload(ctx: Context, res: Resource, template_path: tuple[str, ...]) -> None:
    template = _descend(res.block, template_path) if template_path else res.block
    spec = _descend(template, ("spec",))
    if template is None or spec is None:
        return
    manifest = _manifest_spec(res, spec)
    selector = manifest.get("nodeSelector")
    arch = (
        pod_arch(manifest)[0]
        if selector is None or isinstance(selector, dict)
        else ArchFact.unknown(f"node_selector = {selector}")
    )
    arch_location, arch_via = _arch_location(res, spec)
    os_name = next(
        (str(selector[k]) for k in OS_LABELS if isinstance(selector, dict) and k in selector), "linux"
    )
    ctx.facts.workloads.append(
        Workload(
            kind=res.block.labels[0],
            name=res.address,
            service="k8s",
            location=res.loc(),
            arch=arch,
            arch_location=arch_location,
            arch_via=arch_via,
            images=_images(ctx, res, spec),
            os_family=os_name.lower(),
            arch_syntax="tf-k8s",
            pod=_pod_facts(res, template, manifest),
        )
    )


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        ctx.at(block)
        path = _template_path(block.labels[0]) if block.labels else None
        if path is None:
            continue
        for res in ctx.instances_of(instance, block):
            pod_workload(ctx, res, path)
