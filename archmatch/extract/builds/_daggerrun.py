"""Evaluating one Dagger pipeline (a Go package, `_daggergo.Package`, or Python files,
`_daggerpy.PyPackage`: its folder, and the folder of its dagger.json for a module) into facts: each CI call of it with its
arguments bound and its runner as the engine host, then each entry point no call runs, with an
unknown host; every `Publish` an `ImageBuild`, every `aws` deploy command a workload."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from archmatch.dockercli import Word
from archmatch.extract.budget import Budget
from archmatch.extract.builds import _awscli, _tfcli
from archmatch.extract.builds._awsdeploy import add_facts
from archmatch.extract.builds._common import HostContext, folder_of, image_label, join
from archmatch.extract.builds._daggergo import (
    Ctr,
    Dir,
    EnginePlatform,
    Event,
    Exec,
    Items,
    Param,
    Published,
    Text,
    Unknown,
    Val,
)
from archmatch.extract.builds._shellscan import MAX_TERRAFORM_USES
from archmatch.model import DaggerCall, FixSyntax, ImageBuild, Location, RepoFacts, Workload
from archmatch.platforms import ArchFact, How, parse_platform_list
from archmatch.repo import RepoView

# A pipeline is small: a fifth of the general step allowance keeps a 10 MB Go file to seconds
MAX_STEPS = 200_000
MAX_BUILDS = 1_000  # images one pipeline publishes; more are left out with a limit diagnostic
UNBOUND_HOST = HostContext(
    "no platform: the Dagger engine's native platform, whatever machine runs the pipeline"
)


class Entry(Protocol):
    """A function of the pipeline (Go `FuncDecl`, Python `PyFunc`)."""

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def receiver_type(self) -> str | None: ...
    @property
    def params(self) -> list[Param]: ...


class Pipeline(Protocol):
    """What this module needs of an evaluator (`_daggergo.Package`, `_daggerpy.PyPackage`)."""

    events: list[Event]
    fix_syntax: FixSyntax  # how a platform is written in its language

    @property
    def funcs(self) -> Mapping[str, Sequence[Entry]]: ...
    def entries(self) -> Iterable[Entry]: ...
    def run(self, func: Any, bound: dict[str, Val]) -> tuple[Val, ...]: ...  # one of its own entries


def _calls_for(
    folder: str, module_root: str | None, calls: list[DaggerCall], repo: RepoView
) -> list[DaggerCall]:
    out = []
    for call in calls:
        if call.module is None:
            continue
        if call.program:
            if module_root is None and call.module == folder:
                out.append(call)
        elif module_root is not None and _find_module(repo, call.module) == module_root:
            out.append(call)
    return out


def _find_module(repo: RepoView, folder: str) -> str | None:
    """The folder of the dagger.json that `dagger -m <folder>` loads: the nearest one upwards."""
    current: str | None = folder
    while current is not None:
        if repo.exists(join(current, "dagger.json") or ""):
            return current
        if current == ".":
            return None
        current = folder_of(current)
    return None


def extract_unit(
    repo: RepoView,
    facts: RepoFacts,
    folder: str,
    module_root: str | None,
    first_file: str,
    pipeline: Callable[[Budget, str | None], Pipeline],
) -> None:
    """`pipeline(budget, cwd)` makes a fresh evaluator of the unit's files."""
    budget = Budget(first_file, steps=MAX_STEPS)
    calls = _calls_for(folder, module_root, facts.extra.dagger_calls, repo)
    called: set[str] = set()
    builds: dict[tuple[object, ...], ImageBuild] = {}
    for call in calls:
        package = pipeline(budget, call.cwd)
        entry, bound, chain = _bind_call(package, call)
        if entry is None:
            continue
        called.add(entry.name)
        host = HostContext(f"Dagger engine on the CI runner ({call.host_note})", call.host_hint)
        result = package.run(entry, bound)
        if chain is not None and isinstance(result[0], Ctr):
            package.events.append(Published(result[0], chain, (), call.location))
        label = f"{call.where}: " + (
            f"dagger call {call.words[0]}" if not call.program else f"program {folder}"
        )
        _record(repo, facts, package, host, label, str(call.location), builds, budget, call)
    package = pipeline(budget, None)
    for entry in package.entries():
        if budget.exceeded is not None:
            break
        if entry.name in called or (calls and any(c.program for c in calls) and entry.name == "main"):
            continue
        package.events = []
        package.run(entry, {})
        where = f"{entry.path}:{entry.line}"
        _record(
            repo,
            facts,
            package,
            UNBOUND_HOST,
            f"dagger function {entry.name} ({where})",
            where,
            builds,
            budget,
        )
    budget.report(repo)


