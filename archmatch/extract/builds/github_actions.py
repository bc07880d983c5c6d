"""Image builds in GitHub Actions workflows (`.github/workflows/*.yml|yaml`, also in a subfolder
when the scan root holds several repositories: paths then resolve against that subfolder).

`docker/build-push-action` steps and `run:` steps holding docker build command lines. With no
platform, BuildKit builds for its own machine: the runner, whose architecture follows from the
`runs-on` label (GitHub-hosted images, or a self-hosted runner's `X64`/`ARM64` label).
`DOCKER_DEFAULT_PLATFORM` counts from workflow/job/step `env:` and from earlier `$GITHUB_ENV`
writes. `${{ }}` expressions stay unresolved, except `env.X` for constant env values.
`docker/bake-action` steps are recorded in `facts.extra.gha_bake_actions` (the bake files
themselves are extracted by the bake module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from archmatch import lazyre
from archmatch.dockercli import BuildCommand
from archmatch.extract import yaml_docs
from archmatch.extract.builds import _cfncli, _tfcli
from archmatch.extract.builds import _daggercli as daggercli
from archmatch.extract.builds import _gha_matrix as matrix
from archmatch.extract.builds._awscli import Push
from archmatch.extract.builds._awsdeploy import add_facts, mentions_deploy, pushed_builds
from archmatch.extract.builds._common import (
    DEFAULT_PLATFORM_VAR,
    CliSite,
    EnvValue,
    HostContext,
    LineMap,
    attestation_setting,
    cli_build,
    default_dockerfile,
    has_unresolved,
    image_label,
    join,
    key_line,
    named_build_args,
    node_line,
    requested_platforms,
    scalar_first_line,
    split_list,
)
from archmatch.extract.builds._kubeapply import KubeTarget
from archmatch.extract.builds._shellscan import ShellState, follow_images, record_command_values, scan
from archmatch.isolation import Focus, isolated
from archmatch.model import GhaBakeAction, ImageBuild, Location, RepoFacts
from archmatch.platforms import AMD64, ARM64
from archmatch.repo import RepoView

_GITHUB_ENV_WRITE = lazyre.compile(r"DOCKER_DEFAULT_PLATFORM=([^\s\"']+)[\"']?\s*>>\s*[\"']?\$\{?GITHUB_ENV")
_ENV_EXPR = lazyre.compile(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_WORKSPACE_EXPR = lazyre.compile(r"\$\{\{\s*github\.workspace\s*\}\}")
_SHELL_VAR = lazyre.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
# a self-hosted or third-party runner label that names its architecture as a word of its own
_ARM_LABEL = lazyre.compile(r"(?:^|[-_])(?:arm64|aarch64)(?:$|[-_])|-arm$")
_X64_LABEL = lazyre.compile(r"(?:^|[-_])(?:x64|amd64|x86_64|x86-64)(?:$|[-_])")
_STEP_OUTPUT_TAGS = lazyre.compile(r"\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.tags\s*\}\}")


def _uses(step: dict[str, Any], action: str) -> bool:
    uses = step.get("uses")
    return isinstance(uses, str) and uses.lower().split("@", 1)[0] == action


def runner_host(runs_on: Any) -> HostContext:
    """The runner's architecture from its `runs-on` labels, when the labels say it."""
    if isinstance(runs_on, dict):
        runs_on = runs_on.get("labels")
    labels = [str(x) for x in runs_on] if isinstance(runs_on, list) else [str(runs_on)] if runs_on else []
    note = "runs-on: " + ", ".join(labels) if labels else "runs-on not given"
    archs: set[str] = set()
    for raw in labels:
        label = raw.strip().lower()
        if has_unresolved(label):
            return HostContext(note)
        if label in ("arm64", "aarch64"):
            archs.add(ARM64)
        elif label in ("x64", "amd64", "x86_64"):
            archs.add(AMD64)
        elif label.startswith(("ubuntu-", "windows-")):
            archs.add(ARM64 if label.endswith(("-arm", "-arm64")) else AMD64)
        elif label.startswith("macos-"):
            intel = label.endswith(("-large", "-intel")) or label in (
                "macos-10.15",
                "macos-11",
                "macos-12",
                "macos-13",
            )
            archs.add(AMD64 if intel else ARM64)
        elif _ARM_LABEL.search(label):  # linux-arm64, buildjet-4vcpu-ubuntu-2204-arm
            archs.add(ARM64)
        elif _X64_LABEL.search(label):
            archs.add(AMD64)
    return HostContext(note, frozenset(archs) if len(archs) == 1 else frozenset())


