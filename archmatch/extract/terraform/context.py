"""What the Terraform fact producers share: the module instances, locations, image references,
link keys, and the architecture of AMIs and instance types."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from archmatch import lazyre
from archmatch.aws import compute as aws_compute
from archmatch.extract.terraform.ast import Expr, ObjectExpr
from archmatch.extract.terraform.hcl import Block
from archmatch.extract.terraform.instances import expand_block, resource_instances
from archmatch.extract.terraform.module import ModuleInstance
from archmatch.extract.terraform.values import TStr, Unknown, as_text, is_known, origin_of, refs_of
from archmatch.isolation import note_position
from archmatch.model import ImageRef, InstanceChoice, Location, RepoFacts
from archmatch.platforms import ArchFact, normalize_arch

_INDEX = lazyre.compile(r"\[[^\[\]]*\]$")


@dataclass
class Resource:
    """One instance of a resource block: `key` is its `for_each` / `count` suffix (`["api"]`, `[0]`),
    "" for a resource without either (or whose collection is unknown); `block` has that instance's
    `each` / `count` bound and its `dynamic` blocks expanded (see `instances.py`)."""

    instance: ModuleInstance
    block: Block
    key: str = ""

    @property
    def local(self) -> str:
        prefix = "data." if self.block.type == "data" else ""
        return prefix + ".".join(self.block.labels[:2])

    @property
    def base_address(self) -> str:
        """The address of the resource block, whatever the instance (what references name)."""
        return self.instance.prefix + self.local

    @property
    def address(self) -> str:
        return self.base_address + self.key

    def eval(self, name: str) -> Any:
        return self.instance.eval_attr(self.block, name)

    def loc(self, name: str | None = None, block: Block | None = None) -> Location:
        b = block or self.block
        return Location(b.path, b.line_of(name) if name else b.line)


@dataclass
class AmiFact:
    """An AMI's architecture, where it was decided and on what evidence."""

    arch: ArchFact
    location: Location | None
    evidence: str = ""
    verified: bool = True


@dataclass
class Context:
    """What the Terraform extractor has read: the facts and each resource by address."""

    facts: RepoFacts
    resources: dict[str, Resource] = field(default_factory=dict)  # by instance-prefixed address
    repo: Any = None  # the RepoView, told which block is being read (archmatch/isolation.py)
    expanded: dict[str, list[Resource]] = field(default_factory=dict)  # block address -> its instances

    def add(self, instance: ModuleInstance, block: Block) -> None:
        """Register a resource or data block and the instances it declares (`for_each`, `count`).
        The block's own address keeps a resource whose `each` values are unknown, for references."""
        self.at(block)
        base = Resource(instance, expand_block(instance, block, {}))
        self.resources[base.address] = base
        out = []
        for suffix, names in resource_instances(instance, block):
            if not suffix:
                out.append(base)
                continue
            res = Resource(instance, expand_block(instance, block, names), suffix)
            self.resources[res.address] = res
            out.append(res)
        self.expanded[base.address] = out

    def instances_of(self, instance: ModuleInstance, block: Block) -> list[Resource]:
        """The instances of a resource block of a module instance, in Terraform's key order."""
        return self.expanded.get(instance.prefix + ".".join(block.labels), [])

    def at(self, block: Block) -> None:
        """The producers read `block` now: an internal error is blamed on its file."""
        if self.repo is not None:
            note_position(self.repo, block.path, block.line)

    def resource(self, address: str) -> Resource | None:
        return self.resources.get(address)

    def lookup(self, ref: str) -> Resource | None:
        """The resource a reference names: an instance (`aws_x.y["k"]`) when it is known, else the
        resource block."""
        return self.resources.get(ref) or self.resources.get(_INDEX.sub("", ref))

    def referenced(self, value: Any, rtype: str) -> list[Resource]:
        """Resources of a type that a value was computed from (`aws_launch_template.x.id`)."""
        out = []
        for ref in sorted(refs_of(value)):
            res = self.lookup(ref)
            if res is not None and res.block.labels[:1] == [rtype]:
                out.append(res)
        return out

    def by_name(
        self, instance: ModuleInstance, rtype: str, name_value: Any, attr: str = "name"
    ) -> Resource | None:
        """A resource of the same module instance whose `name` attribute equals a literal value."""
        if not isinstance(name_value, str):
            return None
        for res in self.resources.values():
            if (
                res.instance is instance
                and not res.key
                and res.block.labels[:1] == [rtype]
                and res.eval(attr) == name_value
            ):
                return res
        return None

    # --- link keys ------------------------------------------------------------------------
    def link_keys(self, value: Any) -> frozenset[str]:
        """`ecr:<repository name>` for ECR repositories, `tf:<address>` for docker images and modules."""
        keys: set[str] = set()
        for ref in refs_of(value):
            res = self.lookup(ref)
            parts = ref.split(".")
            if res is None:
                if len(parts) >= 2 and parts[-2] == "module":
                    keys.add("tf:" + ref)
            elif res.block.labels[0] in ("aws_ecr_repository", "aws_ecrpublic_repository") or (
                res.block.type == "data" and res.block.labels[0] == "aws_ecr_repository"
            ):
                keys.add("ecr:" + self.ecr_name(res))
            elif res.block.labels[0] in ("docker_image", "docker_registry_image"):
                keys.add("tf:" + res.address)
        return frozenset(keys)

    def ecr_name(self, res: Resource) -> str:
        name = res.eval("name") if res.block.attr("name") is not None else res.eval("repository_name")
        return str(name) if isinstance(name, str) else res.address

    def image_ref(self, value: Any, location: Location) -> ImageRef:
        if isinstance(value, str):
            return ImageRef(str(value), location, self.link_keys(value), True)
        if isinstance(value, Unknown):
            return ImageRef(value.text, location, self.link_keys(value), False)
        return ImageRef("", location, self.link_keys(value), False)

    # --- architecture -----------------------------------------------------------------------
    def arch_fact(
        self, value: Any, location: Location, default: str | None, what: str
    ) -> tuple[ArchFact, Location | None]:
        """ArchFact of an architecture attribute value (`"arm64"`, `["x86_64"]`, `"ARM64"`), located
        where its literal was written (see `via` for the attribute that passes it on)."""
        location = origin_of(value) or location
        if value is None:
            return (
                ArchFact.default(default, note=f"{what} not set") if default else ArchFact.unknown()
            ), None
        items = value if isinstance(value, list) else [value]
        if not is_known(value) or not items:
            return ArchFact.unknown(
                f"{what} = {as_text(value) if not isinstance(value, list) else value}"
            ), location
        archs = [normalize_arch(str(i)) for i in items]
        if any(a is None for a in archs):
            return ArchFact.unknown(f"{what} = {items}"), location
        return ArchFact.explicit(*[a for a in archs if a]), location

    @staticmethod
    def via(value: Any, location: Location) -> Location | None:
        """`location` when the value's literal is written elsewhere (it only passes the value on)."""
        origin = origin_of(value)
        return location if origin is not None and origin != location else None

    def instance_choice(self, value: Any, location: Location, batch: bool = False) -> InstanceChoice:
        if isinstance(value, str):
            arch = (
                aws_compute.batch_instance_type_arch(value)
                if batch
                else aws_compute.instance_type_arch(value)
            )
            return InstanceChoice(str(value), arch, location)
        text = value.text if isinstance(value, Unknown) else as_text(value)
        return InstanceChoice(text, None, location)

    def instance_choices(self, value: Any, location: Location, batch: bool = False) -> list[InstanceChoice]:
        if value is None:
            return []
        if isinstance(value, list):
            return [self.instance_choice(v, location, batch) for v in value]
        return [self.instance_choice(value, location, batch)]

    def ami(self, value: Any, location: Location) -> AmiFact:
        """Architecture of an AMI id value: `resolve:ssm:` paths, SSM parameter and `aws_ami` data sources."""
        if value is None:
            return AmiFact(ArchFact.unknown(), None)
        if isinstance(value, str | TStr) and "/aws/service/" in value:
            return _ssm_fact(str(value), location)
        for ref in sorted(refs_of(value)):
            res = self.lookup(ref)
            if res is None or res.block.type != "data":
                continue
            kind = res.block.labels[0]
            if kind == "aws_ssm_parameter":
                name = res.eval("name")
                if isinstance(name, str | Unknown):
                    fact = _ssm_fact(name if isinstance(name, str) else name.text, res.loc("name"))
                    if fact.arch.known:
                        return fact
            elif kind == "aws_ami":
                fact = _aws_ami_fact(res)
                if fact.arch.known:
                    return fact
        return AmiFact(ArchFact.unknown(f"AMI {as_text(value)}"), location)


