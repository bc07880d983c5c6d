"""The EKS cluster of each node group (every format), the cluster a deploy script applies manifests
to, and pods left unplaced when their project's capacity spans clusters that disagree."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from archmatch.config import Config
from archmatch.dockercli import Word, split_commands
from archmatch.engine import analyze, scan
from archmatch.extract.builds._kubeapply import kube_apply, kube_target
from archmatch.model import Capacity, RepoFacts
from archmatch.report.inventory import render_json

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _facts(root: Path, files: dict[str, str]) -> RepoFacts:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    facts, _ = analyze(root, Config())
    return facts


def _cluster(facts: RepoFacts, name: str) -> tuple[str, bool, str] | None:
    capacity: Capacity = next(c for c in facts.capacities if c.name == name)
    ref = capacity.cluster
    return (ref.name, ref.known, ref.basis) if ref is not None else None


TERRAFORM = """\
resource "aws_eks_cluster" "main" {
  name     = "prod"
  role_arn = "arn:aws:iam::111122223333:role/eks"
  vpc_config {
    subnet_ids = ["subnet-1"]
  }
}

variable "other" {
  type = string
}

resource "aws_eks_node_group" "graviton" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "graviton"
  node_role_arn   = "arn:aws:iam::111122223333:role/nodes"
  subnet_ids      = ["subnet-1"]
  instance_types  = ["m7g.large"]
}

resource "aws_eks_node_group" "other" {
  cluster_name    = var.other
  node_group_name = "other"
  node_role_arn   = "arn:aws:iam::111122223333:role/nodes"
  subnet_ids      = ["subnet-1"]
  instance_types  = ["m7i.large"]
}

module "eks" {
  source       = "terraform-aws-modules/eks/aws"
  version      = "~> 20.0"
  cluster_name = "modular"
  eks_managed_node_groups = {
    arm = {
      instance_types = ["m7g.large"]
    }
  }
}
"""


def test_terraform_node_groups_name_their_cluster(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {"main.tf": TERRAFORM})
    assert _cluster(facts, "aws_eks_node_group.graviton") == (
        "prod",
        True,
        "aws_eks_node_group.graviton.cluster_name",
    )
    name, known, basis = _cluster(facts, "aws_eks_node_group.other") or ("", True, "")
    assert (name, known) == (".:${var.other}", False) and "value not known" in basis
    assert _cluster(facts, "module.eks.eks_managed_node_groups.arm") == (
        "modular",
        True,
        "module.eks.cluster_name",
    )


CLOUDFORMATION = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ClusterName:
    Type: String
    Default: openclaw-prod
Resources:
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      Name: named-here
      RoleArn: arn:aws:iam::111122223333:role/eks
      ResourcesVpcConfig:
        SubnetIds: [subnet-1]
  ByParameter:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: !Ref ClusterName
      NodeRole: arn:aws:iam::111122223333:role/nodes
      Subnets: [subnet-1]
      InstanceTypes: [m6g.large]
  ByResource:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: !Ref Cluster
      NodeRole: arn:aws:iam::111122223333:role/nodes
      Subnets: [subnet-1]
      InstanceTypes: [m6g.large]
"""


def test_cloudformation_node_groups_name_their_cluster(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {"template.yaml": CLOUDFORMATION})
    assert _cluster(facts, "ByParameter") == ("openclaw-prod", True, "ByParameter.ClusterName")
    assert _cluster(facts, "ByResource") == ("named-here", True, "ByResource.ClusterName")


def test_cdk_node_groups_join_the_cluster_construct(tmp_path: Path) -> None:
    app = """
    import { App, Stack } from 'aws-cdk-lib';
    import * as ec2 from 'aws-cdk-lib/aws-ec2';
    import * as eks from 'aws-cdk-lib/aws-eks';
    const stack = new Stack(new App(), 'S');
    const named = new eks.Cluster(stack, 'Named', { clusterName: 'shop', defaultCapacity: 0 });
    named.addNodegroupCapacity('arm', { instanceTypes: [new ec2.InstanceType('m7g.large')] });
    const other = new eks.Cluster(stack, 'Other', { defaultCapacity: 0 });
    new eks.Nodegroup(stack, 'Intel', { cluster: other, instanceTypes: [new ec2.InstanceType('m6i.large')] });
    """
    files = {"cdk.json": json.dumps({"app": "npx ts-node bin/app.ts"}), "bin/app.ts": app}
    facts = _facts(tmp_path, files)
    assert _cluster(facts, "Named/arm") == ("shop", True, "addNodegroupCapacity on the cluster: clusterName")
    name, known, _ = _cluster(facts, "Intel") or ("", True, "")
    assert not known and name.startswith("bin/app.ts:") and name.endswith("new eks.Cluster Other")


