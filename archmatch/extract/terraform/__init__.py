"""Terraform extractor: workloads, capacities and image builds from `.tf` / `.tf.json` files.

Each folder of .tf files is a module. Folders called by another folder through a local `source`
are evaluated through their callers (inputs bound, addresses prefixed `module.<name>.`); every
other folder is a root module with its tfvars. Values are resolved as a reviewer would resolve
them (see `evaluate.py`); whatever is not resolvable stays unknown.
"""

from __future__ import annotations

import dataclasses
import posixpath

from archmatch.extract import _variants, json_doc
from archmatch.extract.hcl_parse import HclError
from archmatch.extract.terraform import (
    builds,
    cmdvars,
    codebuild,
    compute,
    ecs,
    eks,
    helm,
    k8s_manifests,
    k8s_workloads,
    local_exec,
    public,
)
from archmatch.extract.terraform.context import Context
from archmatch.extract.terraform.hcl import Block, parse_tf, parse_tf_json
from archmatch.extract.terraform.module import ModuleDef, ModuleInstance, local_module_folder
from archmatch.isolation import isolated, isolated_unit, note_position
from archmatch.model import Project, RepoFacts
from archmatch.repo import RepoView

_PRODUCERS = (
    builds.produce,
    local_exec.produce,
    codebuild.produce,
    compute.produce,
    ecs.produce,
    eks.produce,
    k8s_workloads.produce,
    helm.produce,
    k8s_manifests.produce,
    public.produce,
)


def _folder(rel: str) -> str:
    return posixpath.dirname(rel)


def _load_modules(repo: RepoView, facts: RepoFacts) -> dict[str, ModuleDef]:
    modules: dict[str, ModuleDef] = {}
    for rel in repo.matching(lambda f: f.endswith((".tf", ".tf.json"))):
        with isolated(repo, facts, rel):
            blocks = _parse_file(repo, rel)
            if blocks is not None:
                modules.setdefault(_folder(rel), ModuleDef(_folder(rel))).blocks.extend(blocks)
    auto: dict[str, list[str]] = {}
    for rel in repo.files:
        if rel.endswith((".auto.tfvars", ".auto.tfvars.json")):
            auto.setdefault(_folder(rel), []).append(rel)
    for folder, module in modules.items():
        _load_tfvars(repo, facts, folder, module, sorted(auto.get(folder, [])))
    return modules


def _parse_file(repo: RepoView, rel: str) -> list[Block] | None:
    if rel.endswith(".tf.json"):
        doc = json_doc(repo, rel)
        return parse_tf_json(doc, rel) if doc is not None else None
    text = repo.read_text(rel)
    if text is None:
        return None
    try:
        return parse_tf(text, rel)[0]
    except HclError as exc:
        repo.diag(rel, str(exc), line=exc.line)
        return None


def _load_tfvars(
    repo: RepoView, facts: RepoFacts, folder: str, module: ModuleDef, auto_tfvars: list[str]
) -> None:
    prefix = f"{folder}/" if folder else ""
    for rel in [
        prefix + "terraform.tfvars",
        prefix + "terraform.tfvars.json",
        *auto_tfvars,  # `*.auto.tfvars` and `*.auto.tfvars.json` in the lexical order of their names
    ]:  # later files override earlier ones, as in Terraform
        if not repo.exists(rel):
            continue
        attrs = cmdvars.read_tfvars(repo, facts, rel)
        module.tfvars.update(attrs)
        module.tfvars_paths.update(dict.fromkeys(attrs, rel))


def _called_folders(modules: dict[str, ModuleDef]) -> set[str]:
    called: set[str] = set()
    for folder, module in modules.items():
        for call in module.of_type("module"):
            source = call.attr("source")
            value = getattr(source.expr, "value", None) if source is not None else None
            target = local_module_folder(folder, value) if isinstance(value, str) else None
            if target is not None and target != folder and target in modules:
                called.add(target)
    return called


def _note_sources_outside_root(repo: RepoView, modules: dict[str, ModuleDef]) -> None:
    """A note per module call whose local `source` leaves the scan root: nothing there is read, so
    the resources it would create are missing from this scan."""
    for folder in sorted(modules):
        for call in modules[folder].of_type("module"):
            source = call.attr("source")
            value = getattr(source.expr, "value", None) if source is not None else None
            if source is None or not isinstance(value, str) or not value.startswith("../"):
                continue
            if local_module_folder(folder, value) is None:
                repo.diag(
                    call.path,
                    f'module "{call.labels[0] if call.labels else "?"}": source "{value}" is outside the scan '
                    "root, so it is not read (scan a folder that holds it to check what it creates)",
                    line=source.line,
                    level="note",
                    code="input",
                )


