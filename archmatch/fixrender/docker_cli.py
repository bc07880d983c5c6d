"""docker build command lines (scripts, Makefile recipes, CI `run:` steps, Terraform local-exec):
the same command pinned to one platform. The extractor records where the command writes its flags
(`ImageBuild.command_flags`); this module only rewrites the text."""

from __future__ import annotations

from archmatch.model import CommandFlags

Span = tuple[int, int]


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace each (start, end) range of `text` by its text; ranges do not overlap."""
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _removal(text: str, span: Span) -> tuple[int, int, str]:
    start = span[0]
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return start, span[1], ""


def _replace_first(text: str, spans: tuple[Span, ...], flag: str) -> list[tuple[int, int, str]]:
    first = spans[0]
    return [(first[0], first[1], flag), *(_removal(text, s) for s in spans[1:])]


def pinned_command(
    command: str, flags: CommandFlags | None, platform: str, single_manifest: bool = False
) -> str:
    """The command with its first docker build pinned to `platform` (replacing any --platform).

    With `single_manifest`, attestations are switched off too (`--provenance=false`, `--sbom=false`,
    no `--attest`) so the result is a single image manifest, as Lambda requires. A command
    without a docker build (`flags` None) is returned unchanged.
    """
    if flags is None:
        return command
    edits: list[tuple[int, int, str]] = []
    inserts: list[str] = []
    flag = f"--platform {platform}"
    if flags.platform:
        edits.extend(_replace_first(command, flags.platform, flag))
    else:
        inserts.append(flag)
    if single_manifest:
        for spans, off in ((flags.provenance, "--provenance=false"), (flags.sbom, "--sbom=false")):
            if spans:
                edits.extend(_replace_first(command, spans, off))
            elif off.startswith("--provenance"):
                inserts.append(off)
        edits.extend(_removal(command, s) for s in flags.attest)
    if inserts:
        edits.append((flags.subcommand_end, flags.subcommand_end, " " + " ".join(inserts)))
    return apply_edits(command, edits)
