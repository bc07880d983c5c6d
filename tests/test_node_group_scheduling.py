"""EKS managed node groups' labels and taints (Terraform, the EKS module, CloudFormation, CDK,
eksctl) and how a pod's nodeSelector and tolerations narrow the node groups it may land on."""

from __future__ import annotations

import textwrap
from pathlib import Path

from archmatch.config import Config
from archmatch.engine import analyze
from archmatch.link.placement import accepts
from archmatch.model import Capacity, Location, NodeGroupFacts, PodScheduling, RepoFacts
from archmatch.platforms import ArchFact


def _facts(root: Path, files: dict[str, str]) -> RepoFacts:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    facts, _ = analyze(root, Config())
    return facts


def _nodes(facts: RepoFacts, name: str) -> NodeGroupFacts:
    capacity = next(c for c in facts.capacities if c.name == name)
    assert capacity.node_group is not None
    return capacity.node_group


def _group(nodes: NodeGroupFacts) -> Capacity:
    return Capacity(
        "aws_eks_node_group", "g", Location("nodes.tf", 1), ami_arch=ArchFact.unknown(), node_group=nodes
    )


TF_GROUPS = """\
variable "labels" {
  type = map(string)
}

resource "aws_eks_node_group" "plain" {
  cluster_name   = "main"
  instance_types = ["m7g.large"]
  labels         = { role = "graviton" }
  taint {
    key    = "dedicated"
    value  = "arm"
    effect = "NO_EXECUTE"
  }
  taint {
    key    = "spot"
    effect = "PREFER_NO_SCHEDULE"
  }
}

resource "aws_eks_node_group" "templated" {
  cluster_name = "main"
  labels       = { role = "graviton" }
  launch_template {
    id      = "lt-1"
    version = "1"
  }
}

resource "aws_eks_node_group" "from_variable" {
  cluster_name = "main"
  labels       = var.labels
}
"""


def test_terraform_node_group_labels_and_taints(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {"nodes.tf": TF_GROUPS})
    plain = _nodes(facts, "aws_eks_node_group.plain")
    assert plain.labels == {"role": "graviton"} and plain.labels_complete
    assert plain.taints == (("dedicated", "arm", "NoExecute"), ("spot", None, "PreferNoSchedule"))
    # a launch template may add labels through its user data: the written ones are not all
    templated = _nodes(facts, "aws_eks_node_group.templated")
    assert templated.labels == {"role": "graviton"} and not templated.labels_complete
    assert templated.taints == ()
    unknown = _nodes(facts, "aws_eks_node_group.from_variable")
    assert unknown.labels is None and not unknown.labels_complete


TF_DYNAMIC_GROUP = """\
variable "template_id" {
  type = string
}

variable "taints" {
  type = list(any)
}

resource "aws_eks_node_group" "dynamic" {
  cluster_name   = "main"
  instance_types = ["m7i.large"]
  dynamic "launch_template" {
    for_each = var.template_id == null ? [] : [var.template_id]
    content {
      id      = launch_template.value
      version = "$Latest"
    }
  }
  dynamic "taint" {
    for_each = var.taints
    content {
      key    = taint.value.key
      effect = taint.value.effect
    }
  }
}
"""


def test_terraform_dynamic_blocks_over_unknown_collections_leave_labels_and_taints_open(
    tmp_path: Path,
) -> None:
    """A `dynamic "launch_template"` or `dynamic "taint"` whose collection is not known may give
    blocks: the group's labels are not all known, its taints not known."""
    nodes = _nodes(_facts(tmp_path, {"nodes.tf": TF_DYNAMIC_GROUP}), "aws_eks_node_group.dynamic")
    assert nodes.labels == {} and not nodes.labels_complete
    assert nodes.taints is None


def test_eks_module_groups_labels_taints_and_bootstrap_arguments(tmp_path: Path) -> None:
    facts = _facts(
        tmp_path,
        {
            "eks.tf": """\
            module "eks" {
              source       = "terraform-aws-modules/eks/aws"
              cluster_name = "main"
              eks_managed_node_groups = {
                arm = {
                  instance_types = ["m7g.large"]
                  labels         = { role = "graviton" }
                  taints         = [{ key = "arch", value = "arm64", effect = "NO_SCHEDULE" }]
                }
                custom = {
                  instance_types       = ["m7i.large"]
                  labels               = { role = "general" }
                  bootstrap_extra_args = "--kubelet-extra-args '--node-labels=team=x'"
                }
              }
            }
            """
        },
    )
    arm = _nodes(facts, "module.eks.eks_managed_node_groups.arm")
    assert arm.labels == {"role": "graviton"} and arm.labels_complete
    assert arm.taints == (("arch", "arm64", "NoSchedule"),)
    custom = _nodes(facts, "module.eks.eks_managed_node_groups.custom")
    assert custom.labels == {"role": "general"} and not custom.labels_complete


