"""Docker commands and AWS SDK workloads of TypeScript/JavaScript ops programs.

Commands: `child_process` `exec/execSync` (a shell command), `spawn/spawnSync/execFile/
execFileSync(program, [args])`, and `execa(program, [args])` / `execaCommand(command)`; their text
goes through the shell scanner like a script line (relative paths from the repository root, as for
the commands Python code runs). Workloads: AWS SDK for JavaScript v3 commands
`new CreateServiceCommand({SourceConfiguration: {ImageRepository: {ImageIdentifier}}})` /
`UpdateServiceCommand` (App Runner: x86_64 only), `CreateFunctionCommand({PackageType: 'Image',
Code: {ImageUri}, Architectures})` / `UpdateFunctionCodeCommand({ImageUri, Architectures})`
(Lambda) and `RegisterTaskDefinitionCommand({runtimePlatform, containerDefinitions: [{image}]})`
(ECS), with the architecture semantics of the equivalent AWS CLI commands (`_awsdeploy`).

Values are those of the CDK reader's TypeScript evaluator (`cdk_source.ts_front`) over the program
of the file's package (the folder of the nearest `package.json`: its source files and the files they
import, relative paths and workspace packages of the monorepo, never `node_modules`): literals,
constants, exported objects and enums of any of those files, template literals, `[...].join(sep)`, and
calls of the program's functions with their arguments bound (`cdk_source.ts_bind`); each command or
SDK call is read once per chain of calls reaching it, so a helper called for the api and for the web
image gives two commands. Anything else is an unknown `${name}`: a tag read at run time stays an
unknown tag while the repository around it is known. A `docker tag` of an image the command did not
build, then pushed, is recorded as an `ImageRetag` for the linker. Packages are parsed only when one
of their files mentions `child_process`, `execa` or one of those SDK clients.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

from archmatch import lazyre
from archmatch.aws.defaults import ECS_DEFAULT_ARCH, LAMBDA_DEFAULT_ARCH
from archmatch.aws.ecs import os_family_of, runs_on_fargate
from archmatch.extract.builds._awsdeploy import function_name
from archmatch.extract.builds._common import HostContext, has_unresolved
from archmatch.extract.builds._shellscan import ShellState, scanned_builds, script_dir_of
from archmatch.extract.cdk_source.values import Arr, Num, Obj, Str, Unknown, Val
from archmatch.isolation import isolated
from archmatch.model import (
    CliCommand,
    EcsFacts,
    ImageRef,
    ImageRetag,
    LambdaFacts,
    Location,
    RepoFacts,
    Workload,
)
from archmatch.platforms import AMD64, ArchFact, normalize_arch
from archmatch.repo import RepoView

if TYPE_CHECKING:  # tree-sitter loads only when a file passes the sniff
    from tree_sitter import Node

    from archmatch.extract.cdk_source.program import Program
    from archmatch.extract.cdk_source.ts_front import TsFile

EXTENSIONS = (".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".tsx", ".jsx")
_SNIFF = lazyre.compile(r"\bchild_process\b|\bexeca\b|@aws-sdk/client-(?:apprunner|lambda|ecs)\b")
_SHELL_RUNNERS = frozenset(["exec", "execSync", "execaCommand", "execaCommandSync"])
_ARGV_RUNNERS = frozenset(["spawn", "spawnSync", "execFile", "execFileSync", "execa", "execaSync"])
_PLACEHOLDERS = lazyre.compile(r"\$\{[^{}]*\}")
MAX_SOURCE_CHARS = 500_000
HOST = HostContext("no --platform: the machine that runs the Node.js program decides")


def wanted(path: str) -> bool:
    return path.endswith(EXTENSIONS) and not path.endswith(".d.ts") and "node_modules/" not in "/" + path


def extract(repo: RepoView, facts: RepoFacts) -> None:
    sniffed = []
    for path in repo.matching(wanted):
        text = repo.read_text(path)
        if text is None or not _SNIFF.search(text):
            continue
        if len(text) > MAX_SOURCE_CHARS:
            repo.diag(path, f"file larger than {MAX_SOURCE_CHARS} characters; not read", code="limit")
            continue
        sniffed.append(path)
    if not sniffed:
        return
    from archmatch.extract.cdk_source.ts_front import TsFile as ParsedTs

    packages = _Packages(repo)
    for path in sniffed:
        with isolated(repo, facts, path):
            source = packages.program(path).files.get(path)
            if isinstance(source, ParsedTs):
                _extract_file(repo, facts, source, path)
    for program in packages.made():
        program.budget.report(repo)


class _Packages:
    """One program per package (the folder of the nearest `package.json`): its source files, the
    files they import (relative paths, packages of the same monorepo, `workspaces.py`), parsed once,
    with calls of the program's functions evaluated with their arguments bound (`ts_bind`)."""

    def __init__(self, repo: RepoView):
        self.repo = repo
        self._programs: dict[str, Program] = {}
        self._files: dict[str, list[str]] | None = None

    def made(self) -> list[Program]:
        return [self._programs[folder] for folder in sorted(self._programs)]

    def program(self, path: str) -> Program:
        folder = self._package_of(path)
        if folder not in self._programs:
            from archmatch.extract.cdk_source.discovery import CdkApp
            from archmatch.extract.cdk_source.program import MAX_APP_FILES, Program

            seeds = tuple([path] + [f for f in self._package_files(folder) if f != path][: MAX_APP_FILES - 1])
            manifest = f"{folder}/package.json" if folder else "package.json"
            app = CdkApp(config=manifest, app_dir=folder or ".", language="ts", entry=path, seeds=seeds)
            program = Program(self.repo, app)
            program.open_world = False  # an ops program: its functions are called by its own files
            program.bind_calls = True
            program.report_syntax_errors = False  # values only: a broken file just gives fewer
            program.load()
            self._programs[folder] = program
        return self._programs[folder]

    def _package_of(self, path: str) -> str:
        folder = posixpath.dirname(path)
        while folder:
            if self.repo.exists(f"{folder}/package.json"):
                return folder
            folder = posixpath.dirname(folder)
        return ""

    def _package_files(self, folder: str) -> list[str]:
        if self._files is None:
            self._files = {}
            for path in sorted(self.repo.matching(wanted)):
                self._files.setdefault(self._package_of(path), []).append(path)
        return self._files.get(folder, [])


