"""Build folders generated before the build: a CDK image asset whose folder (or Dockerfile) the
repository does not hold (`order-dispatcher/build`) is filled by a script of its package before
`cdk deploy` (`"build": "mkdir -p build && cp -r src/main/docker/* build/"`).

The npm scripts and shell scripts of the package (the nearest folder above the generated one that
holds a `package.json`, else its parent folder) are read for copies (`_copies`), never run. When
they put exactly one Dockerfile of the repository where the asset reads its Dockerfile, that is the
file the asset builds, with the copy as evidence. When they put none, or several different ones,
the Dockerfile is unread: the build says so rather than being judged on content nobody has seen.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from archmatch.extract import json_doc
from archmatch.extract.builds._common import LineMap, join, key_line
from archmatch.extract.builds._copies import Frame, origin
from archmatch.extract.builds._shellscan import ShellState, repo_folder, scan, script_dir_of
from archmatch.extract.builds.shell import is_shell_script
from archmatch.model import Location
from archmatch.repo import RepoView

MAX_GENERATORS = 200  # scripts of one package read for copies


@dataclass(frozen=True)
class Generated:
    """The Dockerfile a generated folder holds (None: not known) and the evidence, or why not."""

    dockerfile: str | None
    evidence: str
    via: Location | None = None  # the copy that puts the Dockerfile there


def generated_folder(repo: RepoView, tail: str) -> str | None:
    """The folder a computed path ending in `tail` names when the repository does not hold it but
    holds exactly one folder ending in its parent (`.../order-dispatcher` for
    `prototype/dispatch/order-dispatcher/build`): a folder generated there."""
    parent_tail, _, last = tail.rpartition("/")
    if not parent_tail or last in ("", ".", ".."):
        return None
    is_folder = repo_folder(repo)
    parents = {
        posixpath.dirname(f)
        for f in repo.files
        if posixpath.dirname(f) == parent_tail or posixpath.dirname(f).endswith(f"/{parent_tail}")
    }
    if len(parents) != 1:
        return None
    folder = f"{parents.pop()}/{last}"
    return None if is_folder(folder) else folder


def generated_dockerfile(repo: RepoView, dockerfile: str) -> Generated:
    """Which repository Dockerfile the package's scripts copy to `dockerfile`, if exactly one."""
    found: Generated = repo.cached("generated-dockerfile", dockerfile, lambda p: _generated(repo, p))
    return found


def _generated(repo: RepoView, dockerfile: str) -> Generated:
    folder = posixpath.dirname(dockerfile) or "."
    package = _package_of(repo, folder)
    is_folder = repo_folder(repo)
    found: dict[str, tuple[str, Location]] = {}
    for label, frames in _generators(repo, package):
        for frame in frames:
            copied = origin(dockerfile, frame.copies, is_folder)
            if copied is not None and repo.exists(copied.source):
                where = Location(copied.copy.path, copied.copy.line)
                found.setdefault(copied.source, (f"{label} ({where})", where))
    if len(found) == 1:
        source, (by, via) = next(iter(found.items()))
        return Generated(source, f"generated folder: its Dockerfile is copied from {source} by {by}", via)
    if found:
        sources = ", ".join(sorted(found))
        return Generated(
            None, f"Dockerfile not in the repository; scripts copy different ones there: {sources}"
        )
    return Generated(None, f"Dockerfile not in the repository; no script of {package} copies one there")


def _package_of(repo: RepoView, folder: str) -> str:
    current = posixpath.dirname(folder) or "."
    while True:
        if repo.exists(join(current, "package.json") or ""):
            return current
        if current == ".":
            return posixpath.dirname(folder) or "."
        current = posixpath.dirname(current) or "."


def _generators(repo: RepoView, package: str) -> Iterator[tuple[str, list[Frame]]]:
    """(label, frames of copies) of each npm script and shell script of the package."""
    manifest = join(package, "package.json") or "package.json"
    doc = json_doc(repo, manifest) if repo.exists(manifest) else None
    scripts = doc.get("scripts") if isinstance(doc, dict) else None
    count = 0
    for name, command in scripts.items() if isinstance(scripts, dict) else ():
        if isinstance(command, str) and count < MAX_GENERATORS:
            count += 1
            state = ShellState(path=manifest, script_dir=package, cwd=package)
            scan(command, state, LineMap(command, key_line(scripts, name)))
            yield f"npm script {name}", [state.copies.start]
    prefix = "" if package == "." else f"{package}/"
    for path in repo.matching(lambda p: p.startswith(prefix) and is_shell_script(repo, p)):
        text = repo.read_text(path)
        if text is None or count >= MAX_GENERATORS or not any(c in text for c in ("cp ", "rsync ")):
            continue
        count += 1
        state = ShellState(path=path, script_dir=script_dir_of(path))
        state.copies.own = Frame()
        scan(text, state, LineMap(text))
        yield "script", [state.copies.start, state.copies.own]
