"""Shared by the build-source extractors: paths, platform lists, line maps, CLI builds."""

from __future__ import annotations

import bisect
import fnmatch
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from archmatch import dockercli, lazyre
from archmatch.dockercli import BuildCommand
from archmatch.extract.yamlsafe import LDict
from archmatch.model import BuildSource, ImageBuild, Location
from archmatch.platforms import HOST_TEST_NOTE, ArchFact, How, parse_platform_list
from archmatch.repo import RepoView
from archmatch.safetext import mask_secrets

_REMOTE = lazyre.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)
DEFAULT_PLATFORM_VAR = "DOCKER_DEFAULT_PLATFORM"


def has_unresolved(text: str) -> bool:
    """Holds a variable, expression or command substitution ($X, ${X}, ${{ x }}, $(x), `x`)."""
    return "$" in text or "`" in text


def join(base: str | None, rel: str | None) -> str | None:
    """Root-relative normalised POSIX path of `rel` against folder `base`, or None when either is
    unknown, holds an unresolved expression, is remote (URL/git), absolute, or leaves the root."""
    if base is None or rel is None:
        return None
    rel = rel.strip()
    if rel.startswith("cwd://"):
        rel = rel[len("cwd://") :]
    if not rel or rel == "-" or has_unresolved(rel) or _REMOTE.match(rel) or rel.startswith(("/", "~")):
        return None
    path = posixpath.normpath(posixpath.join(base, rel))
    if path == ".." or path.startswith("../"):
        return None
    return path


def folder_of(path: str) -> str:
    return posixpath.dirname(path) or "."


def default_dockerfile(repo: RepoView, context: str | None) -> str | None:
    """`<context>/Dockerfile`, or the lower-case `dockerfile` the docker CLI falls back to."""
    if context is None:
        return None
    path = join(context, "Dockerfile")
    lower = join(context, "dockerfile")
    if path is not None and not repo.exists(path) and lower is not None and repo.exists(lower):
        return lower
    return path


def split_list(value: object) -> list[str]:
    """A list input written as a YAML list, or newline/comma separated text."""
    if value is None:
        return []
    if isinstance(value, list):
        items = [str(v) for v in value if v is not None]
    else:
        items = re.split(r"[\n,]", str(value))
    return [i.strip() for i in items if i.strip()]


def platform_fact(values: list[str], note: str = "") -> ArchFact:
    """ArchFact for written platform values (each possibly a comma list). `local` is the client."""
    raw = ",".join(v.strip() for v in values if v.strip())
    if has_unresolved(raw):
        return ArchFact.unknown(f"{note}: {raw}" if note else raw)
    tokens = [t for t in re.split(r"[,\s]+", raw) if t]
    if tokens and all(t.lower() == "local" for t in tokens):
        return ArchFact.host(f"{note}: local" if note else "local")
    archs, bad = parse_platform_list([t for t in tokens if t.lower() != "local"])
    if bad or not archs:
        return ArchFact.unknown(f"unrecognised platform {(bad[0] if bad else raw)!r}")
    return ArchFact.explicit(*archs, note=note)


# A braced parameter expansion kept as written (`${X#*/}`, `${X%%:*}`): its `/` and `:` are not the
# image name's separators.
_BRACED_EXPANSION = lazyre.compile(r"\$\{[^{}]*\}")


def image_label(tags: list[str]) -> str:
    """A short image name for labels: the repository's last component of the first tag."""
    for tag in tags:
        name = _BRACED_EXPANSION.sub("$V", tag).split("@", 1)[0]
        last = name.rsplit("/", 1)[-1]
        last = last.split(":", 1)[0] if ":" in last else last
        if last and not has_unresolved(last) and "{" not in last:
            return last
    return ""


class LineMap:
    """Maps character offsets of a text to file lines (the text starting at `first_line`)."""

    def __init__(self, text: str, first_line: int = 1):
        self.first_line = first_line
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def __call__(self, offset: int) -> int:
        return self.first_line + bisect.bisect_left(self.newlines, offset)


@dataclass(frozen=True)
class EnvValue:
    """The value of an environment variable, and where it is set."""

    value: str
    location: Location


@dataclass
class HostContext:
    """Who runs an unpinned build: the note and architecture hint for `ArchFact.host`."""

    note: str = ""
    hint: frozenset[str] = frozenset()

    def fact(self) -> ArchFact:
        return ArchFact.host(self.note, self.hint)


