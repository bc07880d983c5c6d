"""Output formats for pull-request pipelines: `--format github`, `markdown` and `junit`.

* github: GitHub Actions workflow commands (`::error file=...,line=...,title=...::message`), one
  per finding and per input diagnostic, escaped as the Actions toolkit escapes them.
* markdown: a PR comment: a findings table and a Mermaid graph of each image build -> workload
  link (build platforms and workload architecture on the edge; a link with an error finding is
  red, with a warning orange).
* junit: one <testsuite> per rule, one failing <testcase> per finding (classname = rule id,
  name = file:line); a rule without findings gets one passing testcase, so every rule that ran is
  visible. Input diagnostics of level error become <error> testcases in a last suite.

Values from the scanned files are masked and made inert for each format: the github format
escapes them as the Actions toolkit does (`%25`, `%0D`, `%0A`, and `%3A`/`%2C` in properties);
markdown cells and Mermaid labels are single lines with markdown punctuation and Mermaid's
`#quot;`-style codes escaped; JUnit attributes and text hold no character XML 1.0 forbids.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable

from archmatch import lazyre
from archmatch.link.effective import image_arch
from archmatch.model import Finding, Link, Location, RepoFacts
from archmatch.report.common import shown_location
from archmatch.results import ScanResult
from archmatch.rules import SEVERITY_ORDER, all_rules, metadata
from archmatch.safetext import clean, escape_controls, guard_lines, mask_secrets, one_line

# --- github ----------------------------------------------------------------------------------

_GITHUB_LEVEL = {
    "error": "error",
    "warning": "warning",
    "info": "notice",
    "style": "notice",
    "note": "notice",
}


def escape_data(text: str) -> str:
    """A workflow-command message: `%`, CR and LF percent-encoded (other controls made visible)."""
    text = clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return escape_controls(text)


def escape_property(text: str) -> str:
    """A workflow-command property value: as a message, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(level: str, props: dict[str, object], message: str) -> str:
    fields = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "", 0))
    return f"::{level} {fields}::{escape_data(mask_secrets(message))}\n"


def render_github(result: ScanResult) -> str:
    out = []
    for f in result.findings:
        loc = f.location
        meta = metadata().get(f.rule_id)
        title = f"{f.rule_id}: {meta.title}" if meta else f.rule_id
        props = {
            "file": loc.path,
            "line": loc.line,
            "endLine": loc.end_line if loc.end_line >= loc.line else 0,
            "col": loc.column,
            "title": title,
        }
        out.append(github_command(_GITHUB_LEVEL.get(f.severity, "warning"), props, f.message))
    for d in result.diagnostics:
        props = {
            "file": d.location.path if d.location.path != "." else "",
            "line": d.location.line,
            "title": f"archmatch {d.code}",
        }
        out.append(
            github_command(
                _GITHUB_LEVEL.get(d.level, "warning"),
                props,
                d.message.splitlines()[0] if d.message else d.code,
            )
        )
    return "".join(out)


# --- markdown --------------------------------------------------------------------------------

MAX_TABLE_ROWS = 200  # a PR comment holds at most 65,536 characters
_ICON = {"error": "🔴", "warning": "🟠", "info": "🔵", "style": "⚪"}


# Markdown punctuation that could open a link, an image, HTML, an entity or a code span, end a
# table cell or hide text: backslash-escaped in every value from the scanned files.
_MARKDOWN_PUNCTUATION = lazyre.compile(r"[\\`*\[\]<>|&]")