def _env(mapping: Any, path: str, into: dict[str, EnvValue]) -> dict[str, EnvValue]:
    out = dict(into)
    if isinstance(mapping, dict):
        for key, value in mapping.items():
            if value is not None:
                line = key_line(mapping, key)
                out[str(key)] = EnvValue(
                    str(value).lower() if isinstance(value, bool) else str(value), Location(path, line)
                )
    return out


def _expander(env: dict[str, EnvValue]) -> Callable[[str], str]:
    """Resolve `${{ env.X }}`, `$X`, `${X}` for constant env values and the workspace to `.`."""
    constants = {k: v.value for k, v in env.items() if not has_unresolved(v.value)}
    constants["GITHUB_WORKSPACE"] = "."

    def expand(text: str) -> str:
        text = _WORKSPACE_EXPR.sub(".", text)
        text = _ENV_EXPR.sub(lambda m: constants.get(m.group(1), m.group(0)), text)
        return _SHELL_VAR.sub(lambda m: constants.get(m.group(1) or m.group(2), m.group(0)), text)

    return expand


def _defaults_dir(node: Any) -> str | None:
    defaults = node.get("defaults") if isinstance(node, dict) else None
    run = defaults.get("run") if isinstance(defaults, dict) else None
    wd = run.get("working-directory") if isinstance(run, dict) else None
    return str(wd) if wd is not None else None