def _extract_file(repo: RepoView, facts: RepoFacts, source: TsFile, path: str) -> None:
    from archmatch.extract.cdk_source import ts_bind

    program = source.program
    for call in source.calls():
        name = _callee_name(call)
        line = call.start_point.row + 1
        runner = name in _SHELL_RUNNERS or name in _ARGV_RUNNERS
        sdk = call.type == "new_expression" and name in _SDK_COMMANDS
        if not (runner or sdk):
            continue
        made: list[str] = []
        for frame in ts_bind.contexts(source, call):
            saved, program.env = program.env, frame
            try:
                if runner:
                    command = _command_text(source, call, name)
                    if command is not None and "docker" in command and command not in made:
                        made.append(command)
                        _add_builds(repo, facts, path, command, line)
                else:
                    _add_workload(facts, source, call, name, path, line)
            finally:
                program.env = saved


def _add_workload(facts: RepoFacts, source: TsFile, call: Node, name: str, path: str, line: int) -> None:
    args = call.child_by_field_name("arguments")
    first = next((c for c in (args.named_children if args else []) if c.type != "comment"), None)
    value = source.eval(first) if first is not None else None
    if not isinstance(value, Obj):
        return
    made = _SDK_COMMANDS[name](path, line, value, name)
    if made is not None and not any(_same_workload(made, other) for other in facts.workloads):
        facts.workloads.append(made)


def _same_workload(a: Workload, b: Workload) -> bool:
    """The same SDK call evaluated in two call chains that give it the same values."""
    return (a.location, a.name, a.arch, [i.ref for i in a.images]) == (
        b.location,
        b.name,
        b.arch,
        [i.ref for i in b.images],
    )


