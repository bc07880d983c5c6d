"""Architecture written into a stage's commands, and commands that compile for the host.

`hardcoded()` finds literal architectures that decide what the build produces or fetches:
`GOARCH=amd64`, `--platform=...`/`--arch`/`--cpu` flags, GNU/Rust target triples
(`aarch64-linux-gnu-gcc`, `x86_64-unknown-linux-musl`), .NET runtime identifiers
(`-r linux-x64`), and URLs or file names naming an architecture
(`.../linux/amd64/kubectl`, `node-v20-linux-x64.tar.xz`). An instruction that chooses between
architectures (it mentions TARGETARCH & co, `uname -m`, `dpkg --print-architecture`, or names
two architectures, as a `case` does) is skipped: its literals are the branches of a choice.

`compiles()` finds commands whose output is built for the machine that runs them (go build,
cargo, dotnet publish, C compilers, npm/yarn/pnpm installs that run install scripts, pip) unless
the command (or the stage's ENV) tells the tool which architecture to build for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archmatch import lazyre
from archmatch.dockerfile_model import Compile, Hardcoded
from archmatch.platforms import normalize_arch

_CHOOSES_ARCH = lazyre.compile(
    r"TARGET(?:ARCH|PLATFORM|VARIANT)|BUILD(?:ARCH|PLATFORM|VARIANT)|uname\s+-[a-z]*[mp]|--print-arch|"
    r"\$\(\s*arch\s*\)|`arch`|\bxx-|\bdpkg-architecture\b"
)
_ARCH_TOKEN = r"(?:amd64|x86_64|x86-64|aarch64|arm64)"
_GOARCH = lazyre.compile(r"\bGOARCH(?:\s*=\s*|\s+)[\"']?([A-Za-z0-9_]+)")
_FLAG_ARCH = lazyre.compile(r"(?<![\w-])--(platform|arch|cpu|target[_-]arch)(?:=|\s+)[\"']?([^\s\"',;]+)")
_TRIPLE = lazyre.compile(r"(?<![\w.-])(x86_64|aarch64)-(?:unknown-|pc-)?linux-(?:gnu|musl)[\w.+-]*")
_TRIPLE_AS_TARGET = lazyre.compile(
    r"(?:target|--host|--build|\bCC|\bCXX|CROSS_COMPILE|LINKER|AR)\s*[=\s]\s*[\"']?$|rustup\s+target\s+add\s+(?:\S+\s+)*$"
)
_RID = lazyre.compile(r"(?<![\w-])(?:-r|--runtime|--rid)(?:=|\s+)[\"']?(linux(?:-musl)?-(x64|arm64))\b")
# a framework-dependent publish: the app is portable IL that the target's .NET runtime runs
_FRAMEWORK_DEPENDENT = lazyre.compile(
    r"--self-contained(?:=|\s+)false\b|--no-self-contained\b|SelfContained=false\b", re.IGNORECASE
)
_FILE_WORD = lazyre.compile(r"[^\s\"'=;|&()<>]+")
_FILE_ARCH = lazyre.compile(rf"(?<![A-Za-z0-9])({_ARCH_TOKEN}|linux(?:-musl)?[-_]x64)(?![A-Za-z0-9])")
_FILE_LIKE = lazyre.compile(
    r"/|://|\.(?:tar|tgz|tbz2?|txz|zip|gz|xz|bz2|zst|deb|rpm|apk|whl|so|AppImage|bin|run|sh|exe|msi)\b"
)


def _token_arch(token: str) -> str | None:
    return "amd64" if token.endswith("x64") else normalize_arch(token)


def _arch_in(value: str) -> str | None:
    for piece in re.split(r"[/,]", value):
        arch = normalize_arch(piece)
        if arch:
            return arch
    m = _FILE_ARCH.search(value)
    return _token_arch(m.group(1)) if m else None


def _scan_line(line: int, text: str, keyword: str, portable_dotnet: bool = False) -> list[Hardcoded]:
    found: list[Hardcoded] = []
    for m in _GOARCH.finditer(text):
        arch = normalize_arch(m.group(1))
        if arch:
            found.append(Hardcoded(arch, line, m.group(0).strip("\"' "), True))
    if keyword == "RUN":
        for m in _FLAG_ARCH.finditer(text):
            arch = _arch_in(m.group(2))
            if arch and "$" not in m.group(2):
                found.append(Hardcoded(arch, line, m.group(0), True))
        for m in () if portable_dotnet else _RID.finditer(text):
            found.append(Hardcoded(normalize_arch(m.group(2)) or m.group(2), line, m.group(0), True))
    for m in _TRIPLE.finditer(text):
        arch = normalize_arch(m.group(1))
        as_target = _TRIPLE_AS_TARGET.search(text[: m.start()]) is not None or m.group(0).endswith(
            ("-gcc", "-g++", "-cc", "-ld")
        )
        if arch:
            found.append(Hardcoded(arch, line, m.group(0), as_target))
    for word in _FILE_WORD.finditer(text):
        if not _FILE_LIKE.search(word.group()) or word.group().startswith("--platform"):
            continue
        for m in _FILE_ARCH.finditer(word.group()):
            arch = _token_arch(m.group(1))
            if arch:
                found.append(Hardcoded(arch, line, word.group(), False))
    return found


_SCANNED = frozenset({"RUN", "ADD", "COPY", "ENV", "ARG"})


def hardcoded(keyword: str, lines: list[tuple[int, str]]) -> list[Hardcoded]:
    """Literal architectures in one instruction, one per (line, arch), most specific first."""
    if keyword not in _SCANNED:
        return []
    joined = "\n".join(text for _, text in lines)
    if _CHOOSES_ARCH.search(joined):
        return []
    portable_dotnet = _FRAMEWORK_DEPENDENT.search(joined) is not None
    found = [h for line, text in lines for h in _scan_line(line, text, keyword, portable_dotnet)]
    if len({h.arch for h in found}) > 1:
        return []
    out: dict[tuple[int, str], Hardcoded] = {}
    for h in found:
        out.setdefault((h.line, h.arch), h)
    return list(out.values())


# --- compiling for the host -----------------------------------------------------------------

_SEPARATORS = lazyre.compile(r"&&|\|\||[;|\n()`]|\$\(|\b(?:ba|da|z)?sh\s+-[a-z]*c\s+")
_PREFIX = lazyre.compile(r"^(?:\s*(?:[A-Za-z_]\w*=\S*|sudo|exec|time|env|nice)\s+)*")


@dataclass(frozen=True)
class Tool:
    """A tool that compiles native code: how to recognise its commands and their exemptions."""

    name: str
    command: re.Pattern[str]
    exempt: re.Pattern[str]  # the command or the stage's ENV names the target (or builds nothing native)


_TOOLS = (
    Tool(
        "go build",
        lazyre.compile(r"^(?:\S*/)?go\s+(?:build|install)\b"),
        lazyre.compile(r"\bGOARCH=\S|\bGOARCH\s+\S"),
    ),
    Tool(
        "cargo build",
        lazyre.compile(
            r"^(?:\S*/)?cargo\s+(?:\+\S+\s+)?(?:build|install|zigbuild|chef\s+cook|auditable\s+build)\b"
        ),
        lazyre.compile(r"--target\b|CARGO_BUILD_TARGET=\S"),
    ),
    Tool(
        "dotnet publish",
        lazyre.compile(r"^(?:\S*/)?dotnet\s+(?:publish|build)\b"),
        lazyre.compile(r"(?<![\w-])(?:-r|--runtime|-a|--arch)(?:=|\s+)\S|RuntimeIdentifier=\S"),
    ),
    Tool(
        "C/C++ compiler",
        lazyre.compile(
            r"^(?:\S*/)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|make|cmake\s+--build|ninja)(?:\s|$)"
        ),
        lazyre.compile(r"\bCC=\S|\bCXX=\S|--host=\S|CROSS_COMPILE=\S|(?<![\w-])-?-target[= ]\S"),
    ),
    Tool(
        "npm install",
        lazyre.compile(
            r"^(?:\S*/)?(?:npm\s+(?:ci|install|i|rebuild)\b|yarn(?:\s+install\b|\s*$|\s+--)|pnpm\s+(?:install|i)\b)"
        ),
        lazyre.compile(
            r"--ignore-scripts|(?<!\S)(?:-g|--global)\b|--arch[= ]\S|--cpu[= ]\S|npm_config_arch=\S|--target_arch[= ]\S"
        ),
    ),
    Tool(
        "pip install",
        lazyre.compile(
            r"^(?:\S*/)?(?:pip3?(?:\.\d+)?|python3?(?:\.\d+)?\s+-m\s+pip|uv\s+pip)\s+(?:install|wheel)\b"
        ),
        lazyre.compile(r"--platform\b|--python-platform\b"),
    ),
)


def compiles(lines: list[tuple[int, str]], stage_env: str) -> list[Compile]:
    """Commands in one RUN that build native code for the machine that runs them."""
    found: list[Compile] = []
    whole = "\n".join(text for _, text in lines)
    for line, text in lines:
        for part in _SEPARATORS.split(text):
            command = _PREFIX.sub("", part.strip().lstrip("\"'"))
            for tool in _TOOLS:
                if (
                    tool.command.search(command)
                    and not tool.exempt.search(whole)
                    and not tool.exempt.search(stage_env)
                ):
                    found.append(Compile(tool.name, line, command.strip()))
    return found
