"""Files a shell text copies before a docker build reads them (`cp`, `cp -r`, `rsync`).

A script that copies a Dockerfile into a work folder and builds there (`mkdir -p tmp && cd tmp &&
cp ../Dockerfile ./ && docker build .`) builds the file it copied: the build is linked to that
source Dockerfile, with the copy as evidence. Nothing is executed: the copies are read in the order
written. A copy inside an `if`/`case`, after a test in its and-or list (`[ -f X ] && cp X Y`), after
`||` or allowed to fail (`cp X Y || true`, make's `-cp X Y`) may not run (the shell scanner says
which are `conditional`), and a copy whose source is a variable may bring any file: either leaves
the copied path unresolved, as it was before.

Every path is computed in two frames: from where the text starts (the repository root for a script
file, the package or Makefile folder for a recipe) and, for a script file, from the script's own
folder, which is where a script that copies `../Dockerfile` is meant to be run from. A frame is
used only when the source it gives is a file of the repository.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from archmatch.extract.builds._common import has_unresolved, join

_RECURSIVE_FLAGS = frozenset("rRa")
_CP_VALUE_OPTIONS = frozenset(["-S", "--suffix"])
_RSYNC_VALUE_OPTIONS = frozenset(
    ["-e", "--rsh", "--exclude", "--include", "--exclude-from", "--include-from", "-f", "--filter"]
)
_WRAPPERS = frozenset(["sudo", "command", "builtin", "nice", "time"])
FILE_COMMANDS = frozenset(["cp", "rsync", "mkdir", "rm"])  # the commands `record` reads
MAX_COPIES = 2_000  # copies remembered per text; later ones are ignored


@dataclass(frozen=True)
class Source:
    """One thing a copy reads: a path, or a pattern in the last component (`src/*`)."""

    path: str | None  # root-relative; None when it holds a variable or leaves the root
    pattern: str = ""  # the last component when it is a glob (`*`: the folder's contents)


@dataclass(frozen=True)
class Copy:
    """One copy command, in one frame."""

    sources: tuple[Source, ...]
    target: str | None  # root-relative; None when unknown
    # the target is a folder the sources go into (True), the new name of the one source (False),
    # or either, depending on whether the folder exists (None: decided against the repository)
    into: bool | None
    recursive: bool
    line: int
    path: str  # the file holding the command
    conditional: bool  # it may not run (an if/case, a test && before it, || around it)


@dataclass
class Frame:
    """Copies and created folders as seen from one starting folder."""

    copies: list[Copy] = field(default_factory=list)
    made: set[str] = field(default_factory=set)  # folders the text creates (mkdir, cd into)


@dataclass
class CopyLog:
    """The copies of one shell text in its two frames (`start`: where it starts; `own`: from the
    script's own folder, None when that is the same folder)."""

    start: Frame = field(default_factory=Frame)
    own: Frame | None = None


@dataclass(frozen=True)
class Origin:
    """Where the file a build reads came from: the source file and the copy that placed it."""

    source: str
    copied_to: str
    copy: Copy

    def evidence(self) -> str:
        return f"copied to {self.copied_to} by {self.copy.path}:{self.copy.line}"


def command_words(texts: list[str]) -> list[str]:
    """The words of a command without `sudo`-style wrappers."""
    while texts and texts[0] in _WRAPPERS:
        texts = texts[1:]
    return texts


def record(
    log: CopyLog,
    texts: list[str],
    cwds: tuple[str | None, str | None],
    line: int,
    where: str,
    conditional: bool,
) -> None:
    """Record `mkdir`, `cp`, `rsync` and `rm` (texts expanded) in both frames."""
    texts = command_words(texts)
    if not texts:
        return
    frames = [(log.start, cwds[0])] + ([(log.own, cwds[1])] if log.own is not None else [])
    for frame, cwd in frames:
        if texts[0] == "mkdir":
            frame.made.update(p for p in _operands(texts[1:], cwd) if p is not None)
        elif texts[0] == "rm":
            for path in _operands(texts[1:], cwd):
                frame.made.discard(path or "")
        elif texts[0] in ("cp", "rsync") and len(frame.copies) < MAX_COPIES:
            maybe = conditional or (texts[0] == "rsync" and _may_filter_dockerfiles(texts[1:]))
            copy = _copy(texts, cwd, frame.made, (line, where, maybe))
            if copy is not None:
                frame.copies.append(copy)


_RSYNC_FILTER_SETS = ("--exclude-from", "--include-from", "--filter", "-f", "-F", "-C", "--cvs-exclude")


def _may_filter_dockerfiles(args: list[str]) -> bool:
    """Whether an rsync's filters may leave a Dockerfile out: an `--exclude` pattern that matches
    one's name, or rules read from elsewhere; such a copy is not evidence of where a Dockerfile
    came from."""
    patterns: list[str] = []
    words = iter(args)
    for word in words:
        if word in _RSYNC_FILTER_SETS or word.startswith(
            tuple(f"{o}=" for o in _RSYNC_FILTER_SETS if o[1] == "-")
        ):
            return True
        if word == "--exclude":
            patterns.append(next(words, ""))
        elif word.startswith("--exclude="):
            patterns.append(word.partition("=")[2])
    names = ("Dockerfile", "dockerfile", "Containerfile")
    return any(
        fnmatch.fnmatchcase(n, p.rstrip("/").rsplit("/", 1)[-1] or "*") for p in patterns for n in names
    )


def entered(log: CopyLog, cwds: tuple[str | None, str | None]) -> None:
    """A `cd` into a folder: it exists from then on."""
    if cwds[0] is not None:
        log.start.made.add(cwds[0])
    if log.own is not None and cwds[1] is not None:
        log.own.made.add(cwds[1])


def _operands(words: list[str], cwd: str | None) -> list[str | None]:
    return [join(cwd, w) for w in words if not w.startswith("-")]


def _copy(texts: list[str], cwd: str | None, made: set[str], at: tuple[int, str, bool]) -> Copy | None:
    rsync = texts[0] == "rsync"
    value_options = _RSYNC_VALUE_OPTIONS if rsync else _CP_VALUE_OPTIONS
    operands: list[str] = []
    recursive, into_option, target_option = False, None, None
    words = iter(texts[1:])
    for word in words:
        if word == "--":
            operands.extend(words)
            break
        if word in value_options:
            next(words, None)
        elif word in ("-t", "--target-directory"):
            target_option, into_option = next(words, None), True
        elif word.startswith("--target-directory="):
            target_option, into_option = word.split("=", 1)[1], True
        elif word in ("-T", "--no-target-directory"):
            into_option = False
        elif word in ("--recursive", "--archive"):
            recursive = True
        elif word.startswith("-") and not word.startswith("--"):
            recursive = recursive or bool(_RECURSIVE_FLAGS & set(word[1:]))
        elif not word.startswith("-"):
            operands.append(word)
    if target_option is None:
        if len(operands) < 2:
            return None
        target_option, operands = operands[-1], operands[:-1]
    if not operands or any(":" in w.split("/", 1)[0] for w in [*operands, target_option] if rsync):
        return None  # nothing to copy, or a remote rsync path (host:path)
    sources = tuple(_source(w, cwd, rsync) for w in operands)
    target = join(cwd, target_option)
    into = into_option
    if into is None:
        into = _into(target_option, target, sources, made)
    return Copy(sources, target, into, recursive, *at)


def _source(word: str, cwd: str | None, rsync: bool) -> Source:
    if has_unresolved(word):
        return Source(None)
    if rsync and word.endswith("/"):  # rsync `src/`: the folder's contents
        return Source(join(cwd, word), "*")
    if word.endswith("/.") or word == ".":
        return Source(join(cwd, word), "*")
    folder, last = posixpath.split(word.rstrip("/"))
    if any(ch in last for ch in "*?["):
        if any(ch in folder for ch in "*?["):
            return Source(None)  # a pattern in a folder name: any file
        return Source(join(cwd, folder or "."), last)
    return Source(join(cwd, word))


def _into(written: str, target: str | None, sources: tuple[Source, ...], made: set[str]) -> bool | None:
    if written.endswith("/") or written in (".", "..") or len(sources) > 1:
        return True
    if any(s.pattern for s in sources):
        return True
    if target is not None and target in made:
        return True
    return None


_UNRESOLVED = "\0unresolved"


def origin(path: str, copies: list[Copy], is_folder: Callable[[str], bool]) -> Origin | None:
    """The repository file that `path` holds after the copies (in order), or None when no copy
    placed it, or a copy that may have placed it is conditional or reads a variable."""
    current, placed = path, None
    for copy in reversed(copies):
        mapped = _copied_from(current, copy, is_folder)
        if mapped is None:
            continue
        if mapped == _UNRESOLVED or copy.conditional:
            return None
        if placed is None:
            placed = Origin(mapped, current, copy)
        current = mapped
    return Origin(current, placed.copied_to, placed.copy) if placed is not None else None


def _copied_from(path: str, copy: Copy, is_folder: Callable[[str], bool]) -> str | None:
    """What `path` was copied from by `copy` (`_UNRESOLVED` when an unknown source may have
    placed it), None when this copy does not write it."""
    target = copy.target
    if target is None:
        return None
    into = copy.into if copy.into is not None else is_folder(target)
    for source in reversed(copy.sources):  # a later source overwrites an earlier one
        found = _from_source(path, source, target, into, copy.recursive)
        if found is not None:
            return found
    return None


def _from_source(path: str, source: Source, target: str, into: bool, recursive: bool) -> str | None:
    if source.path is None:
        inside = path == target or path.startswith(f"{target}/")
        return _UNRESOLVED if inside else None
    if source.pattern:
        rel = _relative(path, target)
        if rel is None or not into:
            return None
        first = rel.split("/", 1)[0]
        hidden = first.startswith(".") and not source.pattern.startswith(".")
        if hidden or not fnmatch.fnmatchcase(first, source.pattern) or ("/" in rel and not recursive):
            return None
        return join(source.path, rel)
    placed = join(target, posixpath.basename(source.path)) if into else target
    if placed == path:
        return source.path
    rest = _relative(path, placed) if recursive and placed is not None else None
    return join(source.path, rest) if rest else None


def _relative(path: str, folder: str) -> str | None:
    if folder == ".":
        return path
    return path[len(folder) + 1 :] if path.startswith(f"{folder}/") else None