def _file_reader(repo: RepoView, root_folder: str):  # type: ignore[no-untyped-def]
    def read(path: str) -> str | None:
        if path.startswith("/"):
            return None
        rel = posixpath.normpath(posixpath.join(root_folder or ".", path))
        if rel.startswith("../") or rel == ".." or not repo.exists(rel):
            return None
        return repo.read_text(rel)

    return read


def _walk(repo: RepoView, instance: ModuleInstance, out: list[ModuleInstance]) -> None:
    out.append(instance)
    for call in instance.definition.of_type("module"):
        if call.labels:
            note_position(repo, call.path, call.line)
            for child in instance.children(call.labels[0]):
                _walk(repo, child, out)


def extract(repo: RepoView, facts: RepoFacts) -> None:
    modules = _load_modules(repo, facts)
    if not modules:
        return
    called = _called_folders(modules)
    _note_sources_outside_root(repo, modules)
    reached: set[str] = set()
    files = sorted({b.path for m in modules.values() for b in m.blocks})
    folders = [(_folder(p), p) for p in files]  # once, not once per root module
    for folder in [f for f in sorted(modules) if f not in called]:
        _root_module(repo, facts, modules, folder, reached, folders)
    for folder in sorted(set(modules) - reached):  # only called from a cycle: scan it on its own
        _root_module(repo, facts, modules, folder, reached, folders)


def finalize(repo: RepoView, facts: RepoFacts) -> None:
    """A manifest file a `kubernetes_manifest` / `kubectl_manifest` applies is also read as a plain
    manifest (`extract/kubernetes.py`): keep the resource's view, which has Terraform's values."""
    applied = {
        (w.location.path, w.location.line)
        for w in facts.workloads
        if w.kind.startswith(k8s_manifests.KIND_PREFIXES)
    }
    if applied:
        facts.workloads = [
            w
            for w in facts.workloads
            if not (w.kind.startswith("k8s:") and (w.location.path, w.location.line) in applied)
        ]


def _root_module(
    repo: RepoView,
    facts: RepoFacts,
    modules: dict[str, ModuleDef],
    folder: str,
    reached: set[str],
    all_files: list[tuple[str, str]],
) -> None:
    """The facts of one root module and the local modules it calls: one context per root, as
    addresses are unique within a root, not across the repository; evaluated once per candidate
    set of command-line values when commands name some (`cmdvars.py`). A file whose evaluation
    fails is left out and the root analysed again without it (archmatch/isolation.py)."""
    files = [p for f, p in all_files if f == folder] + [p for f, p in all_files if f != folder]
    sets = cmdvars.value_sets(repo, facts.extra.terraform_vars, folder)

    def evaluate(kept: dict[str, ModuleDef]) -> list[_variants.Fact]:
        tree: list[ModuleInstance] = []
        _walk(repo, ModuleInstance(kept[folder], kept, _file_reader(repo, folder)), tree)
        reached.update(i.definition.folder for i in tree)
        return _variants.taken(facts, lambda: _produce(repo, facts, tree))

    def run(left_out: frozenset[str]) -> None:
        kept = _without(modules, left_out)
        facts.projects.append(
            Project(folder, "terraform", folder or ".")
        )  # every fact of a root belongs to it
        if sets:
            diagnostics = len(facts.diagnostics)
            baseline = evaluate(kept)
            variants = [
                evaluate({**kept, folder: cmdvars.with_values(repo, facts, kept[folder], s)}) for s in sets
            ]
            produced = _variants.merge(baseline, variants, sets)
            facts.diagnostics[diagnostics:] = _variants.unique(facts.diagnostics[diagnostics:])
        else:
            produced = evaluate(kept)
        for item in produced:
            item.project = folder
            _variants.append(facts, item)

    isolated_unit(repo, facts, files, run)


def _without(modules: dict[str, ModuleDef], left_out: frozenset[str]) -> dict[str, ModuleDef]:
    if not left_out:
        return modules
    return {
        folder: dataclasses.replace(m, blocks=[b for b in m.blocks if b.path not in left_out])
        for folder, m in modules.items()
    }


def _produce(repo: RepoView, facts: RepoFacts, instances: list[ModuleInstance]) -> None:
    ctx = Context(facts, repo=repo)
    for instance in instances:
        for block in instance.definition.blocks:
            if block.type in ("resource", "data") and len(block.labels) == 2:
                ctx.add(instance, block)
    for produce in _PRODUCERS:
        for instance in instances:
            try:
                produce(ctx, instance)
            except RecursionError:  # pathological nesting in one module must not cost the others
                repo.diag(
                    instance.definition.folder or ".",
                    "Terraform values nested too deeply to analyse",
                    code="limit",
                )
    if instances:
        instances[0].budget.report(repo)  # one budget per root module tree
