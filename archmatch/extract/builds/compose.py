"""Image builds in Docker Compose files.

Per folder, the project Compose loads by default is the first of `compose.yaml`, `compose.yml`,
`docker-compose.yml`, `docker-compose.yaml` merged with its `*.override.y(a)ml`. Every other
`docker-compose.<x>.yml` / `compose.<x>.yaml` is read as `-f <base> -f <x>` (the way such files
are used) and gives builds only for the services it mentions. `build.context` is relative to the
project folder, `build.dockerfile` to the context; `build.platforms` is the platform list, the
service `platform` the default when it is omitted (docs/aws-facts.md#docker-builds). `${VAR:-default}` is
interpolated from the folder's `.env` file, then from the default. The names of `build.args`
(merged over the files) are the build args the build passes.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

from archmatch import lazyre
from archmatch.extract import yaml_docs
from archmatch.extract.builds._common import (
    HostContext,
    attestation_setting,
    default_dockerfile,
    folder_of,
    join,
    key_line,
    node_line,
    platform_fact,
    split_list,
)
from archmatch.isolation import isolated_unit, note_position
from archmatch.model import ImageBuild, Location, RepoFacts
from archmatch.repo import RepoView

BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
_OVERRIDE = lazyre.compile(r"^(?:docker-)?compose\.override\.ya?ml$")
_EXTRA = lazyre.compile(r"^(?:docker-)?compose\.[^/]+\.ya?ml$")
# A default/alternative word ends at the first `}` and never holds another `${` (which would
# be nested interpolation): each `${` then scans only to the next one, in linear time.
_INTERPOLATION = lazyre.compile(
    r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^}$]|\$(?!\{))*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)
HOST = HostContext("no platform: the machine that runs docker compose decides")


@dataclass
class _Layer:
    """One compose file of a project (base or override): its path and its `services`."""

    path: str
    services: dict[str, Any]


def _dotenv(repo: RepoView, folder: str) -> dict[str, str]:
    path = join(folder, ".env")
    text = repo.read_text(path) if path and repo.exists(path) else None
    out: dict[str, str] = {}
    for line in (text or "").split("\n"):
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        out[key.strip()] = value.strip().strip("'\"")
    return out


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose interpolation with known values and written defaults; the rest stays as written."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3) or ""
        known = env.get(name)
        if op in (":-", "-"):
            use_default = known is None or (op == ":-" and known == "")
            return arg if use_default else known  # type: ignore[return-value]
        if op in (":+", "+"):
            return m.group(0) if known is None else (arg if known or op == "+" else "")
        return known if known is not None else m.group(0)

    return _INTERPOLATION.sub(sub, value)


def _layer(repo: RepoView, path: str) -> _Layer | None:
    docs = yaml_docs(repo, path)
    doc = docs[0] if docs else None
    if doc is None:
        return None
    services = doc.get("services") if isinstance(doc, dict) else None
    if services is None:
        return _Layer(path, {})
    if not isinstance(services, dict):
        repo.diag(path, "compose `services` is not a mapping; skipped", line=node_line(doc))
        return None
    return _Layer(path, services)


@dataclass
class _Setting:
    """A service's setting as one compose file writes it, and where."""

    value: Any
    location: Location


def _lookup(layer: _Layer, service: str, key: str, sub: str | None) -> _Setting | None:
    """`services.<service>.<key>[.<sub>]` in one layer; `build: ./dir` is `build.context`."""
    node = layer.services.get(service)
    if not isinstance(node, dict) or key not in node:
        return None
    here = Location(layer.path, key_line(node, key))
    value = node[key]
    if sub is None:
        return _Setting(value, here)
    if isinstance(value, str):
        return _Setting(value, here) if sub == "context" else None
    if not isinstance(value, dict) or sub not in value:
        return None
    return _Setting(value[sub], Location(layer.path, key_line(value, sub)))


def _last(layers: list[_Layer], service: str, key: str, sub: str | None = None) -> _Setting | None:
    """The setting from the last file that has it (override files win)."""
    for layer in reversed(layers):
        found = _lookup(layer, service, key, sub)
        if found is not None:
            return found
    return None


