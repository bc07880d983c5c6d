"""A CDK app's (or construct library's) files: the entry file (or seed files) -> the files they
import.

Only files inside the scan root are read; nothing is executed or imported. TypeScript/JavaScript
is parsed with tree-sitter, Python with `ast`; each file once per app.
"""

from __future__ import annotations

import ast
import posixpath
from collections import deque

from tree_sitter import Node

from archmatch.extract import pysource
from archmatch.extract.budget import Budget
from archmatch.extract.cdk_source import jsonvalues, semantics, ts_bind, workspaces
from archmatch.extract.cdk_source.discovery import TS_SUFFIXES, CdkApp, _join
from archmatch.extract.cdk_source.py_front import PyFile
from archmatch.extract.cdk_source.ts_front import TsFile, first_error
from archmatch.extract.cdk_source.values import Val
from archmatch.isolation import note_position
from archmatch.repo import RepoView

MAX_APP_FILES = 400
MAX_NESTING = 60  # evaluations nested inside one another, across the files of a program


def ts_call_name(node: Node) -> str:
    is_new = node.type == "new_expression"
    callee = node.child_by_field_name("constructor" if is_new else "function")
    if callee is None:
        return ""
    if callee.type in ("identifier", "super"):
        return callee.text.decode("utf-8", "replace") if callee.text is not None else ""
    if callee.type == "member_expression":
        prop = callee.child_by_field_name("property")
        return prop.text.decode("utf-8", "replace") if prop is not None and prop.text is not None else ""
    return ""


def py_call_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


