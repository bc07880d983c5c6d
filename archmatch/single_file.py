"""`archmatch scan FILE`: the file, plus what it names.

A file scanned alone would hide every cross-file mismatch (the Dockerfile a SAM function or a
compose service builds, the Terraform module a root calls). So the scan of one file also reads,
within the file's folder: the Dockerfiles its builds name, the other `.tf`/`.tfvars`/`.tfvars.json`
files of its Terraform module, and the `.tf` files of the local modules it calls (`source = "./..."`), repeated
for what those name. Anything named but not read (missing, or outside the folder such as
`source = "../x"`) is reported in a note diagnostic, as is the fact that nothing else was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from archmatch import lazyre
from archmatch.model import Diagnostic, DiagnosticCode, Location, RepoFacts

CODE: DiagnosticCode = "single-file"
MAX_ROUNDS = 4
_LOCAL_SOURCE = lazyre.compile(r"""^[ \t]*source[ \t]*=[ \t]*"(\.\.?/[^"\n]*)"[ \t]*$""", re.M)
_TERRAFORM = (".tf", ".tfvars", ".tf.json", ".tfvars.json")


@dataclass
class Named:
    read: list[str] = field(default_factory=list)  # root-relative, beyond the file itself
    unread: list[str] = field(default_factory=list)  # named but not read, with the reason


def _inside(root: Path, rel: str) -> str | None:
    """`rel` normalised under root, or None when it leaves the folder."""
    full = (root / rel).resolve()
    try:
        return full.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _terraform_files(root: Path, folder: str) -> list[str]:
    base = root / folder
    return (
        sorted(
            (Path(folder) / p.name).as_posix()
            for p in base.iterdir()
            if p.is_file() and p.name.endswith(_TERRAFORM)
        )
        if base.is_dir()
        else []
    )


def _terraform_named(root: Path, name: str, named: Named) -> list[str]:
    folder = Path(name).parent.as_posix()
    out = _terraform_files(root, folder)
    try:
        text = (root / name).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for source in _LOCAL_SOURCE.findall(text):
        module = _inside(root, f"{folder}/{source}")
        if module is None:
            named.unread.append(
                f"module {source} (outside {root.as_posix() or '.'}; scan a folder holding both)"
            )
        elif not (root / module).is_dir():
            named.unread.append(f"module {source} (not found)")
        else:
            out += _terraform_files(root, module)
    return out


def named_files(root: Path, facts: RepoFacts, read: list[str], named: Named) -> list[str]:
    """Files that the files read so far name and that are not read yet."""
    wanted: list[str] = []
    for build in facts.builds:
        if build.dockerfile is None:
            continue
        if (root / build.dockerfile).is_file():
            wanted.append(build.dockerfile)
        else:
            named.unread.append(f"{build.dockerfile} (built by {build.name}; not found)")
    for name in read:
        if name.endswith(_TERRAFORM):
            wanted += _terraform_named(root, name, named)
    return sorted(set(wanted) - set(read))


def note(file: str, named: Named) -> Diagnostic:
    read = f"; also read what it names: {', '.join(named.read)}" if named.read else ""
    unread = f"; named but not read: {', '.join(sorted(set(named.unread)))}" if named.unread else ""
    message = (
        f"scanned {file} on its own{read}{unread}; no other file was read, so a build or workload "
        "elsewhere (CI workflows, scripts, Makefiles, other templates) is not linked: scan the folder "
        "for those"
    )
    return Diagnostic(Location(file), message, "note", CODE)