def _callee_name(call: Node) -> str:
    fn = call.child_by_field_name("constructor" if call.type == "new_expression" else "function")
    if fn is not None and fn.type == "member_expression":
        fn = fn.child_by_field_name("property")
    return fn.text.decode("utf-8", "replace") if fn is not None and fn.text is not None else ""


def _text_of(value: Val) -> str:
    """A known string as it is, an unknown one as its template (`${name}` for each unknown part)."""
    if isinstance(value, Str):
        return value.value
    if isinstance(value, Num):
        return str(int(value.value)) if value.value == int(value.value) else str(value.value)
    if isinstance(value, Unknown) and value.template:
        return value.template
    return "${...}"


def _shell_word(text: str) -> str:
    """One argv item as a shell word (an unknown part stays a `${name}` the scanner leaves unresolved)."""
    return shlex.quote(text) if "${" not in text else '"' + text + '"'


def _command_text(source: TsFile, call: Node, name: str) -> str | None:
    args = call.child_by_field_name("arguments")
    values = [source.eval(c) for c in (args.named_children if args else []) if c.type != "comment"]
    if not values:
        return None
    if name in _SHELL_RUNNERS:
        return _text_of(values[0])
    words = [_text_of(values[0])]
    if len(values) > 1 and isinstance(values[1], Arr):
        words += [_shell_word(_text_of(item)) for item in values[1].items]
    return " ".join(words)


def _add_builds(repo: RepoView, facts: RepoFacts, path: str, command: str, line: int) -> None:
    state = ShellState(path=path, script_dir=script_dir_of(path), cwd="", walk="")
    where = f"JavaScript {path}"
    facts.builds.extend(
        scanned_builds(
            repo, command, state, lambda _offset: line, source="javascript", where=where, host=HOST
        )
    )
    for source, target in state.images.pushed_retags():
        retag = ImageRetag(source, target, Location(path, line), where)
        if retag not in facts.extra.image_retags:
            facts.extra.image_retags.append(retag)


# --- AWS SDK commands -----------------------------------------------------------------------------
def _field(obj: Val | None, *keys: str) -> Val | None:
    for key in keys:
        if not isinstance(obj, Obj):
            return None
        obj = obj.fields.get(key)
    return obj


def _known(value: Val | None) -> str | None:
    return value.value if isinstance(value, Str) and not has_unresolved(value.value) else None


def _partly_known(value: Val | None) -> str | None:
    """A name built from known and unknown parts (`letsgo-${deployment}-api`), as a label: one SDK
    call reached through several call chains gives one workload per chain, told apart by it."""
    if isinstance(value, Unknown) and value.template and _PLACEHOLDERS.sub("", value.template).strip():
        return value.template
    return None


def _image(value: Val | None, where: Location) -> list[ImageRef]:
    if value is None:
        return []
    text = _text_of(value)
    return [ImageRef(text if text != "${...}" else "", where, frozenset(), not has_unresolved(text))]


def _at(path: str, obj: Obj, key: str, line: int) -> Location:
    return Location(path, obj.key_lines.get(key, line))


def _apprunner(path: str, line: int, props: Obj, command: str) -> Workload | None:
    repository = _field(props, "SourceConfiguration", "ImageRepository")
    if not isinstance(repository, Obj):
        return None
    where = _at(path, repository, "ImageIdentifier", line)
    images = _image(repository.fields.get("ImageIdentifier"), where)
    if not images:
        return None
    name = _known(props.fields.get("ServiceName"))
    label = name or _partly_known(props.fields.get("ServiceName"))
    return Workload(
        kind=f"AWS SDK {command}",
        name=f"{label or f'service at line {line}'} ({command})",
        service="apprunner",
        location=Location(path, line),
        arch=ArchFact.derived(AMD64, note="App Runner runs x86_64 only"),
        images=images,
        cli=CliCommand(f"apprunner {_CLI_NAMES[command]}", name),
    )


