"""Kubernetes objects Terraform applies whole: `kubernetes_manifest` (`manifest = { ... }` written in
HCL, or `yamldecode(file(...))` / `yamldecode(templatefile(...))`) and the kubectl provider's
`kubectl_manifest` (`yaml_body` = `file()`, `templatefile()` or a YAML string/heredoc).

The manifest is evaluated with the module's values (an `aws_ecr_repository`'s `repository_url` gives an
`ecr:` link key; a `templatefile()` variable not known stays `${...}` with its references) and read
by the manifest code (`extract/kubernetes.py`), so its pods are placed and linked like any other.
Each value keeps the line it is written on: the HCL line of a `manifest` object's entry, the line of
a YAML file or heredoc.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from archmatch.extract import yamlsafe
from archmatch.extract.kubernetes import objects, pod_workload
from archmatch.extract.terraform.ast import Call, Expr, Lit, ObjectExpr, TupleExpr
from archmatch.extract.terraform.context import Context, Resource
from archmatch.extract.terraform.file_texts import file_text
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import TStr, Unknown, refs_of
from archmatch.model import ArchSyntax, ImageRef, Workload

_RESOURCES = {"kubernetes_manifest": "manifest", "kubectl_manifest": "yaml_body"}
KIND_PREFIXES = tuple(f"{r}:" for r in _RESOURCES)
_MAX_NODES = 100_000  # entries of one HCL manifest turned into a manifest tree


@dataclass
class _Manifests:
    """The documents of one resource, the file they are written in, and the Terraform references
    of the values written on each line (an image's link keys)."""

    path: str
    docs: list[Any]
    refs_by_line: dict[int, frozenset[str]] = field(default_factory=dict)
    hcl: bool = False


def produce(ctx: Context, instance: ModuleInstance) -> None:
    for block in instance.definition.of_type("resource"):
        attr_name = _RESOURCES.get(block.labels[0]) if block.labels else None
        if attr_name is None:
            continue
        ctx.at(block)
        for res in ctx.instances_of(instance, block):
            manifests = _manifests(res, attr_name)
            if manifests is not None:
                _pods(ctx, res, manifests)


def _pods(ctx: Context, res: Resource, manifests: _Manifests) -> None:
    for doc in manifests.docs:
        for obj in objects(doc):
            workload = pod_workload(manifests.path, obj)
            if workload is not None:
                ctx.facts.workloads.append(_applied(ctx, res, manifests, workload))


def _manifests(res: Resource, attr_name: str) -> _Manifests | None:
    attr = res.block.attr(attr_name)
    if attr is None:
        return None
    expr = attr.expr
    if isinstance(expr, Call) and expr.name == "yamldecode" and len(expr.args) == 1:
        expr = expr.args[0]
    elif attr_name == "manifest":  # an object written in HCL (or a value that evaluates to one)
        return _from_hcl(res, expr)
    if isinstance(expr, Call) and expr.name in ("file", "templatefile") and expr.args:
        read = file_text(res, expr)
        return _from_yaml(*read, 0) if read is not None else None
    value = res.instance.eval(expr)
    if isinstance(value, str | Unknown):
        text = value.text if isinstance(value, Unknown) else value
        first = attr.line if "\n" in text else attr.line - 1  # a heredoc starts on the next line
        return _from_yaml(value, res.block.path, first)
    return None


def _from_yaml(value: str | Unknown, path: str, offset: int) -> _Manifests | None:
    """YAML documents (lines shifted by `offset`: a heredoc inside a .tf file)."""
    text = value.text if isinstance(value, Unknown) else str(value)
    refs = refs_of(value)
    try:
        docs = yamlsafe.load_all("\n" * offset + text)
    except yamlsafe.YamlError:
        return None
    out = _Manifests(path, docs)
    if refs:
        _note_refs(docs, refs, out.refs_by_line)
    return out


def _note_refs(node: Any, refs: frozenset[str], out: dict[int, frozenset[str]]) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and "${" in item:
            line = yamlsafe.line_of(item)
            out[line] = out.get(line, frozenset()) | {r for r in refs if r.split("[")[0] in item}


def _from_hcl(res: Resource, expr: Expr) -> _Manifests | None:
    value = res.instance.eval(expr)
    if not isinstance(value, dict):
        return None
    out = _Manifests(res.block.path, [], hcl=True)
    budget = [_MAX_NODES]
    out.docs.append(_tree(value, expr, expr.line, out.refs_by_line, budget))
    return out if budget[0] >= 0 else None


def _tree(
    value: Any, expr: Expr | None, line: int, refs: dict[int, frozenset[str]], budget: list[int]
) -> Any:
    """An evaluated HCL value as the YAML loader gives a manifest: maps, lists and strings that know
    the line each entry is written on; an unknown value as its `${...}` text."""
    budget[0] -= 1
    if budget[0] < 0:
        return None
    if isinstance(value, dict):
        written = _object_entries(expr)
        out = yamlsafe.LDict()
        out.line, out.key_lines = line, {}
        for key, item in value.items():
            sub = written.get(str(key))
            item_line = sub.line if sub is not None and sub.line else line
            out[str(key)] = _tree(item, sub, item_line, refs, budget)
            out.key_lines[str(key)] = item_line
        return out
    if isinstance(value, list):
        items = expr.items if isinstance(expr, TupleExpr) and len(expr.items) == len(value) else None
        listed = yamlsafe.LList()
        listed.line, listed.item_lines = line, []
        for i, item in enumerate(value):
            sub = items[i] if items else None
            item_line = sub.line if sub is not None and sub.line else line
            listed.append(_tree(item, sub, item_line, refs, budget))
            listed.item_lines.append(item_line)
        return listed
    if isinstance(value, str | Unknown):
        if refs_of(value):
            refs[line] = refs.get(line, frozenset()) | refs_of(value)
        text = yamlsafe.LStr(value.text if isinstance(value, Unknown) else str(value))
        text.line = line
        return text
    return value


def _object_entries(expr: Expr | None) -> dict[str, Expr]:
    if not isinstance(expr, ObjectExpr):
        return {}
    out: dict[str, Expr] = {}
    for key, value in expr.items:
        name = key if isinstance(key, str) else key.value if isinstance(key, Lit) else None
        if isinstance(name, str):
            out[name] = value
    return out


def _applied(ctx: Context, res: Resource, manifests: _Manifests, workload: Workload) -> Workload:
    """The manifest's workload named after the resource that applies it."""
    syntax: ArchSyntax = "tf-manifest" if manifests.hcl else "k8s"
    return dataclasses.replace(
        workload,
        kind=f"{res.block.labels[0]}:{workload.kind.removeprefix('k8s:')}",
        name=f"{res.address}:{workload.name}",
        location=workload.location if not manifests.hcl else res.loc(),
        arch_syntax=syntax,
        images=[_image(ctx, manifests, image) for image in workload.images],
    )


def _image(ctx: Context, manifests: _Manifests, image: ImageRef) -> ImageRef:
    refs = manifests.refs_by_line.get(image.location.line, frozenset())
    value: Any = Unknown(image.ref, refs) if "${" in image.ref else TStr.of(image.ref, refs)
    return ctx.image_ref(value, image.location)
