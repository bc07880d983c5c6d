"""SAM CLI configuration files: the parameter values `sam deploy` takes from `samconfig.toml` (or
`samconfig.yaml` / `samconfig.yml`) in the folder it runs in, when its command line gives none.

    version = 0.1
    [default.deploy.parameters]
    stack_name = "thumbs"
    parameter_overrides = "Arch=\\"arm64\\" Stage=\\"prod\\""   # or a list of "K=V" items

    [prod.deploy.parameters]                                    # `sam deploy --config-env prod`
    parameter_overrides = ["Arch=arm64", "Stage=prod"]

Each environment (a top-level table) is one set of values for the template, as one deploy command
is (`CfnParametersUse`; the CloudFormation extractor evaluates the template once per distinct set):
its `deploy` table, and its `sync` table (`sam sync` deploys too), each over its `global` table as
SAM merges them, give `parameter_overrides` (a string of `K=V` or `ParameterKey=K,ParameterValue=V`
items, a list of them, or a mapping), `stack_name` (the template's `AWS::StackName`) and
`template_file` / `template` (relative to the folder; else the folder's `template.yaml`,
`template.yml` or `template.json`, as SAM looks for them). A `file://` reference among the overrides
is a file this reader does not follow: that set gives no values. SAM reads one file per folder: the
first of `samconfig.toml`, `samconfig.yaml`, `samconfig.yml` present. A file that does not parse,
or is larger than a configuration file can be, is a diagnostic naming it.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

from archmatch.extract import yaml_docs
from archmatch.extract.builds._cfncli import overrides, source_template
from archmatch.extract.builds._common import has_unresolved, join
from archmatch.extract.yamlsafe import LDict
from archmatch.isolation import isolated
from archmatch.model import CfnParametersUse, Location, RepoFacts
from archmatch.repo import RepoView

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, published for older Pythons
    import tomli as tomllib

NAMES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")  # SAM's order: the first present is read
MAX_BYTES = 256 * 1024  # a real one is a few KB: larger is not a SAM configuration to evaluate
# one `parameter_overrides` string longer than this is not read (its values are not known): real ones
# are a few hundred bytes, and the shell-quoting reader takes time quadratic in a word's length
MAX_OVERRIDES = 16 * 1024
DEPLOYING = ("deploy", "sync")  # the commands whose parameters deploy the stack
_TEMPLATES = ("template.yaml", "template.yml", "template.json")  # what `sam deploy` looks for
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_AT_LINE = re.compile(r"\(at line (\d+),")  # where tomllib's message says it stopped
_KEY = re.compile(r'^\s*["\']?([A-Za-z0-9_-]+)["\']?\s*=')


def is_samconfig(path: str) -> bool:
    return posixpath.basename(path) in NAMES


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for rel in read_files(repo.matching(is_samconfig)):
        with isolated(repo, facts, rel):
            for use in uses(repo, rel):
                if use not in facts.extra.cfn_parameters:
                    facts.extra.cfn_parameters.append(use)


def read_files(paths: list[str]) -> list[str]:
    """The file SAM reads in each folder: the first of NAMES that is there."""
    by_folder: dict[str, str] = {}
    for path in sorted(paths, key=lambda p: NAMES.index(posixpath.basename(p))):
        by_folder.setdefault(posixpath.dirname(path), path)
    return sorted(by_folder.values())


def uses(repo: RepoView, rel: str) -> list[CfnParametersUse]:
    """One fact per environment and deploying command that gives values or a stack name."""
    loaded = _load(repo, rel)
    if loaded is None:
        return []
    doc, lines = loaded
    folder = posixpath.dirname(rel) or "."
    out: list[CfnParametersUse] = []
    for env, table in doc.items():
        if not isinstance(env, str) or not isinstance(table, dict):
            continue  # `version = 0.1`
        for command, params in _deploy_parameters(table):
            found = _use(repo, rel, folder, params, lines(env, command))
            if found is not None and found not in out:
                out.append(found)
    return out


def _deploy_parameters(env: dict[Any, Any]) -> Iterator[tuple[str, dict[Any, Any]]]:
    """(command, parameters) of each deploying command of an environment, over its `global` ones;
    the `global` ones alone when the environment has no deploying table (`sam deploy` reads them)."""
    shared = _parameters_of(env.get("global"))
    found = False
    for command in DEPLOYING:
        own = _parameters_of(env.get(command))
        if own:
            found = True
            yield command, {**shared, **own}
    if not found and shared:
        yield "global", shared


def _parameters_of(table: Any) -> dict[Any, Any]:
    params = table.get("parameters") if isinstance(table, dict) else None
    return dict(params) if isinstance(params, dict) else {}


def _use(repo: RepoView, rel: str, folder: str, params: dict[Any, Any], line: int) -> CfnParametersUse | None:
    template = _template(repo, folder, params)
    values = _values(params.get("parameter_overrides"))
    stack = params.get("stack_name")
    stack_name = stack if isinstance(stack, str) and stack and not has_unresolved(stack) else None
    if template is None or (values == () and stack_name is None):
        return None
    return CfnParametersUse(
        Location(rel, line),
        template,
        None,
        values or (),
        unknown_files=values is None,
        stack_name=stack_name,
        config_file=rel,
    )


def _template(repo: RepoView, folder: str, params: dict[Any, Any]) -> str | None:
    written = params.get("template_file", params.get("template"))
    if isinstance(written, str):
        return source_template(join(folder, written), {})
    for name in _TEMPLATES:
        path = join(folder, name)
        if path is not None and repo.exists(path):
            return path
    return None


def _values(written: Any) -> tuple[tuple[str, str | None], ...] | None:
    """The overrides as given (a string, a list of them, nested lists, a mapping), in order; None
    when one is a `file://` reference (values this reader does not follow) or over MAX_OVERRIDES."""
    out: list[tuple[str, str | None]] = []
    pending = [written]
    while pending:
        item = pending.pop(0)
        if isinstance(item, str):
            if item.strip().startswith("file://") or len(item) > MAX_OVERRIDES:
                return None
            out.extend(overrides(item))
        elif isinstance(item, list):
            pending[:0] = item
        elif isinstance(item, dict):
            out.extend((str(k), _scalar(v)) for k, v in item.items())
    return tuple(out)


def _scalar(value: Any) -> str | None:
    if value is None:
        return ""  # SAM unsets a parameter given no value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return None if has_unresolved(value) else value
    return str(value) if isinstance(value, int | float) else None


Lines = Callable[[str, str], int]  # (environment, command) -> the line of its values


def _load(repo: RepoView, rel: str) -> tuple[dict[Any, Any], Lines] | None:
    """The document and a way to find the line of an environment's values, or None with a
    diagnostic naming the file."""
    size = len(repo.read_bytes_head(rel, MAX_BYTES + 1))
    if size > MAX_BYTES:
        repo.diag(rel, f"SAM configuration over {MAX_BYTES // 1024} KB; not read", code="limit")
        return None
    if rel.endswith(".toml"):
        return _load_toml(repo, rel)
    docs = yaml_docs(repo, rel)
    doc = docs[0] if docs else None
    if not isinstance(doc, LDict):
        return None
    return doc, lambda env, command: _yaml_line(doc, env, command)


def _load_toml(repo: RepoView, rel: str) -> tuple[dict[Any, Any], Lines] | None:
    text = repo.read_text(rel)
    if text is None:
        return None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = _AT_LINE.search(str(exc))
        repo.diag(rel, f"not valid TOML: {exc}", line=int(at.group(1)) if at else 0)
        return None
    except RecursionError:
        repo.diag(rel, "TOML nested too deeply; not read", code="limit")
        return None
    return doc, lambda env, command: _toml_line(text, env, command)


def _toml_line(text: str, env: str, command: str) -> int:
    """The line of `parameter_overrides` (else `stack_name`, else the table header) in the
    `[env.command.parameters]` table: the line findings name as where the values come from."""
    wanted = (env, command, "parameters")
    header = 0
    keys: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.split("\n"), 1):
        found = _HEADER.match(line)
        if found is not None:
            inside = tuple(part.strip().strip("\"'") for part in found.group(1).split(".")) == wanted
            header = number if inside else header
        elif inside and (key := _KEY.match(line)) is not None:
            keys.setdefault(key.group(1), number)
    return keys.get("parameter_overrides") or keys.get("stack_name") or header


def _yaml_line(doc: LDict, env: str, command: str) -> int:
    table: Any = doc.get(env)
    line = doc.line_of(env)
    for key in (command, "parameters"):
        if not isinstance(table, LDict) or key not in table:
            return line
        line, table = table.line_of(key), table[key]
    if isinstance(table, LDict):
        for key in ("parameter_overrides", "stack_name"):
            if key in table:
                return table.line_of(key)
    return line
