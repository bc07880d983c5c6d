"""Helm charts of the repository installed by a Terraform `helm_release`: the chart's pods, rendered
with the values Terraform gives them.

A release whose `chart` is a folder of the scan root holding a `Chart.yaml` (no `repository`) is
rendered as Helm would: the chart's `values.yaml`, then each `values` entry in order (`file()`,
`templatefile()` with the variables it passes, `yamlencode({...})`/`jsonencode({...})`, a YAML
string), then each `set` / `set_sensitive` block (or the provider's `set = [{ name, value }]` list;
`image.tag`, `nodeSelector.kubernetes\\.io/arch`: dots escaped by a backslash belong to the key).
Values keep their Terraform references (an `aws_ecr_repository`'s `repository_url` gives an `ecr:`
link key) and where they were written, so a pod's architecture points at the `set` block or the
values file line that decides it. Templates are rendered by `extract/helm_template.py` and read by
the manifest code (`extract/kubernetes.py`); a template it cannot render without guessing is left
out, as is a release whose values are not all readable (an unknown values document, a `dynamic
"set"` over a collection not known): any of them could set the image or the node selector.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from typing import Any

from archmatch import lazyre
from archmatch.extract import yaml_docs, yamlsafe
from archmatch.extract.helm_template import Opaque, Rendered, render
from archmatch.extract.kubernetes import declares_pods, objects, pod_workload
from archmatch.extract.terraform.ast import Call, Expr, TupleExpr
from archmatch.extract.terraform.context import Context, Resource, root_relative
from archmatch.extract.terraform.file_texts import file_text
from archmatch.extract.terraform.hcl import Block
from archmatch.extract.terraform.instances import unexpanded
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import TStr, Unknown, as_text, with_origin
from archmatch.model import ImageRef, Location, PodFacts, Workload
from archmatch.platforms import normalize_arch

_NOT_KNOWN = object()
_ESCAPED_DOT = "\0"
_SET_PATH = lazyre.compile(r"([^.\[\]]+)|\[(\d+)\]")


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        if block.labels[:1] != ["helm_release"]:
            continue
        ctx.at(block)
        for res in ctx.instances_of(instance, block):
            _release(ctx, res)


def _release(ctx: Context, res: Resource) -> None:
    chart = _local_chart(ctx, res)
    if chart is None:
        return
    values = _values(ctx, res, chart)
    if values is _NOT_KNOWN:
        return
    namespace = res.eval("namespace")  # a namespace not known stays its `${...}` text, as in a manifest
    release_ns = as_text(namespace) if namespace is not None and namespace != "" else "default"
    root = _root(ctx, res, chart, values, release_ns)
    templates_dir = f"{chart}/templates/" if chart else "templates/"
    for rel in sorted(f for f in ctx.repo.files if f.startswith(templates_dir)):
        inside = rel[len(templates_dir) :]
        # `templates/tests/` holds `helm test` pods, not the release's; `_helpers.tpl`-like files define
        if rel.endswith((".yaml", ".yml")) and not inside.startswith(("_", "tests/")) and "/_" not in inside:
            _template(ctx, res, rel, {**root, "Template": {"Name": rel, "BasePath": templates_dir[:-1]}})


def _local_chart(ctx: Context, res: Resource) -> str | None:
    """The chart's folder (root-relative) when it is a chart of the repository."""
    if res.block.attr("repository") is not None or ctx.repo is None:
        return None
    folder = root_relative(res.instance, res.eval("chart"))
    if folder is None or not ctx.repo.exists(posixpath.join(folder, "Chart.yaml")):
        return None
    return folder


def _root(ctx: Context, res: Resource, chart: str, values: Any, namespace: str) -> dict[str, Any]:
    meta = _first_doc(ctx, posixpath.join(chart, "Chart.yaml"))
    name = res.eval("name")
    return {
        "Values": values,
        "Release": {
            "Name": _renderable(name),
            "Namespace": namespace,
            "Service": "Helm",
            "IsInstall": True,
            "IsUpgrade": False,
            "Revision": 1,
        },
        "Chart": {
            "Name": meta.get("name"),
            "Version": meta.get("version"),
            "AppVersion": meta.get("appVersion"),
        },
        "Capabilities": Opaque("${helm:Capabilities}"),
        "Files": Opaque("${helm:Files}"),
    }


def _first_doc(ctx: Context, rel: str) -> dict[str, Any]:
    docs = yaml_docs(ctx.repo, rel) if ctx.repo.exists(rel) else None
    return docs[0] if docs and isinstance(docs[0], dict) else {}


