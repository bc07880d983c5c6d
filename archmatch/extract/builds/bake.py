"""Image builds in Docker Buildx Bake files.

Per folder the files bake reads by default are merged in its lookup order (`docker-bake.json`,
`docker-bake.hcl`, then the `docker-bake.override.*` files; later files win per attribute).
Targets resolve `inherits` (in order, last wins, the target's own attributes last); a target
only inherited by others (a base like `_common`) gives no build unless a group names it.
`context` defaults to "." (the bake file's folder), `dockerfile` to "Dockerfile" joined to the
context (`cwd://` paths are relative to the folder). `${VAR}` is interpolated from `variable`
defaults; a variable without a default, or a function call, stays unresolved. The names of a
target's `args` (merged over `inherits`) are the build args it passes.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from archmatch import lazyre
from archmatch.extract import json_doc
from archmatch.extract.budget import Budget
from archmatch.extract.builds._common import (
    HostContext,
    attestation_setting,
    folder_of,
    join,
    key_line,
    platform_fact,
    split_list,
)
from archmatch.isolation import isolated_unit, note_position
from archmatch.model import ImageBuild, Location, RepoFacts
from archmatch.repo import RepoView

LOOKUP_ORDER = (
    "docker-bake.json",
    "docker-bake.hcl",
    "docker-bake.override.json",
    "docker-bake.override.hcl",
)
HOST = HostContext("no platforms: the BuildKit builder's own platform decides")
_VAR_REF = lazyre.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BLOCK_HEADER = lazyre.compile(r'^\s*(target|group|variable)\s+"([^"]+)"\s*\{')
_ATTRIBUTE = lazyre.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")
_MAX_INHERITS = 32


@dataclass
class _Block:
    attrs: dict[str, Any]
    location: Location
    attr_locations: dict[str, Location] = field(default_factory=dict)


@dataclass
class _File:
    variables: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    targets: dict[str, list[_Block]] = field(default_factory=dict)


def _unwrap(value: Any) -> Any:
    """bc-python-hcl2 wraps every attribute value in a one-item list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _hcl_lines(text: str) -> dict[tuple[str, str], list[tuple[int, dict[str, int]]]]:
    """Lines of each block header and of its top-level attributes (strings, comments, heredocs skipped)."""
    out: dict[tuple[str, str], list[tuple[int, dict[str, int]]]] = {}
    depth = 0
    current: dict[str, int] | None = None
    heredoc: str | None = None
    in_comment = False
    for number, line in enumerate(text.split("\n"), 1):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if not in_comment:
            header = _BLOCK_HEADER.match(line) if depth == 0 else None
            if header:
                current = {}
                out.setdefault((header.group(1), header.group(2)), []).append((number, current))
            elif depth == 1 and current is not None:
                attr = _ATTRIBUTE.match(line)
                if attr:
                    current.setdefault(attr.group(1), number)
        i, in_string = 0, False
        while i < len(line):
            ch = line[i]
            if in_comment:
                if line.startswith("*/", i):
                    in_comment, i = False, i + 2
                    continue
            elif in_string:
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "#" or line.startswith("//", i):
                break
            elif line.startswith("/*", i):
                in_comment, i = True, i + 2
                continue
            elif line.startswith("<<", i):
                m = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_]*)", line[i:])
                if m:
                    heredoc = m.group(1)
                    break
            elif ch in "{[(":
                depth += 1
            elif ch in "}])":
                depth = max(depth - 1, 0)
            i += 1
    return out


def _parse_hcl(repo: RepoView, path: str, text: str) -> _File | None:
    from hcl2.transformer import DictTransformer  # Lark loads only for a repository with bake files

    from archmatch.extract.hcl_lark import to_lark_tree
    from archmatch.extract.hcl_parse import HclError, parse_document

    try:  # the Terraform extractor's parser: bc-python-hcl2's grammar with linear-time terminals
        data = DictTransformer().transform(to_lark_tree(parse_document(text)))
    except HclError as exc:
        repo.diag(path, str(exc), line=exc.line)
        return None
    except Exception as exc:  # the transformer rejects some parsed values; the file is not usable
        repo.diag(path, f"HCL error: {type(exc).__name__}", line=getattr(exc, "line", 0) or 0)
        return None
    lines = _hcl_lines(text)
    seen: dict[tuple[str, str], int] = {}
    parsed = _File()
    for kind in ("variable", "group", "target"):
        for entry in data.get(kind, []) if isinstance(data, dict) else []:
            for name, body in entry.items() if isinstance(entry, dict) else []:
                body = body if isinstance(body, dict) else {}
                attrs = {k: _unwrap(v) for k, v in body.items() if not k.startswith("__")}
                index = seen.get((kind, name), 0)
                seen[(kind, name)] = index + 1
                found = lines.get((kind, name), [])
                header, attr_lines = found[index] if index < len(found) else (0, {})
                block = _Block(
                    attrs, Location(path, header), {k: Location(path, n) for k, n in attr_lines.items()}
                )
                _add(parsed, kind, name, block)
    return parsed


