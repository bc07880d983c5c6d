"""Serverless Framework `serverless.yml`: image functions and `provider.ecr.images` builds (docs/aws-facts.md#serverless).

Variables resolve statically: `${self:...}`, `${sls:stage}` (default `dev`), and the default of
`${opt:x, default}` / `${env:X, default}` (the real environment is never read). Anything else
(`${ssm:...}`, `${file(...)}`, `${cf:...}`, an option without a default) stays unknown.
"""

from __future__ import annotations

import posixpath
from typing import Any

from archmatch import lazyre
from archmatch.aws.defaults import LAMBDA_DEFAULT_ARCH
from archmatch.extract import yaml_docs
from archmatch.extract.budget import Budget
from archmatch.extract.yamlsafe import LDict, line_of
from archmatch.isolation import isolated
from archmatch.model import ImageBuild, ImageRef, LambdaFacts, Location, RepoFacts, Workload
from archmatch.platforms import ArchFact, arch_of, normalize_arch
from archmatch.repo import RepoView

_NAMES = ("serverless.yml", "serverless.yaml")
_INNERMOST = lazyre.compile(r"\$\{([^${}]*)\}")
_QUOTED = lazyre.compile(r"^(['\"])(.*)\1$")
_SELF_WHOLE = lazyre.compile(r"^\$\{self:([\w.-]+)(?:\s*,[^}]*)?\}$")
MAX_PASSES = 20
DEFAULT_ARCH = ArchFact.default(LAMBDA_DEFAULT_ARCH, note="Serverless Framework default architecture x86_64")


class _Unknown(str):
    """Marks a resolved text that still holds an unresolvable variable."""


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for rel in repo.matching(lambda f: f.rsplit("/", 1)[-1] in _NAMES):
        with isolated(repo, facts, rel):
            docs = yaml_docs(repo, rel)
            if docs and isinstance(docs[0], LDict):
                service = _Service(rel, docs[0], facts)
                service.extract()
                service.budget.report(repo)


