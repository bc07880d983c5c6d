"""AWS CLI deploy commands in shell text (scripts, Makefile recipes, CI `run:` steps): what they
run and where, read from their options as written (variables already expanded by the shell scan).

- `aws lambda create-function` (`--architectures`, default x86_64) and `update-function-code`:
  with `--architectures` the command sets the function's architecture; without, the function keeps
  the one its template declares, which `deploy_targets` finds (see `archmatch/extract/builds/__init__.py`);
- `aws ecs register-task-definition`: `--runtime-platform`, `--requires-compatibilities`,
  `--container-definitions` (JSON or shorthand), or `--cli-input-json file://x.json` naming a
  task-definition file of the repository (that file is the workload already);
- `aws batch register-job-definition`: `--platform-capabilities`, `--container-properties`;
- `aws apprunner create-service` / `update-service`: the image of `--source-configuration`
  (App Runner runs x86_64 only);
- `aws eks create-nodegroup`: `--ami-type`, `--instance-types`, a node group capacity;
- `aws ecs update-service --cluster C --service S [--task-definition F[:R]] --force-new-deployment`:
  the service redeploys the image the same run pushed before it (`pushed`), which its task
  definition runs (`archmatch/link/deploys.py` finds the service and its task definition).

Option values are read with patterns, not a JSON parser: a value holding unknown shell variables
(`"image": "$ECR_URI"`) is still readable, and stays an unknown reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archmatch.dockercli import Word

DEPLOY_COMMANDS = frozenset(
    {
        ("lambda", "create-function"),
        ("lambda", "update-function-code"),
        ("ecs", "register-task-definition"),
        ("batch", "register-job-definition"),
        ("apprunner", "create-service"),
        ("apprunner", "update-service"),
        ("eks", "create-nodegroup"),
        ("ecs", "update-service"),
    }
)
# aws global options that take a value (they may come before the service name)
_GLOBAL_WITH_VALUE = frozenset(["--region", "--profile", "--output", "--endpoint-url", "--query", "--color"])


@dataclass(frozen=True)
class Option:
    """The values of one option of an `aws` command."""

    values: tuple[str, ...]
    offset: int  # of the option word


@dataclass(frozen=True)
class Push:
    """A `docker push` (or a build's `--push`) of an image a docker build of the same run made."""

    path: str  # file of the build
    build_line: int  # line of the build (its ImageBuild's location)
    ref: str  # the reference pushed
    line: int  # line of the push


@dataclass
class AwsCommand:
    """One `aws` CLI command in a script, with its options."""

    service: str
    command: str
    start: int  # offset of the `aws` word
    options: dict[str, Option] = field(default_factory=dict)
    cwd: str | None = "."  # the shell's working directory where it runs (for file:// paths)
    line: int = 0  # file line of the `aws` word
    lines: dict[str, int] = field(default_factory=dict)  # file line of each option
    files: dict[str, str] = field(default_factory=dict)  # files the script wrote before (heredocs)
    pushed: tuple[Push, ...] = ()  # the images the run pushed before this command, in order

    def value(self, name: str) -> str | None:
        option = self.options.get(name)
        return option.values[0] if option and option.values else None

    def offset(self, name: str) -> int | None:
        option = self.options.get(name)
        return option.offset if option else None


def service_and_command(texts: list[str], at: int) -> tuple[list[str], int]:
    """The service and command of the `aws` word at `at` (global options skipped: `aws lambda
    --region x ...`), at most two words, and the index after them."""
    names: list[str] = []
    i = at + 1
    while i < len(texts) and len(names) < 2:
        if texts[i].startswith("--"):
            i += 2 if texts[i] in _GLOBAL_WITH_VALUE else 1
            continue
        names.append(texts[i])
        i += 1
    return names, i


def parse(words: list[Word]) -> AwsCommand | None:
    """The deploy command these words run, or None (any other command, aws or not)."""
    texts = [w.text for w in words]
    at = next((i for i, t in enumerate(texts) if t == "aws" or t.endswith("/aws")), None)
    if at is None:
        return None
    names, _ = service_and_command(texts, at)
    if tuple(names) not in DEPLOY_COMMANDS:
        return None
    command = AwsCommand(names[0], names[1], words[at].start)
    command.options = _options(words[at + 1 :])
    return command


def _options(words: list[Word]) -> dict[str, Option]:
    """`--name value...` / `--name=value`: every value up to the next option (lists)."""
    out: dict[str, Option] = {}
    current: str | None = None
    for w in words:
        if w.redirect:
            current = None
            continue
        if w.text.startswith("--"):
            name, eq, value = w.text.partition("=")
            out[name] = Option((value,) if eq else (), w.start)
            current = None if eq else name
        elif current is not None:
            option = out[current]
            out[current] = Option((*option.values, w.text), option.offset)
    return out


def field_values(text: str, key: str) -> list[str]:
    """Every value of `key` in a JSON (`"key": "v"`) or shorthand (`key=v`) option value."""
    pattern = re.compile(
        r'"'
        + re.escape(key)
        + r'"[ \t\r\n]*:[ \t\r\n]*"([^"]*)"|(?<![A-Za-z0-9_])'
        + re.escape(key)
        + r"=([^,\s}\]]+)",
        re.IGNORECASE,
    )
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in pattern.finditer(text)]


def list_values(option: Option | None) -> list[str]:
    """A list option's items: separate words, a JSON list, or comma separated."""
    if option is None:
        return []
    items: list[str] = []
    for value in option.values:
        items.extend(t for t in re.split(r"[\s,\[\]\"']+", value) if t)
    return items


def file_reference(value: str | None) -> str | None:
    """The path of a `file://path` option value (`fileb://` too), None for an inline value."""
    if value is None:
        return None
    m = re.match(r"^fileb?://(.+)$", value.strip())
    return m.group(1) if m else None