def _lambda(path: str, line: int, props: Obj, command: str) -> Workload | None:
    code = props.fields.get("Code") if command == "CreateFunctionCommand" else props
    uri = _field(code, "ImageUri")
    if uri is None:
        return None
    here = Location(path, line)
    name = function_name(_known(props.fields.get("FunctionName")))
    written = props.fields.get("Architectures")
    keeps = command == "UpdateFunctionCodeCommand" and written is None
    arch_location: Location | None = here
    if written is not None:
        first = written.items[0] if isinstance(written, Arr) and written.items else None
        arch_name = normalize_arch(first.value) if isinstance(first, Str) else None
        arch = (
            ArchFact.explicit(arch_name, note="Architectures")
            if arch_name
            else ArchFact.unknown(
                f"Architectures {_text_of(written) if not isinstance(written, Arr) else 'not known'}"
            )
        )
        arch_location = _at(path, props, "Architectures", line)
    elif keeps:
        arch, arch_location = (
            ArchFact.unknown("UpdateFunctionCodeCommand keeps the function's architecture"),
            None,
        )
    else:
        arch = ArchFact.default(LAMBDA_DEFAULT_ARCH, note="CreateFunctionCommand without Architectures")
    where = _at(path, code, "ImageUri", line) if isinstance(code, Obj) else here
    return Workload(
        kind=f"AWS SDK {command}",
        name=f"{name or f'function at line {line}'} ({command})",
        service="lambda",
        location=here,
        arch=arch,
        arch_location=arch_location,
        images=_image(uri, where),
        lambda_=LambdaFacts(package_type="Image"),
        cli=CliCommand(f"lambda {_CLI_NAMES[command]}", name, keeps_arch=keeps),
    )


def _ecs(path: str, line: int, props: Obj, command: str) -> Workload | None:
    containers = props.fields.get("containerDefinitions")
    if not isinstance(containers, Arr):
        return None
    images = [
        ref
        for item in containers.items
        if isinstance(item, Obj)
        for ref in _image(item.fields.get("image"), _at(path, item, "image", line))
    ]
    if not images:
        return None
    platform = props.fields.get("runtimePlatform")
    cpu = _field(platform, "cpuArchitecture")
    arch_location: Location | None = None
    if cpu is None:
        arch = ArchFact.default(ECS_DEFAULT_ARCH, note="no runtimePlatform cpuArchitecture")
    else:
        arch_name = normalize_arch(cpu.value) if isinstance(cpu, Str) else None
        arch = ArchFact.explicit(arch_name) if arch_name else ArchFact.unknown("cpuArchitecture not known")
        arch_location = Location(path, cpu.line or line)
    requires_value = props.fields.get("requiresCompatibilities")
    requires = tuple(
        i.value.upper()
        for i in (requires_value.items if isinstance(requires_value, Arr) else [])
        if isinstance(i, Str)
    )
    family = _known(props.fields.get("family"))
    os_value = _field(platform, "operatingSystemFamily")
    return Workload(
        kind=f"AWS SDK {command}",
        name=f"{family or f'task definition at line {line}'} ({command})",
        service="ecs",
        location=Location(path, line),
        arch=arch,
        arch_location=arch_location,
        images=images,
        os_family=os_family_of(os_value.value if isinstance(os_value, Str) else os_value),
        ecs=EcsFacts(
            fargate=runs_on_fargate(None, None, requires or None), requires_compatibilities=requires or None
        ),
        cli=CliCommand("ecs register-task-definition", family),
    )


_CLI_NAMES = {
    "CreateServiceCommand": "create-service",
    "UpdateServiceCommand": "update-service",
    "CreateFunctionCommand": "create-function",
    "UpdateFunctionCodeCommand": "update-function-code",
    "RegisterTaskDefinitionCommand": "register-task-definition",
}
_SDK_COMMANDS: dict[str, Callable[[str, int, Obj, str], Workload | None]] = {
    "CreateServiceCommand": _apprunner,
    "UpdateServiceCommand": _apprunner,
    "CreateFunctionCommand": _lambda,
    "UpdateFunctionCodeCommand": _lambda,
    "RegisterTaskDefinitionCommand": _ecs,
}
