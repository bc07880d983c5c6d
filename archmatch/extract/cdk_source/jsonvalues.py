"""A JSON file of the repository that app code loads (`require('../config.json')`, `import cfg from
'./config.json'`) as the values it holds, with the line of each, so that a construct prop read from it
(`awsConfig.computeEnv.instanceTypes`) is known and its finding points into the file.

Bounded: a file over `MAX_JSON_CHARS`, or a document of more than `MAX_JSON_NODES` values, is
unknown; so is a file the repository does not hold or that does not parse (nothing is guessed).
"""

from __future__ import annotations

import posixpath
from typing import Any

from archmatch.extract import json_doc
from archmatch.extract.cdk_source.discovery import _join
from archmatch.extract.cdk_source.values import Arr, Null, Num, Obj, Str, Unknown, Val
from archmatch.extract.yamlsafe import line_of
from archmatch.repo import RepoView

MAX_JSON_CHARS = 1_000_000  # a configuration file, not a data set
MAX_JSON_NODES = 10_000


def is_json_module(spec: str) -> bool:
    """A relative import of a JSON file (`./config.json`, `../awsconfig.json`)."""
    return spec.startswith(".") and spec.endswith(".json")


def load(repo: RepoView, from_path: str, spec: str, line: int) -> Val:
    """The document of the JSON file `spec` names from `from_path`, or Unknown saying why not."""
    described = f"require({spec!r})"
    rel = _join(posixpath.dirname(from_path), spec)
    if rel is None or not repo.exists(rel):
        return Unknown(from_path, line, f"{described} (not found in the repository)")
    text = repo.read_text(rel)
    if text is None or len(text) > MAX_JSON_CHARS:
        return Unknown(
            from_path, line, f"{described} (not read: unreadable or over {MAX_JSON_CHARS} characters)"
        )
    document = json_doc(repo, rel)
    if document is None:
        return Unknown(from_path, line, f"{described} (does not parse)")
    if _count(document) > MAX_JSON_NODES:  # a part left out would read as absent: all unknown
        return Unknown(from_path, line, f"{described} (more than {MAX_JSON_NODES} values)")
    return _value(document, rel, line_of(document, 1))


def _count(document: Any) -> int:
    """Values in the document, counted up to just past MAX_JSON_NODES."""
    count, todo = 0, [document]
    while todo and count <= MAX_JSON_NODES:
        node = todo.pop()
        count += 1
        if isinstance(node, dict):
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return count


def _value(node: Any, path: str, line: int) -> Val:
    if isinstance(node, dict):
        lines = getattr(node, "line_of", lambda _key: line)
        obj = Obj(path, line)
        for key, item in node.items():
            key_line = lines(key) or line
            obj.fields[str(key)] = _value(item, path, key_line)
            obj.key_lines[str(key)] = key_line
        return obj
    if isinstance(node, list):
        item_line = getattr(node, "line_of", lambda _index: line)
        return Arr(path, line, [_value(item, path, item_line(i) or line) for i, item in enumerate(node)])
    if isinstance(node, bool):
        return Num(path, line, 1.0 if node else 0.0)
    if isinstance(node, int | float):
        return Num(path, line, float(node))
    if isinstance(node, str):
        return Str(path, line_of(node, line), str(node))
    return Null(path, line)