class Program:
    """One CDK app's files, parsed once, with import resolution between them."""

    def __init__(self, repo: RepoView, app: CdkApp, left_out: frozenset[str] = frozenset()):
        self.repo = repo
        self.app = app
        self.left_out = left_out  # files that broke the extractor: read as if absent
        self.app_dir = app.app_dir or "."
        self.budget = Budget(app.entry)  # evaluation of every file of the app
        self.files: dict[str, TsFile | PyFile | None] = {}
        self._queue: deque[str] = deque()
        # a construct library: code outside the repository may call its exported functions
        self.open_world = app.library
        self.bind_calls = False  # context-insensitive flow (`ts_flow`); ops programs bind calls
        self.env: ts_bind.Frame | None = None
        self.report_syntax_errors = True  # an ops program reads its files for values only: quiet
        self.depth = 0  # evaluations in progress, across files (bounded: MAX_NESTING)
        self._ts_sites: dict[str, list[tuple[TsFile, Node]]] | None = None
        self._py_sites: dict[str, list[tuple[PyFile, ast.Call]]] | None = None
        self._json: dict[str, Val] = {}  # JSON files the code loads, by path

    def enter(self, line: int, path: str) -> bool:
        """One evaluation deeper; False (and one `limit` diagnostic) past MAX_NESTING."""
        if self.depth >= MAX_NESTING:
            return self.budget.refuse(f"values nested more than {MAX_NESTING} levels deep", line, path)
        self.depth += 1
        return True

    def leave(self) -> None:
        self.depth = max(0, self.depth - 1)

    def ts_call_sites(self) -> dict[str, list[tuple[TsFile, Node]]]:
        """Calls of the program's TypeScript files by the name they call (`f`, `m` of `x.m`, `C` of
        `new C`, `super`): where callers of a function are looked for."""
        if self._ts_sites is None:
            self._ts_sites = {}
            for parsed in list(self.files.values()):
                if isinstance(parsed, TsFile):
                    for node in parsed.calls():
                        name = ts_call_name(node)
                        if name:
                            self._ts_sites.setdefault(name, []).append((parsed, node))
        return self._ts_sites

    def py_call_sites(self) -> dict[str, list[tuple[PyFile, ast.Call]]]:
        """Calls of the program's Python files by the name they call (`f`, `m` of `x.m`, `C`)."""
        if self._py_sites is None:
            self._py_sites = {}
            for parsed in list(self.files.values()):
                if isinstance(parsed, PyFile):
                    for node in parsed.calls():
                        name = py_call_name(node)
                        if name:
                            self._py_sites.setdefault(name, []).append((parsed, node))
        return self._py_sites

    def load(self) -> list[TsFile | PyFile]:
        expanded: set[str] = set()
        self._queue.extend(self.app.seeds or (self.app.entry,))
        while self._queue:
            path = self._queue.popleft()
            if path in expanded:
                continue
            expanded.add(path)
            parsed = self._get(path)
            if isinstance(parsed, TsFile):
                for spec in parsed.imported_specs:
                    self.resolve_ts(path, spec)
            elif isinstance(parsed, PyFile):
                for module, level, names in parsed.module_imports:
                    self.resolve_py(path, module, level)
                    for name in names:
                        self.resolve_py(path, f"{module}.{name}" if module else name, level)
        return [f for f in self.files.values() if f is not None]

    def _parse(self, path: str) -> TsFile | PyFile | None:
        text = self.repo.read_text(path)
        if text is None:
            return None
        if path.endswith(".py"):
            try:
                tree = pysource.parse(text, filename=path)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                self.repo.diag(
                    path,
                    f"Python syntax error: {getattr(exc, 'msg', exc)}; CDK constructs in this file are not checked",
                    line=getattr(exc, "lineno", 0) or 0,
                )
                return None
            return PyFile(self, path, text, tree)
        parsed = TsFile(self, path, text.encode("utf-8"))
        error = first_error(parsed.root) if self.report_syntax_errors else None
        if error is not None:
            self.repo.diag(
                path,
                "TypeScript/JavaScript syntax error; constructs around it may be missed",
                line=error.start_point.row + 1,
            )
        return parsed

    def _get(self, path: str) -> TsFile | PyFile | None:
        if path not in self.files:
            if len(self.files) >= MAX_APP_FILES or path in self.left_out:
                return None
            note_position(self.repo, path)
            self.files[path] = None  # guards import cycles while parsing
            self.files[path] = self._parse(path)
            self._queue.append(path)
        return self.files[path]

    def resolve_ts(self, from_path: str, spec: str) -> TsFile | None:
        if not spec.startswith("."):
            return self._resolve_package(from_path, spec)
        base = _join(posixpath.dirname(from_path), spec)
        if base is None:
            return None
        stem = base[: -len(posixpath.splitext(base)[1])] if base.endswith(TS_SUFFIXES) else None
        candidates = [base] if posixpath.splitext(base)[1] in TS_SUFFIXES else []
        if stem is not None:  # ESM style: './stack.js' written in TypeScript means './stack.ts'
            candidates += [stem + ext for ext in (".ts", ".tsx", ".mts", ".cts")]
        candidates += [base + ext for ext in TS_SUFFIXES] + [f"{base}/index{ext}" for ext in TS_SUFFIXES]
        for candidate in candidates:
            if self.repo.exists(candidate):
                found = self._get(candidate)
                return found if isinstance(found, TsFile) else None
        return None

    def json_module(self, from_path: str, spec: str, line: int) -> Val:
        """A JSON file of the repository the code loads, read once per app."""
        key = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), spec))
        if key not in self._json:
            self._json[key] = jsonvalues.load(self.repo, from_path, spec, line)
        return self._json[key]

    def _resolve_package(self, from_path: str, spec: str) -> TsFile | None:
        """A package of the same monorepo imported by name (`@shop/constructs`): its source entry."""
        if semantics.cdk_module(spec) is not None or spec.startswith(("node:", "/")):
            return None
        found = workspaces.resolve(self.repo, from_path, spec)
        parsed = self._get(found) if found is not None else None
        return parsed if isinstance(parsed, TsFile) else None

    def resolve_py(self, from_path: str, module: str, level: int) -> PyFile | None:
        parts = [p for p in module.split(".") if p]
        if level:
            base = posixpath.dirname(from_path)
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            roots = [base]
        else:
            roots = list(dict.fromkeys([posixpath.dirname(self.app.entry), self.app_dir]))
        for root in roots:
            rel = "/".join(parts)
            for candidate in (f"{rel}.py", f"{rel}/__init__.py") if rel else ("__init__.py",):
                path = _join(root or ".", candidate)
                if path and self.repo.exists(path):
                    found = self._get(path)
                    return found if isinstance(found, PyFile) else None
        return None
