"""Which URLs name the scanned repository, from evidence inside it.

A build that runs `git clone https://github.com/OWNER/REPO.git && cd REPO && docker build .` reads
the files of that clone. When the URL is this repository's, those are (some branch or commit of)
the files scanned, so the build reads this repository's Dockerfile. What says a URL is this
repository, strongest first:

- `checkout`: a remote of `.git/config` at the scan root (read, never run; the first 64 KB);
- `declared`: a manifest of the repository: package.json `repository` (a URL, `{url, directory}`
  or npm's `owner/repo` / `github:owner/repo` shorthand), pyproject.toml `[project.urls]` and
  `[tool.poetry]`, setup.cfg `url`/`project_urls`, setup.py `url=`/`project_urls=` (literals read
  with `ast`, never run), go.mod `module github.com/owner/repo`, Cargo.toml `[package] repository`,
  a SAM template's `AWS::ServerlessRepo::Application` `SourceCodeUrl`/`HomePageUrl`. The Python
  project URLs count only when they name a repository on github.com, gitlab.com or bitbucket.org
  (a homepage elsewhere is a web site);
- `readme`: the one repository a README at the scan root tells to `git clone` (none when it clones
  several: the others are dependencies).

URLs are compared normalised: scheme, `git@host:` and `ssh://` forms, user names, a `.git` suffix
and the case of host and path do not matter; `/tree/<ref>/<sub>` (GitLab `/-/tree/...`) names the
folder `sub` of the repository. A claim found in a subfolder whose repository differs from a claim at
the scan root is a copy of another project (vendored code) and is left out.

Every read is bounded (file count, bytes per file, URL length); nothing is executed.
"""

from __future__ import annotations

import ast
import configparser
import json
import posixpath
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from archmatch import lazyre
from archmatch.model import Location
from archmatch.repo import RepoView

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, published for older Pythons
    import tomli as tomllib

Strength = Literal["checkout", "declared", "readme"]
MAX_FILES = 200  # evidence files read per scan root, the shallowest first
MAX_BYTES = 256 * 1024  # bytes read of one evidence file; a larger one is not read
MAX_GIT_CONFIG_BYTES = 64 * 1024
MAX_URL_CHARS = 2048
MAX_README_CLONES = 50  # `git clone` lines read of a README
MANIFESTS = frozenset(["package.json", "pyproject.toml", "setup.cfg", "setup.py", "go.mod", "Cargo.toml"])
_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_SAM_MARKER = "AWS::ServerlessRepo::Application"
# hosts whose repositories are `owner/repo` (GitLab paths may nest groups)
_TWO_PART_HOSTS = frozenset(["github.com", "bitbucket.org"])
_CODE_HOSTS = frozenset(["github.com", "gitlab.com", "bitbucket.org"])
_PROJECT_URL_KEYS = frozenset(["source", "source code", "repository", "code", "homepage", "home", "github"])
_SEGMENT = lazyre.compile(r"[A-Za-z0-9_.~-]{1,200}")
_HOST = lazyre.compile(r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,10}")
_SCHEME_URL = lazyre.compile(
    r"(?:git\+)?(?:https?|ssh|git|git\+ssh)://(?:[^@/\s]{1,200}@)?([^/:\s]{1,255})(?::[0-9]{1,5})?/(.*)"
)
_SCP_URL = lazyre.compile(r"(?:[A-Za-z0-9_.-]{1,64}@)?([A-Za-z0-9.-]{1,255}):(?!//)(.*)")
_SHORTHAND = lazyre.compile(r"(?:(github|gitlab|bitbucket):)?([A-Za-z0-9_.-]{1,100})/([A-Za-z0-9_.-]{1,100})")
_SHORTHAND_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
_GO_MODULE = lazyre.compile(r"^[ \t]*module[ \t]+\"?([^\s\"]{1,500})\"?[ \t]*$", re.MULTILINE)
_MAJOR_VERSION = lazyre.compile(r"v[0-9]{1,4}")
_SAM_URL = lazyre.compile(
    r"^[ \t]*[\"']?(SourceCodeUrl|HomePageUrl)[\"']?[ \t]*:[ \t]*[\"']?([^\s\"',}]{1,2048})", re.MULTILINE
)
_README = lazyre.compile(r"(?i)readme(?:\.(?:md|markdown|rst|txt|adoc))?")


