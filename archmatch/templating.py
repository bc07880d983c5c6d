"""Template sources: files that are not yet the text a tool will read.

A cookiecutter/Jinja file (`{% if cookiecutter.arch == "arm64" %}FROM --platform=linux/arm64 ...
{% else %}FROM --platform=linux/amd64 ...{% endif %}`) or a Helm/Go template (`{{ .Values.image }}`,
`{{- if .Values.arm }}`) holds several alternatives that only rendering chooses between; read as
is, its branches look like consecutive stages or documents, and YAML parsers reject it. archmatch
does not render templates (that would mean running the project's tooling): such files are
skipped, and each scan root gets ONE summary note naming how many were skipped, never a warning
per file. Placeholders that leave the file valid (`${VAR}` for envsubst, GitHub's `${{ ... }}`,
CloudFormation's `{{resolve:...}}`, Step Functions' `{% $states... %}`) are not templates: the
extractors keep them as unknown values.
"""

from __future__ import annotations

import posixpath

from archmatch import lazyre
from archmatch.model import Diagnostic, Location

JINJA = "Jinja/cookiecutter"
HELM = "Helm/Go templates"
OTHER = "other templates"

_JINJA_TAGS = (
    "if|elif|else|endif|for|endfor|set|endset|raw|endraw|macro|endmacro|include|import|from|block|endblock|"
    "extends|with|endwith|call|endcall|filter|endfilter"
)
_JINJA = lazyre.compile(r"\{%-?\s*(?:" + _JINJA_TAGS + r")\b|\{\{-?\s*cookiecutter\.")
# `{{` not preceded by `$` (GitHub Actions' `${{ }}`) or a word character.
# The action's text stops at the next `{{` as well as at `}`: linear on a run of `{`.
_HELM_OBJECTS = lazyre.compile(
    r"(?<![$\w])\{\{-?(?:[^{}]|\{(?!\{))*?(?:\.Values\b|\.Release\.|\.Chart\.|\b(?:include|template|define)\s+\")"
)
_GO_CONTROL = lazyre.compile(r"(?<![$\w])\{\{-?\s*(?:if|else|end|range|with)\b")
_ANY_TEMPLATE = lazyre.compile(r"(?<![$\w])\{\{(?!\s*resolve:)|\{%(?!-?\s*\$)")
_DATA_SUFFIXES = (".yaml", ".yml", ".json", ".tpl")


def kind_of(path: str, text: str) -> str | None:
    """The template language of a file that must be rendered before it can be read, or None."""
    if "{{" not in text and "{%" not in text:  # every marker below starts with one of these
        return None
    if _JINJA.search(text):
        return JINJA
    if not path.lower().endswith(_DATA_SUFFIXES):
        return None
    if _HELM_OBJECTS.search(text):
        return HELM
    if "templates" in path.split("/")[:-1] and _GO_CONTROL.search(text):
        return HELM
    return None


def looks_templated(text: str) -> bool:
    """Template markers in a file that failed to parse: the markers, not the syntax, are the cause."""
    return ("{{" in text or "{%" in text) and bool(_ANY_TEMPLATE.search(text))


def summary(skipped: dict[str, str]) -> list[Diagnostic]:
    """One note for every templated file skipped under a scan root."""
    if not skipped:
        return []
    by_kind: dict[str, list[str]] = {}
    for path, kind in sorted(skipped.items()):
        by_kind.setdefault(kind, []).append(path)
    parts = []
    for kind in (JINJA, HELM, OTHER):
        paths = by_kind.get(kind, [])
        if paths:
            shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
            parts.append(f"{kind}: {shown}")
    count = len(skipped)
    noun = "file" if count == 1 else "files"
    folder = posixpath.commonpath(list(skipped)) if count > 1 else posixpath.dirname(next(iter(skipped)))
    message = (
        f"{count} templated {noun} skipped ({'; '.join(parts)}): rendering decides their branches and values, "
        "so scan the rendered output (`helm template`, a generated cookiecutter project) to check them"
    )
    return [Diagnostic(Location(folder or "."), message, "note", "input")]
