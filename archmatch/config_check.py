"""`.archmatch.yaml` checked against its JSON schema (`archmatch/schemas/config.schema.json`), with
"did you mean" for unknown keys and unknown rule ids. Each problem is one message naming the file
and the key; `scan` exits 2 on it."""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from archmatch import lazyre

SCHEMA_RESOURCE = ("archmatch", "schemas/config.schema.json")


@cache
def config_schema() -> dict[str, Any]:
    text = resources.files(SCHEMA_RESOURCE[0]).joinpath(SCHEMA_RESOURCE[1]).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _suggest(word: str, choices: list[str]) -> str:
    normal = word.strip().lower().replace("_", "-")
    exact = [c for c in choices if c.lower() == normal]
    close = exact or difflib.get_close_matches(normal, choices, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else f" (known: {', '.join(choices)})"


def _key_path(parts: list[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unknown_keys(data: dict[str, Any], schema: dict[str, Any], where: list[Any]) -> list[str]:
    known = list(schema.get("properties", {}))
    return [
        f"unknown key `{_key_path([*where, key])}`{_suggest(str(key), known)}"
        for key in data
        if key not in known
    ]


def _schema_problems(data: Any) -> list[str]:
    schema = config_schema()
    if not isinstance(data, dict):
        return []
    problems = _unknown_keys(data, schema, [])
    if isinstance(data.get("override"), dict):
        problems += _unknown_keys(data["override"], schema["properties"]["override"], ["override"])
    for i, item in enumerate(data.get("images") or [] if isinstance(data.get("images"), list) else []):
        if isinstance(item, dict):
            problems += _unknown_keys(item, schema["properties"]["images"]["items"], ["images", i])
    if problems:
        return problems
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"`{_key_path(list(e.absolute_path)) or '(top level)'}`: {_error_text(e)}" for e in errors]


def _error_text(error: jsonschema.ValidationError) -> str:
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"  # type: ignore[arg-type]  # an enum's values: a list
    if error.validator == "anyOf":
        return f"{error.instance!r} must be a string or a list of strings"
    return error.message


_CHECKOV_ID = lazyre.compile(r"^CKV_(ARCH_?\d+)$", re.I)


def _rule_id_problem(rule_id: str, key: str, known: list[str]) -> str | None:
    if rule_id in known:
        return None
    checkov = _CHECKOV_ID.match(rule_id.strip())  # CKV_ARCH_301 -> ARCH301
    guess = (checkov.group(1) if checkov else rule_id).strip().upper().replace("_", "")
    close = [guess] if guess in known else difflib.get_close_matches(guess, known, n=1, cutoff=0.8)
    hint = f" (did you mean `{close[0]}`?)" if close else " (`archmatch rules` lists the rule ids)"
    return f"unknown rule id `{rule_id}` in `{key}`{hint}"


def _rule_id_problems(data: dict[str, Any], known: list[str]) -> list[str]:
    def listed(value: Any) -> list[str]:
        return [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]

    places = [("ignored", listed(data.get("ignored")))]
    override = given if isinstance(given := data.get("override"), dict) else {}
    places += [(f"override.{sev}", listed(ids)) for sev, ids in override.items()]
    return [p for key, ids in places for rule_id in ids if (p := _rule_id_problem(rule_id, key, known))]


def config_problems(data: Any, known_rule_ids: list[str]) -> list[str]:
    """Every problem of a parsed `.archmatch.yaml`, each a one-line message (empty: valid)."""
    problems = _schema_problems(data)
    if not problems and isinstance(data, dict):
        problems = _rule_id_problems(data, known_rule_ids)
    return problems
