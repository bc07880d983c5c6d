"""Root-module variable values named on command lines: `terraform plan -var-file=F -var k=v` in a
script, Makefile recipe, CI step or Dagger pipeline (`extract/builds/_tfcli.py` records them as
`TerraformVarsUse` facts; the build sources run before this extractor).

Terraform reads `terraform.tfvars(.json)`, then `*.auto.tfvars(.json)`, then the command line in
order (a var file may be `.tfvars` or `.tfvars.json`, read alike by `read_tfvars`); so a
command's values override the files loaded automatically. A var file is looked for relative to
the folder the command runs in; when that folder is unknown (a Dagger container's working
directory, a `cd $DIR`), relative to every root module, and a root module holding it is the one
the command plans. A var file path with an unknown part (`envs/${ENV}.tfvars`) names every file
that fits it: each is a candidate value set, and so is each different command. The Terraform
extractor evaluates a root once per candidate set (`ValueSource` says which sets a fact comes
from); a root no command names keeps the values Terraform loads by itself.
"""

from __future__ import annotations

import itertools
import posixpath
from dataclasses import dataclass

from archmatch.extract import _variants, json_doc
from archmatch.extract.hcl_parse import HclError
from archmatch.extract.terraform.ast import Lit
from archmatch.extract.terraform.hcl import Attribute, parse_tf, parse_tfvars_json
from archmatch.extract.terraform.module import ModuleDef
from archmatch.isolation import isolated
from archmatch.model import Location, RepoFacts, TerraformVarsUse
from archmatch.repo import RepoView

MAX_VALUE_SETS = _variants.MAX_VALUE_SETS
_SUFFIXES = (".tfvars", ".tfvars.json")


@dataclass(frozen=True)
class ValueSet:
    """One candidate set of command-line values for a root module."""

    files: tuple[str, ...]  # root-relative var files, in the order given
    variables: tuple[tuple[str, str], ...]  # `-var name=value`
    named_at: tuple[str, ...]  # the commands that give them ("deploy.sh:3", "main.go:38 via ci.yml:9")
    where: Location  # the first of them
    runs: frozenset[str] = frozenset()  # the scripts, CI jobs and Makefiles they run in


def _base(folder: str) -> str:
    return folder or "."


def _matches(repo: RepoView, base: str, written: str) -> list[str]:
    """The files of the repository a var file path names, relative to folder `base`."""
    if not written.endswith(_SUFFIXES) or written.startswith(("/", "~")):
        return []
    if "$" not in written and "`" not in written:
        path = posixpath.normpath(posixpath.join(base, written))
        return [path] if not path.startswith("../") and repo.exists(path) else []
    pattern = posixpath.normpath(posixpath.join(base, written))
    if pattern.startswith("../"):
        return []
    parts = literal_parts(pattern)
    if not parts[-1].endswith(_SUFFIXES):  # the extension itself is unknown
        return []
    return sorted(f for f in repo.files if f.endswith(_SUFFIXES) and _fits(f, parts))


_CLOSING = {"(": ")", "{": "}"}


def literal_parts(text: str) -> list[str]:
    """The text around its unknown parts (`${{ x }}`, `${X}`, `$(cmd ...)` with whatever they
    nest, `$X`, `$1`, a backquoted command), in one pass: n unknown parts give n + 1 pieces."""
    parts: list[str] = []
    start = i = 0
    while i < len(text):
        end = _unknown_end(text, i)
        if end is None:
            i += 1
            continue
        parts.append(text[start:i])
        start = i = end
    parts.append(text[start:])
    return parts


def _unknown_end(text: str, i: int) -> int | None:
    """Where the unknown part starting at `i` ends, None when none starts there."""
    if text[i] == "`":
        close = text.find("`", i + 1)
        return len(text) if close < 0 else close + 1
    if text[i] != "$" or i + 1 >= len(text):
        return None
    opener = text[i + 1]
    if opener in _CLOSING:
        depth, j = 0, i + 1
        while j < len(text):
            if text[j] == opener:
                depth += 1
            elif text[j] == _CLOSING[opener]:
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        return len(text)
    j = i + 1
    while j < len(text) and (text[j].isalnum() or text[j] == "_"):
        j += 1
    if j > i + 1:
        return j
    return i + 2 if opener in "@*#?" else None


