"""EC2 Batch job definitions take the architecture of the compute environments that can run them
(archmatch/link/batch.py, archmatch/aws/batch.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from archmatch.aws.batch import instance_has_gpu, job_environments, job_gpu_request, sole_environment_arch
from archmatch.config import Config
from archmatch.engine import scan
from archmatch.model import Capacity, InstanceChoice, Location, Workload
from archmatch.platforms import How
from archmatch.report import inventory

RULES = Path(__file__).parent / "fixtures" / "rules"
NESTED = RULES / "ARCH301" / "fail_batch_gpu_job_nested_stacks"
NEAREST = RULES / "ARCH301" / "fail_batch_nearest_project_low_confidence"


def _job(result_facts: list, name: str) -> Workload:  # type: ignore[type-arg]
    return next(w for facts in result_facts for w in facts.workloads if w.name == name)


@pytest.mark.parametrize(
    ("requirements", "wanted"),
    [
        ([{"Type": "GPU", "Value": 1}], True),
        ([{"type": "GPU", "value": "2"}], True),
        ([{"Type": "VCPU", "Value": 4}, {"Type": "MEMORY", "Value": 1024}], False),
        ([{"Type": "GPU", "Value": "0"}], False),
        ([{"Type": "GPU", "Value": object()}], None),
        (None, False),
    ],
)
def test_gpu_request(requirements: object, wanted: bool | None) -> None:
    assert job_gpu_request(requirements) is wanted


@pytest.mark.parametrize(
    ("instance_type", "gpu"),
    [
        ("g4dn", True),
        ("g5g.2xlarge", True),
        ("p4d.24xlarge", True),
        ("gr6", True),
        ("c6g", False),
        ("inf2", False),
        ("optimal", False),
        ("default_arm64", False),
        ("foo1", None),
    ],
)
def test_gpu_instance_types(instance_type: str, gpu: bool | None) -> None:
    assert instance_has_gpu(instance_type) is gpu


def _environment(name: str, *types: tuple[str, str | None], fargate: bool = False) -> Capacity:
    where = Location("t.yaml", 1)
    choices = [InstanceChoice(t, arch, where) for t, arch in types]
    return Capacity("AWS::Batch::ComputeEnvironment", name, where, choices, batch_type="EC2", fargate=fargate)


def test_gpu_job_keeps_only_gpu_types_and_cpu_job_every_type() -> None:
    graviton = _environment("Graviton", ("m6g", "arm64"))
    gpu = _environment("Gpu", ("g4dn", "amd64"), ("m5", "amd64"))
    fargate = _environment("Fargate", fargate=True)
    gpu_choices = job_environments([graviton, gpu, fargate], gpu=True)
    assert gpu_choices is not None and [c.describe() for c in gpu_choices] == ["Gpu (g4dn)"]
    assert sole_environment_arch(gpu_choices) == "amd64"
    cpu_choices = job_environments([graviton, gpu, fargate], gpu=False)
    assert cpu_choices is not None and sole_environment_arch(cpu_choices) is None
    unknown_gpu = job_environments([graviton, gpu], gpu=None)  # a GPU value not known: any type
    assert unknown_gpu is not None and sole_environment_arch(unknown_gpu) is None


def test_environment_of_unknown_types_leaves_the_job_unknown() -> None:
    assert job_environments([_environment("Unmanaged")], gpu=False) is None
    assert job_environments([_environment("Param", ("${InstanceType}", None))], gpu=True) is None


def test_nested_stack_deployment_is_medium_confidence_error(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(NESTED, root)
    result = scan([root], Config())
    (finding,) = result.findings
    assert (finding.rule_id, finding.severity) == ("ARCH301", "error")
    assert finding.properties["workloadArchConfidence"] == "medium"
    basis = finding.properties["workloadArchBasis"]
    assert basis == (
        "the only GPU compute environments of this deployment (the nested stacks of root.yaml): "
        "G4dnComputeEnvironment (g4dn), LatestGpuComputeEnvironment (g6, g5)"
    )
    related = {(str(r.location), r.message.split(":")[0]) for r in finding.related}
    assert ("batch.yaml:30", "G4dnComputeEnvironment (g4dn)") in related
    assert ("batch.yaml:41", "LatestGpuComputeEnvironment (g6, g5)") in related
    assert "low confidence" not in finding.message
    job = _job(result.facts, "MpnnJobDefinition")
    assert job.arch.archs == {"amd64"} and job.arch.how is How.DERIVED
    assert job.batch is not None and job.batch.gpu is True
    cpu_job = _job(result.facts, "MpnnCpuJobDefinition")  # Graviton and GPU environments: not known
    assert (
        cpu_job.arch.how is How.UNKNOWN and cpu_job.batch is not None and cpu_job.batch.environments is None
    )


def test_without_the_nesting_root_the_environments_are_only_the_nearest_project(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(NESTED, root)
    (root / "root.yaml").unlink()
    (finding,) = scan([root], Config()).findings
    assert (finding.rule_id, finding.severity) == ("ARCH301", "warning")
    assert finding.properties["workloadArchConfidence"] == "low"
    assert "[low confidence: the only GPU compute environments of the nearest project (.)" in finding.message


def test_nearest_project_environments_give_a_low_confidence_warning(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(NEAREST, root)
    result = scan([root], Config())
    (finding,) = result.findings
    assert (finding.rule_id, finding.severity) == ("ARCH301", "warning")
    assert finding.properties["workloadArchConfidence"] == "low"
    assert "which the deployment of the job does not create" in finding.message
    # the alternative fix changes the environments, never the job's runtimePlatform
    assert all("RuntimePlatform" not in f.diff for f in finding.fixes)


def test_same_template_environment_with_another_architecture_is_unknown(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(RULES / "ARCH302" / "fail_batch_ec2_only_compute_environment", root)
    template = root / "template.yaml"
    template.write_text(template.read_text().replace("- optimal", "- optimal\n          - c7g"))
    result = scan([root], Config())
    assert not result.findings
    assert _job(result.facts, "JobDefinition").arch.how is How.UNKNOWN


def test_fargate_job_keeps_the_fargate_default(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(RULES / "ARCH302" / "fail_batch_ec2_only_compute_environment", root)
    template = root / "template.yaml"
    template.write_text(
        template.read_text().replace(
            "      Type: container\n", "      Type: container\n      PlatformCapabilities: [FARGATE]\n"
        )
    )
    job = _job(scan([root], Config()).facts, "JobDefinition")
    assert job.arch.how is How.DEFAULT and (job.batch is None or job.batch.environments is None)


def test_list_workloads_states_the_environments(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(NESTED, root)
    result = scan([root], Config())
    text = inventory.render(result)
    assert (
        "derived @ - (the only GPU compute environments of this deployment (the nested stacks of root.yaml): "
        "G4dnComputeEnvironment (g4dn), LatestGpuComputeEnvironment (g6, g5); medium confidence)" in text
    )

    data = json.loads(inventory.render_json(result))
    job = next(w for w in data["workloads"] if w["name"] == "MpnnJobDefinition")
    assert job["compute_environments"]["confidence"] == "medium"
    assert job["compute_environments"]["environments"] == [
        {"name": "G4dnComputeEnvironment (g4dn)", "location": "batch.yaml:30"},
        {"name": "LatestGpuComputeEnvironment (g6, g5)", "location": "batch.yaml:41"},
    ]
    cpu_job = next(w for w in data["workloads"] if w["name"] == "MpnnCpuJobDefinition")
    assert cpu_job["compute_environments"] is None
