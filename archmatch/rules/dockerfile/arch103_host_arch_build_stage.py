"""ARCH103: a $BUILDPLATFORM stage compiles for the build host and its output reaches the image."""

from __future__ import annotations

from collections.abc import Iterator

from archmatch import lazyre
from archmatch.dockerfile_model import TARGET_ARGS, DockerfileAnalysis, HostCompile
from archmatch.model import Applicability, Edit, Finding, Fix, Related, RepoFacts
from archmatch.rules import make
from archmatch.rules.dockerfile._common import (
    analyses,
    entity,
    final_stages,
    find,
    insert_after_from,
    remove_platform_flag,
)

_CROSS_HINT = {
    "go build": "pass the target to Go: `ARG TARGETOS TARGETARCH` and `GOOS=$TARGETOS GOARCH=$TARGETARCH go build`",
    "cargo build": "build with `--target` for $TARGETARCH (e.g. with tonistiigi/xx: `xx-cargo build`), after `ARG TARGETPLATFORM`",
    "dotnet publish": "pass the target: `ARG TARGETARCH` and `dotnet publish -a $TARGETARCH` (.NET 8 accepts amd64)",
    "C/C++ compiler": "use a cross toolchain for $TARGETARCH (e.g. tonistiigi/xx `xx-clang`, after `ARG TARGETPLATFORM`)",
    "npm install": "run the install where the target platform applies (no --platform on that stage), or skip native builds with --ignore-scripts",
    "pip install": "install target wheels: `pip install --platform manylinux2014_<arch> --only-binary=:all:` per $TARGETARCH, or install in a target stage",
}
_GO_BUILD = lazyre.compile(r"\bgo\s+(?:build|install)\b")


def _go_fix(df: DockerfileAnalysis, item: HostCompile) -> Fix | None:
    region = find(df, item.compile.line, item.compile.line, _GO_BUILD)
    if region is None:
        return None
    line = df.lexed.lines[region.line - 1]
    goos = "" if "GOOS=" in line else "GOOS=$TARGETOS "
    arg, arg_diff = insert_after_from(df, item.stage, "ARG TARGETOS TARGETARCH")
    prefix = f"{goos}GOARCH=$TARGETARCH "
    edit = Edit(region, prefix + line[region.column - 1 : region.end_column])
    new_line = line[: region.column - 1] + prefix + line[region.column - 1 :]
    return Fix(
        f"cross-compile for the target: declare `ARG TARGETOS TARGETARCH` in stage {item.stage.label} and set {prefix.strip()}",
        (arg, edit),
        f"{arg_diff}\n- {line.strip()}\n+ {new_line.strip()}",
        Applicability.SAFE,
    )


def check(facts: RepoFacts) -> Iterator[Finding]:
    for df in analyses(facts):
        reported: set[int] = set()
        for final in final_stages(facts, df):
            for index, edge in sorted(df.sources(final).items()):
                stage = df.stages[index]
                if any(not u.in_scope and u.name in TARGET_ARGS for u in stage.uses):
                    continue  # ARCH102 reports the out-of-scope TARGET* use, the actual mistake
                for item in df.host_compiles(stage):
                    if item.compile.line in reported:
                        continue
                    if item.compile.tool == "npm install" and not df.dependencies_reach(final, stage):
                        continue  # only build output made from node_modules reaches the image
                    reported.add(item.compile.line)
                    host = df.runs_on_build_host(stage)
                    fixes = [Fix(_CROSS_HINT[item.compile.tool])]
                    if item.compile.tool == "go build":
                        fixes = [f for f in [_go_fix(df, item)] if f] or fixes
                    platform_edit, diff = remove_platform_flag(df, host) if host else (None, "")
                    if platform_edit:
                        fixes.append(
                            Fix(
                                f"or build stage {stage.label} on the target platform (slower, emulated)",
                                (platform_edit,),
                                diff,
                                # correct, but every RUN of the stage becomes emulated: a build-time
                                # cost beyond the finding
                                Applicability.UNSAFE,
                            )
                        )
                    yield make(
                        "ARCH103",
                        df.loc(item.compile.line),
                        entity(stage),
                        stage=stage.label,
                        tool=item.compile.tool,
                        line=item.compile.line,
                        from_line=host.line if host else stage.line,
                        final=final.label,
                        copy_line=edge.line,
                        related=[
                            Related(
                                df.loc(edge.line),
                                f"{edge.keyword} --from={edge.source} brings its output into final stage {final.label}",
                            )
                        ],
                        fixes=fixes,
                    )
