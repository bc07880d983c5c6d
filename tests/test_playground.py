"""The playground's Python bridge (playground/src/archmatch_playground.py), run under CPython.

The browser test (tests/test_playground_browser.py) runs the same module in Pyodide; these tests
keep it in step with the engine's API without a browser: same findings as the CLI, a fix that
applies and leaves a clean rescan, and the fix-command rewrite.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent
FLAGSHIP = REPO / "examples" / "sam-lambda-arm64"


def _bridge() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "archmatch_playground", REPO / "playground" / "src" / "archmatch_playground.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("archmatch_playground", module)
    spec.loader.exec_module(module)
    return module


bridge = _bridge()


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_flagship_findings_are_the_cli_findings(tmp_path: Path) -> None:
    out = bridge.scan_tree(_files(FLAGSHIP), tmp_path / "tree")
    assert [f["rule"] for f in out["findings"]] == ["ARCH301"]
    finding = out["findings"][0]
    assert finding["location"] == {"path": "template.yaml", "line": 16, "column": 0}
    assert finding["message"].startswith(
        "ThumbnailFunction runs arm64 (declared) but its image from sam build"
    )
    assert [r["location"]["path"] for r in finding["related"]] == ["fn/Dockerfile", "template.yaml"]
    assert out["exit_code"] == 1
    assert json.loads(out["sarif"])["runs"][0]["results"][0]["ruleId"] == "ARCH301"
    assert "```mermaid" in out["markdown"]
    assert out["workloads"][0]["name"] == "ThumbnailFunction"


def test_applying_the_first_fix_leaves_a_clean_scan(tmp_path: Path) -> None:
    files = _files(FLAGSHIP)
    out = bridge.scan_tree(files, tmp_path / "tree")
    fix = out["findings"][0]["fixes"][0]
    assert fix["diff"].startswith("- FROM --platform=linux/amd64")
    edited = bridge.apply_changes(files, fix["changes"])
    assert edited["fn/Dockerfile"].splitlines()[1] == "FROM public.ecr.aws/lambda/python:3.12"
    assert {k for k in files if files[k] != edited[k]} == {"fn/Dockerfile"}
    rescan = bridge.scan_tree(edited, tmp_path / "tree")
    assert rescan["findings"] == [] and rescan["exit_code"] == 0


def test_apply_replaces_whole_lines_and_keeps_line_ends() -> None:
    files = {"a.txt": "one\r\ntwo\r\nthree"}
    whole = [{"artifactLocation": {"uri": "a.txt"}, "replacements": [
        {"deletedRegion": {"startLine": 2}, "insertedContent": {"text": "TWO\r"}},
        {"deletedRegion": {"startLine": 3, "startColumn": 1, "endColumn": 1}, "insertedContent": {"text": "new\n"}},
    ]}]  # fmt: skip
    assert bridge.apply_changes(files, whole)["a.txt"] == "one\r\nTWO\r\nnew\nthree"


def test_apply_refuses_paths_outside_the_tree() -> None:
    change = [{"artifactLocation": {"uri": "../etc/passwd"}, "replacements": []}]
    with pytest.raises(ValueError):
        bridge.apply_changes({"a": ""}, change)
    assert "error" in json.loads(bridge.apply_json("{}", json.dumps(change)))


def test_tree_paths_stay_inside_the_root(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        bridge.write_tree(tmp_path / "t", {"../escape": "x"})
    bridge.write_tree(tmp_path / "t", {"/abs/Dockerfile": "FROM scratch\n"})
    assert (tmp_path / "t" / "abs" / "Dockerfile").read_text() == "FROM scratch\n"


def test_fix_command_rewrites_and_masks_build_args() -> None:
    out = bridge.fix_command(
        "docker buildx build --platform linux/amd64,linux/arm64 --build-arg TOKEN=s3cr3t -t fn .",
        "lambda:arm64",
    )
    assert out["exit_code"] == 0
    assert "--platform linux/arm64" in out["stdout"] and "--provenance=false" in out["stdout"]
    assert "s3cr3t" not in out["stdout"] and "TOKEN=***" in out["stdout"]
    refused = bridge.fix_command("docker run --platform linux/amd64 img", "lambda:arm64")
    assert refused["exit_code"] == 2 and "not a docker build" in refused["stderr"]


def test_a_bad_configuration_is_reported_not_raised(tmp_path: Path) -> None:
    files = {**_files(FLAGSHIP), ".archmatch.yaml": "ignore: [ARCH301]\n"}
    out = bridge.scan_tree(files, tmp_path / "tree")
    assert out["exit_code"] == 2 and "did you mean `ignored`" in out["error"]


def test_cdk_apps_are_named_not_failed_where_tree_sitter_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = REPO / "tests" / "fixtures" / "rules" / "ARCH401" / "fail_ts_buildargs_contradict_architecture"
    files = {f"infra/{k}": v for k, v in _files(app).items()}
    assert bridge.scan_tree(files, tmp_path / "tree")["unread"] == []  # CPython here has tree-sitter
    monkeypatch.setattr(bridge, "can_parse_cdk_source", lambda: False)
    out = bridge.scan_tree(files, tmp_path / "tree")
    assert [u.split(":")[0] for u in out["unread"]] == ["infra/cdk.json"]
    assert not any(d["code"] == "internal" for d in out["diagnostics"]) and out["exit_code"] != 2


def test_secrets_in_the_tree_never_reach_what_the_page_shows(tmp_path: Path) -> None:
    from test_security import SECRET_TREE, SECRET_VALUES

    files = {rel: textwrap.dedent(text) for rel, text in SECRET_TREE.items()}
    out = bridge.scan_tree(files, tmp_path / "tree")
    assert out["findings"], "the tree has findings whose text could carry secrets"
    shown = [json.dumps(out), out["json"], out["sarif"], out["markdown"], out["text"]]
    assert [s for s in SECRET_VALUES if any(s in text for text in shown)] == []
    assert "**********" in out["text"] + json.dumps(out["workloads"])
