"""Regular expressions compiled on first use, for patterns kept at module or class level.

Compiling a pattern costs ~0.1-1 ms of pure Python (`re._compiler`); archmatch keeps over a
hundred at module level and a small command uses about a third of them (`archmatch dockerfile` on
one Dockerfile: 40), so compiling them all at import was wasted start-up time. A `LazyPattern`
keeps the source and flags and compiles on the first method call; it then stores the compiled
pattern's bound methods on itself, so later calls cost the same as on an `re.Pattern`.

`compile` is typed as returning `re.Pattern[str]` because the object answers every attribute of
one (anything not stored is looked up on the compiled pattern). It is not an instance of
`re.Pattern`: pass `.compiled` to code that checks the type, such as `re.sub(pattern, ...)`; and a
match's `.re` is the compiled pattern, so tell which pattern matched by the result of each call,
not by `m.re is PATTERN`. tests/test_regex_safety.py finds these patterns like compiled ones.
"""

from __future__ import annotations

import re
from typing import Any, cast

from archmatch import prebuilt

# Methods stored on the instance at the first use, so they bypass `__getattr__` from then on.
_FORWARDED = ("match", "search", "fullmatch", "sub", "subn", "findall", "finditer", "split")


class LazyPattern:
    """`re.compile(pattern, flags)`, done at the first use of the pattern."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiled now if it was not yet)."""
        found = self.__dict__.get("_compiled")
        if found is None:
            found = prebuilt.regex(self.pattern, self.flags)
            self.__dict__["_compiled"] = found
            for name in _FORWARDED:
                self.__dict__[name] = getattr(found, name)
        return cast("re.Pattern[str]", found)

    def __getattr__(self, name: str) -> Any:  # only called for attributes not stored yet
        if name.startswith("__") or name == "_compiled":
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __repr__(self) -> str:
        return f"lazyre.compile({self.pattern!r}, {self.flags})"


def compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:  # noqa: A001 - mirrors re.compile
    """A pattern compiled when first used (see the module docstring)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, int(flags)))
