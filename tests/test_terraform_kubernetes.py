"""Kubernetes workloads declared with the Terraform kubernetes provider (extract/terraform/k8s_workloads.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from archmatch.config import Config
from archmatch.engine import analyze
from archmatch.model import RepoFacts, Workload
from archmatch.platforms import How


def _facts(root: Path, text: str) -> RepoFacts:
    (root / "main.tf").write_text(textwrap.dedent(text))
    facts, _ = analyze(root, Config())
    return facts


def _workload(facts: RepoFacts, name: str) -> Workload:
    return next(w for w in facts.workloads if w.name == name)


PODS = """\
variable "arch" {
  type    = string
  default = "arm64"
}

variable "selector" {
  type = map(string)
}

resource "aws_ecr_repository" "jobs" {
  name = "jobs"
}

resource "kubernetes_pod_v1" "debug" {
  metadata {
    name = "debug"
  }
  spec {
    node_selector = { "kubernetes.io/arch" = var.arch }
    container {
      name  = "debug"
      image = "busybox:1.36"
    }
  }
}

resource "kubernetes_cron_job_v1" "nightly" {
  metadata {
    name      = "nightly"
    namespace = "batch"
  }
  spec {
    schedule = "0 3 * * *"
    job_template {
      metadata {}
      spec {
        template {
          metadata {
            labels = { app = "nightly" }
          }
          spec {
            node_selector = { role = "batch", "kubernetes.io/os" = "linux" }
            toleration {
              key      = "dedicated"
              operator = "Equal"
              value    = "batch"
              effect   = "NoSchedule"
            }
            init_container {
              name  = "migrate"
              image = "${aws_ecr_repository.jobs.repository_url}:migrate"
            }
            container {
              name  = "run"
              image = "${aws_ecr_repository.jobs.repository_url}:run"
            }
          }
        }
      }
    }
  }
}

resource "kubernetes_daemonset" "agent" {
  metadata {
    name = "agent"
  }
  spec {
    selector {
      match_labels = { app = "agent" }
    }
    template {
      metadata {
        labels = { app = "agent" }
      }
      spec {
        affinity {
          node_affinity {
            required_during_scheduling_ignored_during_execution {
              node_selector_term {
                match_expressions {
                  key      = "kubernetes.io/arch"
                  operator = "NotIn"
                  values   = ["arm64"]
                }
              }
            }
          }
        }
        container {
          name  = "agent"
          image = "agent:1"
        }
      }
    }
  }
}

resource "kubernetes_job" "from_variable" {
  metadata {
    name = "from-variable"
  }
  spec {
    template {
      metadata {}
      spec {
        node_selector = var.selector
        container {
          name  = "run"
          image = "run:1"
        }
      }
    }
  }
}
"""


def test_every_pod_running_resource_is_a_kubernetes_workload(tmp_path: Path) -> None:
    facts = _facts(tmp_path, PODS)
    pod = _workload(facts, "kubernetes_pod_v1.debug")
    assert pod.service == "k8s" and pod.kind == "kubernetes_pod_v1"
    # the value is followed to the variable's default, the attribute that passes it on is related
    assert pod.arch.how is How.EXPLICIT and pod.arch.archs == {"arm64"}
    assert pod.arch_location is not None and pod.arch_location.line == 3
    assert pod.arch_via is not None and pod.arch_via.line == 19
    assert [i.ref for i in pod.images] == ["busybox:1.36"]

    cron = _workload(facts, "kubernetes_cron_job_v1.nightly")
    assert cron.pod is not None and cron.pod.namespace == "batch" and cron.pod.labels == {"app": "nightly"}
    assert cron.arch.how is How.UNKNOWN and cron.arch_location is None  # unconstrained: placement decides
    assert cron.pod.scheduling.node_selector == {"role": "batch", "kubernetes.io/os": "linux"}
    assert cron.pod.scheduling.tolerations == (("dedicated", "batch", "NoSchedule"),)
    assert [sorted(i.link_keys) for i in cron.images] == [["ecr:jobs"], ["ecr:jobs"]]

    agent = _workload(facts, "kubernetes_daemonset.agent")
    assert agent.arch.how is How.EXPLICIT and agent.arch.archs == {"amd64"}
    assert agent.arch_location is not None and agent.arch_location.line == 84

    # a node selector the files do not give may pin the architecture: never placed by proximity
    job = _workload(facts, "kubernetes_job.from_variable")
    assert job.arch.how is How.UNKNOWN and job.arch_location is not None and job.arch_location.line == 107
