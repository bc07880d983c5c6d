"""CloudFormation / SAM / cdk.out extraction: intrinsic resolution, facts per resource type, lines,
malformed input. Runs only these extractors, on small templates written per test."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from archmatch.extract import cdk_out, cloudformation
from archmatch.model import Capacity, FargateProfileFacts, FargateSelector, RepoFacts, Workload
from archmatch.platforms import How
from archmatch.repo import RepoView, ScanOptions, discover


def run(root: Path, files: dict[str, str]) -> RepoFacts:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    facts = RepoFacts(root=root)
    repo = RepoView(root, discover(root, ScanOptions(), facts.diagnostics), ScanOptions(), facts.diagnostics)
    cdk_out.extract(repo, facts)
    cloudformation.extract(repo, facts)
    return facts


def workload(facts: RepoFacts, name: str) -> Workload:
    return next(w for w in facts.workloads if w.name == name)


def capacity(facts: RepoFacts, name: str) -> Capacity:
    return next(c for c in facts.capacities if c.name == name)


RESOLUTION = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Arch:
    Type: String
    Default: arm64
  Stage:
    Type: String
    Default: prod
  Tag:
    Type: String
Mappings:
  StageConfig:
    prod: {CpuArch: ARM64}
    dev: {CpuArch: X86_64}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  TagIsV1: !Equals [!Ref Tag, v1]
Resources:
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: shop/api
  FromParameter:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Architectures: [!Ref Arch]
      Code:
        ImageUri: !Sub "${Repo.RepositoryUri}:${Tag}"
  FromCondition:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Architectures:
        - !If [IsDev, arm64, x86_64]
      Code:
        ImageUri: !Join [":", [!GetAtt Repo.RepositoryUri, "v2"]]
  Undecidable:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Architectures: !If [TagIsV1, [arm64], [x86_64]]
      Code:
        ImageUri: !Sub
          - "${Account}.dkr.ecr.us-east-1.${AWS::URLSuffix}/x:${Suffix}-${AWS::Region}"
          - Account: "123456789012"
            Suffix: !Ref Stage
  DevOnly:
    Type: AWS::Lambda::Function
    Condition: IsDev
    Properties:
      PackageType: Image
      Code: {ImageUri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/dev:1"}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RuntimePlatform:
        CpuArchitecture: !FindInMap [StageConfig, !Ref Stage, CpuArch]
      ContainerDefinitions:
        - Name: app
          Image: !Custom thing
"""


def test_parameters_mappings_conditions_sub_and_join_resolve(tmp_path: Path) -> None:
    facts = run(tmp_path, {"infra/stack.yaml": RESOLUTION})
    assert sorted(w.name for w in facts.workloads) == [
        "FromCondition",
        "FromParameter",
        "Task",
        "Undecidable",
    ]  # DevOnly: IsDev is false

    by_param = workload(facts, "FromParameter")
    assert (by_param.arch.archs, by_param.arch.how) == ({"arm64"}, How.EXPLICIT)
    # located at the parameter's Default, where the value is written; the property line is related
    assert (str(by_param.arch_location), str(by_param.arch_via)) == (
        "infra/stack.yaml:5",
        "infra/stack.yaml:28",
    )
    image = by_param.images[0]
    # RepositoryName is written, so the URI keeps its shape; the parameter without default stays ${Tag}
    assert image.ref == "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/shop/api:${Tag}"
    assert (image.resolved, image.link_keys, image.location.line) == (False, frozenset({"ecr:shop/api"}), 30)

    by_condition = workload(facts, "FromCondition")
    assert (by_condition.arch.archs, str(by_condition.arch_location)) == ({"amd64"}, "infra/stack.yaml:36")
    assert by_condition.images[0].ref.endswith("amazonaws.com/shop/api:v2")

    undecidable = workload(facts, "Undecidable")
    assert undecidable.arch.how is How.UNKNOWN and "Fn::If:TagIsV1" in undecidable.arch.note
    assert undecidable.images[0].ref == "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:prod-${AWS::Region}"

    task = workload(facts, "Task")
    assert (task.arch.archs, task.arch.how) == ({"arm64"}, How.EXPLICIT)
    # `!FindInMap [StageConfig, !Ref Stage, CpuArch]`: the mapping value for the default stage
    assert (task.arch_location.line, task.arch_via.line) == (13, 59)  # type: ignore[union-attr]
    # an unknown tag loads as {"!Custom": ...} and stays unknown
    assert (task.images[0].ref, task.images[0].resolved, task.images[0].location.line) == (
        "${Custom}",
        False,
        62,
    )
    assert task.arch_syntax == "cfn-ecs" and by_param.arch_syntax == "cfn-lambda"


SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 30
    Architectures: [arm64]
Resources:
  Built:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
    Metadata:
      Dockerfile: docker/Dockerfile.lambda
      DockerContext: ../src
      DockerTag: v1
      DockerBuildTarget: runtime
  Both:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Architectures: [arm64]
      ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/both:1
  Zipped:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
"""


def test_sam_globals_and_metadata_build(tmp_path: Path) -> None:
    facts = run(tmp_path, {"app/template.yaml": SAM})
    built = workload(facts, "Built")
    assert (built.kind, built.service, built.arch_syntax) == ("AWS::Serverless::Function", "lambda", "sam")
    assert (built.arch.archs, built.arch.how, str(built.arch_location)) == (
        {"arm64"},
        How.EXPLICIT,
        "app/template.yaml:6",
    )
    assert built.images[0].link_keys == frozenset({"sam:app/template.yaml:Built"})
    [build] = facts.builds
    assert (build.source, build.name, str(build.location)) == (
        "sam",
        "sam build Built",
        "app/template.yaml:13",
    )
    # DockerContext is relative to the template's folder, Dockerfile to the context
    assert (build.context, build.dockerfile, build.target) == (
        "src",
        "src/docker/Dockerfile.lambda",
        "runtime",
    )
    assert (build.platforms.archs, build.platforms.how) == ({"arm64"}, How.EXPLICIT)
    assert build.platforms.note == "sam build derives it from Architectures"
    assert (build.link_keys, build.fix_syntax, build.tags) == (
        frozenset({"sam:app/template.yaml:Built"}),
        "sam",
        ["built:v1"],
    )

    both = workload(facts, "Both")  # SAM concatenates the global and local lists: two entries
    assert both.arch.how is How.UNKNOWN and "concatenates" in both.arch.note
    assert "Zipped" not in {w.name for w in facts.workloads}


def test_sam_build_platform_defaults_to_amd64_with_the_function(tmp_path: Path) -> None:
    template = SAM.replace("    Architectures: [arm64]\n", "", 1)
    facts = run(tmp_path, {"template.yaml": template})
    built = workload(facts, "Built")
    assert (built.arch.archs, built.arch.how, built.arch_location) == ({"amd64"}, How.DEFAULT, None)
    assert facts.builds[0].platforms.archs == {"amd64"} and facts.builds[0].platforms.how is How.EXPLICIT
    # the context ../src leaves the scan root: no Dockerfile path
    assert facts.builds[0].dockerfile is None


ECS_CHAIN = """
Resources:
  LT:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: !Ref AmiParam
        InstanceType: m5.large
  ASG:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "1"
      MaxSize: "2"
      LaunchTemplate:
        LaunchTemplateId: !Ref LT
        Version: !GetAtt LT.LatestVersionNumber
  CP:
    Type: AWS::ECS::CapacityProvider
    Properties:
      AutoScalingGroupProvider:
        AutoScalingGroupArn: !Ref ASG
  Cluster:
    Type: AWS::ECS::Cluster
  Assoc:
    Type: AWS::ECS::ClusterCapacityProviderAssociations
    Properties:
      Cluster: !Ref Cluster
      CapacityProviders: [!Ref CP]
      DefaultCapacityProviderStrategy:
        - CapacityProvider: !Ref CP
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [EC2]
      RuntimePlatform:
        CpuArchitecture: ARM64
        OperatingSystemFamily: LINUX
      ContainerDefinitions:
        - Image: nginx:1.27
  Service:
    Type: AWS::ECS::Service
    Properties:
      Cluster: !Ref Cluster
      TaskDefinition: !Ref Task
