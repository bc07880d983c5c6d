"""Python sources are parsed with ast only when their f-strings cannot make the parse slow."""

from __future__ import annotations

import time

import pytest

from archmatch.extract import pysource


@pytest.mark.parametrize(
    ("text", "widest"),
    [
        ("x = f'{a}{b}' + '{c}{d}{e}'\n", 2),
        ('x = rf"""{a}\n{b}{c}"""\n', 3),
        ("x = F'{a}' + Rf'{b}{c}' + fR'{d}' + b'{e}{f}{g}{h}'\n", 2),
        ("x = \"it's {a}{b}\" + f'{c}'\n", 1),
        ("x = f'\\'{a}' + '{b}{c}'\n", 1),
        ("x = 1\n", 0),
    ],
)
def test_the_widest_fstring_is_counted(text: str, widest: int) -> None:
    assert pysource.widest_fstring(text) == widest


def test_an_fstring_with_too_many_fields_is_refused_quickly() -> None:
    text = "s = f'" + "{x}" * 300_000 + "'\n"
    started = time.process_time()
    with pytest.raises(SyntaxError, match="replacement fields"):
        pysource.parse(text, "bomb.py")
    assert time.process_time() - started < 2.0


def test_ordinary_code_parses() -> None:
    assert pysource.parse("x = f'{a}' * 10**8\n", "ok.py").body
