"""Command line entry point. Each sub-command is a module in `archmatch.commands` with
`register(subparsers)`; the module sets `func` on its parser."""

from __future__ import annotations

import argparse
import gc
import sys

from archmatch import __version__, commands
from archmatch.commands._parsing import Parser
from archmatch.outputs import OutputError, abandon_stdout, flush_stdout
from archmatch.safetext import one_line

DEBUG_HELP = "show the traceback of an internal or output error (default: one line)"


# The module of each command, so that running one imports only its own module (start-up time);
# tests/test_speed.py checks it against what the modules register.
COMMAND_MODULES = {
    "annotate": "annotate",
    "checks-dir": "checks_dir",
    "dockerfile": "dockerfile",
    "fix-command": "fix_command",
    "rules": "rules",
    "docs": "rules",
    "sarif-merge": "sarif_merge",
    "scan": "scan",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of the command module `only`."""
    import importlib

    parser = Parser(
        prog="archmatch",
        description="Find CPU-architecture mismatches between the images you build and the compute that runs them.",
    )
    parser.add_argument("--version", action="version", version=f"archmatch {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in [only] if only else _command_module_names():
        importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    for command in sub.choices.values():  # `archmatch scan --debug` as well as `archmatch --debug scan`
        if "--debug" not in command._option_string_actions:
            command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    return parser


def _command_module_names() -> list[str]:
    """Every command module (for the full parser: `archmatch --help`, an unknown command)."""
    # imported here: one command's parser needs no listing (pkgutil imports `inspect`: ~30 M instructions)
    import pkgutil

    return sorted(
        info.name for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_")
    )


def _end_of_startup() -> None:
    """Start-up (imports, the command's modules, the parser) makes ~15,000 objects that the garbage
    collector tracks and that live until the process exits: modules, classes, functions, their
    dicts. The collector, run every 700 allocations, traversed them again and again (each full
    collection, and once more at exit): ~18 M instructions, 8 % of `archmatch dockerfile` on one
    file, 21 M of a small scan. Automatic collection is off while they are made; `gc.freeze` then
    sets them aside for good (they are not garbage), and collection resumes for the command's own
    work, which may be a large scan."""
    gc.freeze()
    gc.enable()


def main(argv: list[str] | None = None) -> int:
    """Run a command; called without `argv` (the console script, `python -m archmatch`), the process
    is the command's own, and its start-up is spared the garbage collector (`_end_of_startup`)."""
    own_process = argv is None
    if own_process:
        gc.disable()
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["dockerfile"]:  # Hadolint's drop-in: usage errors exit 1, as Hadolint's do
        from archmatch.commands.dockerfile import parse_args

        parser = None  # the other commands are not even imported
        args = parse_args(argv[1:])
    else:
        command = next((a for a in argv if not a.startswith("-")), None)
        parser = build_parser(COMMAND_MODULES.get(command or ""))
        args = parser.parse_args(argv)
    if own_process:
        _end_of_startup()
    if not getattr(args, "func", None):
        (parser or build_parser()).print_help(sys.stderr)
        return 2
    try:
        code = int(args.func(args))
        flush_stdout()
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        abandon_stdout()
        return 0
    except OutputError as exc:
        abandon_stdout()
        if getattr(args, "debug", False):
            raise
        print(f"archmatch: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        reason = one_line(str(exc))[:300]
        print(
            f"archmatch: internal error: {type(exc).__name__}{': ' + reason if reason else ''} (--debug shows the traceback)",
            file=sys.stderr,
        )
        return 2
