"""Platform model: every spelling of a CPU architecture normalised to one token.

Normalisation follows containerd's `platforms` package (docs/aws-facts.md#architecture-spellings): lower-case input,
`x86_64`/`x86-64` -> `amd64`, `aarch64` -> `arm64`, arm64 variant `v8` dropped, and so on.
Architectures are plain strings (`amd64`, `arm64`, `arm/v7`, `386`, `s390x`, ...); the two
that AWS runs are the constants below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from archmatch import lazyre

AMD64 = "amd64"
ARM64 = "arm64"

KNOWN_ARCHS = frozenset(
    [
        "386",
        "amd64",
        "amd64p32",
        "arm",
        "armbe",
        "arm64",
        "arm64be",
        "ppc64",
        "ppc64le",
        "loong64",
        "mips",
        "mipsle",
        "mips64",
        "mips64le",
        "mips64p32",
        "mips64p32le",
        "ppc",
        "riscv",
        "riscv64",
        "s390",
        "s390x",
        "sparc",
        "sparc64",
        "wasm",
    ]
)
KNOWN_OS = frozenset(
    [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "illumos",
        "ios",
        "js",
        "linux",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "wasip1",
        "windows",
    ]
)

_ARCH_ALIASES = {
    "x86_64": AMD64,
    "x86-64": AMD64,
    "x64": AMD64,
    "amd64": AMD64,
    "aarch64": ARM64,
    "arm64": ARM64,
    "arm_64": ARM64,
    "armhf": "arm/v7",
    "armel": "arm/v6",
    "i386": "386",
    "i686": "386",
}

# Docker Hub official-image architecture namespaces (docs/aws-facts.md#architecture-spellings, bashbrew oci-platform.go).
HUB_NAMESPACES = {
    "amd64": AMD64,
    "arm64v8": ARM64,
    "arm32v7": "arm/v7",
    "arm32v6": "arm/v6",
    "arm32v5": "arm/v5",
    "i386": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "mips64le": "mips64le",
    "winamd64": AMD64,
}

_COMPONENT = lazyre.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, order=True)
class Platform:
    """An OCI platform: os, architecture and variant."""

    os: str
    arch: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.arch, self.variant) if p)


def _normalize_variant(arch: str, variant: str) -> str:
    v = variant.lower()
    if arch == ARM64:
        if v in ("", "8", "v8", "v8.0"):
            return ""
        if v in ("9", "9.0", "v9.0", "v9"):
            return "v9"
        return v
    if arch == AMD64 and v == "v1":
        return ""
    if arch == "arm" and v and not v.startswith("v"):
        return "v" + v
    return v


def normalize_arch(value: str) -> str | None:
    """Canonical architecture for one token (`X86_64` -> `amd64`), or None if it is not one."""
    token = value.strip().lower()
    if token in _ARCH_ALIASES:
        return _ARCH_ALIASES[token]
    if token in KNOWN_ARCHS:
        return token
    return None


def parse_platform(value: str) -> Platform | None:
    """Parse `os/arch[/variant]`, or a lone arch/os, into a normalised Platform.

    A lone OS (`linux`) has no architecture: None is returned, since the host fills it in.
    Values holding variables (`$TARGETPLATFORM`) are not platforms and give None.
    """
    text = value.strip().strip("'\"").lower()
    if not text or "$" in text or "{" in text:
        return None
    parts = text.split("/")
    if any(not _COMPONENT.match(p) for p in parts) or len(parts) > 3:
        return None
    os_name = "linux"
    if len(parts) == 1:
        arch = normalize_arch(parts[0])
        if arch is None:
            return None
        variant = ""
        if "/" in arch:
            arch, variant = arch.split("/", 1)
    else:
        os_name = "darwin" if parts[0] == "macos" else parts[0]
        if os_name not in KNOWN_OS:
            return None
        arch = normalize_arch(parts[1])
        if arch is None:
            return None
        variant = parts[2] if len(parts) == 3 else ""
        if "/" in arch:
            arch, implied = arch.split("/", 1)
            variant = variant or implied
    return Platform(os_name, arch, _normalize_variant(arch, variant))


def arch_of(value: str) -> str | None:
    """The canonical architecture named by a platform or architecture string, if any."""
    p = parse_platform(value)
    if p is None:
        return None
    return f"{p.arch}/{p.variant}" if p.arch == "arm" and p.variant else p.arch


def parse_platform_list(value: str | list[str]) -> tuple[list[str], list[str]]:
    """Split a comma/space separated platform list; returns (archs, tokens that did not parse)."""
    items = value if isinstance(value, list) else re.split(r"[,\s]+", value)
    archs: list[str] = []
    bad: list[str] = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        arch = arch_of(item)
        if arch is None:
            bad.append(item)
        elif arch not in archs:
            archs.append(arch)
    return archs, bad


_LAMBDA_TAG = lazyre.compile(r"^public\.ecr\.aws/lambda/[^:@]+:[^@]*?-(arm64|x86_64)(?:@.*)?$")


def arch_of_image_ref(ref: str) -> tuple[str, str] | None:
    """Architecture pinned by an image reference itself, with the reason.

    Recognises Docker Hub architecture namespaces (`arm64v8/node`, `docker.io/amd64/python`) and
    the AWS Lambda base-image tag suffixes (`public.ecr.aws/lambda/python:3.12-arm64`).
    A plain multi-arch reference gives None: it follows the build platform.
    """
    ref = ref.strip()
    if not ref or "$" in ref:
        return None
    m = _LAMBDA_TAG.match(ref.lower())
    if m:
        arch = ARM64 if m.group(1) == "arm64" else AMD64
        return arch, f"Lambda base-image tag suffix -{m.group(1)}"
    name = ref.split("@", 1)[0]
    parts = name.split("/")
    if len(parts) >= 2 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        if parts[0] not in ("docker.io", "index.docker.io", "registry-1.docker.io"):
            return None
        parts = parts[1:]
    if len(parts) == 2 and parts[0] in HUB_NAMESPACES:
        return HUB_NAMESPACES[parts[0]], f"Docker Hub architecture namespace {parts[0]}/"
    return None


HOST_TEST_NOTE = "platform is set only on some hosts"  # a script tests `uname -m` / Darwin first
HOST_BRANCH_NOTE = "platform is set only on some branches"  # CDK `platform: cond ? X : undefined`


class How(str, Enum):
    """How an architecture was decided."""

    EXPLICIT = "explicit"  # written in the file
    DEFAULT = "default"  # the service default applies because nothing is written
    DERIVED = "derived"  # derived from something else (instance type, AMI, runner label, base image)
    HOST = "host"  # unpinned: whatever machine runs the build decides
    UNKNOWN = "unknown"  # written, but not resolvable statically


@dataclass(frozen=True)
class ArchFact:
    """A set of architectures plus how it was decided. `archs` is empty for HOST and UNKNOWN."""

    archs: frozenset[str]
    how: How
    note: str = ""
    host_hint: frozenset[str] = field(default_factory=frozenset)  # e.g. runner arch for HOST builds

    @staticmethod
    def explicit(*archs: str, note: str = "") -> ArchFact:
        return ArchFact(frozenset(archs), How.EXPLICIT, note)

    @staticmethod
    def default(*archs: str, note: str = "") -> ArchFact:
        return ArchFact(frozenset(archs), How.DEFAULT, note)

    @staticmethod
    def derived(*archs: str, note: str = "") -> ArchFact:
        return ArchFact(frozenset(archs), How.DERIVED, note)

    @staticmethod
    def host(note: str = "", hint: frozenset[str] = frozenset()) -> ArchFact:
        return ArchFact(frozenset(), How.HOST, note, hint)

    @staticmethod
    def unknown(note: str = "") -> ArchFact:
        return ArchFact(frozenset(), How.UNKNOWN, note)

    @property
    def known(self) -> bool:
        return bool(self.archs)

    @property
    def settled_host(self) -> str | None:
        """The architecture an unpinned build certainly produces: its only host is a machine whose
        label says its architecture (a hosted CI runner such as `ubuntu-latest`, a CodeBuild
        environment type), and no `uname`/branch test requests a platform on some hosts only."""
        if self.how is not How.HOST or len(self.host_hint) != 1:
            return None
        if self.note.startswith((HOST_TEST_NOTE, HOST_BRANCH_NOTE)):
            return None
        return next(iter(self.host_hint))

    def describe(self) -> str:
        if self.how is How.HOST:
            hint = f" (usually {'/'.join(sorted(self.host_hint))})" if self.host_hint else ""
            return f"unpinned: the build host decides{hint}"
        if self.how is How.UNKNOWN:
            return "unknown" + (f" ({self.note})" if self.note else "")
        return ",".join(sorted(self.archs)) + f" ({self.how.value}{': ' + self.note if self.note else ''})"


def aws_name(arch: str, style: str = "lambda") -> str:
    """Spell a canonical arch the way a service wants it: lambda `x86_64`/`arm64`, ecs `X86_64`/`ARM64`."""
    if style == "ecs":
        return {AMD64: "X86_64", ARM64: "ARM64"}.get(arch, arch.upper())
    if style == "docker":
        return f"linux/{arch}"
    return {AMD64: "x86_64", ARM64: "arm64"}.get(arch, arch)
