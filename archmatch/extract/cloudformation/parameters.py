"""Parameter values of a template, from the commands of the repository that deploy that very file
(`CfnParametersUse`, recorded by the build sources' shell scan: `aws cloudformation create-stack
--parameters ...`, `deploy --parameter-overrides ...`, `sam deploy`; and by the SAM configuration
files `sam deploy` reads, one per environment).

A value given by the command that deploys the template is as good as a default written in it. Each
distinct set of values (and stack name) is a candidate: the template is evaluated once per set,
as a Terraform root module is per set of var files (`extract/_variants.py` merges the results).
A command whose parameter file is not known (its path, or not in the repository) gives no set:
any parameter may come from that file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archmatch.extract import _variants, json_doc
from archmatch.extract.builds._cfncli import shorthand_item
from archmatch.extract.cloudformation.intrinsics import Given
from archmatch.model import CfnParametersUse, Location, RepoFacts
from archmatch.repo import RepoView


@dataclass(frozen=True)
class ParameterSet:
    """One candidate set of parameter values for a template, with the commands that give it."""

    values: tuple[tuple[str, str | None], ...]  # in the order given, a later value of a name wins
    stack_name: str | None
    files: tuple[str, ...]  # the parameter files it comes from (root-relative)
    named_at: tuple[str, ...]  # the commands giving it ("deploy.sh:9")
    where: Location  # the first of them
    runs: frozenset[str] = frozenset()  # the scripts, CI jobs and Makefiles they run in

    @property
    def given(self) -> Given:
        return Given(dict(self.values), self.stack_name)


def _deploys(repo: RepoView, use: CfnParametersUse, path: str) -> bool:
    """The command deploys the template `path` (read from the repository root, or from the
    script's own folder when the template is not found from the root)."""
    if use.template == path:
        return True
    return use.own_template == path and (use.template is None or not repo.exists(use.template))


def _file_values(repo: RepoView, rel: str) -> list[tuple[str, str | None]] | None:
    """The parameters of a JSON parameter file: `[{"ParameterKey": K, "ParameterValue": V}]`,
    `["K=V"]` or `{"Parameters": {K: V}}`; None when it is not in the repository or not one."""
    if not repo.exists(rel):
        return None
    doc = json_doc(repo, rel)
    if isinstance(doc, dict) and isinstance(doc.get("Parameters"), dict):
        return [(str(k), _text(v)) for k, v in doc["Parameters"].items()]
    if not isinstance(doc, list):
        return None
    out: list[tuple[str, str | None]] = []
    for item in doc:
        if isinstance(item, dict) and isinstance(item.get("ParameterKey"), str):
            out.append((item["ParameterKey"], _text(item.get("ParameterValue"))))
        elif isinstance(item, str) and item.startswith("ParameterKey="):
            pair = shorthand_item(item)
            if pair is not None:
                out.append(pair)
        elif isinstance(item, str) and "=" in item:
            name, _, value = item.partition("=")
            out.append((name, value))
    return out


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, str | int | float) else None


def _values(repo: RepoView, use: CfnParametersUse) -> tuple[tuple[str, str | None], ...] | None:
    """Every value the command gives (its files first, then its inline values), None when a file
    of it is not known."""
    if use.unknown_files:
        return None
    out: list[tuple[str, str | None]] = []
    for rel in use.parameter_files:
        found = _file_values(repo, rel)
        if found is None:
            return None
        out.extend(found)
    out.extend(use.parameters)
    return tuple(out)


def value_sets(repo: RepoView, facts: RepoFacts, path: str) -> list[ParameterSet]:
    """Every candidate parameter set the repository's commands give template `path`."""
    named: dict[tuple[tuple[tuple[str, str | None], ...], str | None], list[CfnParametersUse]] = {}
    files: dict[tuple[tuple[tuple[str, str | None], ...], str | None], list[str]] = {}
    for use in facts.extra.cfn_parameters:
        if not _deploys(repo, use, path):
            continue
        values = _values(repo, use)
        if values is None or (not values and use.stack_name is None):
            continue
        key = (values, use.stack_name)
        found = named.setdefault(key, [])
        if use not in found:
            found.append(use)
        files.setdefault(key, [])
        given_by = (*use.parameter_files, *([use.config_file] if use.config_file else []))
        files[key].extend(f for f in given_by if f not in files[key])
    sets = [
        ParameterSet(
            values,
            stack_name,
            tuple(files[(values, stack_name)]),
            tuple(str(u.location) for u in found),
            found[0].location,
            frozenset(u.run for u in found if u.run),
        )
        for (values, stack_name), found in named.items()
    ]
    return _variants.capped(repo, sets, f"sets of parameter values for the template {path}")
