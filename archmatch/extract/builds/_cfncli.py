"""Commands that deploy a CloudFormation template with parameter values, read from shell text
(scripts, Makefile recipes, CI steps):

- `aws cloudformation create-stack|update-stack|create-change-set --template-body file://T
  --parameters ...`: the shorthand list (`ParameterKey=K,ParameterValue=V ...`), inline JSON, or
  `file://params.json`;
- `aws cloudformation deploy --template-file T --parameter-overrides K=V ...` (or a JSON file);
- `sam deploy [--template-file T] --parameter-overrides 'K=V K2=V2'` (`template.yaml` of the
  folder it runs in when no template is named).

The `aws-actions/aws-cloudformation-github-deploy` action is read from its inputs alike. A
template that `aws cloudformation package` / `sam package --output-template-file P` or `sam build`
(`.aws-sam/build/template.yaml`) copied is deployed as the template it was copied from.

`--stack-name` is the template's `AWS::StackName`. Words come already expanded by the shell scan;
a value with an unknown part (`$ENV`, `$(cmd)`) is an unknown value, and `UsePreviousValue=true`
too. The CloudFormation extractor evaluates the template once per distinct set of values.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from archmatch.extract.builds._awscli import field_values, file_reference, service_and_command
from archmatch.extract.builds._common import has_unresolved, join
from archmatch.model import CfnParametersUse, Location

_AWS_STACK_COMMANDS = frozenset(["create-stack", "update-stack", "create-change-set", "deploy", "package"])
_SAM_COMMANDS = frozenset(["deploy", "package"])
# aws global options that take a value (they may come before the service name)
_TEMPLATE_OPTIONS = ("--template-body", "--template-url", "--template-file", "--template", "-t")
_SAM_TEMPLATE = "template.yaml"  # what `sam deploy` reads when no template is named
_SHORTHAND_ITEM = re.compile(r"(?:^|,)\s*(ParameterKey|ParameterValue|UsePreviousValue)=([^,]*)")
_OVERRIDE = re.compile(r"^([A-Za-z0-9]+)=(.*)$", re.DOTALL)


@dataclass(frozen=True)
class CfnCommand:
    """What one deploy command says, as written (paths not yet resolved)."""

    template: str | None  # the template path as written; None: `sam deploy`'s default
    stack_name: str | None
    parameters: tuple[tuple[str, str | None], ...]
    parameter_files: tuple[str, ...]  # `file://` paths as written


def _command_at(texts: list[str]) -> tuple[str, str, int] | None:
    """(tool, verb, index after the verb) of `aws cloudformation <verb>` or `sam <verb>`."""
    for at, word in enumerate(texts):
        if word == "sam" or word.endswith("/sam"):
            verb = texts[at + 1] if at + 1 < len(texts) else ""
            return ("sam", verb, at + 2) if verb in _SAM_COMMANDS else None
        if word != "aws" and not word.endswith("/aws"):
            continue
        names, i = service_and_command(texts, at)
        if len(names) == 2 and names[0] == "cloudformation" and names[1] in _AWS_STACK_COMMANDS:
            return "aws", names[1], i
        return None
    return None


def _options(texts: list[str]) -> dict[str, list[str]]:
    """`--name value...` / `--name=value` / `-t value`: every value up to the next option."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for text in texts:
        if text.startswith("--") or text == "-t":
            name, eq, value = text.partition("=")
            out[name] = [value] if eq else []
            current = None if eq else name
        elif current is not None:
            out[current].append(text)
    return out


def parse(texts: list[str]) -> CfnCommand | None:
    """The template deploy these words run, None for any other command (or one that gives no
    parameter values, stack name or template)."""
    found = _command_at(texts)
    if found is None or found[1] == "package":
        return None
    tool, _, start = found
    options = _options(texts[start:])
    written = next((options[o][0] for o in _TEMPLATE_OPTIONS if options.get(o)), None)
    template = (file_reference(written) or written) if written is not None else None
    if template is None and tool == "aws":
        return None  # a stack updated without a template of the repository
    parameters: list[tuple[str, str | None]] = []
    files: list[str] = []
    for option in ("--parameters", "--parameter-overrides"):
        for value in options.get(option, []):
            path = file_reference(value)
            if path is not None:
                files.append(path)
            else:
                parameters.extend(overrides(value))
    stack = options.get("--stack-name", [])
    stack_name = stack[0] if stack and not has_unresolved(stack[0]) else None
    return CfnCommand(template, stack_name, tuple(parameters), tuple(files))


def packaged(texts: list[str]) -> tuple[str, str] | None:
    """(template, packaged copy) of `aws cloudformation package` / `sam package --template-file T
    --output-template-file P`: a later deploy of P deploys T with its code uploaded."""
    found = _command_at(texts)
    if found is None or found[1] != "package":
        return None
    options = _options(texts[found[2] :])
    output = options.get("--output-template-file", [])
    written = next((options[o][0] for o in _TEMPLATE_OPTIONS if options.get(o)), None)
    template = written if written is not None else (_SAM_TEMPLATE if found[0] == "sam" else None)
    return (template, output[0]) if template is not None and output else None


