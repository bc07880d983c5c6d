"""Safe YAML loading with line numbers, CloudFormation tags, and an alias-bomb guard.

Built on PyYAML's SafeLoader: no arbitrary object construction. Mappings load as `LDict` and
sequences as `LList`, which remember the 1-based line of each key / item. CloudFormation short
tags (`!Ref x`) load as their long form (`{"Ref": "x"}`), as cfn-lint does; any other unknown tag
loads as `{"!Tag": value}` rather than failing.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

MAX_ALIASES = 1000
MAX_DEPTH = 200
MAX_NODES = 2_000_000
MAX_EXPANDED_NODES = 2_000_000  # nodes counted once per alias use
MAX_EXPANDED_CHARS = 20_000_000  # scalar characters counted once per alias use (twice the file limit)


class YamlError(Exception):
    def __init__(self, message: str, line: int = 0, limit: bool = False):
        super().__init__(message)
        self.line = line
        self.limit = limit  # a safety limit (depth, aliases, size), not a syntax error


class LDict(dict[Any, Any]):
    """A dict that knows the line of each of its keys and of itself."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        lines: dict[Any, int] = getattr(self, "key_lines", {})
        return lines.get(key, self.line)


class LList(list[Any]):
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


class LStr(str):
    line: int = 0


def line_of(value: Any, default: int = 0) -> int:
    return getattr(value, "line", default) or default


_CFN_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Join": "Fn::Join",
    "If": "Fn::If",
    "FindInMap": "Fn::FindInMap",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "Base64": "Fn::Base64",
    "Cidr": "Fn::Cidr",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Equals": "Fn::Equals",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Not": "Fn::Not",
    "Transform": "Fn::Transform",
    "Length": "Fn::Length",
    "ToJsonString": "Fn::ToJsonString",
    "GetParam": "Fn::GetParam",
}


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str):
        super().__init__(stream)
        self._aliases = 0
        self._nodes = 0

    def fetch_flow_collection_start(self, token_class: type) -> None:
        # Stop at the scanner: each open flow level makes PyYAML's scan of every later token
        # slower (quadratic), long before the composer's recursion limit would stop it.
        super().fetch_flow_collection_start(token_class)
        if self.flow_level > MAX_DEPTH:
            raise YamlError(
                f"YAML nested deeper than {MAX_DEPTH} levels", self.get_mark().line + 1, limit=True
            )

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlError(
                    f"more than {MAX_ALIASES} YAML aliases (alias bomb?)",
                    self.peek_event().start_mark.line + 1,  # type: ignore[no-untyped-call]
                    limit=True,
                )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            raise YamlError(f"more than {MAX_NODES} YAML nodes", line, limit=True)
        return super().compose_node(parent, index)  # type: ignore[return-value]

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> LDict:
        self.flatten_mapping(node)
        out = LDict()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                key = str(key)
            out[key] = self.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> LList:
        out = LList(self.construct_object(child, deep=True) for child in node.value)
        out.line = node.start_mark.line + 1
        out.item_lines = [child.start_mark.line + 1 for child in node.value]
        return out

    def construct_scalar_str(self, node: ScalarNode) -> Any:
        value = self.construct_scalar(node)
        s = LStr(value)
        s.line = node.start_mark.line + 1
        return s


def _construct_tagged(loader: _Loader, tag_suffix: str, node: Node) -> Any:
    if isinstance(node, ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt" and isinstance(value, str) and "." in value:
            value = value.split(".", 1)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_mapping(node)  # type: ignore[arg-type]
    key = _CFN_TAGS.get(tag_suffix, "!" + tag_suffix)
    out = LDict({key: value})
    out.line = node.start_mark.line + 1
    out.key_lines = {key: out.line}
    return out


def _multi(loader: _Loader, suffix: str, node: Node) -> Any:
    return _construct_tagged(loader, suffix, node)


def _int_or_text(loader: _Loader, node: ScalarNode) -> Any:
    """An integer, or its text when Python refuses it (over 4300 digits)."""
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        return loader.construct_scalar_str(node)


def _timestamp_or_text(loader: _Loader, node: ScalarNode) -> Any:
    """A date, or its text when it is no real date (`2001-02-30`)."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar_str(node)


_Loader.add_multi_constructor("!", _multi)
_Loader.add_constructor("tag:yaml.org,2002:int", _int_or_text)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)
_Loader.add_constructor("tag:yaml.org,2002:str", _Loader.construct_scalar_str)
# PyYAML's own map/seq constructors copy into plain dict/list and would drop the line numbers.
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)


def _check_shape(root: Node) -> None:
    """Reject documents too deep, or whose aliases expand to too many nodes or characters.

    Aliases load as shared objects, so a "billion laughs" document is small in memory, but any
    code that walks it visits every expanded node. Sizes and depths are computed once per node
    (the graph is a DAG: PyYAML rejects recursive aliases), iteratively so depth cannot overflow.
    """
    size: dict[int, int] = {}
    chars: dict[int, int] = {}
    depth: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        if not children_done:
            if key in entered:  # reached again from its own descendants
                raise YamlError("recursive YAML alias", node.start_mark.line + 1)
            entered.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in size)
            continue
        size[key] = 1 + sum(size[id(c)] for c in children)
        chars[key] = (len(node.value) if isinstance(node, ScalarNode) else 0) + sum(
            chars[id(c)] for c in children
        )
        depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
        if depth[key] > MAX_DEPTH:
            raise YamlError(
                f"YAML nested deeper than {MAX_DEPTH} levels", node.start_mark.line + 1, limit=True
            )
        if size[key] > MAX_EXPANDED_NODES:
            raise YamlError(
                f"YAML aliases expand to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)",
                node.start_mark.line + 1,
                limit=True,
            )
        if chars[key] > MAX_EXPANDED_CHARS:
            raise YamlError(
                f"YAML aliases expand to more than {MAX_EXPANDED_CHARS} characters (alias bomb?)",
                node.start_mark.line + 1,
                limit=True,
            )


try:  # libyaml's event parser: the same documents, several times faster than PyYAML's
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    CParser = None  # type: ignore[assignment, misc]  # the optional-import idiom


if CParser is not None:

    class _FastLoader(CParser, _Loader):
        """libyaml parses; composing and constructing stay in Python, in `_Loader`.

        libyaml's own composer recurses in C and crashes the interpreter on deep nesting, so
        the Python composer (which stops at the recursion limit) builds the nodes.
        """

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._aliases = 0
            self._nodes = 0

        check_node = Composer.check_node
        get_node = Composer.get_node
        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document


def _load_all(loader_class: type[_Loader], text: str) -> list[Any]:
    try:  # the pure-Python reader rejects control characters while it is built
        loader = loader_class(text)
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}") from None
    docs: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            _check_shape(node)
            docs.append(loader.construct_document(node))
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(
            f"YAML syntax error: {exc.problem or exc.context}", (mark.line + 1) if mark else 0
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlError("YAML nested too deeply", limit=True) from None
    finally:
        loader.dispose()
    return docs


def load_all(text: str) -> list[Any]:
    """Every document in a YAML stream. Raises YamlError with a line on any problem."""
    if CParser is not None:
        try:
            return _load_all(_FastLoader, text)
        except YamlError as exc:
            if exc.limit:
                raise
        except Exception:  # anything libyaml dislikes gets PyYAML's verdict and message
            pass
    return _load_all(_Loader, text)


def load(text: str) -> Any:
    docs = load_all(text)
    return docs[0] if docs else None
