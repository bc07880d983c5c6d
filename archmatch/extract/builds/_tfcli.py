"""Terraform commands that set root-module variables on their command line: `terraform [-chdir=D]
plan|apply|destroy|refresh|import|console ... -var-file=F -var name=value` (OpenTofu's `tofu`
alike). Terraform reads such values after `terraform.tfvars` and `*.auto.tfvars` (and their `.json`
forms), in the order written; the Terraform extractor evaluates the root module they are given to
with them.

Words come already expanded by the caller (shell variables, a Dagger function's bound
parameters); an unknown part stays `${X}` and is resolved later against the files that exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from archmatch.extract.builds._common import join
from archmatch.model import Location, TerraformVarsUse

_EXECUTABLES = ("terraform", "tofu")
# subcommands that read -var / -var-file
_WITH_VARIABLES = frozenset(["plan", "apply", "destroy", "refresh", "import", "console"])


@dataclass(frozen=True)
class TerraformCommand:
    """A `terraform` command line: its `-chdir=`, `-var-file=` and `-var` options."""

    chdir: str | None  # `-chdir=D` as written, None without it
    var_files: tuple[str, ...]
    variables: tuple[tuple[str, str], ...]


def _is_terraform(word: str) -> bool:
    return word in _EXECUTABLES or word.endswith(tuple("/" + e for e in _EXECUTABLES))


def parse(words: list[str]) -> TerraformCommand | None:
    """The variables a terraform command gives on its command line, None for any other command
    (or one that gives none)."""
    at = next((i for i, w in enumerate(words) if _is_terraform(w)), None)
    if at is None:
        return None
    chdir: str | None = None
    i = at + 1
    while i < len(words) and words[i].startswith("-"):  # global options before the subcommand
        if words[i].startswith("-chdir="):
            chdir = words[i].split("=", 1)[1]
        i += 1
    if i >= len(words) or words[i] not in _WITH_VARIABLES:
        return None
    var_files: list[str] = []
    variables: list[tuple[str, str]] = []
    rest = words[i + 1 :]
    j = 0
    while j < len(rest):
        option, eq, value = rest[j].lstrip("-").partition("=")
        is_option = rest[j].startswith("-") and option in ("var-file", "var")
        if is_option and not eq and j + 1 < len(rest):
            value, j = rest[j + 1], j + 1
        j += 1
        if not is_option:
            continue
        if option == "var-file" and value:
            var_files.append(value)
        elif option == "var" and "=" in value:
            name, _, text = value.partition("=")
            variables.append((name.strip(), text))
    if not var_files and not variables:
        return None
    return TerraformCommand(chdir, tuple(var_files), tuple(variables))


def use(command: TerraformCommand, cwd: str | None, location: Location) -> TerraformVarsUse:
    """The fact, with the folder the command runs in (`-chdir` taken from `cwd`; None when either
    is unknown)."""
    folder = cwd
    if command.chdir is not None:
        unknown = "$" in command.chdir or command.chdir.startswith("/")
        folder = None if unknown or cwd is None else join(cwd, command.chdir)
    return TerraformVarsUse(location, folder, command.var_files, command.variables)


def mentions(text: str) -> bool:
    """Cheap test: the text may hold a terraform command giving variables."""
    return "-var" in text and ("terraform" in text or "tofu" in text)
