"""Templated sources (cookiecutter/Jinja, Helm/Go templates) are skipped with one summary note
per scan root: never flattened into stages or documents, never a warning per file."""

from __future__ import annotations

from pathlib import Path

import pytest

from archmatch import templating
from archmatch.config import Config
from archmatch.engine import scan

SLUG = "{{cookiecutter.project_slug}}"
COOKIECUTTER_DOCKERFILE = """\
{%- if cookiecutter.arch == "arm64" %}
FROM --platform=linux/arm64 public.ecr.aws/lambda/python:3.12
{%- else %}
FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.12
{%- endif %}
{%- if cookiecutter.arch == "arm64" %}
RUN curl -fsSLo /usr/local/bin/kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/arm64/kubectl
{%- else %}
RUN curl -fsSLo /usr/local/bin/kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl
{%- endif %}
CMD ["app.handler"]
"""
SAM_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  {{ cookiecutter.function_name }}Function:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
{%- if cookiecutter.arch == "arm64" %}
      Architectures: [arm64]
{%- else %}
      Architectures: [x86_64]
{%- endif %}
    Metadata:
      Dockerfile: Dockerfile
      DockerContext: .
"""
HELM_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
spec:
  template:
    spec:
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
"""


def _tree(root: Path) -> None:
    (root / SLUG).mkdir(parents=True)
    (root / SLUG / "Dockerfile").write_text(COOKIECUTTER_DOCKERFILE)
    (root / SLUG / "template.yaml").write_text(SAM_TEMPLATE)
    (root / "chart" / "templates").mkdir(parents=True)
    (root / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (root / "chart" / "values.yaml").write_text("image:\n  repository: web\n  tag: latest\n")
    for name in ("deployment", "worker", "cron", "jobs", "canary"):
        (root / "chart" / "templates" / f"{name}.yaml").write_text(HELM_DEPLOYMENT)


def test_templated_tree_gives_no_finding_and_one_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = scan([Path(".")], Config())
    assert result.findings == []  # no ARCH104/ARCH105 from branches read as stages
    (note,) = result.diagnostics
    assert note.level == "note"
    assert note.message.startswith(
        "7 templated files skipped (Jinja/cookiecutter: {{cookiecutter.project_slug}}/Dockerfile"
    )
    assert "Helm/Go templates: chart/templates/canary.yaml, chart/templates/cron.yaml" in note.message


def test_two_scan_roots_give_one_note_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b"):
        _tree(tmp_path / name)
    monkeypatch.chdir(tmp_path)
    result = scan([Path("a"), Path("b")], Config())
    assert [(d.location.path, d.level) for d in result.diagnostics] == [("a/.", "note"), ("b/.", "note")]


def test_the_same_files_rendered_are_analysed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: once rendered (one branch kept), the Dockerfile is read and judged as usual."""
    rendered = "\n".join(
        line for i, line in enumerate(COOKIECUTTER_DOCKERFILE.splitlines()) if i in (3, 8, 10)
    )
    (tmp_path / "Dockerfile").write_text(rendered + "\n")
    monkeypatch.chdir(tmp_path)
    result = scan([Path(".")], Config())
    assert [f.rule_id for f in result.findings] == ["ARCH104"]
    assert result.diagnostics == []


@pytest.mark.parametrize(
    ("path", "text", "kind"),
    [
        ("Dockerfile", '{% if cookiecutter.arch == "arm64" %}\nFROM a\n{% endif %}\n', templating.JINJA),
        ("main.tf", 'resource "x" "{{ cookiecutter.name }}" {}\n', templating.JINJA),
        ("templates/deployment.yaml", 'image: "{{ .Values.image }}"\n', templating.HELM),
        (
            "templates/pod.yaml",
            '{{- if .Capabilities.APIVersions.Has "v1" }}\nkind: Pod\n{{- end }}\n',
            templating.HELM,
        ),
        ("chart/templates/_helpers.tpl", '{{- define "web.name" -}}web{{- end }}\n', templating.HELM),
    ],
)
def test_templates_are_recognised(path: str, text: str, kind: str) -> None:
    assert templating.kind_of(path, text) == kind


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (".github/workflows/ci.yml", "run: echo ${{ github.sha }}\nif: ${{ matrix.arch == 'arm64' }}\n"),
        ("template.yaml", "Value: '{{resolve:ssm:/app/image}}'\n"),
        ("statemachine.asl.json", '{"Output": "{% $states.input.image %}"}\n'),
        ("rules.yaml", "description: '{{ $labels.instance }} is down'\n"),
        ("deploy.sh", "docker ps --format '{{.Names}}'\nimage=${IMAGE}\n"),
        ("Makefile", "ids:\n\tdocker inspect --format '{{ if .State.Running }}up{{ end }}' web\n"),
        ("k8s/deployment.yaml", "image: ${REGISTRY}/web:${TAG}\n"),
    ],
)
def test_valid_files_with_placeholders_are_not_templates(path: str, text: str) -> None:
    assert templating.kind_of(path, text) is None


def test_yaml_that_fails_only_because_of_template_markers_is_counted_not_warned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: {{ registry }}/web:{{ tag }}\n    build: .\n"
    )
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "broken.yml").write_text("on: push\njobs: [unclosed\n")
    monkeypatch.chdir(tmp_path)
    result = scan([Path(".")], Config())
    levels = sorted((d.location.path, d.level) for d in result.diagnostics)
    assert levels == [(".", "note"), (".github/workflows/broken.yml", "warning")]
    assert "other templates: compose.yaml" in next(d.message for d in result.diagnostics if d.level == "note")


def test_archmatch_dockerfile_reports_a_template_as_hadolint_does(tmp_path: Path) -> None:
    """`archmatch dockerfile` names the file it was given: a template is a parse error (DL1000),
    as Hadolint reports it, not a silent pass and not findings on its branches."""
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text(COOKIECUTTER_DOCKERFILE)
    proc = subprocess.run(
        [sys.executable, "-m", "archmatch", "dockerfile", "--no-color", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "Dockerfile:1 DL1000 error: a Jinja/cookiecutter template: render it first, archmatch does not read its branches"
    ]
