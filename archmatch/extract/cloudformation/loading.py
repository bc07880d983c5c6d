"""YAML/JSON documents with line numbers for the CloudFormation, Serverless and Kubernetes extractors.

`yamlsafe` documents mappings as `LDict` and sequences as `LList`, but PyYAML's SafeLoader keeps
its own constructors for the plain `map`/`seq` tags, so only tagged nodes get lines. Until that is
fixed there, this module loads with those two tags routed to the line-keeping constructors, using
the shared parse cache so each file is still parsed once. Once `yamlsafe` keeps lines itself,
everything here delegates to `archmatch.extract.yaml_docs` / `json_doc`.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import yaml

from archmatch.extract import json_doc, yaml_docs, yamlsafe
from archmatch.repo import RepoView


class _LineLoader(yamlsafe._Loader):
    pass


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


def _check_shape(node: Any) -> None:
    """The shared loader's depth/alias-expansion guard (its name has changed once already)."""
    check = getattr(yamlsafe, "_check_shape", None) or getattr(yamlsafe, "_check_depth", None)
    if check is not None:
        check(node)


@functools.cache
def _shared_loader_keeps_lines() -> bool:
    return isinstance(yamlsafe.load("a: [1]"), yamlsafe.LDict)


def load_all(text: str) -> list[Any]:
    """Every document of a YAML stream, mappings as LDict. Raises yamlsafe.YamlError with a line."""
    if _shared_loader_keeps_lines():
        return yamlsafe.load_all(text)
    loader = _LineLoader(text)
    docs: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            _check_shape(node)
            docs.append(loader.construct_document(node))
    except yamlsafe.YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise yamlsafe.YamlError(f"YAML syntax error: {exc.problem or exc.context}", (mark.line + 1) if mark else 0) from None
    except yaml.YAMLError as exc:
        raise yamlsafe.YamlError(f"YAML error: {exc}") from None
    except RecursionError:
        raise yamlsafe.YamlError("YAML nested too deeply") from None
    finally:
        loader.dispose()
    return docs


def yaml_documents(repo: RepoView, rel: str, level: str = "warning") -> list[Any] | None:
    """All YAML documents of a file (cached under the shared "yaml" key), None on error with a diagnostic."""
    if _shared_loader_keeps_lines() and level == "warning":
        return yaml_docs(repo, rel)

    def parse(path: str) -> list[Any] | None:
        text = repo.read_text(path)
        if text is None:
            return None
        try:
            return load_all(text)
        except yamlsafe.YamlError as exc:
            repo.diag(path, str(exc), line=exc.line, level=level)
            return None

    return repo.cached("yaml", rel, parse)


def json_document(repo: RepoView, rel: str) -> Any | None:
    """A JSON document with lines where the YAML loader accepts it, else plain JSON, else a diagnostic."""
    if _shared_loader_keeps_lines():
        return json_doc(repo, rel)

    def parse(path: str) -> Any | None:
        text = repo.read_text(path)
        if text is None:
            return None
        try:
            docs = load_all(text)
            return docs[0] if docs else None
        except yamlsafe.YamlError:
            pass
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            repo.diag(path, f"JSON syntax error: {getattr(exc, 'msg', exc)}", line=getattr(exc, "lineno", 0))
            return None

    return repo.cached("json", rel, parse)
