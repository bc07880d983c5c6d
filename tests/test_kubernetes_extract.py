"""Kubernetes manifests: pod-running kinds, arch from nodeSelector / required node affinity, images."""

from __future__ import annotations

import textwrap
from pathlib import Path

from archmatch.extract import kubernetes
from archmatch.model import PodFacts, RepoFacts, Workload
from archmatch.platforms import How
from archmatch.repo import RepoView, ScanOptions, discover


def run(root: Path, files: dict[str, str]) -> RepoFacts:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    facts = RepoFacts(root=root)
    repo = RepoView(root, discover(root, ScanOptions(), facts.diagnostics), ScanOptions(), facts.diagnostics)
    kubernetes.extract(repo, facts)
    return facts


def workload(facts: RepoFacts, name: str) -> Workload:
    return next(w for w in facts.workloads if w.name == name)


MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    metadata:
      labels: {app: api}
    spec:
      nodeSelector:
        kubernetes.io/arch: arm64
      initContainers:
        - name: migrate
          image: registry.example.com/shop/migrate:1.0
      containers:
        - name: api
          image: registry.example.com/shop/api:2.3.1
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  jobTemplate:
    spec:
      template:
        spec:
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                  - matchExpressions:
                      - key: kubernetes.io/arch
                        operator: NotIn
                        values: [arm64]
          containers:
            - name: report
              image: busybox:1.36
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: kube-system
spec:
  template:
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: beta.kubernetes.io/arch, operator: In, values: [amd64, arm64]}
      containers:
        - name: agent
          image: agent:3
---
apiVersion: v1
kind: Pod
metadata:
  name: loose
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: kubernetes.io/arch, operator: In, values: [arm64]}
          - matchExpressions:
              - {key: topology.kubernetes.io/zone, operator: In, values: [a]}
  containers:
    - name: c
      image: c:1
---
apiVersion: v1
kind: Service
metadata:
  name: api
"""


def test_workloads_arch_and_images(tmp_path: Path) -> None:
    facts = run(tmp_path, {"k8s/all.yaml": MANIFESTS})
    assert sorted(w.name for w in facts.workloads) == [
        "default/loose",
        "default/report",
        "kube-system/agent",
        "shop/api",
    ]

    api = workload(facts, "shop/api")
    assert (api.kind, api.service, api.arch_syntax, api.location.line) == ("k8s:Deployment", "k8s", "k8s", 1)
    assert (api.arch.archs, api.arch.how, str(api.arch_location)) == (
        {"arm64"},
        How.EXPLICIT,
        "k8s/all.yaml:12",
    )
    assert [(i.ref, i.location.line) for i in api.images] == [
        ("registry.example.com/shop/migrate:1.0", 15),
        ("registry.example.com/shop/api:2.3.1", 18),
    ]
    assert api.pod == PodFacts("shop", {"app": "api"})

    report = workload(facts, "default/report")  # NotIn arm64 leaves amd64 among AWS node arches
    assert (report.kind, report.location.line, report.arch.archs, report.arch_location.line) == (
        "k8s:CronJob",
        20,
        {"amd64"},
        36,
    )  # type: ignore[union-attr]

    agent = workload(facts, "kube-system/agent")  # deprecated beta label, both arches
    assert (agent.arch.archs, agent.arch.how) == ({"amd64", "arm64"}, How.EXPLICIT)

    loose = workload(facts, "default/loose")  # the second term allows any node
    assert (loose.arch.how, loose.arch.note, loose.arch_location) == (
        How.UNKNOWN,
        "no arch constraint: schedulable on any node",
        None,
    )


def test_helm_templates_and_malformed_yaml(tmp_path: Path) -> None:
    files = {
        "chart/templates/deploy.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}
        spec:
          template:
            spec:
              containers:
        {{- range .Values.containers }}
                - image: {{ .image }}
        {{- end }}
        """,
        "k8s/broken.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n spec: 1\n",
        "rendered/out.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  containers:\n    - image: a:1\n",
    }
    facts = run(tmp_path, files)
    assert [w.name for w in facts.workloads] == ["default/ok"]
    levels = sorted((d.location.path, d.location.line, d.level) for d in facts.diagnostics)
    # the Helm template is skipped unread (one summary note per scan root: tests/test_templating.py)
    assert levels == [("k8s/broken.yaml", 5, "warning")]


def test_list_objects_and_json_manifests(tmp_path: Path) -> None:
    listing = """
    apiVersion: v1
    kind: List
    items:
      - apiVersion: batch/v1
        kind: Job
        metadata: {name: once, namespace: ops}
        spec:
          template:
            spec:
              nodeSelector: {kubernetes.io/arch: amd64, kubernetes.io/os: linux}
              containers: [{name: j, image: "job:1"}]
    """
    pod = '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "p"},\n  "spec": {"containers": [{"image": "p:2"}]}\n}\n'
    facts = run(tmp_path, {"list.yml": listing, "pod.json": pod})
    job = workload(facts, "ops/once")
    assert (job.kind, job.location.line, job.arch.archs, job.arch_location.line, job.os_family) == (
        "k8s:Job",
        4,
        {"amd64"},
        10,
        "linux",
    )  # type: ignore[union-attr]
    json_pod = workload(facts, "default/p")
    assert (json_pod.location.line, json_pod.images[0].ref, json_pod.images[0].location.line) == (1, "p:2", 5)