# --- dagger call arguments --------------------------------------------------------------------
def kebab(name: str) -> str:
    """Dagger's CLI name of a function or parameter (`functionName`, `function_name` ->
    `function-name`, `ECRPush` -> `ecr-push`): a hyphen before an upper-case letter that follows a
    lower-case letter or digit, or that starts a word after an acronym."""
    text = name.strip("_")
    out: list[str] = []
    for i, ch in enumerate(text):
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        starts_word = ch.isupper() and (
            before.islower() or before.isdigit() or (before.isupper() and after.islower())
        )
        out.append(("-" if starts_word else "") + ("-" if ch == "_" else ch.lower()))
    return "".join(out)


def _bind_call(package: Pipeline, call: DaggerCall) -> tuple[Entry | None, dict[str, Val], Text | None]:
    if call.program:
        main = next((f for f in package.funcs.get("main", []) if f.receiver_type is None), None)
        return main, {}, None
    if not call.words:
        return None, {}, None
    name = call.words[0]
    entry = next((f for f in package.entries() if kebab(f.name) == name and f.receiver_type), None)
    if entry is None:
        return None, {}, None
    params = {kebab(p.name): p for p in entry.params}
    bound: dict[str, Val] = {}
    words = list(call.words[1:])
    i = 0
    where = call.location
    cwd = call.cwd
    while i < len(words) and words[i].startswith("--"):
        flag, eq, value = words[i][2:].partition("=")
        param = params.get(flag)
        i += 1
        if not eq:
            if param is not None and param.type_text in ("bool", "bool | None"):
                value = "true"
            elif i < len(words):
                value, i = words[i], i + 1
        if param is not None:
            bound[param.name] = _flag_value(param.type_text, value, where, cwd)
    chain = _chained_publish(words[i:])
    return entry, bound, chain


def _flag_value(type_text: str, value: str, where: Location, cwd: str | None) -> Val:
    known = "$" not in value
    type_text = type_text.replace("Annotated[", "").split(",", 1)[0].strip()
    if type_text.endswith("Directory"):
        return Dir(join(cwd, value) if known else None)
    if type_text in ("string", "str", "dagger.Platform", "bool"):
        return Text(value, known, where)
    if type_text in ("[]string", "list[str]"):
        return Items(tuple(Text(v, known, where) for v in value.split(",")))
    return Unknown(value)


def _chained_publish(words: list[str]) -> Text | None:
    if not words or words[0] != "publish":
        return None
    for i, word in enumerate(words[1:], start=1):
        if word.startswith("--address="):
            value = word.split("=", 1)[1]
            return Text(value, "$" not in value)
        if word == "--address" and i + 1 < len(words):
            return Text(words[i + 1], "$" not in words[i + 1])
    return None


# --- facts --------------------------------------------------------------------------------------
def _record(
    repo: RepoView,
    facts: RepoFacts,
    package: Pipeline,
    host: HostContext,
    label: str,
    run: str,
    builds: dict[tuple[object, ...], ImageBuild],
    budget: Budget,
    call: DaggerCall | None = None,
) -> None:
    """The facts of one run of the pipeline (`call`: the CI step that runs it, if any)."""
    called_at, job = (call.location, call.where) if call is not None else (None, "")
    made: list[ImageBuild] = []
    for event in package.events:
        if isinstance(event, Published):
            build = _build(event, host, label, package.fix_syntax)
            key = (build.location, build.platforms, tuple(build.tags), build.dockerfile)
            if key not in builds and len(builds) >= MAX_BUILDS:
                budget.refuse(
                    f"more than {MAX_BUILDS} published images", event.location.line, event.location.path
                )
                continue
            if key not in builds:
                builds[key] = build
                facts.builds.append(build)
            made.append(builds[key])
    for event in package.events:
        if isinstance(event, Exec):
            _record_terraform(facts, event, called_at, job)
            command = _aws_command(event)
            if command is not None:
                first = len(facts.workloads)
                add_facts(repo, facts, event.location.path, [command], [], run=job)
                _link_published(facts.workloads[first:], made, run)
    package.events = []