class _Service:
    def __init__(self, path: str, doc: LDict, facts: RepoFacts):
        self.path = path
        self.doc = doc
        self.facts = facts
        self.folder = posixpath.dirname(path)
        self.budget = Budget(path)
        self._self_values: dict[str, Any] = {}  # `${self:a.b}` resolved once per address
        self._resolving: set[str] = set()

    def loc(self, line: int) -> Location:
        return Location(self.path, line)

    # -- variables ----------------------------------------------------------------------------
    def resolve(self, value: Any, depth: int = 0) -> Any:
        """A scalar with `${...}` variables replaced; `_Unknown` text when one cannot be."""
        if not isinstance(value, str) or "${" not in value or depth > 5:
            return value
        text, unknown = str(value), False
        line = line_of(value)
        for _ in range(MAX_PASSES):
            m = _INNERMOST.search(text)
            if m is None or not self.budget.step(line):
                break
            replacement = self._variable(m.group(1), depth)
            if replacement is None:
                unknown = True
                replacement = "\0" + m.group(1) + "\1"  # keep the text, stop re-matching it
            elif m.span() == (0, len(text)) and not isinstance(replacement, str):
                return replacement  # a whole-value variable may be a list or map
            replacement = str(replacement)
            if not self.budget.text_ok(len(text) - (m.end() - m.start()) + len(replacement), line):
                return _Unknown(value)
            text = text[: m.start()] + replacement + text[m.end() :]
        text = text.replace("\0", "${").replace("\1", "}")
        return _Unknown(text) if unknown or "${" in text else text

    def _variable(self, body: str, depth: int) -> Any:
        sources = [s.strip() for s in _split_top(body)]
        for index, source in enumerate(sources):
            if index and source and ":" not in source and "(" not in source and not _QUOTED.match(source):
                return source  # an unquoted literal fallback: `${opt:stage, dev}`
            value = self._source(source, depth)
            if value is not None and not isinstance(value, _Unknown):
                return value
        return None

    def _source(self, source: str, depth: int) -> Any:
        if m := _QUOTED.match(source):
            return m.group(2)
        kind, _, rest = source.partition(":")
        if kind == "self":
            return self._self_value(rest, depth)
        if kind == "sls" and rest == "stage":
            stage = self._self_value("provider.stage", depth)
            return stage if isinstance(stage, str) and not isinstance(stage, _Unknown) else "dev"
        return None  # opt:/env: without a default, ssm:, file(), cf:, param:, ...

    def _self_value(self, dotted: str, depth: int) -> Any:
        """The resolved value at a `self:` address, computed once; a cycle back to it is unknown."""
        if dotted in self._self_values:
            return self._self_values[dotted]
        if dotted in self._resolving:
            return None
        self._resolving.add(dotted)
        try:
            value = self.resolve(self._lookup(dotted), depth + 1)
        finally:
            self._resolving.discard(dotted)
        self._self_values[dotted] = value
        return value

    def _lookup(self, dotted: str) -> Any:
        node: Any = self.doc
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def origin_line(self, raw: Any) -> int:
        """Line where a whole-value `${self:path}` variable's literal is written (followed through
        chained variables); 0 when the value is written in place or elsewhere."""
        line = 0
        for _ in range(5):
            m = _SELF_WHOLE.match(raw) if isinstance(raw, str) else None
            if m is None:
                break
            parent_path, _, key = m.group(1).rpartition(".")
            parent = self._lookup(parent_path) if parent_path else self.doc
            if not isinstance(parent, LDict) or key not in parent:
                break
            raw = parent[key]
            line = line_of(raw) or parent.line_of(key)
        return line

    def text(self, value: Any) -> str | None:
        resolved = self.resolve(value)
        if isinstance(resolved, _Unknown) or not isinstance(resolved, str | int | float):
            return None
        return str(resolved)

    # -- facts --------------------------------------------------------------------------------
    def extract(self) -> None:
        provider = self.doc.get("provider")
        provider = provider if isinstance(provider, LDict) else LDict()
        images = _get(provider, "ecr", "images")
        named: dict[str, str | None] = {}
        if isinstance(images, LDict):
            for name, spec in images.items():
                named[str(name)] = self._image(str(name), spec, images.line_of(name))
        provider_arch = self._arch(provider, "provider.architecture")
        functions = self.doc.get("functions")
        if not isinstance(functions, LDict):
            return
        for fn_name, fn in functions.items():
            if isinstance(fn, LDict) and "image" in fn:
                self._function(str(fn_name), fn, functions.line_of(fn_name), provider_arch, named)

    def _image(self, name: str, spec: Any, line: int) -> str | None:
        """Add the build of `provider.ecr.images.<name>`; returns its `uri` for a prebuilt image."""
        if not isinstance(spec, LDict):
            return None
        if "uri" in spec:
            return self.text(spec["uri"]) or str(spec["uri"])
        context = posixpath.normpath(posixpath.join(self.folder, self.text(spec.get("path")) or "."))
        dockerfile = posixpath.normpath(posixpath.join(context, self.text(spec.get("file")) or "Dockerfile"))
        platform_line = (line_of(spec["platform"]) or spec.line_of("platform")) if "platform" in spec else 0
        if "platform" not in spec:
            platforms = ArchFact.host(
                "serverless ecr.images without platform: built for the deploying machine"
            )
        else:
            text = self.text(spec["platform"])
            arch = arch_of(text) if text else None
            platforms = (
                ArchFact.explicit(arch) if arch else ArchFact.unknown(f"platform {spec['platform']!r}")
            )
        provenance = spec.get("provenance")
        self.facts.builds.append(
            ImageBuild(
                source="serverless",
                name=f"serverless image {name}",
                location=self.loc(line),
                dockerfile=None if dockerfile.startswith("../") else dockerfile,
                context=None if context.startswith("../") else context,
                platforms=platforms,
                platform_location=self.loc(platform_line) if platform_line else None,
                tags=[],
                link_keys=frozenset({f"sls:image:{self.path}:{name}"}),
                attestations=provenance if isinstance(provenance, bool) else None,
                fix_syntax="serverless",
            )
        )
        return None

    def _arch(self, node: LDict, what: str) -> tuple[ArchFact, int, int] | None:
        """(architecture, the line where its literal is written, the line that refers to it or 0)."""
        if "architecture" not in node:
            return None
        raw = node["architecture"]
        line = line_of(raw) or node.line_of("architecture")
        origin = self.origin_line(raw)
        line, via = (origin, line) if origin and origin != line else (line, 0)
        text = self.text(raw)
        arch = normalize_arch(text) if text else None
        if arch is None:
            return ArchFact.unknown(f"{what} is {self.resolve(raw)!s}"), line, via
        return ArchFact.explicit(arch), line, via

    def _function(
        self, name: str, fn: LDict, line: int, provider_arch: Any, named: dict[str, str | None]
    ) -> None:
        arch, arch_line, via_line = (
            self._arch(fn, f"functions.{name}.architecture") or provider_arch or (DEFAULT_ARCH, 0, 0)
        )
        image = fn["image"]
        image_line = line_of(image) or fn.line_of("image")
        if isinstance(image, dict):
            ref_name = self.text(image.get("name"))
            uri = self.text(image.get("uri"))
            image_line = line_of(image.get("name") or image.get("uri")) or image_line
        else:
            text = self.text(image)
            ref_name, uri = (text, None) if text in named else (None, text)
        if ref_name is not None:
            prebuilt = named.get(ref_name)
            if prebuilt:
                ref = ImageRef(prebuilt, self.loc(image_line))
            else:  # Serverless builds, pushes and deploys it by digest: the build is the image
                ref = ImageRef(
                    f"${{sls:image:{ref_name}}}",
                    self.loc(image_line),
                    frozenset({f"sls:image:{self.path}:{ref_name}"}),
                    resolved=False,
                )
        else:
            ref = ImageRef(uri or str(self.resolve(image)), self.loc(image_line), resolved=uri is not None)
        self.facts.workloads.append(
            Workload(
                kind="serverless:function",
                name=name,
                service="lambda",
                location=self.loc(line),
                arch=arch,
                arch_location=self.loc(arch_line) if arch_line else None,
                arch_via=self.loc(via_line) if via_line else None,
                images=[ref],
                arch_syntax="serverless",
                lambda_=LambdaFacts(package_type="Image"),
            )
        )


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _split_top(body: str) -> list[str]:
    """`opt:stage, 'dev'` -> the variable and its fallbacks (commas inside quotes kept)."""
    parts, current, quote = [], "", ""
    for ch in body:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return parts