def _ssm_fact(path: str, location: Location) -> AmiFact:
    arch = aws_compute.ssm_ami_parameter_arch(path)
    if arch is None:
        return AmiFact(ArchFact.unknown(f"SSM parameter {path}"), location)
    verified = aws_compute.ssm_ami_parameter_is_verified(path)
    note = f"SSM parameter {path}" + ("" if verified else " (path pattern UNVERIFIED)")
    return AmiFact(ArchFact.derived(arch, note=note), location, f"ssm:{path}", verified)


def _aws_ami_fact(res: Resource) -> AmiFact:
    for flt in res.block.children("filter"):
        fname = res.instance.eval_attr(flt, "name")
        values = res.instance.eval_attr(flt, "values")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            continue
        loc = Location(flt.path, flt.line_of("values"))
        if fname == "architecture":
            archs = {normalize_arch(v) for v in values}
            if len(archs) == 1 and None not in archs:
                arch = archs.pop()
                assert arch is not None
                return AmiFact(
                    ArchFact.derived(arch, note=f"aws_ami filter architecture = {values[0]}"),
                    loc,
                    "ami-filter:architecture",
                )
        if fname == "name":
            archs = {aws_compute.ami_name_arch(v) for v in values}
            if len(archs) == 1 and None not in archs:
                arch = archs.pop()
                assert arch is not None
                return AmiFact(
                    ArchFact.derived(arch, note=f"AMI name filter {values[0]}"), loc, "ami-name:" + values[0]
                )
    return AmiFact(ArchFact.unknown(), None)


def sub_expr(expr: Expr | None, *keys: str) -> Expr | None:
    """The expression of a nested object key (`{ runtime_platform = { cpu_architecture = ... } }`)."""
    current = expr
    for key in keys:
        if not isinstance(current, ObjectExpr):
            return None
        current = next((v for k, v in current.items if k == key), None)
    return current


def root_relative(instance: ModuleInstance, path: Any) -> str | None:
    """A Terraform path value as a root-relative path. Relative paths resolve against the root module
    folder (Terraform's working directory; `path.module` is relative to it too); paths that leave
    the scan root give None."""
    if not isinstance(path, str) or not path or path.startswith("/") or "${" in path:
        return None
    joined = posixpath.normpath(posixpath.join(instance.chain[0] or ".", path))
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined
