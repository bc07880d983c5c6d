"""eksctl ClusterConfig node groups and Karpenter NodePools as capacity, and pods placed by them."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from archmatch.config import Config
from archmatch.engine import analyze, scan
from archmatch.model import Capacity, RepoFacts
from archmatch.platforms import How

FIXTURES = Path(__file__).parent / "fixtures" / "rules" / "ARCH302"


def _facts(tmp_path: Path, files: dict[str, str]) -> RepoFacts:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    facts, _ = analyze(tmp_path, Config())
    return facts


def _capacity(facts: RepoFacts, name: str) -> Capacity:
    return next(c for c in facts.capacities if c.name == name)


EKSCTL = """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: c
managedNodeGroups:
  - name: single
    instanceType: c7g.large
  - name: none
    amiFamily: Bottlerocket
nodeGroups:
  - name: mixed
    instanceType: mixed
    instancesDistribution:
      instanceTypes: [m5.large, m6a.large]
"""


def test_eksctl_node_groups_take_the_architecture_of_their_instance_types(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {"cluster.yaml": EKSCTL})
    single = _capacity(facts, "c/single")
    assert single.kind == "eksctl:managedNodeGroup"
    assert [(i.instance_type, i.arch, i.location.line) for i in single.instance_types] == [
        ("c7g.large", "arm64", 7)
    ]
    mixed = _capacity(facts, "c/mixed")
    assert mixed.kind == "eksctl:nodeGroup"
    assert {i.arch for i in mixed.instance_types} == {"amd64"}
    none = _capacity(facts, "c/none")  # eksctl's default instance type is not assumed
    assert none.instance_types == [] and not none.ami_arch.archs
    assert "Bottlerocket" in none.ami_arch.note


NODEPOOL = """\
apiVersion: karpenter.sh/{api}
kind: NodePool
metadata:
  name: pool
spec:
  template:
    spec:
      requirements:
{requirements}
"""


def _pool(tmp_path: Path, requirements: str, api: str = "v1") -> Capacity:
    text = NODEPOOL.format(api=api, requirements=requirements)
    return _capacity(_facts(tmp_path, {"pool.yaml": text}), "pool")


def test_nodepool_arch_requirement(tmp_path: Path) -> None:
    pool = _pool(tmp_path, "        - {key: kubernetes.io/arch, operator: NotIn, values: [amd64]}", "v1beta1")
    assert pool.ami_arch.archs == {"arm64"} and pool.ami_arch.how is How.DERIVED
    assert pool.node_group is not None


def test_nodepool_instance_families_of_one_architecture(tmp_path: Path) -> None:
    pool = _pool(
        tmp_path, "        - {key: karpenter.k8s.aws/instance-family, operator: In, values: [m6g, c7g]}"
    )
    assert pool.ami_arch.archs == {"arm64"}


def test_nodepool_without_a_deciding_requirement_is_unknown(tmp_path: Path) -> None:
    both = "        - {key: kubernetes.io/arch, operator: In, values: [arm64, amd64]}"
    assert not _pool(tmp_path / "a", both).ami_arch.archs
    category = "        - {key: karpenter.k8s.aws/instance-category, operator: In, values: [m]}"
    assert not _pool(tmp_path / "b", category).ami_arch.archs


def test_pod_placed_by_sole_capacity_is_a_low_confidence_warning(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "fail_eksctl_graviton_only_unpinned_script", root)
    result = scan([root], Config())
    (finding,) = result.findings
    assert finding.rule_id == "ARCH302" and finding.severity == "warning"
    assert finding.properties["workloadArchConfidence"] == "low"
    assert "eksctl:managedNodeGroup shop/graviton" in finding.properties["workloadArchBasis"]
    assert "low confidence: the project's only capacity is arm64" in finding.message
    (pod,) = result.facts[0].workloads
    assert pod.arch.archs == {"arm64"} and pod.arch.how is How.DERIVED


def test_image_of_the_other_architecture_stays_one_arch305_error(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "pass_eksctl_graviton_only_pinned_script", root)
    build = root / "build.sh"
    build.write_text(build.read_text().replace("linux/arm64", "linux/amd64"))
    findings = scan([root], Config()).findings
    assert [(f.rule_id, f.severity) for f in findings] == [("ARCH305", "error")]


def test_huge_eksctl_file_stays_cheap(tmp_path: Path) -> None:
    groups = "".join(f"  - name: g{i}\n    instanceTypes: [m6g.large, c7g.large]\n" for i in range(20000))
    (tmp_path / "cluster.yaml").write_text(
        f"apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: big\nmanagedNodeGroups:\n{groups}"
    )
    started = time.process_time()  # CPU, not wall time: the suite runs on loaded machines
    facts, _ = analyze(tmp_path, Config())
    assert len(facts.capacities) == 20000
    assert time.process_time() - started < 60
