"""Advice judged against the linked builds and workloads, and one root cause reported once, read
from the texts a user sees (messages, related locations, fixes, the Markdown graph)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.model import Finding
from archmatch.report.extra_formats import render_markdown

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _scan(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    monkeypatch.chdir(root)
    return scan([Path(".")], Config()).findings


def test_flagship_sam_example_one_error_with_a_fix_that_is_not_already_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (finding,) = _scan(EXAMPLES / "sam-lambda-arm64", monkeypatch)
    assert finding.rule_id == "ARCH301" and "in fn/Dockerfile:2" in finding.message
    related = {(str(r.location), r.message.split(":")[0]) for r in finding.related}
    assert ("fn/Dockerfile:2", "root cause") in related
    assert any(
        "instead of ARCH303" in r.message and str(r.location) == "template.yaml:24" for r in finding.related
    )
    assert any(
        "instead of ARCH104" in r.message and str(r.location) == "fn/Dockerfile:2" for r in finding.related
    )
    first, alternative = finding.fixes
    assert first.description.startswith("remove `--platform=linux/amd64` from fn/Dockerfile:2")
    assert [(e.location.path, e.location.line, e.text) for e in first.edits] == [("fn/Dockerfile", 2, "")]
    assert "Architectures" not in first.diff  # the template already says arm64
    assert alternative.description == "or run ThumbnailFunction on x86_64"
    markdown = render_markdown(scan([Path(".")], Config()))
    assert "image content amd64" in markdown and "runs arm64" in markdown


def test_messages_name_the_module_call_not_an_internal_source_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    (finding,) = _scan(EXAMPLES / "terraform-lambda-docker-build", monkeypatch)
    assert "the docker-build module call module.orders_image requests linux/amd64" in finding.message
    assert "terraform-lambda-docker-build" not in finding.message


def test_cdk_buildargs_and_a_load_bearing_pin_give_the_same_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "image").mkdir()
    (tmp_path / "cdk.json").write_text('{ "app": "npx ts-node --prefer-ts-exts bin/app.ts" }\n')
    (tmp_path / "bin" / "app.ts").write_text(
        textwrap.dedent(
            """\
            import { App, Stack } from 'aws-cdk-lib';
            import * as lambda from 'aws-cdk-lib/aws-lambda';

            const app = new App();
            const stack = new Stack(app, 'Fns');
            new lambda.DockerImageFunction(stack, 'Fn', {
              code: lambda.DockerImageCode.fromImageAsset('image', {
                buildArgs: { '--platform': 'linux/arm64' },
              }),
            });
            """
        )
    )
    (tmp_path / "image" / "Dockerfile").write_text(
        'FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.12\nCMD ["app.handler"]\n'
    )
    by_rule = {f.rule_id: f for f in _scan(tmp_path, monkeypatch)}
    buildargs = by_rule["ARCH401"]
    # the pin, not the deploy machine, decides today's image; the fix keeps the x86_64 function right
    assert "amd64 only because the Dockerfile pins it" in buildargs.message
    assert (
        "Platform.LINUX_AMD64" in buildargs.fixes[0].diff
        and "(Fn (x86_64) runs it)" in buildargs.fixes[0].description
    )
    # the asset requests no platform, so the pinned final stage makes the image amd64 on any build
    # host and the only linked function runs x86_64: the pin is right, ARCH104 says nothing
    assert "ARCH104" not in by_rule
