"""Image builds in Dagger pipelines written with the Python SDK.

Where: every Dagger module whose `dagger.json` names the Python SDK (`"sdk": "python"`), its
`source` folder's Python files (the generated `sdk/` folder left out), and every folder holding a
Python program that opens `dagger.Connection(...)` / `dagger.connection()`. The files are parsed
with Python's `ast` (nothing is imported or run) and evaluated by `_daggerpy`; everything else is
as for Go pipelines (`dagger_go.py`): each published container is a build, its platform the
`platform=` of `dag.container(...)` / `docker_build(...)` or else the engine's, the CI step that
runs the pipeline (`dagger call ...`, `python <file.py>`) its host.
"""

from __future__ import annotations

import ast
import functools

from archmatch.extract import pysource
from archmatch.extract.builds._common import folder_of
from archmatch.extract.builds._daggerjson import module_sources
from archmatch.isolation import isolated
from archmatch.model import RepoFacts
from archmatch.repo import RepoView


def _module_sources(repo: RepoView) -> dict[str, str]:
    """Python source folder -> module folder, for every dagger.json naming the Python SDK."""
    return module_sources(repo, "python", report_invalid=False)


def _under(path: str, folder: str) -> bool:
    return folder == "." or path.startswith(folder + "/")


def _module_files(repo: RepoView, folder: str) -> list[str]:
    return sorted(
        p
        for p in repo.files
        if p.endswith(".py") and _under(p, folder) and "/sdk/" not in "/" + p[len(folder) :] + "/"
    )


def _program_folders(repo: RepoView, modules: dict[str, str]) -> list[str]:
    folders: set[str] = set()
    for path in repo.matching(lambda p: p.endswith(".py")):
        if any(_under(path, m) for m in modules) or b"dagger" not in repo.read_bytes_head(path, 16_384):
            continue
        text = repo.read_text(path)
        if (
            text
            and "import dagger" in text
            and ("dagger.Connection(" in text or "dagger.connection(" in text)
        ):
            folders.add(folder_of(path))
    return sorted(folders)


def _parse(repo: RepoView, paths: list[str]) -> list[tuple[str, ast.Module]]:
    out: list[tuple[str, ast.Module]] = []
    for path in paths:
        text = repo.read_text(path)
        if text is None:
            continue
        try:
            out.append((path, pysource.parse(text, filename=path)))
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", 0) or 0
            reason = getattr(exc, "msg", None) or "too deeply nested"
            repo.diag(
                path, f"Python syntax error ({reason}): the file's Dagger pipeline is not read", line=line
            )
    return out


def extract(repo: RepoView, facts: RepoFacts) -> None:
    modules = _module_sources(repo)
    units: list[tuple[str, str | None, list[str]]] = [
        (folder, root, _module_files(repo, folder)) for folder, root in sorted(modules.items())
    ]
    units += [
        (folder, None, sorted(p for p in repo.files if p.endswith(".py") and folder_of(p) == folder))
        for folder in _program_folders(repo, modules)
    ]
    units = [u for u in units if u[2]]
    if not units:
        return
    from archmatch.extract.builds import _daggerpy, _daggerrun

    for folder, root, files in units:
        with isolated(repo, facts, files[0]):
            parsed = _parse(repo, files)
            if parsed:
                pipeline = functools.partial(_daggerpy.PyPackage, parsed)
                _daggerrun.extract_unit(repo, facts, folder, root, parsed[0][0], pipeline)
