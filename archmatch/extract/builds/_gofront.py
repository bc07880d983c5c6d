"""Go source parsed with tree-sitter's Go grammar (loaded on the first Dagger Go package)."""

from __future__ import annotations

import tree_sitter_go
from tree_sitter import Language, Node, Parser

from archmatch.repo import RepoView

_PARSER = Parser(Language(tree_sitter_go.language()))


def _first_error(node: Node) -> Node | None:
    """The first ERROR or MISSING node, walked without recursion."""
    pending = [node]
    while pending:
        current = pending.pop()
        if current.type == "ERROR" or current.is_missing:
            return current
        if current.has_error:
            pending.extend(reversed(current.children))
    return None


def parse_files(repo: RepoView, paths: list[str]) -> list[tuple[str, Node]]:
    """The syntax trees of the files that parse; a file that does not is left out with a
    diagnostic naming it and the line of its first syntax error."""
    out: list[tuple[str, Node]] = []
    for path in paths:
        text = repo.read_text(path)
        if text is None:
            continue
        tree = _PARSER.parse(text.encode("utf-8"))
        root = tree.root_node
        if root.has_error:
            bad = _first_error(root)
            line = bad.start_point[0] + 1 if bad is not None else 0
            repo.diag(path, "Go syntax error: the file's Dagger pipeline is not read", line=line)
            continue
        out.append((path, root))
    return out