def requested_platforms(
    values: list[str], where: Location | None, default_platform: EnvValue | None, host: HostContext, note: str
) -> tuple[ArchFact, Location | None]:
    """The build's platforms: written values, else DOCKER_DEFAULT_PLATFORM, else the host."""
    if values:
        fact = platform_fact(values, note)
        if fact.how is How.HOST:  # `local`: the client, which is the host running the build
            return ArchFact.host(f"{fact.note} ({host.note})" if host.note else fact.note, host.hint), where
        return fact, where
    if default_platform is not None and default_platform.value.strip():
        return platform_fact([default_platform.value], DEFAULT_PLATFORM_VAR), default_platform.location
    return host.fact(), None


UNRESOLVED_OPTIONS_NOTE = "an unresolved expansion may set it"


def unresolved_options(words: list[str]) -> ArchFact:
    """The platform of a build whose arguments hold an expansion that may hold `--platform` (which
    also overrides DOCKER_DEFAULT_PLATFORM): unknown, never the host's."""
    shown = mask_secrets(words[0] if len(words[0]) <= 80 else words[0][:77] + "...")
    return ArchFact.unknown(f"{UNRESOLVED_OPTIONS_NOTE}: {shown}")


@dataclass
class CliSite:
    """Where a docker build command line was found and what surrounds it."""

    source: BuildSource
    path: str  # file holding the command
    where: str  # label prefix, e.g. "script build.sh" or "workflow ci.yml job build"
    line_at: Callable[[int], int]
    cwd: str | None  # root-relative working directory of the command, None if unknown
    host: HostContext
    default_platform: EnvValue | None = None
    attestations_default: bool | None = None  # what the tool adds when nothing is said
    host_test: str = ""  # the platform was set under this test of the host (`uname -m`, Darwin)


def cli_platforms(site: CliSite, cmd: BuildCommand, line: int) -> tuple[ArchFact, Location | None]:
    """The platforms a docker build command line requests, and where that is written: its
    `--platform` values, else an expansion among its arguments that may hold one (unknown), else
    DOCKER_DEFAULT_PLATFORM, else the host; set under a test of the host, host-dependent."""
    default = site.default_platform
    if DEFAULT_PLATFORM_VAR in cmd.env:
        default = EnvValue(cmd.env[DEFAULT_PLATFORM_VAR], Location(site.path, line))
    platform_loc = (
        Location(site.path, site.line_at(cmd.platform_offset)) if cmd.platform_offset is not None else None
    )
    if cmd.open_words and not cmd.platforms:
        return unresolved_options(cmd.open_words), None
    if site.host_test:
        return ArchFact.host(f"{HOST_TEST_NOTE}, under {site.host_test}"), None
    return requested_platforms(cmd.platforms, platform_loc, default, site.host, "--platform")


# each alternative stops at the next opener of its kind, so runs of `${` cost linear time
_EXPANSION = lazyre.compile(r"\$\{(?:[^}$]|\$(?!\{))*\}|\$\((?:[^)$]|\$(?!\())*\)|\$[A-Za-z_0-9]+|`[^`]*`")
MAX_DOCKERFILE_CANDIDATES = 32


def computed_dockerfiles(repo: RepoView, cwd: str | None, file: str | None) -> tuple[str, ...]:
    """The Dockerfiles of the repository that a `-f` path holding unresolved values may name
    (`Dockerfile.$SERVICE`, `services/$NAME/Dockerfile`), when it may name more than one: from the
    working directory when it is known, else from any one folder (the build runs in one folder,
    whichever it is). A path whose first segment is wholly a variable (`$ROOT/Dockerfile`) is a
    folder the files do not give, not a choice among this repository's Dockerfiles: ()."""
    if file is None or not has_unresolved(file):
        return ()
    first = file.split("/", 1)[0].strip("\"'")
    if _EXPANSION.fullmatch(first) or file.startswith("/"):
        return ()
    written = posixpath.normpath(_EXPANSION.sub("*", file))
    if cwd is not None:
        pattern = join(cwd, written)
        if pattern is None or "*" not in pattern:
            return ()
        found = _matching(repo, pattern)
        return tuple(found[:MAX_DOCKERFILE_CANDIDATES]) if len(found) > 1 else ()
    if written.startswith(".."):
        return ()
    by_folder: dict[str, list[str]] = {}
    depth = written.count("/") + 1
    for path in repo.matching(lambda f: f.count("/") >= depth - 1):
        parts = path.split("/")
        if fnmatch.fnmatchcase("/".join(parts[-depth:]), written):
            by_folder.setdefault("/".join(parts[:-depth]), []).append(path)
    several = [sorted(paths) for _, paths in sorted(by_folder.items()) if len(paths) > 1]
    return tuple(several[0][:MAX_DOCKERFILE_CANDIDATES]) if several else ()