@dataclass(frozen=True)
class RepoUrl:
    """A repository URL normalised: `host/owner/repo` in lower case, and the folder of the
    repository the URL points into ("" for the repository itself)."""

    slug: str
    subfolder: str = ""


@dataclass(frozen=True)
class IdentityClaim:
    """One piece of evidence that `slug` is the scanned repository."""

    slug: str
    folder: str  # root-relative folder of the evidence
    # the repository folder that `folder` is, when the evidence says it (go.mod's module path,
    # package.json `directory`, a `/tree/<ref>/<sub>` URL); None when it does not
    subfolder: str | None
    basis: str  # what the evidence is: "package.json `repository`"
    strength: Strength
    location: Location

    def describe(self) -> str:
        where = f"{self.location.path}:{self.location.line}" if self.location.line else self.location.path
        return f"{where} ({self.basis}, {_STRENGTH_TEXT[self.strength]})"


_STRENGTH_TEXT: dict[Strength, str] = {
    "checkout": "the checkout's own remote",
    "declared": "declared by a manifest of the repository",
    "readme": "weak evidence: clone instructions in a README",
}


@dataclass(frozen=True)
class Placement:
    """Where the files of a clone of this repository are in the scan root: repository path
    `prefix/x` is root-relative path `root/x`; `claim` says why the URL is this repository."""

    root: str
    prefix: str
    claim: IdentityClaim

    def scan_path(self, inner: str) -> str | None:
        """The root-relative path of `inner`, a path inside the repository; None when it lies
        outside the scanned folder."""
        inner = posixpath.normpath(inner)
        if self.prefix:
            if inner != self.prefix and not inner.startswith(self.prefix + "/"):
                return None
            inner = posixpath.relpath(inner, self.prefix)
        out = posixpath.normpath(posixpath.join(self.root, inner))
        return None if out == ".." or out.startswith("../") else out


@dataclass(frozen=True)
class RepoIdentity:
    """Every claim of the scan root's identity, in the order found."""

    claims: tuple[IdentityClaim, ...]

    def placement(self, url: str, inner: str, exists: Callable[[str], bool]) -> Placement | None:
        """Where a clone of `url` has its path `inner` in the scan root: the one folder, among
        those the claims naming `url` allow, where the file exists (None when no claim names the
        URL, or when no folder or several give an existing file). The strongest claim decides."""
        wanted = normalise_url(url)
        if wanted is None:
            return None
        by_path: dict[str, Placement] = {}
        for claim in sorted(self.claims, key=lambda c: _STRENGTH_ORDER.index(c.strength)):
            if claim.slug != wanted.slug:
                continue
            for placement in _placements(claim):
                path = placement.scan_path(posixpath.join(wanted.subfolder, inner))
                if path is not None and exists(path):
                    by_path.setdefault(path, placement)
        return next(iter(by_path.values())) if len(by_path) == 1 else None


_STRENGTH_ORDER: tuple[Strength, ...] = ("checkout", "declared", "readme")


def _placements(claim: IdentityClaim) -> Iterator[Placement]:
    """The ways the claim's folder may sit in the repository: where the evidence says (its
    subfolder), else the folder itself or any folder above it is the repository root."""
    if claim.subfolder is not None:
        placed = _root_of(claim.folder, claim.subfolder)
        if placed is not None:
            yield Placement(placed[0], placed[1], claim)
        return
    folder = claim.folder
    while True:
        yield Placement(folder, "", claim)
        if folder == ".":
            return
        folder = posixpath.dirname(folder) or "."


def _root_of(folder: str, subfolder: str) -> tuple[str, str] | None:
    """(root, prefix) when `folder` is the repository's `subfolder`: the root is `folder` without
    the subfolder's trailing part; a scan root inside the repository keeps the rest as prefix."""
    parts = [] if folder == "." else folder.split("/")
    sub = [p for p in subfolder.split("/") if p]
    common = 0
    while common < min(len(parts), len(sub)) and parts[len(parts) - 1 - common] == sub[len(sub) - 1 - common]:
        common += 1
    if common < len(parts) and common < len(sub):
        return None  # the folder and the subfolder disagree below the scan root
    root = "/".join(parts[: len(parts) - common]) or "."
    prefix = "/".join(sub[: len(sub) - common])
    return root, prefix


