"""The Helm template renderer (`archmatch/extract/helm_template.py`): what it renders, what it
refuses to guess, and that hostile templates stay cheap."""

from __future__ import annotations

import time

from archmatch.extract.helm_template import MAX_OUTPUT, Opaque, render

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  template:
    spec:
      {{- /* a comment */}}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- range $k, $v := .Values.env }}
      {{ $k }}: {{ $v | quote }}
      {{- end }}
"""


def _root(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "autoscaling": {"enabled": False},
        "replicaCount": 2,
        "image": {"repository": Opaque("${aws_ecr_repository.app.repository_url}"), "tag": ""},
        "nodeSelector": {"kubernetes.io/arch": "arm64"},
        "env": {"b": 1, "a": "x"},
    }
    base.update(values)
    return {"Values": base, "Chart": {"Name": "app", "AppVersion": "1.0"}, "Release": {"Name": "r"}}


def test_renders_the_scaffold_with_values_and_keeps_where_each_line_was_written() -> None:
    rendered = render(DEPLOYMENT, _root())
    assert rendered is not None
    lines = rendered.text.split("\n")
    assert '          image: "${aws_ecr_repository.app.repository_url}:1.0"' in lines
    arch_line = lines.index("        kubernetes.io/arch: arm64") + 1
    assert rendered.template_line(arch_line) == 19  # the `toYaml` action's line
    assert "arm64" in rendered.values_on(arch_line)
    image_line = next(i for i, line in enumerate(lines, 1) if "image:" in line)
    assert rendered.template_line(image_line) == 16
    assert any(isinstance(v, Opaque) for v in rendered.values_on(image_line))
    assert "  replicas: 2" in lines and '      a: "x"' in lines and '      b: "1"' in lines
    assert "    ${helm:include app.labels}:" in lines  # named templates are not known: an opaque key


def test_a_branch_on_an_unknown_value_is_not_guessed() -> None:
    assert render(DEPLOYMENT, _root(autoscaling={"enabled": Opaque("${var.hpa}")})) is None
    assert render("{{ if .Values.x }}a{{ else }}b{{ end }}", {"Values": {"x": Opaque("$x")}}) is None
    assert (
        render("{{ if .Values.x }}a{{ else if .Values.y }}b{{ else }}c{{ end }}", {"Values": {"y": 1}})
        is not None
    )


def test_has_key_of_an_unknown_map_is_not_guessed() -> None:
    template = '{{ if hasKey .Values.extra "arch" }}a{{ else }}b{{ end }}'
    assert render(template, {"Values": {"extra": Opaque("${var.extra}")}}) is None
    known = render(template, {"Values": {"extra": {"arch": "arm64"}}})
    assert known is not None and known.text == "a"
    missing = render(template, {"Values": {"extra": {}}})
    assert missing is not None and missing.text == "b"


def test_else_if_chains_and_missing_values() -> None:
    template = "{{ if .Values.x }}a{{ else if .Values.y }}b{{ else }}c{{ end }}|{{ .Values.none.deeper }}|"
    rendered = render(template, {"Values": {"y": True}})
    assert rendered is not None and rendered.text == "b||"


def test_outside_the_subset_or_broken_is_none() -> None:
    for template in ('{{ template "x" . }}', "{{ if .Values.x }}", "{{ end }}", "{{ .Values.x", '{{ "a }}'):
        assert render(template, {"Values": {}}) is None, template


def test_hostile_templates_stay_bounded() -> None:
    start = time.perf_counter()
    many = "{{ range $.Values.items }}" * 40 + "x" + "{{ end }}" * 40
    assert render(many, {"Values": {"items": list(range(1000))}}) is None  # over the step limit
    assert render("{{ .Values.x }}" * 200_000, {"Values": {"x": "y" * 10}}) is None  # over MAX_ACTIONS
    assert render("{{ (" * 10_000 + "1" + ") }}" * 10_000, {"Values": {}}) is None  # nesting
    assert render("{{" * 50_000, {"Values": {}}) is None
    assert render("{{ .Values.x }}" * 1000, {"Values": {"x": "y" * 2000}}) is None  # over MAX_OUTPUT
    assert len("y" * 2000) * 1000 > MAX_OUTPUT
    assert time.perf_counter() - start < 5