ACTION = "aws-actions/aws-cloudformation-github-deploy"
_ACTION_OVERRIDE = re.compile(r'(?:^|,)\s*([A-Za-z0-9]+)=("[^"]*"|[^,]*)')
_WORKSPACE = ("${{ github.workspace }}", "${GITHUB_WORKSPACE}", "$GITHUB_WORKSPACE")


def action_command(inputs: Mapping[str, str]) -> CfnCommand | None:
    """The deploy of the aws-cloudformation-github-deploy action (`name`, `template`,
    `parameter-overrides`: `K=V,K2="a,b"` or a `file:///${{ github.workspace }}/p.json` URL), its
    inputs already expanded; paths are relative to the workspace."""
    template = inputs.get("template")
    if not template or "://" in template:
        return None
    stack = inputs.get("name")
    overrides = inputs.get("parameter-overrides", "").strip()
    parameters: tuple[tuple[str, str | None], ...] = ()
    files: tuple[str, ...] = ()
    if overrides.startswith("file://"):
        files = (_in_workspace(overrides[len("file://") :]),)
    else:
        parameters = tuple(
            (m.group(1), _known(m.group(2).strip('"'))) for m in _ACTION_OVERRIDE.finditer(overrides)
        )
    stack_name = stack if stack and not has_unresolved(stack) else None
    return CfnCommand(template, stack_name, parameters, files)


def _in_workspace(path: str) -> str:
    """`/${{ github.workspace }}/p.json` as a workspace-relative path."""
    path = path.lstrip("/")
    prefix = next((p for p in _WORKSPACE if path.startswith(p)), "")
    return path[len(prefix) :].lstrip("/")


def overrides(value: str) -> list[tuple[str, str | None]]:
    """The parameters of one option value: inline JSON, the shorthand list, or `K=V` overrides
    (also how a SAM configuration file writes `parameter_overrides`)."""
    text = value.strip()
    if text.startswith(("[", "{")):
        return [p for chunk in text.split("}") if (p := _json_item(chunk)) is not None]
    try:
        items = shlex.split(text)
    except ValueError:
        items = text.split()
    out: list[tuple[str, str | None]] = []
    for item in items:
        if item.startswith("ParameterKey="):
            pair = shorthand_item(item)
            if pair is not None:
                out.append(pair)
        elif m := _OVERRIDE.match(item):
            out.append((m.group(1), _known(m.group(2))))
    return out


def _json_item(chunk: str) -> tuple[str, str | None] | None:
    keys = field_values(chunk, "ParameterKey")
    if len(keys) != 1:
        return None
    values = field_values(chunk, "ParameterValue")
    return keys[0], _known(values[0]) if len(values) == 1 else None


def shorthand_item(item: str) -> tuple[str, str | None] | None:
    """`ParameterKey=K,ParameterValue=V` (`UsePreviousValue=true`: the stack's current value)."""
    fields = {m.group(1): m.group(2) for m in _SHORTHAND_ITEM.finditer(item)}
    key = fields.get("ParameterKey")
    if not key:
        return None
    value = fields.get("ParameterValue")
    return key, _known(value) if value is not None else None


def _known(value: str) -> str | None:
    return None if has_unresolved(value) else value


def use(
    command: CfnCommand,
    cwds: tuple[str | None, str | None],
    location: Location,
    sources: Mapping[str, str] | None = None,
) -> CfnParametersUse | None:
    """The fact, with the template and parameter files resolved against the folder the command
    runs in (and against the script's own folder); None when the template is not known. A
    packaged copy (`sources`: copy -> template, root-relative) or SAM's build output
    (`.aws-sam/build/template.yaml`) stands for the template it was made from."""
    cwd, own = cwds
    written = command.template if command.template is not None else _SAM_TEMPLATE
    template = source_template(join(cwd, written), sources or {})
    own_template = source_template(join(own, written), sources or {}) if own != cwd else None
    if template is None and own_template is None:
        return None
    files = tuple(join(cwd, f) for f in command.parameter_files)
    return CfnParametersUse(
        location,
        template,
        own_template,
        command.parameters,
        tuple(f for f in files if f is not None),
        any(f is None for f in files),
        command.stack_name,
    )


def source_template(path: str | None, sources: Mapping[str, str]) -> str | None:
    """The template a deployed file was made from: itself, unless `aws cloudformation package`
    wrote it (`sources`) or `sam build` did (`.aws-sam/build/template.yaml` from the folder's
    `template.yaml`)."""
    if path is None:
        return None
    if path in sources:
        return sources[path]
    folder, marker, rest = path.rpartition(".aws-sam/build/")
    if marker and "/" not in rest and (not folder or folder.endswith("/")):
        return f"{folder}{_SAM_TEMPLATE}"
    return path


def mentions(text: str) -> bool:
    """Cheap test: the text may hold a template deploy command."""
    return "cloudformation" in text or "sam deploy" in text
