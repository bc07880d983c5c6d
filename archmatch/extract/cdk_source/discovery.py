"""Which CDK source a repository holds, found without parsing (so that tree-sitter is imported
only when there is something to read).

* apps: `cdk.json` -> the `app` command's entry file;
* construct libraries and monorepo packages without `cdk.json`: a package folder (`package.json`,
  `setup.py`, `pyproject.toml`, `setup.cfg`) whose manifest or `requirements*.txt` names the CDK,
  and its source files that build an image asset (`DockerImageFunction`, `fromImageAsset`,
  `fromAsset`, `DockerImageAsset`, ...) or give a CodeBuild project its buildspec, outside tests.
  A construct that builds and runs an image is checked wherever it is defined, whether an app of
  the repository uses it or not.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

from archmatch import lazyre
from archmatch.extract import json_doc
from archmatch.isolation import isolated
from archmatch.repo import RepoView

TS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
PACKAGE_MANIFESTS = frozenset({"package.json", "setup.py", "pyproject.toml", "setup.cfg"})
_CDK_DEPENDENCY = lazyre.compile(r"aws-cdk-lib|@aws-cdk/|\bmonocdk\b|\baws_cdk\b|\baws-cdk\.")
_IMAGE_ASSET = lazyre.compile(
    r"DockerImageFunction|DockerImageAsset|from_?[Ii]mage_?[Aa]sset|from_?[Aa]sset_?[Ii]mage"
    r"|ContainerImage\.from_?[Aa]sset|\bAssetImage(Code)?\b|\bBuildSpec\.from_?[A-Za-z]"
)
_TEST_PATH = lazyre.compile(
    r"(^|/)(tests?|__tests__|__snapshots__|cdk\.out)/|\.(test|spec)\.[cm]?[jt]sx?$|(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$"
)
MAX_LIBRARY_FILES = 200  # seed files of one package
_SST_CONFIG = lazyre.compile(r"sst\.config\.[cm]?[jt]s")
_SST_CONSTRUCTS = lazyre.compile(r"[\"']sst/constructs[\"']|@serverless-stack/resources")


@dataclass(frozen=True)
class CdkApp:
    config: str  # cdk.json (for a library: its package manifest), root-relative
    app_dir: str  # its directory: the app's working directory (a library: the package folder)
    language: str  # ts | py
    entry: str
    # a construct library: every seed file is read (and the files they import); code outside
    # the repository may call its exported constructs
    seeds: tuple[str, ...] = field(default=())

    @property
    def library(self) -> bool:
        return bool(self.seeds)


def _join(base: str, rel: str) -> str | None:
    """Root-relative normalised path, or None when it leaves the scan root."""
    joined = (
        posixpath.normpath(posixpath.join(base, rel)) if base not in ("", ".") else posixpath.normpath(rel)
    )
    if joined.startswith("../") or joined == ".." or posixpath.isabs(joined):
        return None
    return joined


def _entry_from_command(repo: RepoView, app_dir: str, command: str) -> tuple[str, str] | None:
    try:
        tokens = shlex.split(command)
    except ValueError:
        tokens = command.split()
    for i, token in enumerate(tokens):
        if token in ("-m",) and i + 1 < len(tokens) and tokens[i - 1].startswith("python"):
            rel = _join(app_dir, tokens[i + 1].replace(".", "/") + ".py")
            if rel and repo.exists(rel):
                return "py", rel
        if token.startswith("-"):
            continue
        if token.endswith(".py"):
            rel = _join(app_dir, token)
            return ("py", rel) if rel and repo.exists(rel) else None
        if token.endswith(TS_SUFFIXES):
            rel = _join(app_dir, token)
            if rel is None:
                return None
            if repo.exists(rel):
                return "ts", rel
            stem = rel.rsplit(".", 1)[0]
            for ext in (".ts", ".tsx", ".mts"):  # `node bin/app.js` with only the source committed
                if repo.exists(stem + ext):
                    return "ts", stem + ext
            return None
    return None


def find_apps(repo: RepoView) -> list[CdkApp]:
    apps: list[CdkApp] = []
    for config in repo.matching(lambda f: f == "cdk.json" or f.endswith("/cdk.json")):
        with isolated(repo, None, config):
            _find_app(repo, config, apps)
    for config in repo.matching(lambda f: is_sst_config(f.rsplit("/", 1)[-1])):
        with isolated(repo, None, config):
            _find_sst_app(repo, config, apps)
    return apps


def is_sst_config(name: str) -> bool:
    """`sst.json` (SST v1) or `sst.config.ts` / `.js` / `.mjs` (SST v2): an app of CDK stacks."""
    return name == "sst.json" or _SST_CONFIG.fullmatch(name) is not None


def _find_sst_app(repo: RepoView, config: str, apps: list[CdkApp]) -> None:
    """An SST app is a CDK app whose stacks SST synthesises: v1 starts at `sst.json`'s `main`
    (`stacks/index.ts` or `.js` when not given), v2 at `sst.config.ts` itself. Only when the app
    uses the CDK (its package manifest, or the config importing SST's constructs): SST v3 apps are
    Pulumi programs."""
    app_dir = _folder(config)
    manifest = posixpath.join(app_dir, "package.json") if app_dir else "package.json"
    manifest_text = repo.read_text(manifest) if repo.exists(manifest) else None
    if config.endswith("sst.json"):
        doc = json_doc(repo, config)
        main = doc.get("main") if isinstance(doc, dict) else None
        names = [main] if isinstance(main, str) else ["stacks/index.ts", "stacks/index.js"]
        entries = [e for e in (_join(app_dir, n) for n in names) if e is not None and repo.exists(e)]
        entry = entries[0] if entries else None
    else:
        entry = config
    config_text = repo.read_text(config) or ""
    uses_cdk = (manifest_text is not None and _CDK_DEPENDENCY.search(manifest_text) is not None) or (
        _SST_CONSTRUCTS.search(config_text) is not None
    )
    if entry is not None and uses_cdk:
        apps.append(CdkApp(config, app_dir, "ts", entry))


def _find_app(repo: RepoView, config: str, apps: list[CdkApp]) -> None:
    doc = json_doc(repo, config)
    if not isinstance(doc, dict):
        return
    command = doc.get("app")
    app_dir = posixpath.dirname(config)
    if not isinstance(command, str):
        return
    found = _entry_from_command(repo, app_dir, command)
    if found is None:
        repo.diag(
            config,
            f"CDK app command {command!r}: no TypeScript, JavaScript or Python entry file in the repository; its source is not checked",
            line=getattr(doc, "line_of", lambda _k: 0)("app"),
            level="note",
            code="input",
        )
        return
    apps.append(CdkApp(config, app_dir, found[0], found[1]))


def _folder(path: str) -> str:
    folder = posixpath.dirname(path)
    return "" if folder == "." else folder


def _cdk_packages(repo: RepoView) -> dict[str, str]:
    """Package folder -> its manifest, for the packages that depend on the CDK."""
    manifests = repo.matching(lambda f: f.rsplit("/", 1)[-1] in PACKAGE_MANIFESTS)
    requirements = repo.matching(
        lambda f: re.fullmatch(r"requirements[\w.-]*\.txt", f.rsplit("/", 1)[-1]) is not None
    )
    out: dict[str, str] = {}
    for manifest in sorted(manifests):
        folder = _folder(manifest)
        if folder in out:
            continue
        texts = [repo.read_text(manifest)] + [repo.read_text(r) for r in requirements if _folder(r) == folder]
        if any(t is not None and _CDK_DEPENDENCY.search(t) for t in texts):
            out[folder] = manifest
    return out


def _package_of(path: str, packages: dict[str, str], manifests: set[str]) -> str | None:
    """The nearest package folder holding `path`, when it depends on the CDK."""
    folder = _folder(path)
    while True:
        if folder in manifests:
            return folder if folder in packages else None
        if not folder:
            return None
        folder = _folder(folder)


def find_libraries(repo: RepoView, read_by_apps: set[str]) -> list[CdkApp]:
    """CDK packages without an app that reads them, with their files that build an image asset."""
    packages = _cdk_packages(repo)
    if not packages:
        return []
    manifest_folders = {
        _folder(m) for m in repo.matching(lambda f: f.rsplit("/", 1)[-1] in PACKAGE_MANIFESTS)
    }
    seeds: dict[str, list[str]] = {}
    for path in repo.matching(lambda f: f.endswith((*TS_SUFFIXES, ".py")) and not f.endswith(".d.ts")):
        if path in read_by_apps or _TEST_PATH.search(path):
            continue
        package = _package_of(path, packages, manifest_folders)
        if package is None:
            continue
        text = repo.read_text(path)
        if text is not None and _CDK_DEPENDENCY.search(text) and _IMAGE_ASSET.search(text):
            seeds.setdefault(package, []).append(path)
    libraries = []
    for package, files in sorted(seeds.items()):
        typescript = [f for f in files if f.endswith((".ts", ".tsx", ".mts", ".cts"))]
        python = [f for f in files if f.endswith(".py")]
        javascript = [f for f in files if f not in typescript and f not in python]
        # compiled JavaScript committed beside its TypeScript source would report every construct twice
        chosen = (typescript or javascript) + python
        chosen = sorted(chosen)[:MAX_LIBRARY_FILES]
        language = "py" if chosen[0].endswith(".py") else "ts"
        libraries.append(CdkApp(packages[package], package, language, chosen[0], tuple(chosen)))
    return libraries
