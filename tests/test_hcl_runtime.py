"""The HCL parser that scans run (`hcl_lalr.py` on `hcl_lalr_tables.py`, no Lark) gives what Lark's
parser of the same grammar gives: the same trees, every position of every node and token, and the
same errors, on every Terraform and bake file of the fixtures and examples and on mutations of them."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from archmatch.extract import hcl_lalr, hcl_lalr_tables, hcl_parse
from archmatch.extract.hcl_lark import hcl_parser as lark_parser
from archmatch.extract.hcl_lark import runtime_tables, to_lark_tree

ROOT = Path(__file__).resolve().parent.parent
TOKEN_FIELDS = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")


def _files() -> list[Path]:
    folders = (ROOT / "tests" / "fixtures", ROOT / "examples")
    return sorted(p for folder in folders for pattern in ("*.tf", "*.hcl") for p in folder.rglob(pattern))


def _same(ours: Any, theirs: Any, where: str) -> None:
    if isinstance(theirs, str):  # a Lark Token
        assert isinstance(ours, hcl_lalr.Token), where
        assert [getattr(ours, f) for f in TOKEN_FIELDS] == [getattr(theirs, f) for f in TOKEN_FIELDS], where
        return
    assert isinstance(ours, hcl_lalr.Tree) and ours.data == theirs.data, where
    for name in hcl_lalr.Meta.__slots__:
        assert hasattr(ours.meta, name) == hasattr(theirs.meta, name), (where, ours.data, name)
        assert getattr(ours.meta, name, None) == getattr(theirs.meta, name, None), (where, ours.data, name)
    assert len(ours.children) == len(theirs.children), (where, ours.data)
    for mine, their in zip(ours.children, theirs.children, strict=True):
        _same(mine, their, where)


def _outcome(parse: Any, text: str) -> tuple[str, Any]:
    """The tree, or the error as (class name, line, column, what it quotes)."""
    try:
        return "tree", parse(text)
    except Exception as exc:  # noqa: BLE001  # both parsers must fail alike
        token = getattr(exc, "token", None)
        quoted = (token.type, str(token)) if token is not None else getattr(exc, "char", None)
        return "error", (type(exc).__name__, getattr(exc, "line", None), getattr(exc, "column", None), quoted)


def _compare(text: str, where: str) -> str:
    ours = _outcome(hcl_parse.hcl_parser().parse, text)
    theirs = _outcome(lark_parser().parse, text)
    assert ours[0] == theirs[0], (where, ours, theirs)
    if ours[0] == "tree":
        _same(ours[1], theirs[1], where)
    else:
        assert ours[1] == theirs[1], where
    return ours[0]


def test_the_shipped_tables_are_those_of_lark_s_parser() -> None:
    tables = hcl_lalr.Tables(*hcl_lalr_tables.TABLES)
    assert tables == runtime_tables(lark_parser(), hcl_parse.hcl_grammar())
    assert len(tables.states) > 500 and len(tables.rules) > 300


def test_every_terraform_and_bake_file_parses_as_with_lark() -> None:
    files = _files()
    assert len(files) > 100
    outcomes = [
        _compare(path.read_text(encoding="utf-8", errors="replace") + "\n", str(path)) for path in files
    ]
    assert "tree" in outcomes


def test_mutated_files_parse_or_fail_as_with_lark() -> None:
    """Characters deleted, doubled or replaced: Lark's errors (a character no terminal matches, a
    token the state does not take, the end of the text) and its recoveries of the contextual
    lexer come out alike, with their lines and columns."""
    rnd = random.Random(14)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in _files()]
    alphabet = list('{}[]()"=,.:?!<>-+*/%&|#\n $\\') + ["<<EOF\n", "EOF\n", "for ", " in ", "if ", "${", "%{"]
    outcomes: set[str] = set()
    for n in range(1500):
        text = rnd.choice(texts)
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(text) + 1)
            op = rnd.randrange(3)
            if op == 0:
                text = text[:at] + text[at + rnd.randint(1, 5) :]
            elif op == 1:
                text = text[:at] + rnd.choice(alphabet) + text[at:]
            else:
                text = text[:at] + text[at : at + 8] * 2 + text[at + 8 :]
        outcomes.add(_compare(text + "\n", f"mutation {n}"))
    assert outcomes == {"tree", "error"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "a = 1",
        "a = ",
        "}",
        'a = "x"\n@',
        "for = 1\n",
        'x = [for k in v : k if k != "in"]\n',
        "a = <<EOF\n",
    ],
)
def test_edge_texts_parse_or_fail_as_with_lark(text: str) -> None:
    _compare(text, repr(text))


def test_tables_of_another_grammar_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables built from another grammar (bc-python-hcl2 upgraded, the grammar rewritten) are left
    aside: the parser runs on tables read from Lark's parser of the current grammar."""
    stale = ("start : body\n", *hcl_lalr_tables.TABLES[1:])
    monkeypatch.setattr(hcl_lalr_tables, "TABLES", stale)
    monkeypatch.setattr(hcl_parse, "_parser", None)
    parser = hcl_parse.hcl_parser()
    assert parser.tables.grammar == hcl_parse.hcl_grammar()
    text = 'resource "aws_lambda_function" "f" {\n  architectures = ["arm64"]\n}\n'
    _same(parser.parse(text), lark_parser().parse(text), "rebuilt tables")


def test_a_tree_converts_to_lark_s_for_bc_python_hcl2() -> None:
    text = 'target "app" {\n  platforms = ["linux/arm64"]\n  args = { A = "${B}" }\n}\n'
    ours, theirs = to_lark_tree(hcl_parse.parse_document(text)), lark_parser().parse(text + "\n")
    assert ours == theirs
    assert [t.meta.line for t in ours.iter_subtrees()] == [t.meta.line for t in theirs.iter_subtrees()]