def _service_build(
    repo: RepoView, layers: list[_Layer], service: str, primary: _Layer, env: dict[str, str], name: str
) -> ImageBuild | None:
    if _last(layers, service, "build") is None:
        return None
    folder = folder_of(layers[0].path)

    def text(key: str, sub: str | None = None) -> str | None:
        s = _last(layers, service, key, sub)
        return interpolate(str(s.value), env) if s is not None and s.value is not None else None

    context = join(folder, text("build", "context") or ".")
    if _last(layers, service, "build", "dockerfile_inline") is not None:
        dockerfile = None
    else:
        file = text("build", "dockerfile")
        dockerfile = join(context, file) if file is not None else default_dockerfile(repo, context)
    platforms, platform_loc = HOST.fact(), None
    listed = _last(layers, service, "build", "platforms")
    single = _last(layers, service, "platform")
    if listed is not None and split_list(listed.value):
        values = [interpolate(v, env) for v in split_list(listed.value)]
        platforms, platform_loc = platform_fact(values, "build.platforms"), listed.location
    elif single is not None and single.value and interpolate(str(single.value), env).strip():
        platforms, platform_loc = (
            platform_fact([interpolate(str(single.value), env)], "platform"),
            single.location,
        )
    extra_tags = _last(layers, service, "build", "tags")
    tags = [t for t in [text("image")] if t] + [
        interpolate(t, env) for t in split_list(extra_tags.value if extra_tags else None)
    ]
    prov, sbom = _last(layers, service, "build", "provenance"), _last(layers, service, "build", "sbom")
    return ImageBuild(
        source="compose",
        name=name,
        location=primary_location(primary, service),
        dockerfile=dockerfile,
        context=context,
        target=text("build", "target"),
        platforms=platforms,
        platform_location=platform_loc,
        tags=tags,
        attestations=attestation_setting(
            prov.value if prov else None, sbom.value if sbom else None, [], None
        ),
        fix_syntax="compose",
        build_args=_arg_names(layers, service, env),
    )


def _arg_names(layers: list[_Layer], service: str, env: dict[str, str]) -> frozenset[str] | None:
    """Names of the service's `build.args` (a map, or a list of `NAME=value` / `NAME`), merged over
    the files of the project; None when `args` is neither, a name is not static, or the service
    `extends` another (whose args it may take)."""
    names: set[str] = set()
    for layer in layers:
        node = layer.services.get(service)
        if isinstance(node, dict) and "extends" in node:
            return None
        found = _lookup(layer, service, "build", "args")
        if found is None or found.value is None:
            continue
        value = found.value
        if isinstance(value, dict):
            written = [str(k) for k in value]
        elif isinstance(value, list):
            written = [str(item).split("=", 1)[0] for item in value]
        else:
            return None
        for raw in written:
            name = interpolate(raw.strip(), env)
            if not name or "$" in name:
                return None
            names.add(name)
    return frozenset(names)


def primary_location(layer: _Layer, service: str) -> Location:
    return Location(layer.path, key_line(layer.services, service))


def _projects(files: list[str]) -> list[tuple[list[str], str | None]]:
    """(files merged in order, the extra file whose services are reported or None for all)."""
    names = {posixpath.basename(f): f for f in files}
    base = next((names[n] for n in BASE_NAMES if n in names), None)
    overrides = [f for f in files if _OVERRIDE.match(posixpath.basename(f))]
    extras = [f for f in files if f != base and f not in overrides]
    projects: list[tuple[list[str], str | None]] = []
    if base is not None:
        projects.append(([base, *overrides], None))
    else:
        extras = overrides + extras
    for extra in extras:
        projects.append(
            (
                [base, extra]
                if base is not None and posixpath.basename(extra) not in BASE_NAMES
                else [extra],
                extra,
            )
        )
    return projects


def _is_compose(path: str) -> bool:
    name = posixpath.basename(path)
    return name in BASE_NAMES or bool(_EXTRA.match(name))


def extract(repo: RepoView, facts: RepoFacts) -> None:
    by_folder: dict[str, list[str]] = {}
    for path in repo.matching(_is_compose):
        by_folder.setdefault(folder_of(path), []).append(path)
    for folder, files in sorted(by_folder.items()):
        env = _dotenv(repo, folder)
        for project, reported in _projects(files):
            # the files of a project merge: one that breaks is left out and the project read again
            isolated_unit(
                repo,
                facts,
                project,
                lambda left_out, p=project, r=reported, e=env: _project(repo, facts, p, r, e, left_out),  # type: ignore[misc]
            )


def _project(
    repo: RepoView,
    facts: RepoFacts,
    project: list[str],
    reported: str | None,
    env: dict[str, str],
    left_out: frozenset[str],
) -> None:
    if reported in left_out:
        return
    layers = []
    for path in project:
        if path not in left_out:
            note_position(repo, path)
            layer = _layer(repo, path)
            if layer is not None:
                layers.append(layer)
    if not layers:
        return
    primary = layers[-1] if reported is not None else layers[0]
    if reported is not None and primary.path != reported:
        return  # the extra file itself did not parse
    services = list(primary.services) if reported is not None else _all_services(layers)
    for service in services:
        owner = (
            primary if service in primary.services else next(la for la in layers if service in la.services)
        )
        note_position(repo, owner.path, node_line(owner.services.get(service)))
        label = (
            f"compose service {service}"
            if reported is None
            else f"compose {posixpath.basename(reported)} service {service}"
        )
        build = _service_build(repo, layers, str(service), owner, env, label)
        if build is not None:
            facts.builds.append(build)


def _all_services(layers: list[_Layer]) -> list[str]:
    seen: list[str] = []
    for layer in layers:
        seen.extend(s for s in layer.services if s not in seen)
    return seen
