"""An ECS task definition that writes no CPU architecture runs the same architecture whichever
format declares it (archmatch/aws/ecs.py `arch_when_omitted`): X86_64 on Fargate, where it is the
documented default; on EC2 the container instances' architecture when the capacity chain names
them, else unknown (whether ECS places a task by the X86_64 default is not documented).

Terraform and CloudFormation used to say X86_64 on EC2 too, where CDK said unknown."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from archmatch.aws.ecs import runs_on_fargate
from archmatch.engine import analyze
from archmatch.platforms import ArchFact, How
from archmatch.settings import Config

TF_TASK = """
resource "aws_ecs_task_definition" "app" {{
  family                = "app"
  {compat}
  container_definitions = jsonencode([{{ name = "app", image = "nginx:1.27", memory = 256 }}])
}}
"""
CFN_TASK = """
Resources:
  App:
    Type: AWS::ECS::TaskDefinition
    Properties:
      {compat}
      ContainerDefinitions:
        - Name: app
          Image: nginx:1.27
"""
CDK_TASK = """
import {{ App, Stack }} from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';

const stack = new Stack(new App(), 'S');
const app = new ecs.{construct}(stack, 'App');
app.addContainer('app', {{ image: ecs.ContainerImage.fromRegistry('nginx:1.27') }});
"""

# how each format says "runs on Fargate" / "runs on EC2" (Terraform's and CloudFormation's EC2
# also when requires_compatibilities is omitted: EC2 is then the only compatibility)
CASES = {
    "fargate": {
        "tf": 'requires_compatibilities = ["FARGATE"]',
        "cfn": "RequiresCompatibilities: [FARGATE]",
        "cdk": "FargateTaskDefinition",
    },
    "ec2": {
        "tf": 'requires_compatibilities = ["EC2"]',
        "cfn": "RequiresCompatibilities: [EC2]",
        "cdk": "Ec2TaskDefinition",
    },
    "omitted": {"tf": "", "cfn": "", "cdk": "Ec2TaskDefinition"},
}


def _task_arch(root: Path, files: dict[str, str]) -> ArchFact:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    facts, _ = analyze(root, Config())
    (task,) = [w for w in facts.workloads if w.service == "ecs"]
    return task.arch


def _each_format(tmp_path: Path, case: str) -> dict[str, ArchFact]:
    spelled = CASES[case]
    return {
        "terraform": _task_arch(tmp_path / "tf", {"main.tf": TF_TASK.format(compat=spelled["tf"])}),
        "cloudformation": _task_arch(
            tmp_path / "cfn", {"template.yaml": CFN_TASK.format(compat=spelled["cfn"])}
        ),
        "cdk": _task_arch(
            tmp_path / "cdk",
            {
                "cdk.json": json.dumps({"app": "npx ts-node bin/app.ts"}),
                "bin/app.ts": CDK_TASK.format(construct=spelled["cdk"]),
            },
        ),
    }


@pytest.mark.parametrize("case", ["ec2", "omitted"])
def test_not_on_fargate_every_format_leaves_it_to_the_instances(tmp_path: Path, case: str) -> None:
    found = _each_format(tmp_path, case)
    assert {fmt: (arch.how, arch.archs) for fmt, arch in found.items()} == {
        fmt: (How.UNKNOWN, frozenset()) for fmt in found
    }


def test_on_fargate_every_format_takes_the_x86_64_default(tmp_path: Path) -> None:
    found = _each_format(tmp_path, "fargate")
    assert {fmt: (arch.how, arch.archs) for fmt, arch in found.items()} == {
        fmt: (How.DEFAULT, frozenset({"amd64"})) for fmt in found
    }


GRAVITON_TF = """
resource "aws_launch_template" "ecs" {
  name          = "ecs-graviton"
  instance_type = "m7g.large"
}
resource "aws_autoscaling_group" "ecs" {
  min_size = 1
  max_size = 3
  launch_template {
    name = "ecs-graviton"
  }
}
resource "aws_ecs_capacity_provider" "graviton" {
  name = "graviton"
  auto_scaling_group_provider {
    auto_scaling_group_arn = aws_autoscaling_group.ecs.arn
  }
}
resource "aws_ecs_service" "app" {
  name            = "app"
  task_definition = aws_ecs_task_definition.app.arn
  capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.graviton.name
  }
}
"""
GRAVITON_CDK = """
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';

const stack = new Stack(new App(), 'S');
const cluster = new ecs.Cluster(stack, 'Cluster');
cluster.addCapacity('Graviton', { instanceType: new ec2.InstanceType('m7g.large') });
const app = new ecs.Ec2TaskDefinition(stack, 'App');
app.addContainer('app', { image: ecs.ContainerImage.fromRegistry('nginx:1.27') });
"""


def test_on_known_ec2_instances_terraform_and_cdk_take_their_architecture(tmp_path: Path) -> None:
    tf = _task_arch(tmp_path / "tf", {"main.tf": TF_TASK.format(compat="") + GRAVITON_TF})
    cdk = _task_arch(
        tmp_path / "cdk",
        {"cdk.json": json.dumps({"app": "npx ts-node bin/app.ts"}), "bin/app.ts": GRAVITON_CDK},
    )
    assert (tf.how, tf.archs) == (cdk.how, cdk.archs) == (How.DERIVED, frozenset({"arm64"}))


@pytest.mark.parametrize(
    ("launch_type", "providers", "compat", "expected"),
    [
        ("FARGATE", None, None, True),
        (None, ["FARGATE", "FARGATE_SPOT"], None, True),
        (None, None, ["FARGATE"], True),
        # a capacity provider strategy replaces the launch type (the ecs module drops its default)
        (None, ["FARGATE", "aws_autoscaling_group.hosts"], ["FARGATE"], False),
        (None, ["EC2_HOSTS"], ["FARGATE"], False),
        # EC2-only compatibilities never run on Fargate, whatever the launch type says
        ("FARGATE", None, ["EC2"], False),
        (None, None, ["EC2", "FARGATE"], False),
        ("EC2", None, ["FARGATE"], False),
        (None, None, None, False),
    ],
)
def test_runs_on_fargate_is_certain_only(
    launch_type: str | None, providers: list[str] | None, compat: list[str] | None, expected: bool
) -> None:
    assert runs_on_fargate(launch_type, providers, compat) is expected