def _cell(text: str) -> str:
    """One table cell / list item: no raw line break (`<br>` between lines), markdown inert."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br>".join(
        _MARKDOWN_PUNCTUATION.sub(lambda m: "\\" + m.group(0), one_line(line)) for line in lines
    )


def _code_cell(text: str) -> str:
    """A location as a code span (a backtick in it would end the span: then escaped text)."""
    shown = one_line(text)
    return f"`{shown.replace('|', chr(92) + '|')}`" if "`" not in shown else _cell(text)


def _summary(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    parts = [f"{counts[s]} {s}" for s in sorted(counts, key=lambda s: -SEVERITY_ORDER.get(s, 3))]
    return ", ".join(parts)


def _table(findings: list[Finding]) -> list[str]:
    metas = metadata()
    lines = ["| Severity | Rule | Location | Message |", "| --- | --- | --- | --- |"]
    for f in findings[:MAX_TABLE_ROWS]:
        meta = metas.get(f.rule_id)
        rule = f"[{f.rule_id}]({meta.help_uri})" if meta else f.rule_id
        lines.append(
            f"| {_ICON.get(f.severity, '')} {f.severity} | {rule} | {_code_cell(shown_location(f.location))} | {_cell(f.message)} |"
        )
    if len(findings) > MAX_TABLE_ROWS:
        lines.append(f"\n…and {len(findings) - MAX_TABLE_ROWS} more (see the SARIF report).")
    return lines


# Mermaid entity codes (`#35;` is `#`): every character that could end the quoted label, open a
# markdown string or hold HTML is written as its code.
_MERMAID_CODES = {"#": "#35;", '"': "#quot;", "`": "#96;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}


def _mermaid_text(text: str) -> str:
    return "".join(_MERMAID_CODES.get(ch, ch) for ch in one_line(text))


def _mermaid_label(*lines: str) -> str:
    return '"' + "<br/>".join(_mermaid_text(x) for x in lines if x) + '"'


def link_status(link: Link, findings: list[Finding]) -> str:
    """ "error" / "warning" when a finding names this link's workload or build, else ""."""
    names = {link.workload.name, link.build.name}
    severities = {f.severity for f in findings if f.entity in names}
    for level in ("error", "warning"):
        if level in severities:
            return level
    return ""


def _content_line(link: Link, facts: RepoFacts) -> str:
    """What the image really holds when the Dockerfile decides it against the request."""
    img = image_arch(link.build, facts)
    if not img.content or img.content == link.build.platforms.archs:
        return ""
    return f"image content {'/'.join(sorted(img.content))} ({img.content_reason})"


def mermaid_graph(result: ScanResult) -> list[str]:
    nodes: dict[tuple[str, str], str] = {}
    lines = ["graph LR"]
    edges: list[str] = []
    styles: list[str] = []

    def node(kind: str, key: str, label: str) -> str:
        if (kind, key) not in nodes:
            nodes[(kind, key)] = f"{kind}{len(nodes)}"
            shape = f"[{label}]" if kind == "b" else f"([{label}])"
            lines.append(f"  {nodes[(kind, key)]}{shape}")
        return nodes[(kind, key)]

    for facts, prefix in zip(result.facts, result.prefixes, strict=False):
        for link in facts.links:
            b, w = link.build, link.workload
            bid = node(
                "b",
                prefix + b.id,
                _mermaid_label(b.name, shown_location(Location(prefix + b.location.path, b.location.line))),
            )
            wid = node(
                "w",
                prefix + w.id,
                _mermaid_label(w.name, shown_location(Location(prefix + w.location.path, w.location.line))),
            )
            status = link_status(link, result.findings)
            label = _mermaid_label(
                f"builds {b.platforms.describe()}",
                _content_line(link, facts),
                f"runs {w.arch.describe()}",
                f"{link.confidence} confidence" if link.confidence != "high" else "",
            )
            edges.append(f"  {bid} -- {label} --> {wid}")
            if status:
                colour = "#d73a49" if status == "error" else "#e36209"
                styles.append(f"  linkStyle {len(edges) - 1} stroke:{colour},stroke-width:3px")
                styles.append(f"  style {wid} stroke:{colour},stroke-width:3px")
    return lines + edges + styles if edges else []