def _add(parsed: _File, kind: str, name: str, block: _Block) -> None:
    if kind == "variable":
        if "default" in block.attrs and block.attrs["default"] is not None:
            parsed.variables[name] = block.attrs["default"]
    elif kind == "group":
        parsed.groups[name] = [str(t) for t in split_list(block.attrs.get("targets"))]
    else:
        parsed.targets.setdefault(name, []).append(block)


def _parse_json(repo: RepoView, path: str) -> _File | None:
    doc = json_doc(repo, path)
    if doc is None:
        return None
    if not isinstance(doc, dict):
        repo.diag(path, "bake JSON file is not an object; skipped")
        return None
    parsed = _File()
    for kind in ("variable", "group", "target"):
        section = doc.get(kind)
        if not isinstance(section, dict):
            continue
        for name, body in section.items():
            if not isinstance(body, dict):
                continue
            line = key_line(section, name)
            locations = {k: Location(path, key_line(body, k)) for k in body}
            _add(parsed, kind, str(name), _Block(dict(body), Location(path, line), locations))
    return parsed


class _OverBudget(Exception):
    pass


class _Project:
    def __init__(self, files: list[_File], budget: Budget):
        self.budget = budget
        self.line = 0  # line of the target being built, for a budget diagnostic
        self.cycle: tuple[Location, str] | None = None
        self._resolved: dict[str, tuple[dict[str, Any], dict[str, Location]]] = {}
        self._resolving: list[str] = []
        self._arg_names: dict[str, frozenset[str] | None] = {}
        self.variables: dict[str, Any] = {}
        self.groups: dict[str, list[str]] = {}
        self.targets: dict[str, list[_Block]] = {}
        for f in files:
            self.variables.update(f.variables)
            self.groups.update(f.groups)
            for name, blocks in f.targets.items():
                self.targets.setdefault(name, []).extend(blocks)

    def position(self, name: str) -> tuple[str, int]:
        """The file and line of a target's last block (the one a bug is blamed on)."""
        blocks = self.targets.get(name) or []
        return (blocks[-1].location.path, blocks[-1].location.line) if blocks else ("", 0)

    def interpolate(self, value: Any) -> Any:
        if not self.budget.step(self.line):
            return value
        if isinstance(value, list):
            return [self.interpolate(v) for v in value]
        if not isinstance(value, str):
            return value
        whole = _VAR_REF.fullmatch(value)
        if whole and isinstance(self.variables.get(whole.group(1)), list):
            return [self.interpolate(v) for v in self.variables[whole.group(1)]]
        for _ in range(5):  # defaults may refer to other variables
            new = self._substitute(value)
            if new is None or new == value:
                break
            value = new
        return value

    def _substitute(self, value: str) -> str | None:
        """One pass of `${VAR}` replacement; None when the result would be over the string budget."""
        length = len(value)

        def sub(m: re.Match[str]) -> str:
            nonlocal length
            known = self.variables.get(m.group(1))
            if known is None or isinstance(known, list | dict):
                return m.group(0)
            text = str(known).lower() if isinstance(known, bool) else str(known)
            length += len(text) - len(m.group(0))
            if not self.budget.text_ok(length, self.line):
                raise _OverBudget
            return text

        try:
            return _VAR_REF.sub(sub, value)
        except _OverBudget:
            return None

    def resolve(self, name: str) -> tuple[dict[str, Any], dict[str, Location]]:
        """Attributes of a target after `inherits`, with where each one was written (memoised; a
        parent that would inherit back from the target itself is skipped with a note)."""
        if name in self._resolved:
            return self._resolved[name]
        self._resolving.append(name)
        attrs: dict[str, Any] = {}
        where: dict[str, Location] = {}
        own: dict[str, Any] = {}
        own_where: dict[str, Location] = {}
        for block in self.targets.get(name, []):
            own.update(block.attrs)
            own_where.update({k: block.attr_locations.get(k, block.location) for k in block.attrs})
        for parent in split_list(self.interpolate(own.get("inherits"))):
            if parent in self._resolving:
                self._note_cycle(name, str(parent))
            elif parent in self.targets and len(self._resolving) <= _MAX_INHERITS:
                p_attrs, p_where = self.resolve(parent)
                attrs.update(p_attrs)
                where.update(p_where)
        attrs.update(own)
        where.update(own_where)
        self._resolving.pop()
        self._resolved[name] = (attrs, where)
        return attrs, where

    def arg_names(self, name: str, depth: int = 0) -> frozenset[str] | None:
        """Names of the build args a target passes: its `args` maps merged with those it inherits
        (bake merges maps key by key, from every parent and every block of the target). None when
        an `args` value is not a map or a name is not static. A name set to null counts too: bake
        may then leave the ARG's default, but counting it can only hide a contradiction, not make one."""
        if name in self._arg_names:
            return self._arg_names[name]
        self._arg_names[name] = frozenset()  # an inherits cycle sees what is known so far
        names: set[str] | None = set()
        blocks = self.targets.get(name, [])
        inherits = next((b.attrs["inherits"] for b in reversed(blocks) if "inherits" in b.attrs), None)
        for parent in split_list(self.interpolate(inherits)):
            if parent in self.targets and depth < _MAX_INHERITS:
                names = _union(names, self.arg_names(str(parent), depth + 1))
        for block in blocks:
            if "args" in block.attrs:
                names = _union(names, self._names_of(block.attrs["args"]))
        result = frozenset(names) if names is not None else None
        self._arg_names[name] = result
        return result

    def _names_of(self, args: Any) -> frozenset[str] | None:
        if not isinstance(args, dict):
            return None  # `args = var.args` or another expression: names not known
        names = {str(self.interpolate(str(key).strip().strip('"'))) for key in args}
        if any(not n or "${" in n for n in names):
            return None
        return frozenset(names)

    def _note_cycle(self, name: str, parent: str) -> None:
        if self.cycle is None:
            first = self.targets[name][0]
            where = first.attr_locations.get("inherits", first.location)
            self.cycle = (
                where,
                f"bake target {name!r} inherits {parent!r}, which inherits it back (a cycle); that parent is ignored",
            )

    def built_targets(self) -> list[str]:
        """Targets that are built: named by a group, or not merely a base others inherit from."""
        grouped = {t for targets in self.groups.values() for t in targets}
        inherited = {
            p
            for n in self.targets
            for b in self.targets[n]
            for p in split_list(self.interpolate(b.attrs.get("inherits")))
        }
        return [n for n in self.targets if n in grouped or n not in inherited]


