"""Packages of the same monorepo that a CDK app imports by name (`import { Worker } from
'@shop/constructs'`), resolved to their source so that values flow into their constructs.

A name is a package of the repository when a workspace declares it (`workspaces` of a
`package.json`, as an array or `{packages: [...]}`, or `packages` of `pnpm-workspace.yaml`: globs
of package folders under the declaring folder, `!` excluding), or when a `package.json` above the
importing file depends on it through `file:` / `link:` (a folder relative to that manifest). Its
entry is the manifest's `types` / `typings` / `main` / `module` / `exports["."]`, read back to the
TypeScript source (`lib/index.js` -> `lib/index.ts`, else `src/index.ts`), then `src/index`,
`index`; a subpath import (`@shop/constructs/lib/worker`) is mapped the same way. Nothing outside
the scan root or the package folder is read: a `file:` folder or entry that leaves either is
refused (one note for the dependency). Only the first MAX_MANIFESTS manifests, MAX_ROOTS workspaces
and MAX_PATTERNS globs of each are considered; one glob match costs its segments times the path depth.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

from archmatch.extract.cdk_source.discovery import _join
from archmatch.repo import RepoView

MAX_MANIFESTS = 2_000
MAX_ROOTS = 10  # folders declaring a workspace (each is matched against every manifest)
MAX_PATTERNS = 50
MAX_PATTERN_SEGMENTS = 20
_DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
_LOCAL_PROTOCOLS = ("file:", "link:")
_ENTRY_FIELDS = ("types", "typings", "main", "module")
_EXPORT_CONDITIONS = ("types", "import", "require", "node", "default")
_SOURCE_EXTS = (".ts", ".tsx", ".mts", ".cts")
_SCRIPT_EXTS = (".js", ".jsx", ".mjs", ".cjs")
_STRIPPED = (".d.ts", ".d.mts", ".d.cts", *_SOURCE_EXTS, *_SCRIPT_EXTS)
_BUILD_FOLDERS = ("lib/", "dist/", "build/", "out/")


@dataclass
class Workspaces:
    """Package name -> folder for the workspace members of the repository."""

    members: dict[str, str] = field(default_factory=dict)
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)  # folder -> parsed package.json
    refused: set[tuple[str, str]] = field(default_factory=set)  # (manifest folder, dependency) noted


def _quiet_json(repo: RepoView, path: str) -> Any:
    """A manifest's fields (no line numbers needed: the standard parser, many times faster)."""

    def parse(rel: str) -> Any:
        text = repo.read_text(rel)
        if text is None:
            return None
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return None  # a broken manifest is simply not a package here

    return repo.cached("cdk-package-json", path, parse)


def _quiet_yaml(repo: RepoView, path: str) -> Any:
    from archmatch.extract import yamlsafe

    def parse(rel: str) -> Any:
        text = repo.read_text(rel)
        if text is None:
            return None
        try:
            docs = yamlsafe.load_all(text)
        except yamlsafe.YamlError:
            return None
        return docs[0] if docs else None

    return repo.cached("cdk-pnpm-workspace", path, parse)


def _folder(path: str) -> str:
    folder = posixpath.dirname(path)
    return "" if folder == "." else folder


def workspaces(repo: RepoView) -> Workspaces:
    return repo.cached("cdk-workspaces", "", lambda _: _index(repo))  # type: ignore[no-any-return]


def _index(repo: RepoView) -> Workspaces:
    out = Workspaces()
    paths = sorted(repo.matching(lambda f: f.rsplit("/", 1)[-1] == "package.json"))[:MAX_MANIFESTS]
    for path in paths:
        doc = _quiet_json(repo, path)
        if isinstance(doc, dict):
            out.manifests[_folder(path)] = doc
    roots: list[tuple[str, list[str]]] = []
    for folder, doc in sorted(out.manifests.items()):
        declared = doc.get("workspaces")
        if isinstance(declared, dict):
            declared = declared.get("packages")
        if isinstance(declared, list):
            roots.append((folder, [p for p in declared if isinstance(p, str)]))
    for path in sorted(repo.matching(lambda f: f.rsplit("/", 1)[-1] == "pnpm-workspace.yaml")):
        doc = _quiet_yaml(repo, path)
        declared = doc.get("packages") if isinstance(doc, dict) else None
        if isinstance(declared, list):
            roots.append((_folder(path), [p for p in declared if isinstance(p, str)]))
    for root, patterns in roots[:MAX_ROOTS]:
        for folder, doc in sorted(out.manifests.items()):
            name = doc.get("name")
            if isinstance(name, str) and name not in out.members and _member(root, folder, patterns):
                out.members[name] = folder
    return out


def _member(root: str, folder: str, patterns: list[str]) -> bool:
    """Is `folder` a package the workspace declared in `root` lists (last matching glob decides)?"""
    if root and not folder.startswith(root + "/"):
        return False
    rel = folder[len(root) + 1 :] if root else folder
    if not rel:
        return False
    included = False
    for pattern in patterns[:MAX_PATTERNS]:
        negated = pattern.startswith("!")
        glob = posixpath.normpath(pattern.lstrip("!").removeprefix("./")).strip("/")
        if _glob_match(glob.split("/"), rel.split("/")):
            included = not negated
    return included


