"""Reports that a hostile repository cannot hijack: no GitHub workflow command, no markdown or
XML injection, no crash on lone surrogates, SARIF URIs that stay relative paths, a linear masker.

Each test builds the hostile input, runs every format that could carry it, and checks the
property on the bytes written.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import xml.dom.minidom
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from archmatch.cli import main
from archmatch.commands.scan import renderers
from archmatch.report.hadolint_formats import FORMATS as HADOLINT_FORMATS
from archmatch.safetext import guard_lines, mask_secrets, one_line

ROOT = Path(__file__).resolve().parent.parent
SAM = ROOT / "examples" / "sam-lambda-arm64"
GO = ROOT / "examples" / "go-cross-compile-wrong"
INJECTION = "\n::error file=x::Approved by security team\n"
LEGACY = "##[error]Approved by security team"
SCAN_FORMATS = sorted(renderers())


def scan_report(tree: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    out = tmp_path / "report.out"
    code = main(["scan", "--no-color", "-o", str(out), *args, str(tree)])
    return code, out.read_bytes().decode("utf-8")


def dockerfile_report(files: list[Path], tmp_path: Path, fmt: str) -> tuple[int, str]:
    out = tmp_path / f"hadolint.{fmt}"
    code = main(["dockerfile", "-f", fmt, "-o", str(out), *map(str, files)])
    return code, out.read_bytes().decode("utf-8")


def command_lines(report: str) -> list[str]:
    """Lines the Actions runner would execute: `::` after leading blanks (lines split on CR and
    LF, as the runner reads them), or the legacy `##[` anywhere."""
    lines = report.replace("\r", "\n").split("\n")
    return [line for line in lines if line.lstrip().startswith("::") or "##[" in line]


@pytest.fixture
def hostile_names(tmp_path: Path) -> Path:
    """A repository whose folder name and SAM logical id each carry a workflow command."""
    tree = tmp_path / "repo"
    shutil.copytree(SAM, tree / ("evil" + INJECTION + LEGACY))
    template = (SAM / "template.yaml").read_text()
    key = "Thumb" + INJECTION.replace("\n", "\\n") + LEGACY + "Fn"
    (tree / "key").mkdir()
    shutil.copytree(SAM / "fn", tree / "key/fn")
    (tree / "key/template.yaml").write_text(template.replace("  ThumbnailFunction:", f'  "{key}":'))
    return tree


@pytest.mark.parametrize("fmt", SCAN_FORMATS)
def test_no_format_carries_a_workflow_command(hostile_names: Path, tmp_path: Path, fmt: str) -> None:
    code, report = scan_report(hostile_names, tmp_path, "-f", fmt)
    assert code == 1 and "ARCH301" in report  # both copies of the example are reported
    if fmt == "github":
        assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in report.splitlines())
        # the injected lines stay inside values of our own commands (the runner parses a line
        # that starts with `::` as one command, so `##[` inside it is never parsed on its own)
        assert "%0A::error file=x::Approved" in report and "%0A%3A%3Aerror file=x%3A%3AApproved" in report
        assert "\n::error file=x::" not in report
    else:
        assert command_lines(report) == []


def test_the_inventory_and_every_dockerfile_format_carry_no_workflow_command(
    hostile_names: Path, tmp_path: Path
) -> None:
    _, inventory = scan_report(hostile_names, tmp_path, "--list-workloads")
    assert "Approved" in inventory and command_lines(inventory) == []
    dockerfile = next(hostile_names.glob("evil*/fn/Dockerfile"))
    for fmt in HADOLINT_FORMATS:
        _, report = dockerfile_report([dockerfile], tmp_path, fmt)
        assert "Approved" in report, fmt
        assert command_lines(report) == [], fmt


def test_a_value_cannot_start_a_line_even_after_blanks() -> None:
    assert one_line("a\n  ::error::x\r::warning::y\u2028z") == "a\\n  ::error::x\\r::warning::y\\u2028z"
    assert guard_lines("ok\n \t::error::x\n::a\r::b") == "ok\n \t\\::error::x\n\\::a\r\\::b"
    assert one_line("see ##[error]x") == "see ##\\[error]x"


# --- lone surrogates ---------------------------------------------------------------------------

SURROGATE_FILES = {
    "json/template.json": json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Fn\\ud800": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "PackageType": "Image",
                        "Architectures": ["arm64"],
                        "Code": {"ImageUri": "x\\udfff.dkr.ecr.us-east-1.amazonaws.com/a:1"},
                    },
                }
            },
        }
    ).replace("\\\\u", "\\u"),
    "yaml/template.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  "Fn\\ud800":\n    Type: AWS::Lambda::Function\n'
    '    Properties:\n      PackageType: Image\n      Architectures: [arm64]\n      Code: {ImageUri: "y\\ud800"}\n',
    "hcl/main.tf": 'resource "aws_lambda_function" "f" {\n  function_name = "Fn\\ud800"\n  package_type = "Image"\n'
    '  image_uri = "z\\ud800:1"\n  architectures = ["arm64"]\n}\n',
}


@pytest.fixture
def surrogates(tmp_path: Path) -> Path:
    tree = tmp_path / "repo"
    shutil.copytree(SAM, tree / "sam")
    shutil.copytree(SAM, tree / "sam-surrogate")  # a finding whose message names "Thumb\ud800Fn"
    template = tree / "sam-surrogate/template.yaml"
    template.write_text(template.read_text().replace("  ThumbnailFunction:", '  "Thumb\\ud800Fn":'))
    for rel, text in SURROGATE_FILES.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    return tree


@pytest.mark.parametrize("fmt", SCAN_FORMATS)
def test_lone_surrogates_never_crash_a_report(surrogates: Path, tmp_path: Path, fmt: str) -> None:
    code, report = scan_report(surrogates, tmp_path, "-f", fmt)
    assert code == 1 and "ARCH301" in report  # the healthy example is still reported
    assert "\ufffd" in report or "%EF%BF%BD" in report.upper()  # the surrogate arrived, replaced
    _, inventory = scan_report(surrogates, tmp_path, "--list-workloads")
    assert "Fn\ufffd" in inventory


# --- markdown, Mermaid, XML ---------------------------------------------------------------------


def test_markdown_and_mermaid_labels_cannot_inject_markdown(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(SAM, tree)
    name = 'Thumb\\n```\\n# injected heading\\n[click](https://evil.example) <img src=x> \\"]) --> X\\n```mermaid\\nFn'
    template = (tree / "template.yaml").read_text().replace("  ThumbnailFunction:", f'  "{name}":')
    (tree / "template.yaml").write_text(template)
    code, report = scan_report(tree, tmp_path, "-f", "markdown")
    assert code == 1 and "injected heading" in report
    assert report.count("```") == 2  # only our own fence opens and closes
    assert not any(line.startswith("# injected") for line in report.splitlines())
    graph = report.split("```mermaid\n", 1)[1].split("```", 1)[0]
    outside = report.replace(graph, "")
    assert not re.search(r"(?<!\\)\[click|(?<!\\)<img", outside) and "\\[click\\]" in outside
    assert "<img" not in graph  # Mermaid labels hold no HTML either
    for line in graph.splitlines()[1:]:
        if "[" in line and "--" not in line:  # a node: its label is one quoted string
            label = line.split("[", 1)[1]
            assert label.count('"') == 2, line


def test_xml_formats_hold_only_xml_1_0_characters(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    folder = tree / "a\x01b\x1b[31m"
    shutil.copytree(GO, folder)
    dockerfile = folder / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("building for", "building\x01\x0b for"))
    code, report = scan_report(tree, tmp_path, "-f", "junit")
    assert code == 1 and "ARCH" in report
    xml.dom.minidom.parseString(report.encode())
    for fmt in ("checkstyle", "junit"):
        _, report = dockerfile_report([dockerfile], tmp_path, fmt)
        xml.dom.minidom.parseString(report.encode())
        assert "a\\x01b\\x1b[31m" in report, fmt


# --- SARIF URIs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["file:", "a b#frag?q", "%2e%2e", "http:", "C:", "?x=1"])
def test_sarif_uris_are_percent_encoded_relative_references(tmp_path: Path, folder: str) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(SAM, tree / folder)
    _, report = scan_report(tree, tmp_path, "-f", "sarif")
    log = json.loads(report)
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in log["runs"][0]["results"]
        for loc in result["locations"]
    ]
    assert uris
    for uri in uris:
        parts = urlsplit(uri)
        assert not parts.scheme and not parts.netloc and not parts.query and not parts.fragment, uri
        assert not uri.startswith("/") and " " not in uri, uri
        assert unquote(uri).startswith(folder + "/"), uri  # decodes to the real path, not `..`
    _, report = dockerfile_report([tree / folder / "fn/Dockerfile"], tmp_path, "sarif")
    [hadolint_uri] = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(report)["runs"][0]["results"]
    }
    assert (
        unquote(hadolint_uri) == str(tree / folder / "fn/Dockerfile")
        and "#" not in hadolint_uri
        and " " not in hadolint_uri
    )


# --- the masker ---------------------------------------------------------------------------------

# Inputs that made the former masker quadratic (13 s on 20 KB for the first); 200 KB each here.
ADVERSARIAL = {
    "image name of dotted runs": "image: " + "a." * 100_000 + "b",
    "dashed runs": "a-" * 100_000 + ":x",
    "blank lines": "\n" * 200_000 + "ENV",
    "repeated key word": "token" * 40_000,
    "key: value chains": "a:" * 100_000,
    "userinfo chains": "x:y@" * 50_000,
    "url chains": "://a:" * 40_000,
    "secret keys without values": "password: " * 20_000,
    "ENV lines": "ENV TOKEN " * 20_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_the_masker_is_linear(name: str) -> None:
    text = ADVERSARIAL[name]
    start = time.process_time()  # CPU time: what else the machine runs must not matter
    mask_secrets(text)
    assert time.process_time() - start < 3.0, f"{name}: the masker must stay linear"


def test_credentials_in_an_image_reference_never_reach_the_linking_evidence(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "eks-graviton-compose-amd64", tree)
    for path in tree.rglob("*.y*ml"):
        path.write_text(path.read_text().replace("image: ", "image: bob:hunter2hunter2@"))
    for fmt in SCAN_FORMATS:
        code, report = scan_report(tree, tmp_path, "-f", fmt)
        assert code == 1 and "hunter2hunter2" not in report, fmt


def test_parse_errors_quote_only_the_masked_offending_token(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    tree.mkdir()
    line = '  a = "x" "ghp_abcdefghijklmnopqrstuvwxyz0123456789 and the rest of a long line of file content"'
    (tree / "main.tf").write_text(f'resource "x" "y" {{\n{line}\n}}\n')
    (tree / "docker-bake.hcl").write_text(f'target "x" {{\n{line}\n}}\n')
    for fmt in SCAN_FORMATS:
        _, report = scan_report(tree, tmp_path, "-f", fmt, "--severity-threshold", "none")
        assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in report, fmt
        assert "rest of a long line" not in report, fmt
        if fmt != "junit":  # JUnit lists error-level input problems only
            assert "HCL syntax error" in report, fmt


def test_annotations_from_sarif_are_escaped_like_the_github_format(
    hostile_names: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sarif = tmp_path / "report.sarif"
    main(["scan", "-f", "sarif", "-o", str(sarif), str(hostile_names)])
    capsys.readouterr()
    assert main(["annotate", str(sarif)]) == 0
    report = capsys.readouterr().out
    assert report and all(
        line.startswith(("::error ", "::warning ", "::notice ")) for line in report.splitlines()
    )
    assert "%0A%3A%3Aerror file=x%3A%3AApproved" in report  # the folder name, decoded from the URI, escaped
