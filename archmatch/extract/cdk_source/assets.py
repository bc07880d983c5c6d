"""Docker image assets in CDK source: where each is built, for which platform, and which
`buildArgs` only pretend to choose a platform (facts for ARCH401)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace

from archmatch.extract.builds.generated import generated_dockerfile, generated_folder
from archmatch.extract.cdk_source.archvalues import Arch, docker_platform
from archmatch.extract.cdk_source.values import (
    Call,
    Choice,
    Null,
    Obj,
    PathV,
    Ref,
    Str,
    Unknown,
    Val,
    as_obj,
    get,
    key_line,
)
from archmatch.model import CdkBuildArgPlatform, CdkSyntax, ImageBuild, Location, PlatformInsertion
from archmatch.platforms import HOST_BRANCH_NOTE, ArchFact, How, arch_of
from archmatch.repo import RepoView

HOST_KEY = "cdk:hostarch"  # marks builds whose platform is computed from the deploy machine

# factory -> (index of the directory argument or None for props.directory, index of the props)
ASSET_FACTORIES: dict[str, tuple[int | None, int]] = {
    "aws_lambda.DockerImageCode.fromImageAsset": (0, 1),
    "aws_lambda.Code.fromAssetImage": (0, 1),
    "aws_lambda.AssetImageCode": (0, 1),
    "aws_ecs.ContainerImage.fromAsset": (0, 1),
    # the same static factory reached through the subclass (`ecs.AssetImage.fromAsset(dir)`)
    "aws_ecs.AssetImage.fromAsset": (0, 1),
    "aws_ecs.AssetImage": (0, 1),
    "aws_ecr_assets.DockerImageAsset": (None, 2),
}
# DockerImageFunction passes its architecture's platform to this factory (docs/aws-facts.md#cdk-assets).
ARCH_BOUND_FACTORY = "aws_lambda.DockerImageCode.fromImageAsset"
_PLATFORM_ARG_KEYS = frozenset(
    {
        "platform",
        "targetplatform",
        "target_platform",
        "docker_platform",
        "docker_default_platform",
        "build_platform",
    }
)


def link_key(call: Call) -> str:
    return f"cdk:src:{call.path}:{call.line}"


@dataclass
class Asset:
    call: Call
    syntax: CdkSyntax
    directory: str | None  # root-relative build context, None when unknown or outside the root
    directory_text: str
    dockerfile: str | None
    target: str | None
    platform: Val | None  # the explicit `platform` option
    platform_line: int
    build_args: Obj | None
    # how the file names aws_ecr_assets.Platform (`Platform`, `ecr_assets.Platform`), None: not imported
    platform_name: str | None = None
    # set by a DockerImageFunction that binds this code: its architecture and where it is written
    bound_arch: Arch | None = None
    bound_line: int = 0
    bound_by: list[str] = field(default_factory=list)
    dockerfile_unread: str = ""  # why the Dockerfile of a generated folder is not read
    dockerfile_via: Location | None = None  # the script line that copies it into a generated folder
    # the other folders a condition may choose for the same call: each is a candidate build of its own
    alternatives: list[Asset] = field(default_factory=list)

    @property
    def key(self) -> str:
        return link_key(self.call)

    @property
    def location(self) -> Location:
        return Location(self.call.path, self.call.line, self.call.column)

    @property
    def name(self) -> str:
        return f"CDK image asset {self.directory_text}"

    def platforms(self) -> tuple[ArchFact, Location | None, bool]:
        """(requested platforms, where decided, computed from the deploy machine)."""
        path = self.call.path
        if isinstance(self.platform, Choice) and any(isinstance(o, Null) for o in self.platform.options):
            where = Location(path, self.platform_line or self.platform.line)
            note = f"{HOST_BRANCH_NOTE} of the condition at {self.platform.path}:{self.platform.line}"
            return ArchFact.host(note), where, False
        if self.platform is not None:
            where = Location(path, self.platform_line or self.platform.line)
            parsed = docker_platform(self.platform)
            return _platform_fact(parsed, "platform option"), where, parsed.host is not None
        if self.bound_arch is not None:
            where = Location(path, self.bound_line)
            arch = self.bound_arch
            if arch.host is not None:
                return (
                    ArchFact.host(f"architecture computed from the deploy machine ({arch.host.source})"),
                    where,
                    True,
                )
            if arch.docker_platform is not None:
                return (
                    ArchFact.explicit(
                        arch.docker_platform, note=f"DockerImageFunction {arch.text} sets the asset platform"
                    ),
                    where,
                    False,
                )
            return ArchFact.unknown(f"architecture {arch.text}"), where, False
        if self.call.callee == ARCH_BOUND_FACTORY and self.bound_by:
            note = "DockerImageFunction without architecture: cdk-assets passes no --platform"
        else:
            note = "no platform option: cdk-assets builds for the machine that runs cdk deploy"
        return ArchFact.host(note), None, False

    def platform_member(self) -> str | None:
        """`LINUX_AMD64` when the platform option is `Platform.LINUX_AMD64` (however qualified)."""
        value = self.platform
        if isinstance(value, Ref) and value.qual.startswith("aws_ecr_assets.Platform.LINUX_"):
            return value.qual.rsplit(".", 1)[1]
        return None

    def platform_insertion(self) -> PlatformInsertion | None:
        """Where a `platform` option goes in the asset call: appended to its keyword arguments
        (Python), its props object literal, or as a new props object (TypeScript). None when its
        options are a variable or a spread."""
        call, text = self.call, self.call.text
        if self.platform is not None or not text.endswith(")"):
            return None
        _, props_index = ASSET_FACTORIES[call.callee or ""]
        if "\n" in text:
            return self._multiline_insertion(props_index)
        name = f"{self.platform_name or 'Platform'}."
        if self.syntax == "cdk-py":
            if call.kwargs is not None and call.kwargs.open:
                return None
            head, tail = _before_closing(text[:-1], f"platform={name}"), ")"
        elif len(call.args) == props_index:
            head, tail = _before_closing(text[:-1], f"{{ platform: {name}"), " })"
        elif len(call.args) == props_index + 1 and text.endswith("})"):
            props = call.args[props_index]
            if not isinstance(props, Obj) or props.open:
                return None
            head, tail = _before_closing(text[:-2], f"platform: {name}"), " })"
        else:
            return None
        location = Location(call.path, call.line)
        return PlatformInsertion(location, text, head, tail, self.platform_name is not None)

    def _multiline_insertion(self, props_index: int) -> PlatformInsertion | None:
        """A call written over several lines: the option goes right after its last argument (or
        last property), on a line of its own when that one ends its line; the edit replaces that
        line (from the call's start on its first line)."""
        call, name = self.call, f"{self.platform_name or 'Platform'}."
        props = call.args[props_index] if len(call.args) == props_index + 1 else None
        if self.syntax == "cdk-py":
            unknown = any(isinstance(a, Unknown) for a in call.args)
            if call.args_end is None or unknown or (call.kwargs is not None and call.kwargs.open):
                return None
            at, option, closing = call.args_end, f"platform={name}", ""
        elif len(call.args) == props_index and call.args_end is not None:
            at, option, closing = call.args_end, f"{{ platform: {name}", " }"
        elif isinstance(props, Obj) and not props.open and props.fields_end is not None:
            if not props.fields:  # `{}`: the option is its only property
                return _inserted_at(call, props.fields_end, " platform: " + name, " ", self.platform_name)
            at, option, closing = props.fields_end, f"platform: {name}", ""
        else:
            return None
        return _appended_at(call, at, option, closing, self.platform_name)

    def effective_arch(self) -> str | None:
        fact, _, _ = self.platforms()
        return next(iter(fact.archs)) if len(fact.archs) == 1 else None

    def build(self) -> ImageBuild:
        platforms, where, host = self.platforms()
        keys = {self.key} | ({HOST_KEY} if host else set())
        return ImageBuild(
            source="cdk",
            name=self.name,
            location=self.location,
            dockerfile=self.dockerfile,
            context=self.directory,
            target=self.target,
            platforms=platforms,
            platform_location=where,
            platform_member=self.platform_member(),
            platform_insertion=self.platform_insertion() if platforms.how is How.HOST else None,
            link_keys=frozenset(keys),
            fix_syntax=self.syntax,
            dockerfile_unread=self.dockerfile_unread,
            dockerfile_origin="copied into the generated folder" if self.dockerfile_via else "",
            dockerfile_via=self.dockerfile_via,
        )


def _line_at(call: Call, at: tuple[int, int]) -> tuple[str, int] | None:
    """(the text of line `at[0]` from the call's start, the character offset of byte column `at[1]`)."""
    lines = call.text.split("\n")
    index = at[0] - call.line
    if not 0 <= index < len(lines):
        return None
    segment = lines[index].encode()
    offset = at[1] - (call.column - 1 if index == 0 else 0)
    if not 0 <= offset <= len(segment):
        return None
    return lines[index], len(segment[:offset].decode("utf-8", "replace"))


def _inserted_at(
    call: Call, at: tuple[int, int], before: str, after: str, platform_name: str | None
) -> PlatformInsertion | None:
    """`before` + the platform member + `after` inserted at `at` (a line of the call)."""
    found = _line_at(call, at)
    if found is None:
        return None
    segment, offset = found
    rest = segment[offset:]
    tail = after + rest if rest.startswith("}") else rest
    location = Location(call.path, at[0])
    return PlatformInsertion(location, segment, segment[:offset] + before, tail, platform_name is not None)


def _appended_at(
    call: Call, at: tuple[int, int], option: str, closing: str, platform_name: str | None
) -> PlatformInsertion | None:
    """`, <option><member><closing>` after the element ending at `at`; on a line of its own (with
    that line's indentation) when the element ends its line and the call goes on below."""
    found = _line_at(call, at)
    if found is None:
        return None
    segment, offset = found
    rest = segment[offset:]
    own_line = at[0] > call.line and at[0] < call.line + call.text.count("\n") and rest.strip() in ("", ",")
    if own_line:
        indent = segment[: len(segment) - len(segment.lstrip())]
        head = f"{segment[:offset]},\n{indent}{option}"
    else:
        head = f"{segment[:offset]}, {option}"
    location = Location(call.path, at[0])
    return PlatformInsertion(location, segment, head, closing + rest, platform_name is not None)


def _before_closing(opened: str, option: str) -> str:
    """`opened` (a call or object without its closing) followed by `option`, after a comma."""
    kept = opened.rstrip()
    if kept.endswith(("(", "{")):
        return f"{kept} {option}" if kept.endswith("{") else f"{kept}{option}"
    return f"{kept}{' ' if kept.endswith(',') else ', '}{option}"


def _platform_fact(arch: Arch, source: str) -> ArchFact:
    if arch.host is not None:
        return ArchFact.host(f"{source} computed from the deploy machine ({arch.host.source})")
    if arch.arch is not None:
        return ArchFact.explicit(arch.arch, note=f"{source} {arch.text}")
    return ArchFact.unknown(f"{source} {arch.text}")


def _directory(value: Val | None, app_dir: str) -> tuple[str | None, str]:
    if isinstance(value, PathV):
        rel = value.rel
    elif isinstance(value, Str):
        if value.value.startswith("/"):
            return None, value.value
        rel = posixpath.normpath(posixpath.join(app_dir, value.value))
    else:
        text = value.describe() if value is not None else "(no directory)"
        return None, text
    if rel == ".." or rel.startswith("../"):
        return None, rel
    return rel, rel


def by_literal_tail(
    raw_dir: Val | None, file_value: Val | None, repo: RepoView | None
) -> tuple[str, str] | None:
    """The only folder of the repository that ends in a computed directory's literal segments and
    holds the Dockerfile the asset names (`path.join(findUp('pkg') || '../..', 'src', 'docker')`
    -> the one `.../src/docker/Dockerfile`), with the segments it ends in; None when there is no
    such folder or several."""
    if repo is None or not isinstance(raw_dir, Unknown) or not raw_dir.path_tail:
        return None
    if file_value is not None and not isinstance(file_value, Str):
        return None
    name = file_value.value if isinstance(file_value, Str) else "Dockerfile"
    if name.startswith("/"):
        return None
    tail = raw_dir.path_tail
    folders = {f[: -len(name)].rstrip("/") for f in repo.matching(lambda f: f.endswith(f"/{name}"))}
    found = {folder for folder in folders if folder == tail or folder.endswith(f"/{tail}")}
    return (found.pop(), tail) if len(found) == 1 else None


@dataclass(frozen=True)
class _Folder:
    """Where one candidate build context of an asset is, and the Dockerfile it reads there."""

    directory: str | None
    text: str
    dockerfile: str | None
    unread: str = ""
    copied_by: Location | None = None


def make_asset(
    call: Call,
    syntax: CdkSyntax,
    app_dir: str,
    platform_name: str | None = None,
    repo: RepoView | None = None,
) -> Asset:
    """The asset a factory call builds; a directory chosen by a condition (`useGpu ? 'gpu' :
    'cpu'`) gives one candidate build per folder (`Asset.alternatives`), each read for itself."""
    dir_index, props_index = ASSET_FACTORIES[call.callee or ""]
    props = call.props(props_index)
    raw_dir = call.arg(dir_index, "directory") if dir_index is not None else get(props, "directory")
    file_value = get(props, "file")
    options = _directory_options(raw_dir, app_dir)
    folders = [_folder(call, option, file_value, app_dir, repo) for option in options]
    if len(folders) > 1 and isinstance(raw_dir, Choice):
        condition = f"one of {len(folders)} folders chosen by the condition at {raw_dir.path}:{raw_dir.line}"
        folders = [replace(f, text=f"{f.text} ({condition})") for f in folders]
    target = get(props, "target")
    build_args = get(props, "buildArgs")
    assets = [
        Asset(
            call=call,
            syntax=syntax,
            directory=folder.directory,
            directory_text=folder.text,
            dockerfile=folder.dockerfile,
            target=target.value if isinstance(target, Str) else None,
            platform=get(props, "platform"),
            platform_line=key_line(props, "platform"),
            build_args=as_obj(build_args) if build_args is not None else None,
            platform_name=platform_name,
            dockerfile_unread=folder.unread,
            dockerfile_via=folder.copied_by,
        )
        for folder in folders
    ]
    assets[0].alternatives = assets[1:]
    return assets[0]


def _directory_options(raw_dir: Val | None, app_dir: str) -> list[Val | None]:
    """The candidate directories: each branch of a conditional when every branch names a folder
    of the repository, else the value itself."""
    if (
        isinstance(raw_dir, Choice)
        and raw_dir.why == "conditional"
        and all(_directory(option, app_dir)[0] is not None for option in raw_dir.options)
    ):
        return list(raw_dir.options)
    return [raw_dir]


def _folder(
    call: Call, raw_dir: Val | None, file_value: Val | None, app_dir: str, repo: RepoView | None
) -> _Folder:
    directory, text = _directory(raw_dir, app_dir)
    if directory is None and (found := by_literal_tail(raw_dir, file_value, repo)) is not None:
        directory, text = found[0], f"{found[0]} (computed path; the only folder ending in {found[1]})"
    elif directory is None and (generated := _generated_by_tail(raw_dir, repo)) is not None:
        directory, text = generated, f"{generated} (computed path)"
    dockerfile: str | None = None
    if directory is not None:
        if file_value is None:
            dockerfile = posixpath.normpath(posixpath.join(directory, "Dockerfile"))
        elif isinstance(file_value, Str) and not file_value.value.startswith("/"):
            joined = posixpath.normpath(posixpath.join(directory, file_value.value))
            dockerfile = None if joined.startswith("../") else joined
    unread, copied_by = "", None
    if dockerfile is not None and repo is not None and not repo.exists(dockerfile):
        generated_from = generated_dockerfile(repo, dockerfile)
        text = (
            f"{text[:-1]}; {generated_from.evidence})"
            if text.endswith(")")
            else f"{text} ({generated_from.evidence})"
        )
        if generated_from.dockerfile is not None:
            dockerfile, copied_by = generated_from.dockerfile, generated_from.via
        else:
            unread = generated_from.evidence
            _note_unread(repo, call, text)
    return _Folder(directory, text, dockerfile, unread, copied_by)


def _note_unread(repo: RepoView, call: Call, text: str) -> None:
    """One note per asset whose generated Dockerfile is not read: its build is not judged."""
    message = f"CDK image asset {text}: its content is unknown, so its platform is not judged"
    if not any(d.message == message and d.location.path == call.path for d in repo.diagnostics):
        repo.diag(call.path, message, line=call.line, level="note", code="input")


def _generated_by_tail(raw_dir: Val | None, repo: RepoView | None) -> str | None:
    if repo is None or not isinstance(raw_dir, Unknown) or not raw_dir.path_tail:
        return None
    return generated_folder(repo, raw_dir.path_tail)


def _from_platform_uses(text: str, arg: str) -> bool:
    """Does a `FROM --platform=...` line use `$arg`? Then the build arg does pin that stage."""
    pattern = re.compile(
        r"^\s*FROM\s+[^\n]*--platform=\S*\$\{?" + re.escape(arg) + r"\b", re.IGNORECASE | re.MULTILINE
    )
    return bool(pattern.search(text))


def _platform_like(key: str) -> bool:
    normal = key.lstrip("-").lower().replace("-", "_")
    return normal == "platform" if key.startswith("-") else normal in _PLATFORM_ARG_KEYS


def buildarg_platform_facts(asset: Asset, repo: RepoView) -> list[CdkBuildArgPlatform]:
    """`buildArgs` entries that look like an attempt to choose the platform."""
    if asset.build_args is None:
        return []
    candidates = [(k, v) for k, v in asset.build_args.fields.items() if _platform_like(k)]
    if not candidates:
        return []
    dockerfile_text = (
        repo.read_text(asset.dockerfile) if asset.dockerfile and repo.exists(asset.dockerfile) else None
    )
    out: list[CdkBuildArgPlatform] = []
    for key, value in candidates:
        dashed = key.startswith("-")
        value_text = value.value if isinstance(value, Str) else value.describe()
        out.append(
            CdkBuildArgPlatform(
                location=Location(
                    asset.call.path, asset.build_args.key_lines.get(key, asset.build_args.line)
                ),
                key=key,
                value=value_text,
                arch=arch_of(value.value) if isinstance(value, Str) else None,
                dashed=dashed,
                asset=asset.name,
                asset_location=asset.location,
                effective_arch=asset.effective_arch(),
                dockerfile=asset.dockerfile,
                target=asset.target,
                dockerfile_read=dockerfile_text is not None,
                arg_used_in_from_platform=bool(dockerfile_text)
                and _from_platform_uses(dockerfile_text or "", key),
                syntax=asset.syntax,
                unresolved=isinstance(value, Unknown),
            )
        )
    return out
