"""CDK apps: `cdk.json` -> the `app` command's entry file -> the app files it imports.

Only files inside the scan root are read; nothing is executed or imported. TypeScript/JavaScript
is parsed with tree-sitter, Python with `ast`; each file once per app.
"""

from __future__ import annotations

import ast
import posixpath
import shlex
from collections import deque
from dataclasses import dataclass

from archmatch.extract import json_doc
from archmatch.extract.budget import Budget
from archmatch.extract.cdk_source.py_front import PyFile
from archmatch.extract.cdk_source.ts_front import TS_SUFFIXES, TsFile, first_error
from archmatch.isolation import isolated, note_position
from archmatch.repo import RepoView

MAX_APP_FILES = 400


@dataclass(frozen=True)
class CdkApp:
    config: str  # cdk.json, root-relative
    app_dir: str  # its directory: the app's working directory
    language: str  # ts | py
    entry: str


def _join(base: str, rel: str) -> str | None:
    """Root-relative normalised path, or None when it leaves the scan root."""
    joined = (
        posixpath.normpath(posixpath.join(base, rel)) if base not in ("", ".") else posixpath.normpath(rel)
    )
    if joined.startswith("../") or joined == ".." or posixpath.isabs(joined):
        return None
    return joined


def _entry_from_command(repo: RepoView, app_dir: str, command: str) -> tuple[str, str] | None:
    try:
        tokens = shlex.split(command)
    except ValueError:
        tokens = command.split()
    for i, token in enumerate(tokens):
        if token in ("-m",) and i + 1 < len(tokens) and tokens[i - 1].startswith("python"):
            rel = _join(app_dir, tokens[i + 1].replace(".", "/") + ".py")
            if rel and repo.exists(rel):
                return "py", rel
        if token.startswith("-"):
            continue
        if token.endswith(".py"):
            rel = _join(app_dir, token)
            return ("py", rel) if rel and repo.exists(rel) else None
        if token.endswith(TS_SUFFIXES):
            rel = _join(app_dir, token)
            if rel is None:
                return None
            if repo.exists(rel):
                return "ts", rel
            stem = rel.rsplit(".", 1)[0]
            for ext in (".ts", ".tsx", ".mts"):  # `node bin/app.js` with only the source committed
                if repo.exists(stem + ext):
                    return "ts", stem + ext
            return None
    return None


def find_apps(repo: RepoView) -> list[CdkApp]:
    apps: list[CdkApp] = []
    for config in repo.matching(lambda f: f == "cdk.json" or f.endswith("/cdk.json")):
        with isolated(repo, None, config):
            _find_app(repo, config, apps)
    return apps


def _find_app(repo: RepoView, config: str, apps: list[CdkApp]) -> None:
    doc = json_doc(repo, config)
    if not isinstance(doc, dict):
        return
    command = doc.get("app")
    app_dir = posixpath.dirname(config)
    if not isinstance(command, str):
        return
    found = _entry_from_command(repo, app_dir, command)
    if found is None:
        repo.diag(
            config,
            f"CDK app command {command!r}: no TypeScript, JavaScript or Python entry file in the repository; its source is not checked",
            line=getattr(doc, "line_of", lambda _k: 0)("app"),
            level="note",
            code="input",
        )
        return
    apps.append(CdkApp(config, app_dir, found[0], found[1]))


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

    def load(self) -> list[TsFile | PyFile]:
        expanded: set[str] = set()
        self._queue.append(self.app.entry)
        while self._queue:
            path = self._queue.popleft()
            if path in expanded:
                continue
            expanded.add(path)
            parsed = self._get(path)
            if isinstance(parsed, TsFile):
                for spec in parsed.relative_imports:
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
                tree = ast.parse(text, filename=path)
            except (SyntaxError, ValueError, RecursionError) as exc:
                self.repo.diag(
                    path,
                    f"Python syntax error: {getattr(exc, 'msg', exc)}; CDK constructs in this file are not checked",
                    line=getattr(exc, "lineno", 0) or 0,
                )
                return None
            return PyFile(self, path, text, tree)
        parsed = TsFile(self, path, text.encode("utf-8"))
        error = first_error(parsed.root)
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
            return None
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
