"""Rule documentation generated from rule metadata (docs/rules/*.md)."""

from __future__ import annotations

from pathlib import Path

from archmatch.outputs import OutputError, write_report
from archmatch.rules import RuleMeta, all_rules

FAMILY_TITLES = {
    "dockerfile": "Dockerfile rules (ARCH1xx)",
    "iac": "Single-resource IaC rules (ARCH2xx)",
    "crossfile": "Cross-file rules: build vs. workload (ARCH3xx)",
    "cdk": "AWS CDK source rules (ARCH4xx)",
}


def _checkov_line(meta: RuleMeta) -> str:
    if not meta.in_checkov:
        return "- **Checkov:** not reported by Checkov (its evidence lies outside the files Checkov's frameworks hand a check)"
    return f"- **Checkov id:** `{meta.checkov_id}`" + (
        " (also a YAML policy in `policies/`)" if meta.yaml_policy else ""
    )


def _checkov_cell(meta: RuleMeta) -> str:
    return f"`{meta.checkov_id}`" if meta.in_checkov else "-"


def rule_markdown(meta: RuleMeta) -> str:
    lang = meta.example.get("language", "")
    parts = [
        f"# {meta.id}: {meta.title}",
        "",
        f"- **Name:** `{meta.name}`",
        f"- **Severity:** {meta.severity}",
        f"- **Family:** {meta.family}",
        _checkov_line(meta),
        "",
        "## What it does",
        "",
        meta.title + ".",
        "",
        "## Why it matters",
        "",
        meta.rationale,
        "",
        "## Example",
        "",
        "Reported:",
        "",
        f"```{lang}",
        meta.example["bad"].rstrip(),
        "```",
        "",
        "Fixed:",
        "",
        f"```{lang}",
        meta.example["good"].rstrip(),
        "```",
        "",
        "## How to fix",
        "",
        meta.fix,
        "",
    ]
    if meta.not_caught:
        parts += ["## What it deliberately does not report", "", meta.not_caught, ""]
    if meta.references:
        parts += ["## References", ""] + [f"- {ref}" for ref in meta.references] + [""]
    parts += [
        "## Suppressing",
        "",
        f"`# archmatch ignore={meta.id}` on the line above (Dockerfiles also accept `# hadolint ignore={meta.id}`"
        f" on a line of its own), `ignored: [{meta.id}]` in `.archmatch.yaml`"
        + (f", or `# checkov:skip={meta.checkov_id}:reason` under Checkov." if meta.in_checkov else "."),
        "",
    ]
    return "\n".join(parts)


def index_markdown(metas: list[RuleMeta]) -> str:
    lines = [
        "# archmatch rules",
        "",
        "Generated from the rule metadata by `archmatch docs`; do not edit by hand.",
        "",
        "Each fix a finding offers says how far it may be applied, as ruff's fixes do: `safe` (a",
        "mechanical edit that only fixes the finding; `archmatch scan --fix` applies it), `unsafe` (a",
        "mechanical edit that also changes something beyond the finding, such as what other machines",
        "build or the hardware a workload runs on; applied with `--unsafe-fixes`) or `display-only`",
        "(advice or a diff for a person; never applied). The same rule can offer each kind, depending",
        "on the case; the snapshots under `tests/snapshots/rules/` show it for every fixture.",
        "",
    ]
    for family, title in FAMILY_TITLES.items():
        members = [m for m in metas if m.family == family]
        if not members:
            continue
        lines += [f"## {title}", "", "| Id | Severity | Checkov | Title |", "|---|---|---|---|"]
        lines += [f"| [{m.id}]({m.id}.md) | {m.severity} | {_checkov_cell(m)} | {m.title} |" for m in members]
        lines.append("")
    return "\n".join(lines)


def generate(outdir: Path) -> list[Path]:
    """Write the rule pages and the index into `outdir` (raises OutputError naming the file)."""
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(str(outdir), exc.strerror or type(exc).__name__) from exc
    metas = [r.meta for r in all_rules()]
    written = []
    for meta in metas:
        path = outdir / f"{meta.id}.md"
        write_report(path, rule_markdown(meta))
        written.append(path)
    index = outdir / "README.md"
    write_report(index, index_markdown(metas))
    written.append(index)
    return written