def normalise_url(text: str, shorthand: bool = False) -> RepoUrl | None:
    """A repository URL in its comparable form, or None when the text is not one. With
    `shorthand`, npm's `owner/repo` and `github:owner/repo` forms count too."""
    text = text.strip().strip("\"'`<>()[]")
    if not text or len(text) > MAX_URL_CHARS:
        return None
    m = _SCHEME_URL.fullmatch(text) or _SCP_URL.fullmatch(text)
    url = _from_parts(m.group(1), m.group(2)) if m is not None else None
    if url is not None:
        return url
    short = _SHORTHAND.fullmatch(text) if shorthand else None
    if short is not None:
        return _from_parts(_SHORTHAND_HOSTS[short.group(1) or "github"], f"{short.group(2)}/{short.group(3)}")
    return None


def _from_parts(host: str, path: str) -> RepoUrl | None:
    host = host.lower()
    if not _HOST.fullmatch(host):
        return None
    path = path.split("?", 1)[0].split("#", 1)[0]
    segments = [s for s in path.split("/") if s]
    if not segments or any(not _SEGMENT.fullmatch(s) or s in (".", "..") for s in segments):
        return None
    if host in _TWO_PART_HOSTS:
        repo, rest = segments[:2], segments[2:]
        if len(repo) < 2:
            return None
    else:
        cut = segments.index("-") if "-" in segments else len(segments)
        repo, rest = segments[:cut], segments[cut + 1 :]
    repo[-1] = repo[-1].removesuffix(".git")
    if not repo[-1]:
        return None
    slug = "/".join([host, *(s.lower() for s in repo)])
    return RepoUrl(slug, _subfolder(rest))


def _subfolder(rest: list[str]) -> str:
    """The repository folder `/tree/<ref>/<sub>` (or `/blob/<ref>/<sub>/file`) points into."""
    if len(rest) < 3 or rest[0] not in ("tree", "blob"):
        return ""
    parts = rest[2:] if rest[0] == "tree" else rest[2:-1]
    return "/".join(parts)


def identity_of(repo: RepoView) -> RepoIdentity:
    """The scan root's identity, computed once."""
    found: RepoIdentity = repo.cached("repo-identity", ".", lambda _: _compute(repo))
    return found


def _compute(repo: RepoView) -> RepoIdentity:
    claims = [*_git_remotes(repo), *_readme_claims(repo)]
    for path in _evidence_files(repo):
        text = _read(repo, path)
        if text is not None:
            claims.extend(_file_claims(path, text))
    at_root = {c.slug for c in claims if c.folder == "." and c.strength != "readme"}
    kept = [c for c in claims if c.folder == "." or not at_root or c.slug in at_root]
    return RepoIdentity(tuple(dict.fromkeys(kept)))


def _evidence_files(repo: RepoView) -> list[str]:
    names = [
        p
        for p in repo.files
        if posixpath.basename(p) in MANIFESTS or (p.endswith(_TEMPLATE_SUFFIXES) and "template" in p.lower())
    ]
    names.sort(key=lambda p: (p.count("/"), p))
    return names[:MAX_FILES]


def _read(repo: RepoView, path: str, limit: int = MAX_BYTES) -> str | None:
    data = repo.read_bytes_head(path, limit + 1)
    if not data or len(data) > limit:
        return None
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _file_claims(path: str, text: str) -> list[IdentityClaim]:
    name = posixpath.basename(path)
    readers: dict[str, Callable[[str, str], list[IdentityClaim]]] = {
        "package.json": _package_json,
        "pyproject.toml": _pyproject,
        "setup.cfg": _setup_cfg,
        "setup.py": _setup_py,
        "go.mod": _go_mod,
        "Cargo.toml": _cargo,
    }
    reader = readers.get(name, _sam_template)
    try:
        return reader(path, text)
    except (
        ValueError,
        SyntaxError,
        RecursionError,
        MemoryError,
        configparser.Error,
        tomllib.TOMLDecodeError,
    ):
        return []  # a file that does not parse says nothing about the repository


def _claim(
    path: str, url: RepoUrl | None, basis: str, strength: Strength, line: int = 0, sub: str | None = None
) -> list[IdentityClaim]:
    if url is None:
        return []
    if sub is None and url.subfolder:
        sub = url.subfolder
    folder = posixpath.dirname(path) or "."
    return [IdentityClaim(url.slug, folder, sub, basis, strength, Location(path, line))]


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