def test_aws_cli_create_nodegroup_names_its_cluster(tmp_path: Path) -> None:
    script = """\
    #!/usr/bin/env bash
    aws eks create-nodegroup --cluster-name shop --nodegroup-name arm --instance-types m7g.large
    """
    facts = _facts(tmp_path, {"nodes.sh": script})
    (capacity,) = facts.capacities
    assert capacity.cluster is not None and capacity.cluster.name == "shop"


def test_karpenter_node_pool_takes_the_cluster_its_node_class_discovers(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "ARCH302" / "fail_karpenter_pool_of_other_cluster_deploy_script", root)
    facts, _ = analyze(root, Config())
    assert _cluster(facts, "intel") == ("lab", True, "EC2NodeClass lab-nodes: discovery tag lab")
    assert _cluster(facts, "shop/graviton") == ("shop", True, "eksctl ClusterConfig metadata.name")
    (pod,) = facts.workloads
    assert pod.pod is not None and pod.pod.cluster is not None and pod.pod.cluster.name == "shop"


def test_eksctl_labels_and_taints_are_recorded(tmp_path: Path) -> None:
    facts, _ = analyze(FIXTURES / "ARCH306" / "pass_tainted_amd64_node_group", Config())
    batch = next(c for c in facts.capacities if c.name == "shop/batch")
    assert batch.node_group is not None
    assert batch.node_group.labels == {"role": "batch"}
    assert batch.node_group.taints == (("dedicated", "batch", "NoSchedule"),)


def _words(text: str) -> list[Word]:
    (words,) = split_commands(text)
    return words


def test_commands_that_point_kubectl_at_a_cluster() -> None:
    update = kube_target(_words("aws eks update-kubeconfig --region us-east-1 --name shop"), 3)
    assert update is not None and update.name == "shop"
    eksctl = kube_target(_words("eksctl utils write-kubeconfig --cluster=lab"), 1)
    assert eksctl is not None and eksctl.name == "lab"
    created = kube_target(_words("eksctl create cluster -f configs/cluster.yaml"), 1)
    assert created is not None and (created.name, created.config_file) == (None, "configs/cluster.yaml")
    arn = kube_target(_words("kubectl config use-context arn:aws:eks:us-east-1:111122223333:cluster/shop"), 1)
    assert arn is not None and arn.name == "shop"
    unresolved = kube_target(_words("aws eks update-kubeconfig --name $CLUSTER"), 1)
    assert unresolved is not None and unresolved.name is None  # forgets the earlier cluster
    assert kube_target(_words("kubectl get pods"), 1) is None


def test_kubectl_apply_reads_files_not_stdin() -> None:
    applied = kube_apply(
        _words("kubectl apply -f k8s/ -f extra.yaml --context user@shop.us-east-1.eksctl.io"), 1
    )
    assert applied is not None and applied.paths == ("k8s/", "extra.yaml")
    assert applied.context is not None and applied.context.name == "shop"
    assert kube_apply(_words("kubectl apply -f -"), 1) is None
    assert kube_apply(_words("kubectl delete -f k8s/"), 1) is None


def test_an_unresolved_cluster_name_leaves_the_pod_unplaced(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "ARCH302" / "fail_eksctl_deploy_script_names_graviton_cluster", root)
    deploy = root / "deploy.sh"
    deploy.write_text(deploy.read_text().replace("CLUSTER=shop\n", 'CLUSTER="$1"\n'))
    result = scan([root], Config())
    assert result.findings == []
    (pod,) = result.facts[0].workloads
    assert pod.pod is not None and pod.pod.cluster is None and not pod.arch.archs


def test_workflow_steps_share_the_kubeconfig_of_their_job(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "ARCH302" / "fail_eksctl_deploy_script_names_graviton_cluster", root)
    (root / "deploy.sh").unlink()
    workflow = """\
    on: push
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - run: aws eks update-kubeconfig --name shop
          - run: kubectl apply -f k8s/deployment.yaml
    """
    _facts(root, {".github/workflows/deploy.yml": workflow})
    facts, _ = analyze(root, Config())
    (deploy,) = facts.extra.manifest_deploys
    assert (deploy.cluster, deploy.paths) == ("shop", ("k8s/deployment.yaml",))
    assert "update-kubeconfig --name shop" in deploy.how


def test_list_workloads_json_shows_each_capacity_cluster(tmp_path: Path) -> None:
    result = scan([FIXTURES / "ARCH306" / "pass_two_clusters_nothing_places_the_pod"], Config())
    capacities = json.loads(render_json(result))["capacities"]
    assert [(c["name"], c["cluster"]["name"], c["cluster"]["decided"]) for c in capacities] == [
        ("shop/graviton", "shop", "eksctl ClusterConfig metadata.name"),
        ("lab/intel", "lab", "eksctl ClusterConfig metadata.name"),
    ]