# --- values ---------------------------------------------------------------------------------------
def _values(ctx: Context, res: Resource, chart: str) -> Any:
    """The merged values, each leaf tagged with where it was written; `_NOT_KNOWN` when a values
    document or a `set` cannot be read."""
    defaults_path = posixpath.join(chart, "values.yaml")
    merged: Any = (
        _located(_first_doc(ctx, defaults_path), defaults_path) if ctx.repo.exists(defaults_path) else {}
    )
    merged = merged if isinstance(merged, dict) else {}
    attr = res.block.attr("values")
    if attr is not None:
        items = attr.expr.items if isinstance(attr.expr, TupleExpr) else None
        if items is None:
            return _NOT_KNOWN
        for expr in items:
            doc = _values_doc(ctx, res, expr)
            if doc is _NOT_KNOWN:
                return _NOT_KNOWN
            merged = _merge(merged, doc)
    if unexpanded(res.block, "set") or unexpanded(res.block, "set_sensitive"):
        return _NOT_KNOWN
    for name, value in _set_entries(res):
        if name is _NOT_KNOWN or not _apply_set(merged, str(name), value):
            return _NOT_KNOWN
    return merged


def _values_doc(ctx: Context, res: Resource, expr: Expr) -> Any:
    if isinstance(expr, Call) and expr.name in ("yamlencode", "jsonencode") and len(expr.args) == 1:
        return _renderable(with_origin(res.instance.eval(expr.args[0]), expr.args[0], res.block.path))
    if isinstance(expr, Call) and expr.name in ("file", "templatefile") and expr.args:
        read = file_text(res, expr)
        return _parsed(*read) if read is not None else _NOT_KNOWN
    value = res.instance.eval(expr)
    return _parsed(value, res.block.path) if isinstance(value, str) else _NOT_KNOWN


def _parsed(value: str | Unknown, path: str) -> Any:
    """A values document (YAML) as a located tree; the parts of an unknown text left as `${...}`
    keep the references of the Terraform values that are not known."""
    text = value.text if isinstance(value, Unknown) else str(value)
    refs = value.refs if isinstance(value, Unknown) else getattr(value, "refs", frozenset())
    try:
        doc = yamlsafe.load(text)
    except yamlsafe.YamlError:
        return _NOT_KNOWN
    if doc is None:
        return {}
    return _located(doc, path, refs) if isinstance(doc, dict) else _NOT_KNOWN


def _located(node: Any, path: str, refs: frozenset[str] = frozenset(), line: int = 0) -> Any:
    """A parsed YAML tree whose strings remember the line they were written on (and, when they hold
    a `${...}` Terraform left unknown, are opaque with the references they name)."""
    if isinstance(node, dict):
        lines = node.line_of if isinstance(node, yamlsafe.LDict) else (lambda _k: line)
        return {str(k): _located(v, path, refs, lines(k)) for k, v in node.items()}
    if isinstance(node, list):
        item_lines = node.line_of if isinstance(node, yamlsafe.LList) else (lambda _i: line)
        return [_located(v, path, refs, item_lines(i)) for i, v in enumerate(node)]
    if isinstance(node, str):
        where = Location(path, yamlsafe.line_of(node, line))
        if "${" in node:
            named = frozenset(r for r in refs if r.split("[")[0] in node)
            return Opaque(_yaml_safe(node), Unknown(node, named))
        return TStr.of(node, frozenset(), where)
    return node


def _renderable(value: Any) -> Any:
    """A Terraform value as the renderer takes it: unknown parts opaque, with their references."""
    if isinstance(value, Unknown):
        return Opaque(_yaml_safe(value.text), value)
    if isinstance(value, dict):
        return {str(k): _renderable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_renderable(v) for v in value]
    return value


def _yaml_safe(text: str) -> str:
    """An unknown's text as a YAML plain scalar can hold it (inside quotes or not)."""
    return re.sub(r"[\"'\n#]|: ", "_", text)


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            if value is None:
                out.pop(key, None)  # Helm: a null in user values removes the chart's default
            else:
                out[key] = _merge(out.get(key), value)
        return out
    return override


def _set_entries(res: Resource) -> list[tuple[Any, Any]]:
    """(name, value) of each `set` / `set_sensitive` (blocks, or the provider's list attribute),
    values tagged with where they are written."""
    out: list[tuple[Any, Any]] = []
    for kind in ("set", "set_sensitive"):
        for block in res.block.children(kind):
            out.append((_set_name(res, block), _set_value(res, block)))
        attr = res.block.attr(kind)
        if attr is not None:
            listed = res.instance.eval(attr.expr)
            if not isinstance(listed, list):
                return [(_NOT_KNOWN, None)]
            for item in listed:
                name = item.get("name") if isinstance(item, dict) else None
                value = item.get("value") if isinstance(item, dict) else None
                typed = _typed(value, item.get("type") if isinstance(item, dict) else None)
                located = with_origin(typed, None, res.block.path)
                if isinstance(located, str) and getattr(located, "origin", None) is None:
                    located = TStr.of(
                        located, getattr(located, "refs", frozenset()), Location(res.block.path, attr.line)
                    )
                out.append((name if isinstance(name, str) else _NOT_KNOWN, _renderable(located)))
    return out


def _set_name(res: Resource, block: Block) -> Any:
    name = res.instance.eval_attr(block, "name")
    return name if isinstance(name, str) else _NOT_KNOWN