def _glob_match(pattern: list[str], parts: list[str]) -> bool:
    """Path segments against glob segments (`*` within a segment, `**` any number of segments):
    a table of len(pattern) x len(parts) cells, so hostile globs cost no more than that."""
    if len(pattern) > MAX_PATTERN_SEGMENTS or any(len(p) > 200 for p in pattern):
        return False
    # matches[j]: parts[j:] matches the rest of the pattern (filled from the last segment back)
    matches = [False] * len(parts) + [True]
    for segment in reversed(pattern):
        if segment == "**":
            new = matches[:]
            for j in range(len(parts) - 1, -1, -1):
                new[j] = new[j + 1] or matches[j]
        else:
            new = [False] * len(parts) + [False]
            for j in range(len(parts)):
                new[j] = matches[j + 1] and fnmatch.fnmatchcase(parts[j], segment)
        matches = new
    return matches[0]


def _split(spec: str) -> tuple[str, str]:
    """`@scope/name/sub/path` -> (`@scope/name`, `sub/path`); `name/sub` -> (`name`, `sub`)."""
    parts = spec.split("/")
    size = 2 if spec.startswith("@") else 1
    return "/".join(parts[:size]), "/".join(parts[size:])


def package_folder(repo: RepoView, from_path: str, name: str) -> str | None:
    """The folder of package `name` as seen from `from_path`: a `file:`/`link:` dependency of a
    manifest above it, else a workspace member."""
    found = workspaces(repo)
    folder = _folder(from_path)
    while True:
        doc = found.manifests.get(folder)
        if doc is not None:
            local = _local_dependency(repo, folder, doc, name)
            if local is not None:
                return local or None
        if not folder:
            break
        folder = _folder(folder)
    return found.members.get(name)


def _local_dependency(repo: RepoView, folder: str, doc: dict[str, Any], name: str) -> str | None:
    """The folder a `file:`/`link:` dependency names ("" when it is refused), else None."""
    for key in _DEPENDENCY_FIELDS:
        deps = doc.get(key)
        value = deps.get(name) if isinstance(deps, dict) else None
        if isinstance(value, str) and value.startswith(_LOCAL_PROTOCOLS):
            target = value.split(":", 1)[1]
            joined = _join(folder or ".", target) if not posixpath.isabs(target) else None
            if joined is None or not repo.exists(posixpath.join(joined, "package.json")):
                _refuse(repo, folder, name, value)
                return ""
            return joined if joined != "." else ""
    return None


def _refuse(repo: RepoView, folder: str, name: str, value: str) -> None:
    noted = workspaces(repo).refused
    if (folder, name) not in noted:
        noted.add((folder, name))
        manifest = f"{folder}/package.json" if folder else "package.json"
        repo.diag(
            manifest,
            f"dependency {name} ({value}) is not a package inside the scan root; its source is not read",
            level="note",
            code="input",
        )


def resolve(repo: RepoView, from_path: str, spec: str) -> str | None:
    """The source file a bare import of a package of this repository names, or None."""
    name, subpath = _split(spec)
    folder = package_folder(repo, from_path, name)
    if folder is None:
        return None
    doc = workspaces(repo).manifests.get(folder, {})
    written = [subpath] if subpath else [*_entry_fields(doc), "src/index", "index", "lib/index"]
    for rel in written:
        for candidate in _source_candidates(rel):
            path = _join(folder or ".", candidate)
            inside = path is not None and (not folder or path.startswith(folder + "/"))
            if inside and path is not None and repo.exists(path):
                return path
    return None


def _entry_fields(doc: dict[str, Any]) -> list[str]:
    out = [doc[key] for key in _ENTRY_FIELDS if isinstance(doc.get(key), str)]
    exports = doc.get("exports")
    dot = exports.get(".") if isinstance(exports, dict) else exports
    if isinstance(dot, str):
        out.append(dot)
    elif isinstance(dot, dict):
        out += [dot[c] for c in _EXPORT_CONDITIONS if isinstance(dot.get(c), str)]
    return out


def _source_candidates(rel: str) -> list[str]:
    """`lib/index.js` -> lib/index.ts, src/index.ts, ..., the file itself, folder indexes."""
    rel = posixpath.normpath(rel.removeprefix("./"))
    if rel.startswith("../") or rel == ".." or posixpath.isabs(rel):
        return []
    stem = next((rel[: -len(ext)] for ext in _STRIPPED if rel.endswith(ext)), rel)
    stems = [stem]
    for build in _BUILD_FOLDERS:
        if stem.startswith(build):
            stems.append("src/" + stem[len(build) :])
    out = [s + ext for s in stems for ext in _SOURCE_EXTS]
    out += [s + ext for s in stems for ext in _SCRIPT_EXTS]
    out += [f"{s}/index{ext}" for s in stems for ext in (*_SOURCE_EXTS, *_SCRIPT_EXTS)]
    return out