class _Job:
    def __init__(
        self,
        repo: RepoView,
        facts: RepoFacts,
        path: str,
        workflow: dict[str, Any],
        job_id: str,
        job: dict[str, Any],
    ):
        self.repo, self.facts, self.path, self.job_id = repo, facts, path, job_id
        self.base = workflow_repository(path)  # the folder the workflow's paths are relative to
        self.where = f"workflow {path.rsplit('/', 1)[-1]} job {job_id}"
        self.host = runner_host(job.get("runs-on"))
        self.env = _env(job.get("env"), path, _env(workflow.get("env"), path, {}))
        self.workdir = _defaults_dir(job) or _defaults_dir(workflow)
        self.buildx_driver: str | None = None  # driver of docker/setup-buildx-action, once seen
        self.buildx_installed = False
        self.meta_images: dict[str, list[str]] = {}
        self.kube_target: KubeTarget | None = None  # kubeconfig persists from step to step of a job
        self.pushed: list[tuple[ImageBuild, Push]] = []  # builds of earlier steps, with their pushes

    def step(self, index: int, step: dict[str, Any]) -> None:
        env = _env(step.get("env"), self.path, self.env)
        inputs = given if isinstance(given := step.get("with"), dict) else {}
        if _uses(step, "docker/setup-buildx-action"):
            self.buildx_driver = str(inputs.get("driver") or "docker-container")
            self.buildx_installed = _is_true(inputs.get("install"))
            if self.buildx_driver in ("remote", "cloud") or inputs.get("endpoint"):
                self.host = HostContext(f"remote builder ({self.buildx_driver})")
        elif _uses(step, "docker/metadata-action") and step.get("id"):
            expand = _expander(env)
            images = [
                expand(i.split("name=", 1)[-1].split(",", 1)[0]) for i in split_list(inputs.get("images"))
            ]
            self.meta_images[str(step["id"])] = images
        elif _uses(step, "docker/build-push-action"):
            build = self._build_push(index, step, inputs, env)
            self.facts.builds.append(build)
            if _is_true(inputs.get("push")):
                line = build.location.line
                self.pushed.extend((build, Push(self.path, line, tag, line)) for tag in build.tags)
        elif _uses(step, "docker/bake-action"):
            self.facts.extra.gha_bake_actions.append(
                GhaBakeAction(Location(self.path, node_line(step)), self.job_id, dict(inputs))
            )
        elif _uses(step, daggercli.ACTION):
            self._dagger_action(step, inputs, env)
        elif _uses(step, _cfncli.ACTION):
            self._cloudformation_action(step, inputs, env)
        run = step.get("run")
        if isinstance(run, str):
            self._run(step, run, env)
            self._dagger_run(step, run, env)
            for m in _GITHUB_ENV_WRITE.finditer(run):
                line = scalar_first_line(self.repo, self.path, run) + run.count("\n", 0, m.start())
                self.env[DEFAULT_PLATFORM_VAR] = EnvValue(m.group(1), Location(self.path, line))

    def _dagger_action(self, step: dict[str, Any], inputs: dict[str, Any], env: dict[str, EnvValue]) -> None:
        key = "call" if inputs.get("call") is not None else "args"
        line = key_line(inputs, key) or node_line(step)
        call = daggercli.action_call(
            inputs, self.base, self.where, Location(self.path, line), self.host, set(env), _expander(env)
        )
        if call is not None:
            self.facts.extra.dagger_calls.append(call)

    def _cloudformation_action(
        self, step: dict[str, Any], inputs: dict[str, Any], env: dict[str, EnvValue]
    ) -> None:
        expand = _expander(env)
        command = _cfncli.action_command({str(k): expand(str(v)) for k, v in inputs.items()})
        line = key_line(inputs, "parameter-overrides") or key_line(inputs, "template") or node_line(step)
        found = (
            _cfncli.use(command, (self.base, self.base), Location(self.path, line))
            if command is not None
            else None
        )
        if found is not None and found not in self.facts.extra.cfn_parameters:
            self.facts.extra.cfn_parameters.append(replace(found, run=self.where))

    def _dagger_run(self, step: dict[str, Any], run: str, env: dict[str, EnvValue]) -> None:
        workdir = step.get("working-directory") or self.workdir
        cwd = join(self.base, _expander(env)(str(workdir))) if workdir is not None else self.base
        line_at = LineMap(run, scalar_first_line(self.repo, self.path, run))
        self.facts.extra.dagger_calls.extend(
            daggercli.run_calls(run, cwd, self.where, line_at, self.path, self.host, set(env), _expander(env))
        )

    def _step_label(self, index: int, step: dict[str, Any]) -> str:
        return str(step.get("id") or step.get("name") or f"step {index + 1}")

    def _build_push(
        self, index: int, step: dict[str, Any], inputs: dict[str, Any], env: dict[str, EnvValue]
    ) -> ImageBuild:
        expand = _expander(env)
        context_in = inputs.get("context")
        context = join(self.base, expand(str(context_in))) if context_in is not None else self.base
        file_in = inputs.get("file")
        dockerfile = (
            join(self.base, expand(str(file_in)))
            if file_in is not None
            else default_dockerfile(self.repo, context)
        )
        platforms_in = split_list(inputs.get("platforms"))
        where = Location(self.path, key_line(inputs, "platforms")) if platforms_in else None
        platforms, platform_loc = requested_platforms(
            [expand(p) for p in platforms_in], where, env.get(DEFAULT_PLATFORM_VAR), self.host, "platforms"
        )
        tags = self._tags(split_list(inputs.get("tags")), expand)
        default = None if self.buildx_driver == "docker" else True
        if env.get("BUILDX_NO_DEFAULT_ATTESTATIONS") and env["BUILDX_NO_DEFAULT_ATTESTATIONS"].value not in (
            "",
            "0",
            "false",
        ):
            default = False
        attests = split_list(inputs.get("attests"))
        label = image_label(tags) or self._step_label(index, step)
        target = inputs.get("target")
        return ImageBuild(
            source="github-actions",
            name=f"{self.where}: build-push-action {label}",
            location=Location(self.path, node_line(step)),
            dockerfile=dockerfile,
            context=context,
            target=expand(str(target)) if target is not None else None,
            platforms=platforms,
            platform_location=platform_loc,
            tags=tags,
            attestations=attestation_setting(inputs.get("provenance"), inputs.get("sbom"), attests, default),
            fix_syntax="gha",
            build_args=named_build_args(inputs.get("build-args")),
        )

    def _tags(self, tags: list[str], expand: Callable[[str], str]) -> list[str]:
        """Tags as written; `${{ steps.<meta>.outputs.tags }}` becomes the metadata-action images."""
        out: list[str] = []
        for tag in tags:
            m = _STEP_OUTPUT_TAGS.fullmatch(tag.strip())
            if m and self.meta_images.get(m.group(1)):
                out.extend(
                    f"{image}:${{{{ steps.{m.group(1)}.outputs.version }}}}"
                    for image in self.meta_images[m.group(1)]
                )
            else:
                out.append(expand(tag))
        return out

    def _run(self, step: dict[str, Any], run: str, env: dict[str, EnvValue]) -> None:
        if not ("docker" in run or mentions_deploy(run) or _tfcli.mentions(run) or _cfncli.mentions(run)):
            return
        workdir = step.get("working-directory") or self.workdir
        cwd = join(self.base, _expander(env)(str(workdir))) if workdir is not None else self.base
        state = ShellState(
            path=self.path,
            script_dir=self.base,
            cwd=cwd,
            root_vars=frozenset(["GITHUB_WORKSPACE"]),
            kube_target=self.kube_target,
        )
        if DEFAULT_PLATFORM_VAR in env:
            state.exported[DEFAULT_PLATFORM_VAR] = env[DEFAULT_PLATFORM_VAR]
        line_at = LineMap(run, scalar_first_line(self.repo, self.path, run))
        builds = []
        made: list[tuple[BuildCommand, ImageBuild]] = []
        for found in scan(run, state, line_at, _expander(env)):
            container_driver = self.buildx_driver not in (None, "docker")
            applies = container_driver and (found.cmd.is_buildx or self.buildx_installed)
            site = CliSite(
                source="github-actions",
                path=self.path,
                where=self.where,
                line_at=line_at,
                cwd=found.cwd,
                host=self.host,
                default_platform=found.default_platform,
                attestations_default=True if applies else None,
            )
            builds.append(cli_build(self.repo, site, found.cmd, run))
            made.append((found.cmd, builds[-1]))
        follow_images(state, made, self.repo)
        self.facts.builds.extend(builds)
        add_facts(self.repo, self.facts, self.path, state.aws, builds, run=self.where, earlier=self.pushed)
        self.pushed.extend(pushed_builds(state.pushes, builds))
        self.facts.extra.manifest_deploys.extend(state.manifest_deploys)
        self.kube_target = state.kube_target
        record_command_values(self.facts, state, self.where)