def _matching(repo: RepoView, pattern: str) -> list[str]:
    depth = pattern.count("/")
    return sorted(repo.matching(lambda f: f.count("/") == depth and fnmatch.fnmatchcase(f, pattern)))


def cli_build(repo: RepoView, site: CliSite, cmd: BuildCommand, text: str) -> ImageBuild:
    """An ImageBuild for one parsed docker build command (`text` is what it was parsed from)."""
    line = site.line_at(cmd.start)
    platforms, platform_loc = cli_platforms(site, cmd, line)
    context = join(site.cwd, cmd.context)
    dockerfile = join(site.cwd, cmd.file) if cmd.file is not None else default_dockerfile(repo, context)
    command = dockercli.one_line(dockercli.hide_build_values(text[cmd.start : cmd.end]))
    label = image_label(cmd.tags)
    verb = "docker buildx build" if cmd.is_buildx else "docker build"
    return ImageBuild(
        source=site.source,
        name=f"{site.where}: {verb}" + (f" {label}" if label else ""),
        location=Location(site.path, line),
        dockerfile=dockerfile,
        context=context,
        target=cmd.target,
        platforms=platforms,
        platform_location=platform_loc,
        tags=list(cmd.tags),
        attestations=dockercli.attestations(cmd, site.attestations_default if cmd.pushes else None),
        fix_syntax="docker-cli",
        command=command,
        command_flags=dockercli.command_flags(dockercli.parse_build_command(command)),
        build_args=cli_build_args(cmd, text[cmd.start : cmd.end]),
        dockerfile_candidates=computed_dockerfiles(repo, site.cwd, cmd.file) if dockerfile is None else (),
    )


_LONE_VARIABLE_WORD = lazyre.compile(
    r"""(?:^|\s)["']?\$(?:\{[^}]*\}|[A-Za-z_@*][A-Za-z0-9_]*)["']?(?=\s|$)"""
)


def cli_build_args(cmd: BuildCommand, written: str) -> frozenset[str] | None:
    """The names of the command's --build-arg flags; None when a variable standing alone as a word
    (`$BUILD_ARGS`, `"$@"`) may add more, or a name is not written out."""
    names = [name for name, _ in cmd.build_args]
    if any(has_unresolved(n) or not n for n in names) or _LONE_VARIABLE_WORD.search(written):
        return None
    return frozenset(names)


def named_build_args(value: object) -> frozenset[str] | None:
    """Names of a `KEY=value` list input (build-push-action `build-args`); None when an expression
    may hold more."""
    names = [item.split("=", 1)[0].strip() for item in split_list(value)]
    if any(not n or has_unresolved(n) for n in names):
        return None
    return frozenset(names)


_BLOCK_SCALAR = lazyre.compile(r"[|>][-+0-9]*\s*(?:#.*)?$")


def scalar_first_line(repo: RepoView, path: str, value: object) -> int:
    """File line of the first content line of a YAML string (block scalars start below `|`)."""
    line = getattr(value, "line", 0) or 0
    lines = repo.cached("lines", path, lambda p: (repo.read_text(p) or "").split("\n"))
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    return line + 1 if _BLOCK_SCALAR.search(raw) else line


def truthy(value: object) -> bool | None:
    """A YAML/HCL boolean-ish input: True/False, or None when absent or an expression."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text or has_unresolved(text):
        return None
    return text not in ("false", "0", "no", "off") and "disabled=true" not in text


def attestation_setting(
    provenance: object, sbom: object, attests: list[str], default: bool | None
) -> bool | None:
    """True if provenance/SBOM is switched on, False if provenance is off and SBOM not on."""
    prov, bom = truthy(provenance), truthy(sbom)
    if prov or bom or any("provenance" in a or "sbom" in a for a in attests if truthy(a)):
        return True
    if prov is False:
        return False
    return default


def key_line(mapping: object, key: object) -> int:
    """Line of `key` in a loaded YAML/JSON mapping (0 when unknown). Keys load as line-aware
    strings, so this works whether or not the mapping itself records key lines."""
    if isinstance(mapping, LDict) and mapping.line_of(key):
        return mapping.line_of(key)
    if isinstance(mapping, dict):
        for k in mapping:
            if k == key:
                return getattr(k, "line", 0) or 0
    return 0


def node_line(node: object) -> int:
    """Line where a loaded mapping starts: its own line, else its first key's."""
    line = getattr(node, "line", 0) or 0
    if not line and isinstance(node, dict) and node:
        line = min((getattr(k, "line", 0) or 0 for k in node), default=0)
    return line
