"""Files that run a docker build which no build source reads.

A `docker build` can sit where archmatch has no reader for it: a command string in program code (a
CDK app's inline CodeBuild buildspec, `subprocess.run(["docker", "build", ...])` in a tool no build
source understands, a Docker SDK `client.images.build(...)` whose client another module made). Such
a build is real, but archmatch cannot say what it builds or for which platform. Linking needs to
know it exists: proximity claims that a project's unpinned build is its only one
(`link/matcher.py`), which a project holding one of these files disproves.

Only program code is searched: scripts, Makefiles and CI files have build sources of their own, and
a CI file's `docker build` is often a test build of an example, not the project's image. Only files
that produced no build are read, and only when some build follows its host (the one case where the
answer matters); it is a search, not a parser, so it has no facts to isolate. Comment lines do not
count, nor does documentation: a README saying "run docker build" describes a build by hand, and
a Python string that is a statement of its own (a docstring: "where docker build was run") is never
run either.
"""

from __future__ import annotations

import ast
import posixpath

from archmatch import lazyre
from archmatch.model import Location, RepoFacts
from archmatch.platforms import How
from archmatch.repo import RepoView

_CODE_SUFFIXES = (
    ".ts",
    ".tsx",
    ".js",
    ".mjs",
    ".cjs",
    ".py",
    ".java",
    ".go",
    ".cs",
    ".kt",
    ".kts",
    ".rb",
    ".php",
    ".rs",
    ".scala",
    ".groovy",
    ".ps1",
)
# a word boundary, then words separated by blanks or by the quotes and comma of an argument list; or
# the Docker SDK for Python's `client.images.build(` (in a file that does not import docker itself,
# the client coming from elsewhere, `docker_sdk` does not read it)
_SEP = r"""(?:\s+|["'`]\s*,\s*["'`])"""
_BUILD = lazyre.compile(
    r"\b(?:(?:docker|podman|finch|nerdctl)" + _SEP + r"(?:image" + _SEP + r")?(?:buildx" + _SEP + r")?"
    r"|buildx" + _SEP + r")build\b|\.images\.build\("
)
_COMMENT = ("#", "//", "/*", "*", "--", ";", "REM ", "rem ")


def _searched(path: str) -> bool:
    name = posixpath.basename(path)
    return name.endswith(_CODE_SUFFIXES)


def first_build_line(data: bytes, path: str = "") -> int:
    """The line of the first docker build command outside a comment (and, in a Python file `path`,
    outside a docstring), 0 when there is none."""
    text = data.decode("latin-1")  # the pattern is ASCII: any byte sequence decodes, offsets stay
    prose: list[tuple[int, int]] | None = None
    for m in _BUILD.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        if text[start : m.start()].lstrip().startswith(_COMMENT):
            continue
        line = text.count("\n", 0, m.start()) + 1
        if path.endswith(".py"):
            prose = _bare_strings(data) if prose is None else prose
            if any(first <= line <= last for first, last in prose):
                continue
        return line
    return 0


def _bare_strings(data: bytes) -> list[tuple[int, int]]:
    """The lines (first, last) of the strings that are statements of their own in Python source
    (docstrings): text, never run. None are known of a file that does not parse."""
    try:
        tree = ast.parse(data)  # bytes: Python reads a BOM and a coding line as the interpreter does
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [
        (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]


def finalize(repo: RepoView, facts: RepoFacts) -> None:
    """Record in `facts.extra.unread_builds` the first build line of every file that runs a docker
    build and produced no build (run once every build source has read its files)."""
    if not any(b.platforms.how is How.HOST for b in facts.builds):
        return
    with_builds = {b.location.path for b in facts.builds}
    for path in repo.files:
        if path in with_builds or not _searched(path):
            continue
        data = repo.read_bytes_quietly(path)
        if not data or b"build" not in data:
            continue
        line = first_build_line(data, path)
        if line:
            facts.extra.unread_builds.append(Location(path, line))