def _union(names: set[str] | None, more: frozenset[str] | None) -> set[str] | None:
    return None if names is None or more is None else names | more


def _build(project: _Project, name: str, folder: str) -> ImageBuild:
    first = project.targets[name][0].location
    project.budget.path, project.line = first.path, first.line
    attrs, where = project.resolve(name)

    def text(key: str) -> str | None:
        value = project.interpolate(attrs.get(key))
        return str(value) if value is not None and not isinstance(value, list | dict) else None

    context = join(folder, text("context") or ".")
    dockerfile_value = text("dockerfile") or "Dockerfile"
    if "dockerfile-inline" in attrs:
        dockerfile = None
    elif dockerfile_value.startswith("cwd://"):
        dockerfile = join(folder, dockerfile_value)
    else:
        dockerfile = join(context, dockerfile_value)
    values = [str(v) for v in split_list(project.interpolate(attrs.get("platforms")))]
    if values:
        platforms, platform_loc = platform_fact(values, "platforms"), where.get("platforms")
    else:
        platforms, platform_loc = HOST.fact(), None
    tags = [str(t) for t in split_list(project.interpolate(attrs.get("tags")))]
    attests = [str(a) for a in split_list(project.interpolate(attrs.get("attest")))]
    provenance = next((a for a in attests if "provenance" in a), None)
    sbom = next((a for a in attests if "sbom" in a), None)
    return ImageBuild(
        source="bake",
        name=f"bake target {name}",
        location=first,
        dockerfile=dockerfile,
        context=context,
        target=text("target"),
        platforms=platforms,
        platform_location=platform_loc,
        tags=tags,
        attestations=attestation_setting(provenance, sbom, [], None),
        fix_syntax="bake",
        build_args=project.arg_names(name),
    )


def extract(repo: RepoView, facts: RepoFacts) -> None:
    by_folder: dict[str, list[str]] = {}
    for path in repo.matching(lambda p: posixpath.basename(p) in LOOKUP_ORDER):
        by_folder.setdefault(folder_of(path), []).append(path)
    for folder, paths in sorted(by_folder.items()):
        ordered = sorted(paths, key=lambda p: LOOKUP_ORDER.index(posixpath.basename(p)))
        # the files of a folder merge: one that breaks is left out and the folder read again
        isolated_unit(
            repo,
            facts,
            ordered,
            lambda left_out, f=folder, o=ordered: _folder_builds(repo, facts, f, o, left_out),  # type: ignore[misc]
        )


def _folder_builds(
    repo: RepoView, facts: RepoFacts, folder: str, paths: list[str], left_out: frozenset[str]
) -> None:
    files: list[_File] = []
    for path in paths:
        text = repo.read_text(path) if path not in left_out else None
        if text is None:
            continue
        note_position(repo, path)
        parsed = _parse_json(repo, path) if path.endswith(".json") else _parse_hcl(repo, path, text)
        if parsed is not None:
            files.append(parsed)
    project = _Project(files, Budget(paths[0]))
    for name in project.built_targets():
        note_position(repo, *project.position(name))
        facts.builds.append(_build(project, name, folder))
    project.budget.report(repo)
    if project.cycle is not None:
        repo.diag(project.cycle[0].path, project.cycle[1], line=project.cycle[0].line)