def _is_true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


_WORKFLOW = lazyre.compile(r"(?:(?P<repo>.+)/)?\.github/workflows/[^/]+\.ya?ml")


def workflow_repository(path: str) -> str:
    m = _WORKFLOW.fullmatch(path)
    return (m.group("repo") if m else None) or "."


def _is_workflow(path: str) -> bool:
    return _WORKFLOW.fullmatch(path) is not None


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for path in repo.matching(_is_workflow):
        with isolated(repo, facts, path) as focus:
            _workflow(repo, facts, path, focus)


def _workflow(repo: RepoView, facts: RepoFacts, path: str, focus: Focus) -> None:
    docs = yaml_docs(repo, path)
    if not docs:
        return
    workflow = docs[0]
    jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
    if not isinstance(jobs, dict):
        if workflow is not None:
            repo.diag(
                path, "workflow has no `jobs:` mapping; skipped", line=node_line(workflow), level="note"
            )
        return
    for job_id, job in jobs.items():
        if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
            continue
        focus.at(path, node_line(job))
        first = len(facts.builds)
        runs = _job_runs(str(job_id), job)
        for name, run in runs:
            state = _Job(repo, facts, path, workflow, name, run)
            for index, step in enumerate(run["steps"]):
                if isinstance(step, dict):
                    focus.at(path, node_line(step))
                    state.step(index, step)
        facts.builds[first:] = _distinct(facts.builds[first:], path, str(job_id), [n for n, _ in runs])


def _job_runs(job_id: str, job: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The job once per matrix combination its steps or runner use (`${{ matrix.x }}` substituted,
    named as GitHub names the runs), else once as written."""
    used = {k: v for k, v in job.items() if k != "strategy"}
    combos = matrix.combinations(job.get("strategy")) if matrix.mentions_matrix(used) else []
    if not combos:
        return [(job_id, job)]
    return [
        (f"{job_id} ({matrix.label(combo)})", matrix.substitute(job, matrix.substituter(combo)))
        for combo in combos
    ]


def _distinct(builds: list[ImageBuild], path: str, job_id: str, runs: list[str]) -> list[ImageBuild]:
    """One build per step and outcome: matrix runs that build the same thing are one build, named
    after the job (not one of its runs) when every run builds it."""
    count: dict[tuple[object, ...], int] = {}
    first: dict[tuple[object, ...], ImageBuild] = {}
    for build in builds:
        key: tuple[object, ...] = (
            build.location,
            build.dockerfile,
            build.context,
            build.target,
            build.platforms,
            tuple(build.tags),
            build.build_args,
        )
        count[key] = count.get(key, 0) + 1
        first.setdefault(key, build)
    if len(runs) > 1:
        workflow = f"workflow {path.rsplit('/', 1)[-1]} job "
        for seen, build in first.items():
            run = next((r for r in runs if build.name.startswith(f"{workflow}{r}:")), None)
            if run is not None and count[seen] == len(runs):
                build.name = f"{workflow}{job_id}" + build.name[len(workflow) + len(run) :]
    return list(first.values())