def _package_json(path: str, text: str) -> list[IdentityClaim]:
    doc = json.loads(text)
    repository = doc.get("repository") if isinstance(doc, dict) else None
    url, directory = repository, None
    if isinstance(repository, dict):
        url, directory = repository.get("url"), repository.get("directory")
    if not isinstance(url, str):
        return []
    sub = _clean_folder(directory) if isinstance(directory, str) else None
    line = _line_of(text, '"repository"')
    return _claim(
        path, normalise_url(url, shorthand=True), "package.json `repository`", "declared", line, sub
    )


def _clean_folder(text: str) -> str | None:
    parts = [p for p in text.strip().split("/") if p and p != "."]
    return None if any(p == ".." for p in parts) else "/".join(parts)


def _code_host_url(text: object) -> RepoUrl | None:
    url = normalise_url(text) if isinstance(text, str) else None
    return url if url is not None and url.slug.split("/", 1)[0] in _CODE_HOSTS else None


def _project_urls(path: str, text: str, urls: dict[str, Any], basis: str) -> list[IdentityClaim]:
    out: list[IdentityClaim] = []
    for key, value in urls.items():
        if isinstance(key, str) and key.strip().lower() in _PROJECT_URL_KEYS and isinstance(value, str):
            out += _claim(path, _code_host_url(value), f"{basis} {key}", "declared", _line_of(text, value))
    return out


def _pyproject(path: str, text: str) -> list[IdentityClaim]:
    doc = tomllib.loads(text)
    project = doc.get("project")
    urls = project.get("urls") if isinstance(project, dict) else None
    out = _project_urls(path, text, urls, "pyproject.toml [project.urls]") if isinstance(urls, dict) else []
    tool = doc.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        named = {k: poetry.get(k) for k in ("repository", "homepage")}
        out += _project_urls(path, text, named, "pyproject.toml [tool.poetry]")
    return out


def _setup_cfg(path: str, text: str) -> list[IdentityClaim]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    if not parser.has_section("metadata"):
        return []
    metadata = parser["metadata"]
    urls: dict[str, Any] = {"homepage": metadata.get("url")}
    for line in (metadata.get("project_urls") or "").splitlines():
        key, _, value = line.partition("=")
        urls[key.strip()] = value.strip()
    return _project_urls(path, text, urls, "setup.cfg")


def _setup_py(path: str, text: str) -> list[IdentityClaim]:
    """`setup(url="...", project_urls={...})` with literal values."""
    if "setup" not in text:
        return []
    urls: dict[str, Any] = {}
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "url" and isinstance(keyword.value, ast.Constant):
                urls["homepage"] = keyword.value.value
            elif keyword.arg == "project_urls" and isinstance(keyword.value, ast.Dict):
                for k, v in zip(keyword.value.keys, keyword.value.values, strict=False):
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant):
                        urls[str(k.value)] = v.value
    return _project_urls(path, text, urls, "setup.py")


def _go_mod(path: str, text: str) -> list[IdentityClaim]:
    m = _GO_MODULE.search(text)
    if m is None:
        return []
    parts = m.group(1).split("/")
    if len(parts) < 3 or parts[0].lower() not in _TWO_PART_HOSTS:
        return []  # a vanity import path does not say where the repository is
    sub = parts[3:]
    if sub and _MAJOR_VERSION.fullmatch(sub[-1]):
        sub = sub[:-1]  # `/v2`: a major version, not a folder
    url = _from_parts(parts[0], "/".join(parts[1:3]))
    line = text.count("\n", 0, m.start(1)) + 1
    return _claim(path, url, "go.mod `module`", "declared", line, "/".join(sub))


def _cargo(path: str, text: str) -> list[IdentityClaim]:
    doc = tomllib.loads(text)
    package = doc.get("package")
    value = package.get("repository") if isinstance(package, dict) else None
    if not isinstance(value, str):
        return []
    return _claim(path, normalise_url(value), "Cargo.toml `repository`", "declared", _line_of(text, value))


