"""Static evaluation of CloudFormation intrinsic functions, as far as the template itself allows.

Known: parameter defaults, `Mappings` + `Fn::FindInMap`, `Conditions` + `Fn::If`, `Fn::Sub`,
`Fn::Join`, `Fn::Select`, `Fn::Split`, and the partition-constant pseudo parameters. Anything
else (account, region, resource attributes, imports) stays `Unknown`, carrying `${...}` text so
image references keep their shape (`${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/app`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from archmatch import lazyre
from archmatch.extract.budget import Budget
from archmatch.extract.yamlsafe import LDict, LList, line_of

MAX_DEPTH = 40


@dataclass(frozen=True)
class Unknown:
    """A value the template does not determine; `text` is its `${...}` placeholder form."""

    text: str


NO_VALUE = Unknown("${AWS::NoValue}")  # `Ref: AWS::NoValue`: the property is removed

# Commercial-partition constants: ECR hosts are `<account>.dkr.ecr.<region>.amazonaws.com`.
_PSEUDO_KNOWN = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
_SSM_TYPE = lazyre.compile(r"^AWS::SSM::Parameter::Value<(?P<inner>.+)>$")
_SUB_VAR = lazyre.compile(r"\$\{((?:[^}$]|\$(?!\{))*)\}")  # no `${` inside: linear on `${${${...`
_CONDITION_FUNCS = ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition")


def text_of(value: Any) -> str | None:
    """A scalar as text (`Unknown` gives its placeholder); None for lists, maps and missing values."""
    if isinstance(value, Unknown):
        return None if value is NO_VALUE else value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def known_text(value: Any) -> str | None:
    """A scalar as text only if fully known."""
    return None if isinstance(value, Unknown) else text_of(value)


def intrinsic(value: Any) -> tuple[str, Any] | None:
    """(function name, argument) when `value` is a one-key intrinsic mapping such as `{"Ref": x}`."""
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        if isinstance(key, str) and (key == "Ref" or key.startswith(("Fn::", "!")) or key == "Condition"):
            return key, value[key]
    return None


@dataclass(frozen=True)
class Given:
    """The parameter values and stack name a command that deploys the template gives it
    (`parameters.py`); a value None is given but not known (a shell variable, `UsePreviousValue`)."""

    values: Mapping[str, str | None]
    stack_name: str | None = None


class Template:
    """One CloudFormation/SAM template and what it lets us evaluate: with the parameter values of
    a command that deploys it when `given`, else with the parameters' defaults."""

    def __init__(self, path: str, doc: LDict, given: Given | None = None):
        self.path = path
        self.doc = doc
        self.given = given
        self.budget = Budget(path)  # every evaluation in this template, with its sizes
        self.folder = path.rsplit("/", 1)[0] if "/" in path else ""
        self.parameters = _mapping(doc.get("Parameters"))
        self.mappings = _mapping(doc.get("Mappings"))
        self.condition_defs = _mapping(doc.get("Conditions"))
        resources = doc.get("Resources")
        # the loader and `with_lines` make every mapping an LDict, which knows its keys' lines
        self.resources: LDict = resources if isinstance(resources, LDict) else LDict()
        self._conditions: dict[str, bool | None] = {}
        self._evaluating: set[str] = set()
        self.ecr_names = {
            logical: self._ecr_name(logical, body)
            for logical, body in self.resources.items()
            if isinstance(body, dict) and body.get("Type") == "AWS::ECR::Repository"
        }

    @property
    def is_sam(self) -> bool:
        transform = self.doc.get("Transform")
        names = transform if isinstance(transform, list) else [transform]
        return any(isinstance(n, str) and n.startswith("AWS::Serverless") for n in names)

    def _ecr_name(self, logical: str, body: dict[str, Any]) -> str:
        props = body.get("Properties")
        name = known_text(self.resolve(props.get("RepositoryName"))) if isinstance(props, dict) else None
        return name or logical

    # -- conditions ---------------------------------------------------------------------------
    def condition(self, name: str) -> bool | None:
        """Value of a named condition: True/False when decidable from defaults, else None."""
        if name in self._conditions:
            return self._conditions[name]
        if name in self._evaluating or name not in self.condition_defs:
            return None
        self._evaluating.add(name)
        result = self._truth(self.condition_defs[name], 0)
        self._evaluating.discard(name)
        self._conditions[name] = result
        return result

    def _truth(self, value: Any, depth: int) -> bool | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return {"true": True, "false": False}.get(value.lower())
        call = intrinsic(value)
        if call is None:
            return None
        fn, arg = call
        if fn == "Condition":
            return self.condition(arg) if isinstance(arg, str) else None
        if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            left, right = (known_text(self.resolve(a, depth + 1)) for a in arg)
            return None if left is None or right is None else left == right
        if fn == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            inner = self._truth(arg[0], depth + 1)
            return None if inner is None else not inner
        if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            values = [self._truth(a, depth + 1) for a in arg]
            decisive = fn == "Fn::Or"  # any True decides an Or, any False decides an And
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        return None

    # -- values -------------------------------------------------------------------------------
    def resolve(self, value: Any, depth: int = 0) -> Any:
        """The value with every intrinsic evaluated where the template allows; maps/lists keep lines."""
        if depth > MAX_DEPTH or not self.budget.step(line_of(value)):
            return Unknown("${...}")
        call = intrinsic(value)
        if call is not None:
            return self._call(call[0], call[1], depth + 1)
        if isinstance(value, dict):
            out = LDict()
            out.line = getattr(value, "line", 0)
            out.key_lines = dict(getattr(value, "key_lines", {}))
            for k, v in value.items():
                resolved = self.resolve(v, depth + 1)
                if resolved is not NO_VALUE:
                    out[k] = resolved
            return out
        if isinstance(value, list):
            items = LList()
            items.line = getattr(value, "line", 0)
            items.item_lines = []
            for i, v in enumerate(value):
                resolved = self.resolve(v, depth + 1)
                if resolved is not NO_VALUE:
                    items.append(resolved)
                    items.item_lines.append(value.line_of(i) if isinstance(value, LList) else 0)
            return items
        return value

    def _call(self, fn: str, arg: Any, depth: int) -> Any:
        if fn == "Ref":
            return self.ref(arg) if isinstance(arg, str) else Unknown("${Ref}")
        if fn == "Fn::GetAtt":
            return self._get_att(arg, depth)
        if fn == "Fn::Sub":
            return self._sub(arg, depth)
        if fn == "Fn::Join":
            return self._join(arg, depth)
        if fn == "Fn::FindInMap":
            return self._find_in_map(arg, depth)
        if fn == "Fn::If":
            return self._if(arg, depth)
        if fn == "Fn::Select":
            return self._select(arg, depth)
        if fn == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
            sep, source = known_text(self.resolve(arg[0], depth)), known_text(self.resolve(arg[1], depth))
            if sep and source is not None and self.budget.items_ok(source.count(sep) + 1, line_of(arg)):
                return source.split(sep)
            return Unknown("${Fn::Split}")
        if fn in _CONDITION_FUNCS:
            truth = self._truth({fn: arg}, depth)
            return Unknown(f"${{{fn}}}") if truth is None else truth
        return Unknown(f"${{{fn.lstrip('!')}}}")

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in _PSEUDO_KNOWN:
            return _PSEUDO_KNOWN[name]
        if name == "AWS::StackName" and self.given is not None and self.given.stack_name is not None:
            return self.given.stack_name
        param = self.parameters.get(name)
        if isinstance(param, dict):
            return self._parameter_value(name, param)
        return Unknown(f"${{{name}}}")

    def is_given(self, name: str) -> bool:
        """The parameter's value comes from the command that deploys the template."""
        return self.given is not None and name in self.given.values

    def _parameter_value(self, name: str, param: dict[str, Any]) -> Any:
        kind = str(param.get("Type", "String"))
        default = (
            self.given.values[name]
            if self.given is not None and self.is_given(name)
            else param.get("Default")
        )
        if default is None:
            return Unknown(f"${{{name}}}")
        if isinstance(default, dict | list):
            return Unknown(f"${{{name}}}")
        text = str(default)
        if _SSM_TYPE.match(kind):
            # The stack reads the SSM parameter at deploy time; its path is what reveals the arch.
            return Unknown(f"{{{{resolve:ssm:{text}}}}}")
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            return [item.strip() for item in text.split(",")]
        return text

    def origin_line(self, raw: Any) -> int:
        """Line where the literal behind a raw value is written when it is not written in place: a
        parameter's `Default` (`!Ref Arch`, `[!Ref Arch]`) or a mapping's value (`!FindInMap`); 0 otherwise."""
        if isinstance(raw, list) and len(raw) == 1:
            raw = raw[0]
        call = intrinsic(raw)
        if call is None:
            return 0
        fn, arg = call
        if fn == "Ref" and isinstance(arg, str) and arg in self.parameters and not self.is_given(arg):
            return self.parameter_default_line(arg)
        if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
            keys = [known_text(self.resolve(a)) for a in arg[:3]]
            top = self.mappings.get(keys[0]) if keys[0] is not None else None
            second = top.get(keys[1]) if isinstance(top, dict) and keys[1] is not None else None
            if isinstance(second, LDict) and keys[2] in second:
                value = second[keys[2]]
                return (value.line_of(0) if isinstance(value, LList) and value else 0) or second.line_of(
                    keys[2]
                )
        return 0

    def parameter_default_line(self, name: str) -> int:
        param = self.parameters.get(name)
        return param.line_of("Default") if isinstance(param, LDict) and "Default" in param else 0

    def _get_att(self, arg: Any, depth: int) -> Any:
        if isinstance(arg, str) and "." in arg:
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("${Fn::GetAtt}")
        res, attr = arg[0], known_text(self.resolve(arg[1], depth))
        return self._attribute(str(res), attr or "?")

    def _attribute(self, res: str, attr: str) -> Any:
        if attr == "RepositoryUri" and res in self.ecr_names:
            name = self.ecr_names[res]
            if name != res:  # a written RepositoryName gives the whole URI shape
                return Unknown(f"${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.amazonaws.com/{name}")
        return Unknown(f"${{{res}.{attr}}}")

    def _sub(self, arg: Any, depth: int) -> Any:
        variables: dict[str, Any] = {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            variables = {str(k): self.resolve(v, depth) for k, v in arg[1].items()}
            arg = arg[0]
        if not isinstance(arg, str):
            return Unknown("${Fn::Sub}")
        unresolved = False
        length = len(arg)

        def replace(m: re.Match[str]) -> str:
            nonlocal unresolved, length
            name = m.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                res, attr = name.split(".", 1)
                value = self._attribute(res, attr)
            else:
                value = self.ref(name)
            text = text_of(value)
            if isinstance(value, Unknown) or text is None:
                unresolved = True
                text = text if text is not None else "${" + name + "}"
            length += len(text)
            if not self.budget.text_ok(length, line_of(arg)):
                raise _OverBudget
            return text

        try:
            text = _SUB_VAR.sub(replace, arg)
        except _OverBudget:
            return Unknown("${Fn::Sub}")
        return Unknown(text) if unresolved else text

    def _join(self, arg: Any, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("${Fn::Join}")
        sep, items = known_text(self.resolve(arg[0], depth)), self.resolve(arg[1], depth)
        if sep is None or not isinstance(items, list):
            return Unknown("${Fn::Join}")
        pieces = [text_of(i) for i in items]
        if not self.budget.text_ok(
            sum(len(p) if p is not None else 4 for p in pieces) + len(sep) * len(pieces), line_of(arg)
        ):
            return Unknown("${Fn::Join}")
        text = sep.join(p if p is not None else "${?}" for p in pieces)
        return (
            Unknown(text)
            if any(isinstance(i, Unknown) or p is None for i, p in zip(items, pieces, strict=True))
            else text
        )

    def _find_in_map(self, arg: Any, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) < 3:
            return Unknown("${Fn::FindInMap}")
        keys = [known_text(self.resolve(a, depth)) for a in arg[:3]]
        if keys[0] is not None and keys[1] is not None and keys[2] is not None:
            top = self.mappings.get(keys[0])
            second = top.get(keys[1]) if isinstance(top, dict) else None
            if isinstance(second, dict) and keys[2] in second:
                return self.resolve(second[keys[2]], depth)
        # Language extension: an optional {DefaultValue: x} fourth argument.
        if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3] and None not in keys:
            return self.resolve(arg[3]["DefaultValue"], depth)
        return Unknown("${Fn::FindInMap}")

    def _if(self, arg: Any, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
            return Unknown("${Fn::If}")
        truth = self.condition(arg[0])
        if truth is not None:
            return self.resolve(arg[1] if truth else arg[2], depth)
        yes, no = self.resolve(arg[1], depth), self.resolve(arg[2], depth)
        return yes if yes == no and not isinstance(yes, Unknown) else Unknown(f"${{Fn::If:{arg[0]}}}")

    def _select(self, arg: Any, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("${Fn::Select}")
        index, items = known_text(self.resolve(arg[0], depth)), self.resolve(arg[1], depth)
        if index is None or not index.isdigit() or not isinstance(items, list) or int(index) >= len(items):
            return Unknown("${Fn::Select}")
        return items[int(index)]


class _OverBudget(Exception):
    pass


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def references(value: Any, depth: int = 0) -> set[str]:
    """Logical ids a raw value refers to (Ref, GetAtt, `${X}`/`${X.Attr}` in Sub)."""
    found: set[str] = set()
    if depth > MAX_DEPTH:
        return found
    call = intrinsic(value)
    if call is not None:
        fn, arg = call
        if fn == "Ref" and isinstance(arg, str):
            found.add(arg)
        elif fn == "Fn::GetAtt":
            target = (
                arg.split(".", 1)[0]
                if isinstance(arg, str)
                else (arg[0] if isinstance(arg, list) and arg else None)
            )
            if isinstance(target, str):
                found.add(target)
        elif fn == "Fn::Sub":
            template = arg[0] if isinstance(arg, list) and arg else arg
            if isinstance(template, str):
                found.update(
                    m.split(".", 1)[0].strip() for m in _SUB_VAR.findall(template) if not m.startswith("!")
                )
            if isinstance(arg, list) and len(arg) == 2:
                found |= references(arg[1], depth + 1)
            return found
        found |= references(arg, depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            found |= references(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            found |= references(v, depth + 1)
    return found