Parameters:
  AmiParam:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id
"""


def test_ecs_service_capacity_chain_through_cluster_default_strategy(tmp_path: Path) -> None:
    facts = run(tmp_path, {"ecs.yaml": ECS_CHAIN})
    task = workload(facts, "Task")
    assert (task.arch.archs, str(task.arch_location)) == ({"arm64"}, "ecs.yaml:35")
    assert task.ecs is not None and task.ecs.hosts is not None
    assert task.ecs.services == ("Service",)
    assert task.ecs.capacity_providers == ("ASG",)
    assert task.ecs.hosts.arch.archs == {"amd64"} and task.ecs.hosts.arch.how is How.DERIVED
    assert (task.ecs.hosts.name, str(task.ecs.hosts.location)) == ("ASG", "ecs.yaml:7")
    assert task.ecs.fargate is False and str(task.ecs.os_family_location) == "ecs.yaml:36"

    lt = capacity(facts, "LT")
    assert [(i.instance_type, i.arch, i.location.line) for i in lt.instance_types] == [
        ("m5.large", "amd64", 7)
    ]
    # SSM-typed parameter default: the ECS-optimized path pattern is UNVERIFIED-official
    assert (lt.ami_arch.archs, lt.ami_arch.how, lt.ami_location.line) == ({"amd64"}, How.DERIVED, 6)  # type: ignore[union-attr]
    assert lt.ami_evidence == "ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    assert lt.ami_verified is False
    asg = capacity(facts, "ASG")  # the launch template's instance type is not repeated on the ASG
    assert (asg.instance_types, asg.ami_arch.archs, asg.launch_template) == ([], {"amd64"}, "LT")
    assert {c.name for c in facts.capacities} == {"LT", "ASG"}


def test_ecs_task_without_runtime_platform_defaults_to_x86_64(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "Task": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "RequiresCompatibilities": ["FARGATE"],
                    "ContainerDefinitions": [{"Image": "nginx:1.27"}],
                },
            }
        }
    }
    facts = run(tmp_path, {"task.json": json.dumps(template, indent=2)})
    task = workload(facts, "Task")
    assert (task.arch.archs, task.arch.how, task.arch_location) == ({"amd64"}, How.DEFAULT, None)
    assert (task.location.line, task.images[0].location.line) == (3, 11)  # JSON keeps lines too
    assert task.ecs is not None and task.ecs.fargate is True and task.ecs.services == ()


NODES = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Graviton:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: shop
      AmiType: AL2023_ARM_64_STANDARD
      InstanceTypes:
        - m7g.large
        - c7g.xlarge
  Defaulted:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: shop
  Profile:
    Type: AWS::EKS::FargateProfile
    Properties:
      ClusterName: shop
      Selectors:
        - Namespace: web
          Labels: [{Key: app, Value: api}]
  Box:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: "{{resolve:ssm:/aws/service/bottlerocket/aws-k8s-1.30/arm64/latest/image_id}}"
      InstanceType: t4g.small
  Batch:
    Type: AWS::Batch::ComputeEnvironment
    Properties:
      Type: MANAGED
      ComputeResources:
        Type: EC2
        InstanceTypes: [default_arm64, m6g]
  Job:
    Type: AWS::Batch::JobDefinition
    Properties:
      Type: container
      PlatformCapabilities: [FARGATE]
      ContainerProperties:
        Image: busybox:1.36
  Runner:
    Type: AWS::AppRunner::Service
    Properties:
      SourceConfiguration:
        ImageRepository:
          ImageIdentifier: public.ecr.aws/nginx/nginx:1.27
          ImageRepositoryType: ECR_PUBLIC
"""