def _record_terraform(facts: RepoFacts, event: Exec, called_at: Location | None, job: str) -> None:
    """A terraform command the pipeline runs with variables on its command line. The folder it runs
    in is the container's working directory, not known here: the var files are looked for in
    every root module."""
    command = _tfcli.parse([_word(v) for v in event.argv])
    if command is not None:
        found = replace(_tfcli.use(command, None, event.location), via=called_at, run=job)
        known = facts.extra.terraform_vars
        # bounded like a script's (each check compares with every command kept)
        if len(known) < MAX_TERRAFORM_USES and found not in known:
            known.append(found)


def _link_published(workloads: list[Workload], builds: list[ImageBuild], run: str) -> None:
    """An image a deploy command of this run names by the value a `Publish` of the same run
    returned is that build's image: a direct reference, keyed by the run and the build."""
    for workload in workloads:
        images = []
        for image in workload.images:
            keys = {f"dagger:{run}:{b.location}" for b in builds if image.ref and image.ref in b.tags}
            for build in builds:
                build.link_keys = build.link_keys | (keys & {f"dagger:{run}:{build.location}"})
            images.append(replace(image, link_keys=image.link_keys | keys) if keys else image)
        workload.images = images


def _platform(value: Val | None, host: HostContext) -> tuple[ArchFact, Location | None]:
    if value is None or isinstance(value, EnginePlatform):
        return host.fact(), None
    if isinstance(value, Text) and value.known:
        archs, bad = parse_platform_list([value.text])
        if archs and not bad:
            return ArchFact.explicit(*archs, note="Dagger container platform"), value.where
        return ArchFact.unknown(f"unrecognised platform {value.text!r}"), value.where
    where = value.where if isinstance(value, Text) else None
    return ArchFact.unknown("Dagger container platform computed at run time"), where


def _platforms(event: Published, host: HostContext) -> tuple[ArchFact, Location | None]:
    """The platforms of the published image: the container's, or with `PlatformVariants` those of
    the variants (the container publishing them adds at most its own, the engine's, platform)."""
    fact, where = _platform(event.ctr.platform, host)
    if not event.variants:
        return fact, where
    variants = [_platform(v.platform, host) for v in event.variants]
    facts = [f for f, _ in variants] + ([fact] if fact.how is How.EXPLICIT else [])
    if all(f.how is How.EXPLICIT for f in facts):
        archs = frozenset().union(*(f.archs for f in facts))
        return ArchFact.explicit(*sorted(archs), note="Dagger platform variants"), variants[0][1]
    if any(f.how is How.UNKNOWN for f in facts):
        return ArchFact.unknown("Dagger platform variants computed at run time"), where
    return fact, where


def _build(event: Published, host: HostContext, label: str, fix_syntax: FixSyntax) -> ImageBuild:
    ctr = event.ctr
    platforms, where = _platforms(event, host)
    tags = [event.address.text]
    what = ctr.dockerfile or ("Dockerfile build" if ctr.dockerfile_build else ctr.base or "container")
    shown = image_label(tags)
    return ImageBuild(
        source="dagger",
        name=f"{label}: {what}" + (f" published as {shown}" if shown else ""),
        location=ctr.origin,
        dockerfile=ctr.dockerfile,
        context=ctr.context,
        target=ctr.target,
        platforms=platforms,
        platform_location=where,
        tags=tags,
        build_args=ctr.build_args,
        fix_syntax=fix_syntax,
    )


def _aws_command(event: Exec) -> _awscli.AwsCommand | None:
    texts = [_word(v) for v in event.argv]
    words = [Word(t, i, i + 1) for i, t in enumerate(texts)]
    command = _awscli.parse(words)
    if command is None:
        return None
    command.line = event.location.line
    for name, option in command.options.items():
        index = option.offset
        command.lines[name] = event.lines[index] if 0 <= index < len(event.lines) else event.location.line
    command.cwd = None
    return command


def _word(value: Val) -> str:
    if isinstance(value, Text):
        return value.text
    return f"${{{value.name if isinstance(value, Unknown) else 'value'}}}"
