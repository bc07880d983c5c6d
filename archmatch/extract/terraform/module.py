"""Terraform modules (the .tf files of one folder) and their instances with bound inputs.

A root module takes its variables from `terraform.tfvars` / `*.auto.tfvars` (or their `.json`
forms), then defaults; a local child module (`source = "./modules/x"`) takes them from the calling
block. Resources inside a child instance are addressed `module.<name>.<type>.<name>`, as Terraform
does.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archmatch.extract.budget import MAX_STEPS, Budget
from archmatch.extract.terraform.ast import Bound, Expr
from archmatch.extract.terraform.evaluate import Evaluator
from archmatch.extract.terraform.hcl import Attribute, Block
from archmatch.extract.terraform.values import Handle, Namespace, Unknown, is_known, origin_of, with_origin

MAX_MODULE_DEPTH = 8


@dataclass
class ModuleDef:
    """A module folder: its blocks and the tfvars values read with it."""

    folder: str  # root-relative, "" for the scan root
    blocks: list[Block] = field(default_factory=list)
    tfvars: dict[str, Attribute] = field(default_factory=dict)
    tfvars_paths: dict[str, str] = field(default_factory=dict)  # variable -> the tfvars file that sets it

    def of_type(self, block_type: str) -> list[Block]:
        return [b for b in self.blocks if b.type == block_type]

    def resource(self, rtype: str, name: str, kind: str = "resource") -> Block | None:
        return next((b for b in self.blocks if b.type == kind and b.labels == [rtype, name]), None)

    def resource_types(self) -> set[str]:
        return {b.labels[0] for b in self.blocks if b.type == "resource" and b.labels}

    def named(self, block_type: str, name: str) -> Block | None:
        return next((b for b in self.blocks if b.type == block_type and b.labels[:1] == [name]), None)

    def local_with_path(self, name: str) -> tuple[Attribute, str] | None:
        for block in self.of_type("locals"):
            if name in block.attrs:
                return block.attrs[name], block.path
        return None

    def first_path(self) -> str:
        return min((b.path for b in self.blocks), default=self.folder or ".")


def local_module_folder(parent: str, source: str) -> str | None:
    """Root-relative folder of a `./` or `../` module source, or None if it leaves the scan root."""
    if not source.startswith(("./", "../")):
        return None
    joined = posixpath.normpath(posixpath.join(parent or ".", source))
    if joined == ".":
        return ""
    if joined.startswith("../") or joined == "..":
        return None
    return joined


class ModuleInstance:
    """A module with its variable values: the scope expressions are evaluated in."""

    def __init__(
        self,
        definition: ModuleDef,
        modules: dict[str, ModuleDef],
        read_file: Callable[[str], str | None],
        prefix: str = "",
        inputs: ModuleInputs | None = None,
        chain: tuple[str, ...] = (),
        budget: Budget | None = None,
    ):
        self.definition = definition
        self.modules = modules
        self._read_file = read_file
        self.prefix = prefix  # "" or "module.a." (nested: "module.a.module.b.")
        self.inputs = inputs  # None for a root module
        self.chain = (*chain, definition.folder)
        self.budget = budget if budget is not None else Budget(definition.first_path())
        self._locals: dict[str, Any] = {}
        self._attrs: dict[str, Any] = {}  # resource attributes and module outputs, once each
        self._busy: set[str] = set()
        self._children: dict[
            str, list[ModuleInstance]
        ] = {}  # by call name: one per for_each key / count index
        self.key = ""  # this instance's key in its call (`["api"]`, `[0]`), "" for a single one
        self._resource_types = definition.resource_types()

    # --- evaluation --------------------------------------------------------------------------
    def eval(self, expr: Expr | None, path: str | None = None) -> Any:
        """Value of an expression; `path` is the file it is written in (for a budget diagnostic)."""
        return Evaluator(self, budget=self.budget, path=path).eval(expr)

    def eval_attr(self, block: Block, name: str) -> Any:
        attr = block.attr(name)
        return self.eval(attr.expr, block.path) if attr is not None else None

    def read_file(self, path: str) -> str | None:
        return self._read_file(path)

    def _guarded(self, key: str, text: str, compute: Callable[[], Any]) -> Any:
        """compute() unless `key` is already being computed (a reference cycle: unknown)."""
        if key in self._busy:
            return Unknown("${" + text + "}")
        self._busy.add(key)
        try:
            return compute()
        finally:
            self._busy.discard(key)

    def _memo(self, key: str, text: str, compute: Callable[[], Any]) -> Any:
        """A resource attribute or module output, evaluated once however often it is referenced."""
        if key not in self._attrs:
            value = self._guarded(key, text, compute)
            if key in self._busy:  # inside a cycle through `key`: do not keep the cut value
                return value
            self._attrs[key] = value
        return self._attrs[key]

    def lookup(self, namespace: tuple[str, ...], name: str, text: str) -> Any:
        if not namespace:
            if (
                name in ("var", "local", "module", "data", "path", "terraform")
                or name in self._resource_types
            ):
                return Namespace((name,))
            return Unknown("${" + text + "}")
        head = namespace[0]
        if head == "var":
            return self._guarded("var." + name, text, lambda: self.variable(name, text))
        if head == "local":
            if name not in self._locals:
                found = self.definition.local_with_path(name)
                if found is None:
                    return Unknown("${" + text + "}")
                attr, path = found
                value = self._guarded("local." + name, text, lambda: self.eval(attr.expr, path))
                self._locals[name] = with_origin(value, attr.expr, path)
            return self._locals[name]
        if head == "path":
            # like Terraform: relative to the root module folder (the working directory)
            module_path = posixpath.relpath(self.definition.folder or ".", self.chain[0] or ".")
            return {"module": module_path, "root": ".", "cwd": "."}.get(name, Unknown("${" + text + "}"))
        if head == "module":
            return Handle(f"{self.prefix}module.{name}", f"module.{name}")
        if head == "data" and len(namespace) == 1:
            return Namespace(("data", name))
        if head == "data":
            local = f"data.{namespace[1]}.{name}"
            return Handle(self.prefix + local, local)
        if head in self._resource_types:
            local = f"{head}.{name}"
            return Handle(self.prefix + local, local)
        return Unknown("${" + text + "}")

    def variable(self, name: str, text: str) -> Any:
        if self.inputs is not None and name in self.inputs:
            return self.inputs[name]
        if self.inputs is None and name in self.definition.tfvars:
            expr = self.definition.tfvars[name].expr
            path = self.definition.tfvars_paths.get(name, "")
            value = Evaluator(_ConstScope(self), budget=self.budget, path=path or None).eval(expr)
            return with_origin(value, expr, path) if path else value
        block = self.definition.named("variable", name)
        if block is not None and block.attr("default") is not None:
            expr = block.attrs["default"].expr
            return with_origin(
                Evaluator(_ConstScope(self), budget=self.budget, path=block.path).eval(expr), expr, block.path
            )
        return Unknown("${" + text + "}")

    def handle_attr(self, handle: Handle, attr: str, text: str) -> Any:
        if handle.local.startswith("module."):
            return self._module_output(handle, attr, text)
        kind, rtype, name = (
            ("data", *handle.local.split(".")[1:3])
            if handle.local.startswith("data.")
            else ("resource", *handle.local.split(".")[:2])
        )
        block = self.definition.resource(rtype, name, kind)
        refs = frozenset({handle.address})
        if block is None or block.attr(attr) is None:
            return Unknown("${" + text + "}", refs)
        expr = block.attrs[attr].expr
        names = self._instance_names(handle, block) if handle.key else None
        if names:
            expr = Bound(expr.line, expr.text, expr, names)
        value = self._memo(f"{handle.local}{handle.key}.{attr}", text, lambda: self.eval(expr, block.path))
        return _with_refs(value, refs)

    def _instance_names(self, handle: Handle, block: Block) -> dict[str, Any] | None:
        """`each` / `count` of the instance `handle.key` of a resource block, when it is known."""
        key = f"{handle.local}#instances"
        if key not in self._attrs:
            self._attrs[key] = self._guarded(key, handle.local, lambda: dict(resource_instances(self, block)))
        found = self._attrs[key]
        return found.get(handle.key) if isinstance(found, dict) else None

    # --- child modules -------------------------------------------------------------------------
    def child(self, name: str, key: str = "") -> ModuleInstance | None:
        """The instance of a module call with that key ("" for a call without for_each / count)."""
        return next((c for c in self.children(name) if c.key == key), None)

    def children(self, name: str) -> list[ModuleInstance]:
        """The instances of a local module call: one per key of a known `for_each` or index of a
        known `count` (addressed `module.svc["api"].`, `each` / `count` bound in its inputs), none for
        an empty one, one with unknown `each` values when the collection is unknown; bounded like
        resource instances (`resource_instances`)."""
        if name in self._children:
            return self._children[name]
        self._children[name] = []  # a reference cycle through this call sees no instance
        call = self.definition.named("module", name)
        source = self.eval_attr(call, "source") if call is not None else None
        folder = local_module_folder(self.definition.folder, source) if isinstance(source, str) else None
        if (
            call is None
            or folder is None
            or folder not in self.modules
            or folder in self.chain
            or len(self.chain) >= MAX_MODULE_DEPTH
        ):
            return []
        out = []
        definition = self.modules[folder]
        weight = 1 + sum(1 for b in definition.blocks if b.type in ("resource", "data", "module"))
        for suffix, names in resource_instances(self, call, weight):
            inputs = ModuleInputs(self, call, names, f"module.{name}{suffix}")
            child = ModuleInstance(
                definition,
                self.modules,
                self._read_file,
                f"{self.prefix}module.{name}{suffix}.",
                inputs,
                self.chain,
                self.budget,
            )
            child.key = suffix
            out.append(child)
        self._children[name] = out
        return out

    def _module_output(self, handle: Handle, attr: str, text: str) -> Any:
        name = handle.local.split(".")[1]
        refs = frozenset({handle.address})
        child = self.child(name, handle.key)
        output = child.definition.named("output", attr) if child is not None else None
        if child is None or output is None:
            return Unknown("${" + text + "}", refs)
        value = self._memo(
            f"{handle.local}{handle.key}.{attr}", text, lambda: child.eval_attr(output, "value")
        )
        value_attr = output.attr("value")
        value = with_origin(value, value_attr.expr if value_attr is not None else None, output.path)
        return _with_refs(value, refs)


_META_ARGS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


class ModuleInputs:
    """The arguments of one module call instance, each evaluated in the caller when the module first
    reads it, as Terraform's graph orders values rather than modules: two calls reading each other's
    outputs (`a.x = module.b.out`, `b.y = module.a.other`) resolve whenever no value depends on itself.
    An argument inside a real cycle is unknown (the caller's `_guarded`); a value cut by the cycle is
    not kept, and every evaluation is paid for from the module tree's `Budget`."""

    def __init__(self, caller: ModuleInstance, call: Block, names: dict[str, Any], address: str):
        self._caller, self._call, self._names, self._address = caller, call, names, address
        self._values: dict[str, Any] = {}

    def __contains__(self, name: str) -> bool:
        return name not in _META_ARGS and name in self._call.attrs

    def __getitem__(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        attr = self._call.attrs[name]
        key = f"{self._address}#input.{name}"
        caller, path = self._caller, self._call.path
        value = caller._guarded(
            key,
            f"{self._address}.{name}",
            lambda: with_origin(bound_eval(caller, attr.expr, path, self._names), attr.expr, path),
        )
        if key not in caller._busy:  # not the value a cycle through this argument cut
            self._values[name] = value
        return value


class _ConstScope:
    """Variable defaults and tfvars are constants: no references allowed."""

    def __init__(self, instance: ModuleInstance):
        self.instance = instance

    def lookup(self, namespace: tuple[str, ...], name: str, text: str) -> Any:
        return Unknown("${" + text + "}")

    def handle_attr(self, handle: Handle, attr: str, text: str) -> Any:
        return Unknown("${" + text + "}")

    def read_file(self, path: str) -> str | None:
        return self.instance.read_file(path)


def _with_refs(value: Any, refs: frozenset[str]) -> Any:
    from archmatch.extract.terraform.values import TStr

    if isinstance(value, Unknown):
        return Unknown(value.text, value.refs | refs)
    if isinstance(value, str):
        return TStr.of(value, getattr(value, "refs", frozenset()) | refs, origin_of(value))
    return value


MAX_INSTANCES = 256  # instances of one resource, or blocks its dynamic blocks generate; more: left unknown
# what one instance or generated block costs of the module tree's Budget: every instance becomes
# facts that linking and the rules pay for, so a module tree expands 10,000 of them at most
INSTANCE_STEPS = 100

Instance = tuple[str, dict[str, Any]]  # address suffix (`["api"]`, `[0]`, ""), names bound


def key_suffix(key: Any) -> str:
    return f"[{key}]" if isinstance(key, int) else f"[{json.dumps(str(key))}]"


def over_budget(
    instance: ModuleInstance, block: Block, count: int, adding: int | None = None, weight: int = 1
) -> bool:
    """True when `count` instances (of which `adding` are new, all by default) are too many for one
    resource, or for what is left of the module tree's budget; an instance of a module call costs
    `weight` (the blocks it declares) times what a resource instance costs."""
    if count > MAX_INSTANCES:
        instance.budget.refuse(
            f"more than {MAX_INSTANCES} instances of one resource or blocks generated in one",
            block.line,
            block.path,
        )
        return True
    steps = (count if adding is None else adding) * INSTANCE_STEPS * weight
    what = (
        f"more than {MAX_STEPS // INSTANCE_STEPS} resource instances and generated blocks in one module tree"
    )
    return not instance.budget.spend(steps, what, block.line, block.path)


def bound_eval(instance: ModuleInstance, expr: Expr, path: str, names: dict[str, Any]) -> Any:
    return instance.eval(Bound(expr.line, expr.text, expr, names) if names else expr, path)


def _each_size(value: Any) -> int | None:
    """How many instances a known for_each value declares (None when it is not known)."""
    if isinstance(value, dict):
        return len(value)
    if isinstance(value, list) and is_known(value) and all(isinstance(v, str) for v in value):
        return len(set(value))
    return None


def _each_items(value: Any) -> list[tuple[Any, Any]] | None:
    """(each.key, each.value) pairs of a known for_each value, in Terraform's key order."""
    if isinstance(value, dict):
        return sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0])
    if isinstance(value, list) and is_known(value) and all(isinstance(v, str) for v in value):
        return [(v, v) for v in sorted(set(value))]
    return None


def resource_instances(instance: ModuleInstance, block: Block, weight: int = 1) -> list[Instance]:
    """The instances a resource block (or module call, each costing `weight`) declares: [("", {})]
    without `for_each` / `count` or when its collection is unknown."""
    for_each, count = block.attr("for_each"), block.attr("count")
    if for_each is not None:
        value = instance.eval(for_each.expr, block.path)
        size = _each_size(value)  # counted before the keys are sorted: a refused expansion costs little
        if size is None or over_budget(instance, block, size, weight=weight):
            return [("", {})]
        items = _each_items(value)
        if items is None:
            return [("", {})]
        return [(key_suffix(k), {"each": {"key": k, "value": v}}) for k, v in items]
    if count is not None:
        number = instance.eval(count.expr, block.path)
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            return [("", {})]
        if over_budget(instance, block, number, weight=weight):
            return [("", {})]
        return [(key_suffix(i), {"count": {"index": i}}) for i in range(number)]
    return [("", {})]