def test_capacity_and_other_workload_resources(tmp_path: Path) -> None:
    facts = run(tmp_path, {"nodes.yml": NODES})
    graviton = capacity(facts, "Graviton")
    assert [(i.instance_type, i.arch, i.location.line) for i in graviton.instance_types] == [
        ("m7g.large", "arm64", 9),
        ("c7g.xlarge", "arm64", 10),
    ]
    assert (graviton.ami_arch.archs, graviton.ami_location.line, graviton.ami_evidence) == (  # type: ignore[union-attr]
        {"arm64"},
        7,
        "eks-ami-type:AL2023_ARM_64_STANDARD",
    )
    assert graviton.node_group is not None
    defaulted = capacity(facts, "Defaulted")  # EKS default instance type t3.medium
    assert [(i.instance_type, i.arch) for i in defaulted.instance_types] == [("t3.medium", "amd64")]
    assert (
        defaulted.node_group
        and defaulted.node_group.instance_types_default
        and defaulted.ami_arch.how is How.UNKNOWN
    )
    profile = capacity(facts, "Profile")
    assert profile.ami_arch.archs == {"amd64"} and profile.fargate_profile == FargateProfileFacts(
        (FargateSelector("web", {"app": "api"}),)
    )
    box = capacity(facts, "Box")
    assert (box.ami_arch.archs, box.ami_verified, box.instance_types[0].arch) == (
        {"arm64"},
        True,
        "arm64",
    )
    batch = capacity(facts, "Batch")
    assert [(i.instance_type, i.arch) for i in batch.instance_types] == [
        ("default_arm64", "arm64"),
        ("m6g", "arm64"),
    ]
    assert (batch.batch_type, batch.fargate) == ("EC2", False)
    job = workload(facts, "Job")
    assert (job.service, job.arch.archs, job.arch.how, job.ecs and job.ecs.fargate) == (
        "batch",
        {"amd64"},
        How.DEFAULT,
        True,
    )
    runner = workload(facts, "Runner")
    assert (runner.service, runner.arch.archs, runner.arch.how) == ("apprunner", {"amd64"}, How.DERIVED)
    assert runner.images[0].ref == "public.ecr.aws/nginx/nginx:1.27"


ASSETS = {
    "version": "36.0.0",
    "files": {},
    "dockerImages": {
        "a" * 64: {
            "displayName": "Fn/AssetImage",
            "source": {"directory": "asset." + "a" * 64, "dockerBuildTarget": "prod"},
            "destinations": {
                "d": {
                    "repositoryName": "cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}",
                    "imageTag": "a" * 64,
                }
            },
        },
        "b" * 64: {
            "source": {
                "directory": "asset." + "b" * 64,
                "dockerFile": "Dockerfile.arm",
                "platform": "linux/arm64",
            },
            "destinations": {},
        },
    },
}
CDK_TEMPLATE = {
    "Resources": {
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "PackageType": "Image",
                "Code": {
                    "ImageUri": {
                        "Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}:"
                        + "a" * 64
                    }
                },
            },
        }
    }
}


def test_cdk_out_assets_and_templates_link_by_asset_hash(tmp_path: Path) -> None:
    files = {
        "cdk.json": '{"app": "python3 app.py"}',
        "cdk.out/Stack.assets.json": json.dumps(ASSETS, indent=1),
        "cdk.out/Stack.template.json": json.dumps(CDK_TEMPLATE, indent=1),
    }
    facts = run(tmp_path, files)
    unpinned, pinned = sorted(facts.builds, key=lambda b: b.name)
    assert (unpinned.name, unpinned.source, unpinned.platforms.how) == (
        "cdk asset Fn/AssetImage",
        "cdk-asset",
        How.HOST,
    )
    assert (unpinned.dockerfile, unpinned.target, unpinned.fix_syntax) == (
        f"cdk.out/asset.{'a' * 64}/Dockerfile",
        "prod",
        "cdk-py",
    )
    assert unpinned.location.line == 5 and unpinned.link_keys == frozenset({"cdk:asset:" + "a" * 64})
    assert (pinned.platforms.archs, pinned.platforms.how, pinned.dockerfile) == (
        {"arm64"},
        How.EXPLICIT,
        f"cdk.out/asset.{'b' * 64}/Dockerfile.arm",
    )
    assert pinned.platform_location is not None and pinned.platform_location.line > 0
    fn = workload(facts, "Fn")
    assert fn.images[0].link_keys == frozenset({"cdk:asset:" + "a" * 64})
    assert fn.images[0].ref.startswith(
        "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/cdk-hnb659fds-container-assets-"
    )


