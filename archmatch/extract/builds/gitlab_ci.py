"""Docker builds in GitLab CI job scripts (`.gitlab-ci.yml` and the local files it includes).

A job's `before_script` and `script` run in one shell from the project folder (so `cd`
carries over). `extends:` and `!reference` are resolved; hidden jobs (`.name`) never run and
give no builds of their own. Global and job `variables:` are substituted into the command's
values (`$PLATFORM`, `${TAG}`); `CI_PROJECT_DIR` is the repository root. A job with a
`parallel: matrix:` whose variables it uses is read once per combination. Runner tags that name
an architecture (`saas-linux-medium-arm64`, `arm64`) give the host hint for unpinned builds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from archmatch import lazyre
from archmatch.dockercli import BuildCommand
from archmatch.extract import yaml_docs
from archmatch.extract.builds._awsdeploy import add_facts
from archmatch.extract.builds._common import (
    DEFAULT_PLATFORM_VAR,
    CliSite,
    EnvValue,
    HostContext,
    LineMap,
    cli_build,
    has_unresolved,
    join,
    key_line,
    node_line,
    scalar_first_line,
)
from archmatch.extract.builds._shellscan import ShellState, follow_images, record_command_values, scan
from archmatch.isolation import isolated_unit, note_position
from archmatch.model import ImageBuild, Location, RepoFacts
from archmatch.platforms import AMD64, ARM64
from archmatch.repo import RepoView

_RESERVED = frozenset(
    [
        "stages",
        "variables",
        "default",
        "include",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "types",
    ]
)
_VAR = lazyre.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_MAX_EXTENDS = 11  # GitLab's own limit on extends depth
_MAX_MATRIX_RUNS = 200  # GitLab's own limit on the jobs of one parallel: matrix


def _variables(node: Any, path: str) -> dict[str, EnvValue]:
    out: dict[str, EnvValue] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict):
                value = value.get("value")
            if value is not None and not isinstance(value, dict | list):
                line = key_line(node, key)
                out[str(key)] = EnvValue(str(value), Location(path, line))
    return out


def _expander(variables: dict[str, EnvValue]) -> Callable[[str], str]:
    values = {k: v.value for k, v in variables.items()}
    values["CI_PROJECT_DIR"] = "."

    def expand(text: str) -> str:
        for _ in range(5):  # variables may refer to variables
            new = _VAR.sub(lambda m: values.get(m.group(1) or m.group(2), m.group(0)), text)
            if new == text:
                break
            text = new
        return text

    return expand


def runner_host(tags: Any) -> HostContext:
    labels = [str(t) for t in tags] if isinstance(tags, list) else []
    archs = set()
    for tag in labels:
        low = tag.lower()
        if re.search(r"(^|[-_])(arm64|aarch64)($|[-_])", low):
            archs.add(ARM64)
        elif re.search(r"(^|[-_])(amd64|x86_64|x86-64|x64)($|[-_])", low):
            archs.add(AMD64)
    note = "runner tags: " + ", ".join(labels) if labels else "GitLab runner (no tags)"
    return HostContext(note, frozenset(archs) if len(archs) == 1 else frozenset())


class _Pipeline:
    def __init__(self, repo: RepoView, left_out: frozenset[str] = frozenset()):
        self.repo = repo
        self.left_out = left_out  # files that broke the extractor: read as if absent
        self.jobs: dict[str, tuple[str, dict[str, Any]]] = {}  # name -> (file, definition)
        self.globals: dict[str, EnvValue] = {}
        self.default_before: tuple[str, Any] | None = None  # (file, before_script) of default:/top level

    def load(self, path: str, seen: set[str]) -> None:
        if path in seen or not self.repo.exists(path) or path in self.left_out:
            return
        seen.add(path)
        note_position(self.repo, path)
        docs = yaml_docs(self.repo, path)
        doc = docs[0] if docs else None
        if not isinstance(doc, dict):
            return
        self.globals.update(_variables(doc.get("variables"), path))
        default = doc.get("default")
        if isinstance(default, dict) and "before_script" in default:
            self.default_before = (path, default["before_script"])
        elif "before_script" in doc and self.default_before is None:
            self.default_before = (path, doc["before_script"])
        for name, job in doc.items():
            if isinstance(job, dict) and str(name) not in _RESERVED:
                self.jobs[str(name)] = (path, job)
        for local in _local_includes(doc.get("include")):
            self.load(local, seen)

    def resolve(self, name: str, depth: int = 0) -> tuple[dict[str, Any], dict[str, str]]:
        """The job after `extends:` (hashes deep-merged, the rest overridden) and, per key, the file
        its value came from."""
        path, job = self.jobs[name]
        merged: dict[str, Any] = {}
        origin: dict[str, str] = {}
        parents = job.get("extends")
        for parent in [parents] if isinstance(parents, str) else parents if isinstance(parents, list) else []:
            if str(parent) in self.jobs and depth < _MAX_EXTENDS:
                p_merged, p_origin = self.resolve(str(parent), depth + 1)
                for key, value in p_merged.items():
                    merged[key] = (
                        {**merged[key], **value}
                        if isinstance(value, dict) and isinstance(merged.get(key), dict)
                        else value
                    )
                origin.update(p_origin)
        for key, value in job.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
            origin[key] = path
        return merged, origin

    def script(self, items: Any) -> list[Any]:
        """Script lines flattened, `!reference [job, key]` resolved."""
        out: list[Any] = []
        for item in items if isinstance(items, list) else [items] if isinstance(items, str) else []:
            if isinstance(item, list):
                out.extend(self.script(item))
            elif isinstance(item, dict) and isinstance(item.get("!reference"), list):
                ref = [str(x) for x in item["!reference"]]
                if len(ref) >= 2 and ref[0] in self.jobs:
                    out.extend(self.script(self.resolve(ref[0])[0].get(ref[1])))
            elif isinstance(item, str):
                out.append(item)
        return out


def _local_includes(node: Any) -> list[str]:
    items = node if isinstance(node, list) else [node] if node is not None else []
    out = []
    for item in items:
        local = (
            item.get("local")
            if isinstance(item, dict)
            else item
            if isinstance(item, str) and "://" not in item
            else None
        )
        if isinstance(local, str) and not has_unresolved(local) and "*" not in local:
            path = join(".", local.lstrip("/"))
            if path:
                out.append(path)
    return out


def extract(repo: RepoView, facts: RepoFacts) -> None:
    yaml_files = repo.matching(lambda p: p.endswith((".yml", ".yaml")))
    for root_file in repo.matching(lambda p: p == ".gitlab-ci.yml" or p.endswith("/.gitlab-ci.yml")):
        # a pipeline reads its includes: one that breaks is left out and the pipeline read again
        files = [root_file, *(f for f in yaml_files if f != root_file)]
        isolated_unit(
            repo,
            facts,
            files,
            lambda left_out, r=root_file: _pipeline_builds(repo, facts, r, left_out),  # type: ignore[misc]
        )


def _pipeline_builds(repo: RepoView, facts: RepoFacts, root_file: str, left_out: frozenset[str]) -> None:
    pipeline = _Pipeline(repo, left_out)
    pipeline.load(root_file, set())
    for name in sorted(pipeline.jobs, key=lambda n: (pipeline.jobs[n][0], node_line(pipeline.jobs[n][1]))):
        if name.startswith("."):
            continue
        note_position(repo, pipeline.jobs[name][0], node_line(pipeline.jobs[name][1]))
        _job_builds(repo, facts, pipeline, name)


def _job_builds(repo: RepoView, facts: RepoFacts, pipeline: _Pipeline, name: str) -> None:
    job, origin = pipeline.resolve(name)
    for label, values in _matrix_runs(job, origin.get("parallel", "")):
        _run_builds(repo, facts, pipeline, name + label, job, origin, values)


def _matrix_runs(job: dict[str, Any], path: str) -> list[tuple[str, dict[str, EnvValue]]]:
    """`parallel: matrix:` runs (each entry's lists multiplied out, named as GitLab names them:
    `job: [a, b]`) when the job uses one of their variables; else the job once."""
    parallel = job.get("parallel")
    entries = parallel.get("matrix") if isinstance(parallel, dict) else None
    if not isinstance(entries, list):
        return [("", {})]
    runs: list[dict[str, EnvValue]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        axes = {str(k): v if isinstance(v, list) else [v] for k, v in entry.items()}
        for values in itertools.product(*axes.values()):
            runs.append(
                {
                    key: EnvValue(str(value), Location(path, key_line(entry, key)))
                    for key, value in zip(axes, values, strict=True)
                }
            )
    names = {key for run in runs for key in run}
    uses = re.compile(r"\$\{?(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")\b") if names else None
    text = " ".join(str(job.get(key, "")) for key in ("script", "before_script", "tags", "variables"))
    if not runs or len(runs) > _MAX_MATRIX_RUNS or uses is None or not uses.search(text):
        return [("", {})]
    return [(": [" + ", ".join(v.value for v in run.values()) + "]", run) for run in runs]


def _run_builds(
    repo: RepoView,
    facts: RepoFacts,
    pipeline: _Pipeline,
    name: str,
    job: dict[str, Any],
    origin: dict[str, str],
    matrix: dict[str, EnvValue],
) -> None:
    variables = {
        **pipeline.globals,
        **_variables(job.get("variables"), origin.get("variables", "")),
        **matrix,
    }
    expand = _expander(variables)
    state = ShellState(path="", script_dir=".", root_vars=frozenset(["CI_PROJECT_DIR"]))
    platform = variables.get(DEFAULT_PLATFORM_VAR)
    if platform is not None:
        state.exported[DEFAULT_PLATFORM_VAR] = EnvValue(expand(platform.value), platform.location)
    tags = job.get("tags")
    host = runner_host([expand(str(t)) for t in tags] if isinstance(tags, list) else tags)
    if "before_script" in job:
        before: tuple[str, Any] | None = (origin["before_script"], job["before_script"])
    else:
        before = pipeline.default_before
    parts = [before] if before is not None else []
    if "script" in job:
        parts.append((origin["script"], job["script"]))
    job_builds: list[ImageBuild] = []
    made: list[tuple[BuildCommand, ImageBuild]] = []  # the job's script is one shell run
    for path, items in parts:
        for item in pipeline.script(items):
            if not any(
                word in item
                for word in (
                    "docker",
                    "cd",
                    "export",
                    "pushd",
                    "aws",
                    "kubectl",
                    "eksctl",
                    "terraform",
                    "tofu",
                )
            ):
                continue
            state.path = path
            line_at = LineMap(item, scalar_first_line(repo, path, item))
            builds, known, applied = job_builds, len(state.aws), len(state.manifest_deploys)
            for found in scan(item, state, line_at, expand):
                site = CliSite(
                    source="gitlab-ci",
                    path=path,
                    where=f"GitLab job {name}",
                    line_at=line_at,
                    cwd=found.cwd,
                    host=host,
                    default_platform=found.default_platform,
                )
                build = cli_build(repo, site, found.cmd, item)
                builds.append(build)
                made.append((found.cmd, build))
                facts.builds.append(build)
            run = f"GitLab job {name}"  # the job's script is one shell run
            add_facts(repo, facts, path, state.aws[known:], builds, run=run)
            facts.extra.manifest_deploys.extend(state.manifest_deploys[applied:])
            record_command_values(facts, state, run)
    follow_images(state, made, repo)
