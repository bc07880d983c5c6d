"""Build archmatch/prebuilt_code.py, the compiled methods of archmatch's dataclasses and its
compiled regular expressions (run after adding or changing a dataclass or a `lazyre` pattern; see
archmatch/prebuilt.py).

    python scripts/prebuilt_methods.py          # write it
    python scripts/prebuilt_methods.py --check  # exit 1 when it is out of date

It imports every module of the package with recording on and writes each method text that
`dataclasses` compiled and each pattern made with `lazyre.compile`, and every other pattern that
`re` compiles while `archmatch dockerfile` runs on the SAM example and `archmatch scan` on the
examples in `SCANNED` (in this process, first, output discarded: the standard library's and the
dependencies' patterns on the common paths, the HCL lexer's included), or had compiled before
recording started. Both depend on the Python
version: build it with the version CI and the benchmarks use (the module records it; other
versions compile as before).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from _generated import write_or_check

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sam-lambda-arm64"  # a small scan and a Dockerfile, the start-up benchmark's
# also scanned: the formats of the synthetic benchmark's services (Terraform, compose, GitHub workflows),
# so the patterns of the HCL parser's lexer and of those extractors come from the table too
SCANNED = (
    EXAMPLE,
    ROOT / "examples" / "terraform-lambda-docker-build",
    ROOT / "examples" / "ecs-fargate-arm64-gha",
    ROOT / "examples" / "eks-graviton-compose-amd64",
)
SKIPPED = ("__main__",)  # running it would run the command line


def build(root: Path) -> str:
    sys.path.insert(0, str(root))
    import archmatch
    from archmatch import lazyre, prebuilt

    # what this process compiled before recording starts (module-level patterns of the modules it
    # imported already: pathlib's urllib.parse, argparse's gettext and locale, ...)
    patterns: list[tuple[str, int]] = [
        (pattern, flags)
        for kind, pattern, flags in list(re._cache)
        if kind is str and not flags & re.DEBUG  # type: ignore[attr-defined]
    ]
    if not prebuilt.record():
        raise SystemExit(
            f"Python {sys.version_info[:2]} creates dataclass methods another way: nothing to build"
        )
    make_pattern = lazyre.LazyPattern.__init__

    def recording(self: lazyre.LazyPattern, pattern: str, flags: int) -> None:
        patterns.append((pattern, flags))
        make_pattern(self, pattern, flags)

    lazyre.LazyPattern.__init__ = recording  # type: ignore[method-assign]
    from re import _compiler  # type: ignore[attr-defined]

    compile_pattern = _compiler.compile

    def recording_compile(pattern: Any, flags: int = 0) -> Any:
        if isinstance(pattern, str) and not flags & re.DEBUG:
            patterns.append((pattern, int(flags)))
        return compile_pattern(pattern, flags)

    _compiler.compile = recording_compile  # only while the commands run: what they import and compile
    from archmatch.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["dockerfile", str(EXAMPLE / "fn" / "Dockerfile")])
        for example in SCANNED:
            main(["scan", "-f", "json", str(example)])
    # not while importing the rest: some modules compile patterns built from sets (tokenize's,
    # email's), whose text changes with the hash seed, so the module would never be up to date
    _compiler.compile = compile_pattern
    for info in pkgutil.walk_packages(archmatch.__path__, prefix="archmatch."):
        if info.name.rpartition(".")[2] not in SKIPPED:
            importlib.import_module(info.name)
    return prebuilt.render(list(prebuilt.missed), patterns)


def built_text(root: Path) -> str:
    """`build(root)` in a new process started the same way whatever this one was asked: the patterns
    recorded include what the process compiled before recording, which must not depend on this
    command line."""
    done = subprocess.run(
        [sys.executable, __file__, "--emit", "--root", str(root)],
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        encoding="utf-8",
    )
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    parser.add_argument("--emit", action="store_true", help=argparse.SUPPRESS)  # the child of built_text
    args = parser.parse_args(argv)
    if args.emit:
        sys.stdout.write(build(args.root))
        return 0
    target = args.root / "archmatch" / "prebuilt_code.py"
    text = built_text(args.root)
    return write_or_check(args.root, target, text, check=args.check, script="prebuilt_methods.py")


if __name__ == "__main__":
    raise SystemExit(main())
