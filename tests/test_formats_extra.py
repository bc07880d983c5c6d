"""--format github / markdown / junit (archmatch.report.extra_formats)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from archmatch.model import (
    Diagnostic,
    Finding,
    ImageBuild,
    ImageRef,
    Link,
    Location,
    Related,
    RepoFacts,
    Workload,
)
from archmatch.platforms import ArchFact
from archmatch.report.extra_formats import (
    RENDERERS,
    escape_data,
    escape_property,
    render_github,
    render_junit,
    render_markdown,
)
from archmatch.results import ScanResult
from archmatch.rules import all_rules, metadata

RULE = "ARCH301"  # any registered rule; the formats read its title and help URI


def _result() -> ScanResult:
    facts = RepoFacts(root=Path("/repo"))
    workload = Workload(
        "aws_lambda_function",
        "aws_lambda_function.api",
        "lambda",
        Location("infra/main.tf", 1),
        ArchFact.explicit("arm64"),
        Location("infra/main.tf", 5),
    )
    ok_workload = Workload(
        "aws_lambda_function",
        "aws_lambda_function.ok",
        "lambda",
        Location("infra/main.tf", 9),
        ArchFact.default("amd64"),
    )
    build = ImageBuild(
        "shell",
        'docker build "api"',
        Location("build.sh", 3),
        "api/Dockerfile",
        platforms=ArchFact.explicit("amd64"),
    )
    ok_build = ImageBuild("compose", "compose service ok", Location("compose.yaml", 2), "ok/Dockerfile")
    ref = ImageRef("api:1", Location("infra/main.tf", 4))
    facts.links = [
        Link(workload, ref, build, "repository match", "high", "repository"),
        Link(ok_workload, ref, ok_build, "naming", "low", "naming"),
    ]
    finding = Finding(
        RULE,
        "api runs arm64 | but: 100% x86_64\nsecond line",
        Location("infra/main.tf", 5, 3, 5, 20),
        "aws_lambda_function.api",
        related=(Related(Location("build.sh", 3), "build"),),
        severity="error",
    )
    diag = Diagnostic(Location("bad.yaml", 2), "YAML syntax error: mapping values, here", "warning", "parse")
    return ScanResult(findings=[finding], diagnostics=[diag], facts=[facts], prefixes=[""], files_scanned=4)


def test_renderers_are_exported_for_scan() -> None:
    assert set(RENDERERS) == {"github", "markdown", "junit"}


def test_github_escaping_follows_the_actions_toolkit() -> None:
    assert escape_data("100%\r\nnext: a,b") == "100%25%0D%0Anext: a,b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotations() -> None:
    title = f"{RULE}: {metadata()[RULE].title}".replace(":", "%3A").replace(",", "%2C")
    assert render_github(_result()).splitlines() == [
        f"::error file=infra/main.tf,line=5,endLine=5,col=3,title={title}::api runs arm64 | but: 100%25 x86_64%0Asecond line",
        "::warning file=bad.yaml,line=2,title=archmatch parse::YAML syntax error: mapping values, here",
    ]


def test_markdown_table_and_mermaid_graph() -> None:
    text = render_markdown(_result())
    help_uri = metadata()[RULE].help_uri
    assert text.startswith("## archmatch: 1 finding (1 error)\n")
    assert (
        f"| 🔴 error | [{RULE}]({help_uri}) | `infra/main.tf:5` | api runs arm64 \\| but: 100% x86_64<br>second line |"
        in text
    )
    graph = text.split("```mermaid\n", 1)[1].split("```", 1)[0].splitlines()
    assert graph == [
        "graph LR",
        '  b0["docker build #quot;api#quot;<br/>build.sh:3"]',
        '  w1(["aws_lambda_function.api<br/>infra/main.tf:1"])',
        '  b2["compose service ok<br/>compose.yaml:2"]',
        '  w3(["aws_lambda_function.ok<br/>infra/main.tf:9"])',
        '  b0 -- "builds amd64 (explicit)<br/>runs arm64 (explicit)" --> w1',
        '  b2 -- "builds unpinned: the build host decides<br/>runs amd64 (default)<br/>low confidence" --> w3',
        "  linkStyle 0 stroke:#d73a49,stroke-width:3px",
        "  style w1 stroke:#d73a49,stroke-width:3px",
    ]
    assert "- `bad.yaml:2`: YAML syntax error: mapping values, here" in text


def test_markdown_without_findings() -> None:
    text = render_markdown(ScanResult(files_scanned=2))
    assert (
        text
        == "## archmatch: 0 findings\n\nNo architecture mismatch found.\n\n<sub>2 files scanned, 0 findings suppressed.</sub>\n"
    )


def test_junit_one_suite_per_rule_one_case_per_finding() -> None:
    root = ET.fromstring(render_junit(_result()))
    suites = root.findall("testsuite")
    rules = [r.meta for r in all_rules()]
    assert [s.get("name") for s in suites] == [f"{m.id} {m.name}" for m in rules]
    assert root.get("tests") == str(len(rules)) and root.get("failures") == "1" and root.get("errors") == "0"
    failing = [s for s in suites if s.get("failures") != "0"]
    assert [s.get("name").split()[0] for s in failing] == [RULE]
    (case,) = failing[0].findall("testcase")
    assert case.attrib == {"classname": RULE, "name": "infra/main.tf:5", "file": "infra/main.tf", "line": "5"}
    failure = case.find("failure")
    assert failure.get("type") == "error"
    assert failure.text == "api runs arm64 | but: 100% x86_64\nsecond line\nrelated: build.sh:3: build"
    passing = [s for s in suites if s.get("failures") == "0"]
    assert all([c.get("name") for c in s.findall("testcase")] == ["all files"] for s in passing)


def test_junit_input_errors_and_xml_unsafe_characters() -> None:
    result = _result()
    result.findings[0].message = 'bell\x07 and <tag> & "quotes"'
    result.diagnostics = [
        Diagnostic(Location("x.tf", 1), "internal error in extractor x", "error", "internal")
    ]
    root = ET.fromstring(render_junit(result))
    assert root.get("errors") == "1" and root.get("tests") == str(len(all_rules()) + 1)
    failure = root.find(".//failure")
    assert (
        failure.get("message") == 'bell\\x07 and <tag> & "quotes"'
    )  # XML 1.0 cannot hold \x07: written visibly
    error_suite = root.findall("testsuite")[-1]
    assert error_suite.get("name") == "archmatch input"
    assert error_suite.find("testcase/error").attrib == {
        "message": "internal error in extractor x",
        "type": "internal",
    }


def test_scan_offers_the_formats(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing to see\n")
    for fmt, start in (("github", ""), ("markdown", "## archmatch: 0 findings"), ("junit", "<?xml")):
        proc = subprocess.run(
            [sys.executable, "-m", "archmatch", "scan", "--format", fmt, str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(start)
