"""Build archmatch/prebuilt_code.py, the compiled methods of archmatch's dataclasses and its
compiled regular expressions (run after adding or changing a dataclass or a `lazyre` pattern; see
archmatch/prebuilt.py).

    python scripts/prebuilt_methods.py          # write it
    python scripts/prebuilt_methods.py --check  # exit 1 when it is out of date

It imports every module of the package with recording on and writes each method text that
`dataclasses` compiled and each pattern made with `lazyre.compile`. Both depend on the Python
version: build it with the version CI and the benchmarks use (the module records it; other
versions compile as before).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from _generated import write_or_check

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = ("__main__",)  # running it would run the command line


def build(root: Path) -> str:
    sys.path.insert(0, str(root))
    import archmatch
    from archmatch import lazyre, prebuilt

    if not prebuilt.record():
        raise SystemExit(
            f"Python {sys.version_info[:2]} creates dataclass methods another way: nothing to build"
        )
    patterns: list[tuple[str, int]] = []
    make_pattern = lazyre.LazyPattern.__init__

    def recording(self: lazyre.LazyPattern, pattern: str, flags: int) -> None:
        patterns.append((pattern, flags))
        make_pattern(self, pattern, flags)

    lazyre.LazyPattern.__init__ = recording  # type: ignore[method-assign]
    for info in pkgutil.walk_packages(archmatch.__path__, prefix="archmatch."):
        if info.name.rpartition(".")[2] not in SKIPPED:
            importlib.import_module(info.name)
    return prebuilt.render(list(prebuilt.missed), patterns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    target = args.root / "archmatch" / "prebuilt_code.py"
    text = build(args.root)
    return write_or_check(args.root, target, text, check=args.check, script="prebuilt_methods.py")


if __name__ == "__main__":
    raise SystemExit(main())