def _set_value(res: Resource, block: Block) -> Any:
    value = _typed(res.instance.eval_attr(block, "value"), res.instance.eval_attr(block, "type"))
    attr = block.attr("value")
    if isinstance(value, str) and attr is not None:
        where = getattr(value, "origin", None) or Location(block.path, attr.line)
        value = TStr.of(value, getattr(value, "refs", frozenset()), where)
    return _renderable(value)


def _typed(value: Any, kind: Any) -> Any:
    """`--set` parses `true`, `false`, `null` and integers unless the type is "string"."""
    if not isinstance(value, str) or kind == "string":
        return value
    plain = str(value)
    if plain in ("true", "false"):
        return plain == "true"
    if plain == "null":
        return None
    return int(plain) if re.fullmatch(r"-?[1-9][0-9]{0,17}|0", plain) else value


def _apply_set(values: dict[str, Any], name: str, value: Any) -> bool:
    """Set `a.b\\.c[0].d` in the values; False when the name is not one Helm reads."""
    steps: list[str | int] = []
    for part in name.replace("\\.", _ESCAPED_DOT).split("."):
        found = _SET_PATH.findall(part)
        if not part or "".join(k or f"[{i}]" for k, i in found) != part:
            return False
        steps.extend(k.replace(_ESCAPED_DOT, ".") if k else int(i) for k, i in found)
    node: Any = values
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        if following is None:
            return _store(node, step, value)
        child = _child(node, step, dict if isinstance(following, str) else list)
        if child is None:
            return False
        node = child
    return True


def _child(node: Any, step: str | int, kind: type) -> Any:
    if isinstance(step, str) and isinstance(node, dict):
        if not isinstance(node.get(step), kind):
            node[step] = kind()
        return node[step]
    if isinstance(step, int) and isinstance(node, list) and step <= len(node) <= 1000:
        if step == len(node):
            node.append(kind())
        elif not isinstance(node[step], kind):
            node[step] = kind()
        return node[step]
    return None


def _store(node: Any, step: str | int, value: Any) -> bool:
    if isinstance(step, str) and isinstance(node, dict):
        node[step] = value
        return True
    if isinstance(step, int) and isinstance(node, list) and step <= len(node) <= 1000:
        node[step : step + 1] = [value]
        return True
    return False


# --- rendering ------------------------------------------------------------------------------------
def _template(ctx: Context, res: Resource, rel: str, root: dict[str, Any]) -> None:
    text = ctx.repo.read_template(rel)
    if text is None or not declares_pods(text):
        return
    rendered = render(text, root)
    if rendered is None:
        return
    try:
        docs = yamlsafe.load_all(rendered.text)
    except yamlsafe.YamlError:
        return
    ctx.repo.rendered.add(rel)
    for doc in docs:
        for obj in objects(doc):
            workload = pod_workload(rel, obj)
            if workload is not None:
                ctx.facts.workloads.append(_released(ctx, res, rel, rendered, obj, workload, root))


def _released(
    ctx: Context,
    res: Resource,
    rel: str,
    rendered: Rendered,
    obj: Any,
    workload: Workload,
    root: dict[str, Any],
) -> Workload:
    """The manifest's workload placed where the release and its values write it."""
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    namespace = str(metadata.get("namespace") or root["Release"]["Namespace"])
    name = str(metadata.get("name") or "?")
    if "${" in name:
        name = posixpath.splitext(posixpath.basename(rel))[0]
    assert workload.pod is not None
    arch_location = None
    if workload.arch_location is not None:
        arch_location = _written_at(rendered, rel, workload.arch_location.line)
    return dataclasses.replace(
        workload,
        kind=f"helm_release:{workload.kind.removeprefix('k8s:')}",
        name=f"{res.address}:{namespace}/{name}",
        location=res.loc(),
        arch_location=arch_location,
        arch_syntax="k8s"
        if arch_location is not None and not arch_location.path.endswith(".tf")
        else "tf-helm",
        images=[_image(ctx, rendered, rel, image) for image in workload.images],
        pod=PodFacts(namespace, workload.pod.labels, scheduling=workload.pod.scheduling),
    )


def _written_at(rendered: Rendered, rel: str, line: int) -> Location:
    """Where the value on a rendered line was written: the values file or `set` block it came
    from, else the template line."""
    for value in rendered.values_on(line):
        origin = getattr(value, "origin", None)
        if isinstance(origin, Location) and isinstance(value, str) and _is_arch_value(value):
            return origin
    return Location(rel, rendered.template_line(line))


def _is_arch_value(value: str) -> bool:
    return normalize_arch(value) is not None


def _image(ctx: Context, rendered: Rendered, rel: str, image: ImageRef) -> ImageRef:
    line = image.location.line
    refs: frozenset[str] = frozenset()
    for written in rendered.values_on(line):
        source = written.source if isinstance(written, Opaque) else written
        refs |= getattr(source, "refs", frozenset())
    value: Any = Unknown(image.ref, refs) if "${" in image.ref else TStr.of(image.ref, refs)
    return ctx.image_ref(value, Location(rel, rendered.template_line(line)))