def test_cloudformation_nodegroup_labels_and_taints(tmp_path: Path) -> None:
    facts = _facts(
        tmp_path,
        {
            "cluster.yaml": """\
            AWSTemplateFormatVersion: "2010-09-09"
            Parameters:
              Role:
                Type: String
            Resources:
              Arm:
                Type: AWS::EKS::Nodegroup
                Properties:
                  ClusterName: main
                  InstanceTypes: [m7g.large]
                  Labels: {role: graviton}
                  Taints:
                    - {Key: arch, Value: arm64, Effect: NO_SCHEDULE}
              FromParameter:
                Type: AWS::EKS::Nodegroup
                Properties:
                  ClusterName: main
                  Labels: {role: !Ref Role}
                  Taints:
                    - {Key: arch, Effect: !Ref Role}
            """
        },
    )
    arm = _nodes(facts, "Arm")
    assert arm.labels == {"role": "graviton"} and arm.labels_complete
    assert arm.taints == (("arch", "arm64", "NoSchedule"),)
    unknown = _nodes(facts, "FromParameter")
    assert unknown.labels is None and unknown.taints is None


def test_cdk_nodegroup_labels_and_taints(tmp_path: Path) -> None:
    facts = _facts(
        tmp_path,
        {
            "cdk.json": '{"app": "npx ts-node bin/app.ts"}',
            "bin/app.ts": """\
            import { App, Stack } from 'aws-cdk-lib';
            import * as ec2 from 'aws-cdk-lib/aws-ec2';
            import * as eks from 'aws-cdk-lib/aws-eks';

            const stack = new Stack(new App(), 'S');
            const cluster = new eks.Cluster(stack, 'Eks', { version: eks.KubernetesVersion.V1_30, defaultCapacity: 0 });
            cluster.addNodegroupCapacity('Arm', {
              instanceTypes: [new ec2.InstanceType('m7g.large')],
              labels: { role: 'graviton' },
              taints: [{ key: 'arch', value: 'arm64', effect: eks.TaintEffect.NO_SCHEDULE }],
            });
            """,
        },
    )
    arm = _nodes(facts, "Eks/Arm")
    assert arm.labels == {"role": "graviton"} and arm.labels_complete
    assert arm.taints == (("arch", "arm64", "NoSchedule"),)


def test_a_missing_custom_label_rules_a_group_out_only_when_its_labels_are_all_known() -> None:
    wants = PodScheduling(node_selector={"role": "graviton"})
    assert not accepts(wants, _group(NodeGroupFacts(labels={}, labels_complete=True)))
    assert not accepts(wants, _group(NodeGroupFacts(labels={"role": "general"})))
    assert accepts(wants, _group(NodeGroupFacts(labels={})))  # a launch template may add it
    assert accepts(wants, _group(NodeGroupFacts(labels=None, labels_complete=True)))
    # prefixed labels (what Kubernetes, AWS and node agents add) are never missing from a group's list
    complete = _group(NodeGroupFacts(labels={}, labels_complete=True))
    for key in (
        "eks.amazonaws.com/nodegroup",
        "node.kubernetes.io/instance-type",
        "topology.kubernetes.io/zone",
        "nvidia.com/gpu.present",  # GPU feature discovery
        "topology.ebs.csi.aws.com/zone",  # the EBS CSI driver
    ):
        assert accepts(PodScheduling(node_selector={key: "x"}), complete)
    assert not accepts(PodScheduling(node_selector={"team": "x"}), complete)
    affinity = PodScheduling(affinity_terms=((("role", frozenset({"graviton"})),),))
    assert not accepts(affinity, _group(NodeGroupFacts(labels={}, labels_complete=True)))


def test_a_blocking_taint_rules_a_group_out_unless_tolerated() -> None:
    tainted = _group(NodeGroupFacts(taints=(("arch", "arm64", "NoSchedule"),)))
    assert not accepts(PodScheduling(), tainted)
    assert accepts(PodScheduling(tolerations=(("arch", "arm64", "NoSchedule"),)), tainted)
    assert accepts(PodScheduling(tolerations=(("arch", None, None),)), tainted)  # operator: Exists
    assert accepts(PodScheduling(tolerates_all=True), tainted)
    assert accepts(PodScheduling(), _group(NodeGroupFacts(taints=(("arch", "arm64", "PreferNoSchedule"),))))