def test_a_cluster_name_filled_in_later_is_not_a_name(tmp_path: Path) -> None:
    eksctl = """\
    apiVersion: eksctl.io/v1alpha5
    kind: ClusterConfig
    metadata:
      name: $EKS_CLUSTER_NAME
    managedNodeGroups:
      - name: default
        instanceType: m5.large
    """
    pool = """\
    apiVersion: karpenter.sh/v1
    kind: NodePool
    metadata:
      name: default
    spec:
      template:
        spec:
          nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
    ---
    apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata:
      name: default
    spec:
      subnetSelectorTerms:
        - tags:
            karpenter.sh/discovery: ${CLUSTER_NAME}
    """
    facts = _facts(tmp_path, {"cluster.yaml": eksctl, "karpenter.yaml": pool})
    assert _cluster(facts, "$EKS_CLUSTER_NAME/default") is None
    assert _cluster(facts, "default") is None


def _placeholder_repo(root: Path, pod_role: str, graviton_role: str) -> list[str]:
    """The ARCH305 fixture whose pod picks the amd64 group by label, with one label value written
    as a placeholder that deploy tooling fills in; the rule ids scan reports."""
    shutil.copytree(FIXTURES / "ARCH305" / "fail_node_selector_label_picks_amd64_group", root)
    deployment, cluster = root / "k8s" / "deployment.yaml", root / "cluster.yaml"
    deployment.write_text(deployment.read_text().replace("role: batch", f"role: {pod_role}"))
    cluster.write_text(cluster.read_text().replace("role: web", f"role: {graviton_role}"))
    return [f.rule_id for f in scan([root], Config()).findings]


def test_label_values_written_as_placeholders_rule_no_node_group_out(tmp_path: Path) -> None:
    # `${ROLE}` / `$ROLE` may become `web`, the arm64 group's label: the pod may land on either
    # group (ARCH306, a warning), not certainly on the amd64 one (ARCH305, an error)
    assert _placeholder_repo(tmp_path / "pod", '"${ROLE}"', "web") == ["ARCH306"]
    assert _placeholder_repo(tmp_path / "pod-bare", "$ROLE", "web") == ["ARCH306"]
    assert _placeholder_repo(tmp_path / "node", "batch", "$ROLE") == ["ARCH306"]
    assert _placeholder_repo(tmp_path / "literal", "batch", "web") == ["ARCH305"]


def _deploy_repo(root: Path, deploy_lines: str) -> list[str]:
    """The fixture whose deploy script points kubectl at the Graviton-only cluster `shop`, with its
    build pinned to amd64 and its apply written as `deploy_lines`; the rule ids scan reports."""
    shutil.copytree(FIXTURES / "ARCH302" / "fail_eksctl_deploy_script_names_graviton_cluster", root)
    build = root / "build.sh"
    build.write_text(build.read_text().replace("docker build", "docker build --platform linux/amd64"))
    deploy = root / "deploy.sh"
    deploy.write_text(deploy.read_text().replace("kubectl apply -f k8s/\n", deploy_lines))
    return sorted({f.rule_id for f in scan([root], Config()).findings})


def test_kubectl_sent_to_another_kubeconfig_does_not_place_the_pod(tmp_path: Path) -> None:
    # the amd64 image on the arm64-only cluster the script names is an error (the control) ...
    assert "ARCH305" in _deploy_repo(tmp_path / "control", "kubectl apply -f k8s/\n")
    assert "ARCH305" in _deploy_repo(tmp_path / "namespace", "kubectl -n shop apply -f k8s/\n")
    # ... but these applies go to a cluster the script does not name: no error may rest on `shop`
    elsewhere = {
        "flag": "kubectl apply --kubeconfig lab.kubeconfig -f k8s/\n",
        "prefix": "KUBECONFIG=lab.kubeconfig kubectl apply -f k8s/\n",
        "export": "export KUBECONFIG=lab.kubeconfig\nkubectl apply -f k8s/\n",
        "server": "kubectl apply --server=https://lab.example:6443 -f k8s/\n",
    }
    for name, lines in elsewhere.items():
        assert "ARCH305" not in _deploy_repo(tmp_path / name, lines), name


def test_kubeconfig_written_to_another_file_names_no_cluster() -> None:
    update = kube_target(_words("aws eks update-kubeconfig --name shop --kubeconfig /tmp/kc"), 1)
    assert update is not None and update.name is None
    eksctl = kube_target(_words("eksctl utils write-kubeconfig --cluster shop --kubeconfig /tmp/kc"), 1)
    assert eksctl is not None and eksctl.name is None