def test_malformed_templates_give_diagnostics_and_the_scan_goes_on(tmp_path: Path) -> None:
    files = {
        "bad.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n      Properties: x\n",
        "bad.json": '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {,\n}\n',
        "weird.yaml": "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: 7\n  X: 3\n",
        "good.yaml": "Resources:\n  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions: [{Image: 'a:1'}]\n",
        "notes.yaml": "just: some config\n",
    }
    facts = run(tmp_path, files)
    diags = sorted((d.location.path, d.location.line, d.message.split(":")[0]) for d in facts.diagnostics)
    assert diags == [("bad.json", 3, "JSON syntax error"), ("bad.yaml", 5, "YAML syntax error")]
    assert [w.name for w in facts.workloads] == ["Task"]


def test_architecture_located_at_the_parameter_default_or_mapping_value(tmp_path: Path) -> None:
    """Provenance: `!Ref Param` and `!FindInMap` are located where their literal is written (the
    parameter's Default, the mapping's value); the property that refers to it is `arch_via`."""
    from archmatch.model import Location

    facts = run(
        tmp_path,
        {
            "template.yaml": textwrap.dedent(
                """\
                AWSTemplateFormatVersion: "2010-09-09"
                Parameters:
                  FunctionArch:
                    Type: String
                    Default: arm64
                Mappings:
                  Env:
                    prod:
                      Cpu: ARM64
                Resources:
                  Fn:
                    Type: AWS::Lambda::Function
                    Properties:
                      PackageType: Image
                      Architectures:
                        - !Ref FunctionArch
                      Code:
                        ImageUri: registry.example.com/fn:1
                  Task:
                    Type: AWS::ECS::TaskDefinition
                    Properties:
                      RequiresCompatibilities: [FARGATE]
                      RuntimePlatform:
                        CpuArchitecture: !FindInMap [Env, prod, Cpu]
                      ContainerDefinitions:
                        - Name: web
                          Image: registry.example.com/web:1.0
                  Direct:
                    Type: AWS::Lambda::Function
                    Properties:
                      PackageType: Image
                      Architectures: [x86_64]
                      Code:
                        ImageUri: registry.example.com/fn:1
                """
            )
        },
    )
    fn, task, direct = workload(facts, "Fn"), workload(facts, "Task"), workload(facts, "Direct")
    assert (fn.arch_location, fn.arch_via) == (Location("template.yaml", 5), Location("template.yaml", 16))
    assert (task.arch_location, task.arch_via) == (
        Location("template.yaml", 9),
        Location("template.yaml", 24),
    )
    assert (direct.arch_location, direct.arch_via) == (Location("template.yaml", 32), None)


def test_a_broken_file_that_says_it_is_a_template_gets_a_parse_diagnostic(tmp_path: Path) -> None:
    """By a marker (the SAM Transform line alone counts) or by its name; any other YAML or JSON that
    does not parse is not reported, as the other formats do (by their names or markers)."""
    facts = run(
        tmp_path,
        {
            "sam/app.yaml": "Transform: AWS::Serverless-2016-10-31\nResources: [\n",
            "template.yaml": "Resources:\n  Fn: [\n",
            "stacks/api.cfn.json": '{"Resources": ',
            "stacks/web.template.yml": "Resources: {\n",
            "notes/random.yaml": "foo: [\n",
            "data/random.json": '{"a": ',
            "other/template.yaml": "foo: bar\n",  # parses, not a template: nothing to say
        },
    )
    assert sorted((d.location.path, d.code) for d in facts.diagnostics) == [
        ("sam/app.yaml", "parse"),
        ("stacks/api.cfn.json", "parse"),
        ("stacks/web.template.yml", "parse"),
        ("template.yaml", "parse"),
    ]
    assert facts.workloads == [] and facts.capacities == []