def _sam_template(path: str, text: str) -> list[IdentityClaim]:
    """`SourceCodeUrl` / `HomePageUrl` of a template's `AWS::ServerlessRepo::Application` metadata."""
    if _SAM_MARKER not in text:
        return []
    out: list[IdentityClaim] = []
    for m in _SAM_URL.finditer(text):
        line = text.count("\n", 0, m.start(2)) + 1
        basis = f"SAM `AWS::ServerlessRepo::Application` {m.group(1)}"
        out += _claim(path, _code_host_url(m.group(2)), basis, "declared", line)
    return out


def _git_remotes(repo: RepoView) -> list[IdentityClaim]:
    """The remotes of `.git/config` at the scan root (a `.git` file, a worktree's, is not followed)."""
    data = repo.read_bytes_head(".git/config", MAX_GIT_CONFIG_BYTES)
    if not data:
        return []
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(data.decode("utf-8", errors="replace"))
    except (configparser.Error, ValueError):
        return []
    out: list[IdentityClaim] = []
    for section in parser.sections():
        url = parser[section].get("url")
        if section.startswith("remote ") and url:
            basis = f".git/config [{section}]"
            out += [
                IdentityClaim(u.slug, ".", u.subfolder or None, basis, "checkout", Location(".git/config", 0))
                for u in [normalise_url(url)]
                if u is not None
            ]
    return out


def _readme_claims(repo: RepoView) -> list[IdentityClaim]:
    """The one repository the READMEs at the scan root tell to clone (none when they name several)."""
    found: dict[str, tuple[RepoUrl, str, int]] = {}
    for path in sorted(p for p in repo.files if "/" not in p and _README.fullmatch(p)):
        text = _read(repo, path)
        for line_number, written in _readme_clones(text or ""):
            parsed = normalise_url(written)
            if parsed is not None:
                found.setdefault(parsed.slug, (parsed, path, line_number))
    if len(found) != 1:
        return []
    named, where, line = next(iter(found.values()))
    return _claim(where, named, "`git clone` instructions", "readme", line)


def _readme_clones(text: str) -> Iterator[tuple[int, str]]:
    count = 0
    for number, line in enumerate(text.split("\n"), 1):
        if "git clone" not in line or count >= MAX_README_CLONES:
            continue
        count += 1
        words = line.replace("`", " ").split()
        start = next((i for i in range(len(words) - 1) if words[i : i + 2] == ["git", "clone"]), None)
        operands = clone_operands(words[start + 2 :]) if start is not None else None
        if operands is not None:
            yield number, operands.url


@dataclass(frozen=True)
class CloneOperands:
    """What `git clone [options] URL [DIR]` says: the URL, the folder (None: the URL's last part)
    and the branch (`-b`/`--branch`; "" when none)."""

    url: str
    folder: str | None
    branch: str
    bare: bool  # --bare / --mirror: no files are checked out


# options of `git clone` that take a value as the next word
_VALUE_OPTIONS = frozenset(
    ["-b", "--branch", "-o", "--origin", "-c", "--config", "--depth", "-j", "--jobs", "--reference"]
    + ["--reference-if-able", "--separate-git-dir", "--shallow-since", "--shallow-exclude", "--filter"]
    + ["-u", "--upload-pack", "--template", "--server-option", "--bundle-uri"]
)
_SHELL_ENDS = frozenset(["&&", "||", ";", "|", "&"])


def clone_operands(words: list[str]) -> CloneOperands | None:
    """The operands of `git clone` from the words after `clone`; None without a URL."""
    operands: list[str] = []
    branch, bare, skip = "", False, False
    for i, word in enumerate(words):
        if word in _SHELL_ENDS or word.startswith("#"):
            break
        if skip:
            skip = False
            continue
        if word in _VALUE_OPTIONS:
            skip = True
            if word in ("-b", "--branch") and i + 1 < len(words):
                branch = words[i + 1]
        elif word.startswith("--branch="):
            branch = word.partition("=")[2]
        elif word in ("--bare", "--mirror"):
            bare = True
        elif word == "--":
            continue
        elif not word.startswith("-"):
            operands.append(word)
    if not operands or len(operands) > 2:
        return None
    return CloneOperands(operands[0], operands[1] if len(operands) == 2 else None, branch, bare)


def default_folder(url: str) -> str | None:
    """The folder `git clone URL` makes: the URL's last part without `.git`."""
    last = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
    return last if last and _SEGMENT.fullmatch(last) and last not in (".", "..") else None