def render_markdown(result: ScanResult) -> str:
    findings = result.findings
    head = f"## archmatch: {len(findings)} finding{'s' if len(findings) != 1 else ''}"
    out = [head + (f" ({_summary(findings)})" if findings else ""), ""]
    out += _table(findings) if findings else ["No architecture mismatch found."]
    graph = mermaid_graph(result)
    if graph:
        out += ["", "### Image builds → workloads", "", "```mermaid", *graph, "```"]
    problems = [d for d in result.diagnostics if d.level in ("error", "warning")]
    if problems:
        out += ["", f"<details><summary>{len(problems)} input problem(s)</summary>", ""]
        out += [
            f"- {_code_cell(shown_location(d.location))}: {_cell(d.message.splitlines()[0] if d.message else d.code)}"
            for d in problems
        ]
        out += ["", "</details>"]
    out.append(f"\n<sub>{result.files_scanned} files scanned, {result.suppressed} findings suppressed.</sub>")
    return guard_lines("\n".join(out) + "\n")


# --- junit -----------------------------------------------------------------------------------

# Characters XML 1.0 cannot hold (besides lone surrogates, which `clean` replaces).
_NOT_XML = lazyre.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_value(text: str) -> str:
    """Cleaned, masked text without the characters XML 1.0 forbids (written as visible escapes)."""
    return _NOT_XML.sub(
        lambda m: escape_controls(m.group(0)) if m.group(0) < " " else "\ufffd", mask_secrets(clean(text))
    )


def _xml_text(text: str) -> str:
    return xml_value(text)


def _sanitise(tree: ET.Element) -> None:
    """Every attribute and text of the tree made valid XML 1.0 and masked."""
    for element in tree.iter():
        for key, value in element.attrib.items():
            element.set(key, xml_value(value))
        if element.text:
            element.text = xml_value(element.text)


def xml_inert(document: str) -> str:
    """Serialised XML that cannot start or hold a GitHub workflow command (same document)."""
    return guard_lines(document.replace("##[", "##&#91;"), "&#58;")


def render_junit(result: ScanResult) -> str:
    suites = ET.Element("testsuites", name="archmatch", tests="0", failures="0", errors="0")
    by_rule: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    total = failures = errors = 0
    for rule in all_rules():
        found = by_rule.get(rule.meta.id, [])
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{rule.meta.id} {rule.meta.name}",
            tests=str(max(len(found), 1)),
            failures=str(len(found)),
            errors="0",
        )
        if not found:
            ET.SubElement(suite, "testcase", classname=rule.meta.id, name="all files")
        for f in found:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f.rule_id,
                name=_xml_text(str(f.location)),
                file=_xml_text(f.location.path),
            )
            if f.location.line:
                case.set("line", str(f.location.line))
            failure = ET.SubElement(case, "failure", message=_xml_text(f.message), type=f.severity)
            failure.text = "\n".join(
                [_xml_text(f.message), *(f"related: {r.location}: {_xml_text(r.message)}" for r in f.related)]
            )
        total += max(len(found), 1)
        failures += len(found)
    bad_inputs = [d for d in result.diagnostics if d.level == "error"]
    if bad_inputs:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name="archmatch input",
            tests=str(len(bad_inputs)),
            failures="0",
            errors=str(len(bad_inputs)),
        )
        for d in bad_inputs:
            case = ET.SubElement(suite, "testcase", classname=f"archmatch.{d.code}", name=str(d.location))
            ET.SubElement(
                case,
                "error",
                message=_xml_text(d.message.splitlines()[0] if d.message else d.code),
                type=d.code,
            )
        total += len(bad_inputs)
        errors += len(bad_inputs)
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    _sanitise(suites)
    ET.indent(suites)
    return xml_inert(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


RENDERERS: dict[str, Callable[[ScanResult], str]] = {
    "github": render_github,
    "markdown": render_markdown,
    "junit": render_junit,
}
