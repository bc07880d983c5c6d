"""Texts of files that Terraform reads with `file()` / `templatefile()`, for extractors that parse
them (Helm values, Kubernetes manifests). A `templatefile()` whose variables are not all known is
still read: its `%{ if }` directives decided by the variables that are known, the unknown
interpolations left as `${...}` with their references."""

from __future__ import annotations

from typing import Any

from archmatch import lazyre
from archmatch.extract.terraform.ast import Call
from archmatch.extract.terraform.context import Resource, root_relative
from archmatch.extract.terraform.evaluate import eval_template_file
from archmatch.extract.terraform.values import Unknown

_DIRECTIVE = lazyre.compile(r"%%\{|%\{([^}%]*)\}")


def file_text(res: Resource, expr: Call) -> tuple[str | Unknown, str] | None:
    """The text of `file(path)` / `templatefile(path, vars)` of a file inside the scan root, and its
    root-relative path; None when it cannot be read."""
    path = root_relative(res.instance, res.instance.eval(expr.args[0]))
    if path is None:
        return None
    value = res.instance.eval(expr)
    if isinstance(value, Unknown) and expr.name == "templatefile":
        value = _template_text(res, expr)
    return (value, path) if isinstance(value, str | Unknown) else None


def _template_text(res: Resource, expr: Call) -> Any:
    """A templatefile() whose variables are not all known: the text with `${...}` left for them."""
    text = res.instance.read_file(str(res.instance.eval(expr.args[0])))
    variables = res.instance.eval(expr.args[1]) if len(expr.args) > 1 else {}
    if text is None or not isinstance(variables, dict):
        return None
    chosen = _chosen_branches(res, text, variables)
    if chosen is None:
        return None
    return eval_template_file(res.instance, chosen, variables, res.instance.budget)


def _chosen_branches(res: Resource, text: str, variables: dict[str, Any]) -> str | None:
    """The text with its `%{ if cond }...%{ else }...%{ endif }` directives decided by the passed
    variables (the branches not taken blanked to their newlines, so lines keep their numbers); None
    when a condition is not known or another directive (`%{ for }`) is used."""
    out: list[str] = []
    taking: list[bool] = []  # per open `if`: whether the current branch is taken
    pos = 0
    for m in _DIRECTIVE.finditer(text):
        if m.group(0).startswith("%%"):
            continue
        _keep(out, text[pos : m.start()], all(taking))
        pos = m.end()
        words = m.group(1).strip("~ \t\n").split(None, 1)
        if words[:1] == ["if"] and len(words) == 2:
            value = eval_template_file(res.instance, "${" + words[1] + "}", variables, res.instance.budget)
            if value not in ("true", "false") or isinstance(value, Unknown) or len(taking) > 50:
                return None  # a template's condition is a bool, which the template's text spells
            taking.append(value == "true")
        elif words == ["else"] and taking:
            taking[-1] = not taking[-1]
        elif words == ["endif"] and taking:
            taking.pop()
        else:
            return None
        out.append("\n" * m.group(0).count("\n"))
    if taking:
        return None
    _keep(out, text[pos:], True)
    return "".join(out)


def _keep(out: list[str], piece: str, taken: bool) -> None:
    out.append(piece if taken else "\n" * piece.count("\n"))