def _fits(path: str, parts: list[str]) -> bool:
    """`path` is the literal parts in order, each unknown part between them standing for a piece
    of one path segment (no `/`). Taking each literal at its first place after the previous one
    is enough: a later place only lengthens the gap before it."""
    if not path.startswith(parts[0]) or len(path) < len(parts[0]) + len(parts[-1]):
        return False
    at, end = len(parts[0]), len(path) - len(parts[-1])
    if not path.endswith(parts[-1]):
        return False
    for literal in parts[1:-1]:
        found = path.find(literal, at, end)
        if found < 0 or "/" in path[at:found]:
            return False
        at = found + len(literal)
    return "/" not in path[at:end]


def _use_sets(repo: RepoView, use: TerraformVarsUse, folder: str) -> list[tuple[str, ...]]:
    """The var file combinations one command gives root `folder`, [] when it does not plan it."""
    if use.cwd is not None and use.cwd != _base(folder):
        return []
    found = [_matches(repo, _base(folder), written) for written in use.var_files]
    if any(not files for files in found):
        return []  # a var file not in the repository (or not named): values not known
    if not found and use.cwd is None:
        return []  # only `-var` values, in a folder not known
    return list(itertools.islice(itertools.product(*found), MAX_VALUE_SETS + 1))


def value_sets(repo: RepoView, uses: list[TerraformVarsUse], folder: str) -> list[ValueSet]:
    """Every candidate value set the commands of the repository give root module `folder`."""
    named: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], list[TerraformVarsUse]] = {}
    for use in uses:
        for files in _use_sets(repo, use, folder):
            found = named.setdefault((files, use.variables), [])
            if use not in found:
                found.append(use)
    sets = [
        ValueSet(
            files,
            variables,
            tuple(_named_at(u) for u in found),
            found[0].location,
            frozenset(u.run for u in found if u.run),
        )
        for (files, variables), found in named.items()
    ]
    return _variants.capped(
        repo, sets, f"sets of command-line variable values for the Terraform root module {_base(folder)}"
    )


def _named_at(use: TerraformVarsUse) -> str:
    return f"{use.location} via {use.via}" if use.via is not None else str(use.location)


def read_tfvars(repo: RepoView, facts: RepoFacts, rel: str) -> dict[str, Attribute]:
    """The assignments of a `.tfvars` or `.tfvars.json` file; none when it is unreadable, not valid
    HCL or JSON, or not a JSON object (said as a diagnostic naming the file)."""
    if rel.endswith(".json"):
        return _read_tfvars_json(repo, facts, rel)
    text = repo.read_text(rel)
    if text is None:
        return {}
    with isolated(repo, facts, rel):
        try:
            return parse_tf(text, rel)[1]
        except HclError as exc:
            repo.diag(rel, str(exc), line=exc.line)
    return {}


def _read_tfvars_json(repo: RepoView, facts: RepoFacts, rel: str) -> dict[str, Attribute]:
    with isolated(repo, facts, rel):
        doc = json_doc(repo, rel)  # bounded, and a parse error is a diagnostic
        attrs = parse_tfvars_json(doc) if doc is not None else {}
        if attrs is None:
            repo.diag(rel, "a .tfvars.json file must hold one JSON object of variable values", line=1)
        return attrs or {}
    return {}


def with_values(repo: RepoView, facts: RepoFacts, root: ModuleDef, values: ValueSet) -> ModuleDef:
    """The root module with the set's values over the ones Terraform loads by itself."""
    tfvars, paths = dict(root.tfvars), dict(root.tfvars_paths)
    for rel in values.files:
        attrs = read_tfvars(repo, facts, rel)
        tfvars.update(attrs)
        paths.update(dict.fromkeys(attrs, rel))
    where = values.where
    for name, text in values.variables:
        attr = _variable(name, text, where)
        if attr is not None:
            tfvars[name], paths[name] = attr, where.path
    return ModuleDef(root.folder, root.blocks, tfvars, paths)


def _variable(name: str, text: str, where: Location) -> Attribute | None:
    """`-var name=value`: a list or map is HCL, anything else the string as written."""
    if not text.lstrip().startswith(("[", "{")):
        return Attribute(name, Lit(where.line, text, text), where.line)
    try:
        _, attrs = parse_tf("\n" * max(where.line - 1, 0) + f"{name} = {text}", where.path)
    except HclError:
        return None
    return attrs.get(name)
