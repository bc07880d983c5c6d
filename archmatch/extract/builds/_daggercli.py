"""Where CI runs a Dagger pipeline: `dagger call <function> --flag=value ...` in the
dagger/dagger-for-github action (`verb: call` + `args:`, or `call:`) or in a `run:` line
(`dagger -m <module> call ...`), and programs run with `[dagger run] go run <dir>` or
`[dagger run] python <file.py>`.

Each becomes a `DaggerCall` fact with the words after `call` as written (after the workflow's env
expressions): the Dagger source (`dagger_go.py`) binds them to the function's parameters once it
knows their types, since `--flag value` and a boolean `--flag` followed by a chained function read
alike. The engine runs on the machine of the step, which is the host of every unpinned container.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

from archmatch import lazyre
from archmatch.extract.builds._common import HostContext, has_unresolved, join
from archmatch.model import DaggerCall, Location

ACTION = "dagger/dagger-for-github"
# the dagger CLI's global flags that take a value (`dagger -m ./ci call ...`)
_GLOBAL_WITH_VALUE = frozenset(["-m", "--mod", "--progress", "--workdir", "--model"])
_REMOTE_ENGINE = "_EXPERIMENTAL_DAGGER_RUNNER_HOST"
_CONTINUATION = lazyre.compile(r"\\\r?\n")


def remote_engine(env_names: set[str], words: list[str]) -> bool:
    """The engine is not started on the step's machine: a custom runner or Dagger Cloud."""
    return _REMOTE_ENGINE in env_names or "--cloud" in words


def _split(text: str) -> list[str] | None:
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:  # an unclosed quote: not read
        return None


def action_call(
    inputs: dict[str, Any],
    base: str,
    where: str,
    location: Location,
    host: HostContext,
    env_names: set[str],
    expand: Callable[[str], str],
) -> DaggerCall | None:
    """The dagger-for-github step's call (`verb: call` with `args:`, or `call:`), None for others."""
    verb = str(inputs.get("verb") or "call").strip()
    text = inputs.get("call") if inputs.get("call") is not None else inputs.get("args")
    if text is None or verb != "call":
        return None
    words = _split(expand(str(text)))
    flags = _split(expand(str(inputs.get("dagger-flags") or ""))) or []
    if not words:
        return None
    workdir = join(base, expand(str(inputs.get("workdir")))) if inputs.get("workdir") else base
    module_in = inputs.get("module")
    module = join(workdir, expand(str(module_in))) if module_in else workdir
    if remote_engine(env_names, words + flags):
        host = HostContext("remote Dagger engine")
    return DaggerCall(location, where, module, workdir, tuple(words), False, host.note, host.hint)


def run_calls(
    run: str,
    cwd: str | None,
    where: str,
    line_at: Callable[[int], int],
    path: str,
    host: HostContext,
    env_names: set[str],
    expand: Callable[[str], str],
) -> list[DaggerCall]:
    """`dagger ... call ...`, `dagger run go run <dir>` and `go run <dir>` lines of a `run:` text
    (`expand` resolves the workflow's expressions, line by line so that lines keep their numbers)."""
    if "dagger" not in run and "go run" not in run and "python" not in run:
        return []
    out: list[DaggerCall] = []
    offset = 0
    for line in _CONTINUATION.sub("  ", run).split("\n"):
        start, offset = offset, offset + len(line) + 1
        for command in re.split(r"&&|\|\||;", expand(line)):
            words = _split(command)
            if not words:
                continue
            call = _command_call(words, cwd, where, Location(path, line_at(start)), host, env_names)
            if call is not None:
                out.append(call)
    return out


def _command_call(
    words: list[str],
    cwd: str | None,
    where: str,
    location: Location,
    host: HostContext,
    env_names: set[str],
) -> DaggerCall | None:
    if remote_engine(env_names, words):
        host = HostContext("remote Dagger engine")
    if words[0] == "go" and len(words) > 2 and words[1] == "run":
        return _program(words[2:], cwd, where, location, host)
    if words[0] in ("python", "python3") and len(words) > 1 and words[1].endswith(".py"):
        return _program(words[1:], cwd, where, location, host)
    if words[0] != "dagger" and not words[0].endswith("/dagger"):
        return None
    module: str | None = cwd
    i = 1
    while i < len(words):
        word = words[i]
        if word in ("-m", "--mod") and i + 1 < len(words):
            module = join(cwd, words[i + 1]) if not has_unresolved(words[i + 1]) else None
            i += 2
        elif word.startswith(("--mod=", "-m=")):
            value = word.split("=", 1)[1]
            module = join(cwd, value) if not has_unresolved(value) else None
            i += 1
        elif word in _GLOBAL_WITH_VALUE:
            i += 2
        elif word.startswith("-"):
            i += 1
        elif word == "call":
            rest = words[i + 1 :]
            return (
                DaggerCall(location, where, module, cwd, tuple(rest), False, host.note, host.hint)
                if rest
                else None
            )
        elif word == "run":
            rest = words[i + 1 :]
            if len(rest) > 2 and rest[0] == "go" and rest[1] == "run":
                return _program(rest[2:], cwd, where, location, host)
            if len(rest) > 1 and rest[0] in ("python", "python3") and rest[1].endswith(".py"):
                return _program(rest[1:], cwd, where, location, host)
            return None
        else:
            return None
    return None


def _program(
    args: list[str], cwd: str | None, where: str, location: Location, host: HostContext
) -> DaggerCall | None:
    """`go run <dir or main.go>`, `python <file.py>`: the folder of the program (flags skipped)."""
    target = next((a for a in args if not a.startswith("-")), None)
    if target is None or has_unresolved(target):
        return None
    folder = target
    if target.endswith((".go", ".py")):
        folder = target.rsplit("/", 1)[0] if "/" in target else "."
    module = join(cwd, folder)
    if module is None:
        return None
    return DaggerCall(location, where, module, cwd, (), True, host.note, host.hint)
