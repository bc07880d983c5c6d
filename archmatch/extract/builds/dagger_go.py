"""Image builds in Dagger pipelines written with the Go SDK.

Where: the Go source folder of every Dagger module whose `dagger.json` names the Go SDK (`"sdk":
"go"`, its `source` folder), and every Go program folder that calls `dagger.Connect`. The package
is evaluated by `_daggergo` from its entry points; each container it `Publish`es is an
`ImageBuild` located at the call that created the container (`dag.Container(...)`, where
`dagger.ContainerOpts{Platform: ...}` is written or belongs, or `Directory.DockerBuild`).

Platform: `ContainerOpts.Platform` / `DirectoryDockerBuildOpts.Platform` when given; without it
(or with `dag.DefaultPlatform`), the container takes the native platform of the Dagger engine
(docs/aws-facts.md#dagger), which runs on the machine that runs the pipeline. A CI step that runs
it (`_daggercli`: the dagger-for-github action, `dagger call`, `dagger run go run`, `go run`) makes
that the step's runner, whose label may say its architecture; an entry point that no step runs
keeps an unknown host. `dagger call <function> --flag=value` binds the function's parameters
(string, Platform and Directory parameters; kebab-case flags as Dagger derives them), and a call
chained with the core `publish --address <ref>` publishes the container the function returns.

An `aws` deploy command the pipeline runs (`WithExec([]string{"aws", "lambda",
"update-function-code", ...})`) is a workload like the same command in a script; an image it
deploys that is the value a `Publish` of the same run returned is that build's image.
"""

from __future__ import annotations

import functools
import posixpath

from archmatch import lazyre
from archmatch.extract.builds._common import folder_of
from archmatch.extract.builds._daggerjson import module_sources
from archmatch.isolation import isolated
from archmatch.model import RepoFacts
from archmatch.repo import RepoView

GENERATED = ("dagger.gen.go",)
_DAGGER_IMPORT = lazyre.compile(r'"(?:dagger\.io/dagger|[^"\s]*/internal/dagger)"')


class Unit:
    """One Go package holding a Dagger pipeline."""

    def __init__(self, folder: str, module_root: str | None, files: list[str]):
        self.folder = folder  # the Go package folder
        self.module_root = module_root  # folder of its dagger.json (a module), None for a program
        self.files = files


def _module_folders(repo: RepoView) -> dict[str, str]:
    """Go source folder -> module folder, for every dagger.json naming the Go SDK."""
    return module_sources(repo, "go", report_invalid=True)


def _go_files(repo: RepoView, folder: str) -> list[str]:
    return sorted(
        p
        for p in repo.files
        if p.endswith(".go")
        and folder_of(p) == folder
        and not p.endswith("_test.go")
        and posixpath.basename(p) not in GENERATED
    )


def _units(repo: RepoView) -> list[Unit]:
    modules = _module_folders(repo)
    units = [Unit(folder, root, _go_files(repo, folder)) for folder, root in sorted(modules.items())]
    programs: set[str] = set()
    for path in repo.matching(lambda p: p.endswith(".go")):
        folder = folder_of(path)
        if folder in modules or folder in programs or "/internal/dagger" in f"/{folder}":
            continue
        if b"dagger" not in repo.read_bytes_head(path, 16_384):  # imports come first: most Go files stop here
            continue
        text = repo.read_text(path)
        if text and "dagger.Connect(" in text and _DAGGER_IMPORT.search(text):
            programs.add(folder)
    units.extend(Unit(folder, None, _go_files(repo, folder)) for folder in sorted(programs))
    return [u for u in units if u.files]


def extract(repo: RepoView, facts: RepoFacts) -> None:
    units = _units(repo)
    if not units:
        return
    # tree-sitter and its Go grammar load only for a repository holding a Dagger Go pipeline
    from archmatch.extract.builds import _daggergo, _daggerrun, _gofront

    for unit in units:
        with isolated(repo, facts, unit.files[0]):
            parsed = _gofront.parse_files(repo, unit.files)
            if parsed:
                pipeline = functools.partial(_daggergo.Package, parsed)
                _daggerrun.extract_unit(repo, facts, unit.folder, unit.module_root, parsed[0][0], pipeline)
