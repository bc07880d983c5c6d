"""CDK app source extraction: exact facts per construct, in TypeScript, JavaScript and Python."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import analyze, scan
from archmatch.extract import cdk_source
from archmatch.model import Capacity, CdkBuildArgPlatform, ImageBuild, Location, Project, RepoFacts, Workload
from archmatch.platforms import How
from archmatch.repo import RepoView, ScanOptions, discover

TS_APP = {"cdk.json": json.dumps({"app": "npx ts-node --prefer-ts-exts bin/app.ts"})}
PY_APP = {"cdk.json": json.dumps({"app": "python3 app.py"})}
DOCKERFILE = 'FROM python:3.12-slim\nCMD ["python"]\n'


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def facts_of(root: Path, files: dict[str, str]) -> RepoFacts:
    write(root, files)
    facts, _ = analyze(root, Config())
    assert not [d for d in facts.diagnostics if d.code == "internal"], facts.diagnostics
    return facts


def workload(facts: RepoFacts, name: str) -> Workload:
    found = [w for w in facts.workloads if w.name == name]
    assert len(found) == 1, [w.name for w in facts.workloads]
    return found[0]


def build_at(facts: RepoFacts, path: str, line: int) -> ImageBuild:
    found = [
        b for b in facts.builds if b.location.path == path and b.location.line == line and b.source == "cdk"
    ]
    assert len(found) == 1, [(b.location, b.name) for b in facts.builds]
    return found[0]


def capacity(facts: RepoFacts, name: str) -> Capacity:
    found = [c for c in facts.capacities if c.name == name]
    assert len(found) == 1, [c.name for c in facts.capacities]
    return found[0]


def keys(w: Workload) -> list[frozenset[str]]:
    return [i.link_keys for i in w.images]


# ---- Lambda --------------------------------------------------------------------------------


def test_ts_docker_image_function_architecture_drives_the_asset_platform(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "fn/Dockerfile": DOCKERFILE,
            "bin/app.ts": """
            import * as path from 'path';
            import { App, Stack } from 'aws-cdk-lib';
            import * as lambda from 'aws-cdk-lib/aws-lambda';
            import { Platform } from 'aws-cdk-lib/aws-ecr-assets';

            const app = new App();
            const stack = new Stack(app, 'S');
            new lambda.DockerImageFunction(stack, 'NoArch', {
              code: lambda.DockerImageCode.fromImageAsset(path.join(__dirname, '..', 'fn')),
            });
            new lambda.DockerImageFunction(stack, 'Arm', {
              code: lambda.DockerImageCode.fromImageAsset('fn', { target: 'runtime' }),
              architecture: lambda.Architecture.ARM_64,
            });
            new lambda.DockerImageFunction(stack, 'Override', {
              architecture: lambda.Architecture.ARM_64,
              code: lambda.DockerImageCode.fromImageAsset('fn', { platform: Platform.LINUX_AMD64 }),
            });
            new lambda.DockerImageFunction(stack, 'Custom', {
              architecture: lambda.Architecture.custom('arm64'),
              code: lambda.DockerImageCode.fromImageAsset('fn', { file: 'Dockerfile.lambda' }),
            });
            """,
        },
    )
    no_arch = workload(facts, "NoArch")
    assert (no_arch.kind, no_arch.service, no_arch.location) == (
        "cdk:aws_lambda.DockerImageFunction",
        "lambda",
        Location("bin/app.ts", 8, 1),
    )
    assert (no_arch.arch.how, no_arch.arch.archs, no_arch.arch_location, no_arch.arch_syntax) == (
        How.DEFAULT,
        {"amd64"},
        None,
        "cdk-ts",
    )
    assert keys(no_arch) == [frozenset({"cdk:src:bin/app.ts:9"})]
    assert no_arch.images[0].location == Location("bin/app.ts", 9, 9)
    b = build_at(facts, "bin/app.ts", 9)
    assert (b.platforms.how, b.dockerfile, b.context, b.link_keys, b.fix_syntax) == (
        How.HOST,
        "fn/Dockerfile",
        "fn",
        frozenset({"cdk:src:bin/app.ts:9"}),
        "cdk-ts",
    )
    assert "without architecture" in b.platforms.note

    arm = workload(facts, "Arm")
    assert (arm.arch.how, arm.arch.archs, arm.arch_location) == (
        How.EXPLICIT,
        {"arm64"},
        Location("bin/app.ts", 13),
    )
    b = build_at(facts, "bin/app.ts", 12)
    assert (b.platforms.how, b.platforms.archs, b.platform_location, b.target) == (
        How.EXPLICIT,
        {"arm64"},
        Location("bin/app.ts", 13),
        "runtime",
    )

    b = build_at(facts, "bin/app.ts", 17)  # explicit platform beats the architecture (spread after)
    assert (b.platforms.how, b.platforms.archs, b.platform_location) == (
        How.EXPLICIT,
        {"amd64"},
        Location("bin/app.ts", 17),
    )

    custom = workload(facts, "Custom")
    assert custom.arch.archs == {"arm64"}
    b = build_at(facts, "bin/app.ts", 21)  # Architecture.custom's dockerPlatform defaults to linux/amd64
    assert (b.platforms.archs, b.dockerfile) == ({"amd64"}, "fn/Dockerfile.lambda")
    assert {(lk.workload.name, lk.build.location.line, lk.confidence) for lk in facts.links} == {
        ("NoArch", 9, "high"),
        ("Arm", 12, "high"),
        ("Override", 17, "high"),
        ("Custom", 21, "high"),
    }


def test_ts_function_with_asset_image_is_not_bound_to_its_architecture(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "bin/app.ts": """
            import { App, Stack } from 'aws-cdk-lib';
            import { Architecture, Code, DockerImageCode, DockerImageFunction, Function, Handler, Runtime } from 'aws-cdk-lib/aws-lambda';
            import * as ecr from 'aws-cdk-lib/aws-ecr';
            const stack = new Stack(new App(), 'S');
            new Function(stack, 'Fn', {
              runtime: Runtime.FROM_IMAGE,
              handler: Handler.FROM_IMAGE,
              architecture: Architecture['ARM_64'],
              code: Code.fromAssetImage('fn'),
            });
            new Function(stack, 'Zip', { runtime: Runtime.NODEJS_20_X, handler: 'index.handler', code: Code.fromAsset('src') });
            const repo = new ecr.Repository(stack, 'Repo', { repositoryName: 'fn-repo' });
            new DockerImageFunction(stack, 'FromEcr', { code: DockerImageCode.fromEcr(repo, { tagOrDigest: 'v2' }) });
            """,
        },
    )
    assert [w.name for w in facts.workloads] == ["Fn", "FromEcr"]
    from_ecr = workload(facts, "FromEcr")
    assert [(i.ref, i.link_keys, i.location.line) for i in from_ecr.images] == [
        ("fn-repo:v2", frozenset({"ecr:fn-repo"}), 13)
    ]
    fn = workload(facts, "Fn")
    assert (fn.kind, fn.arch.archs, fn.arch_location) == (
        "cdk:aws_lambda.Function",
        {"arm64"},
        Location("bin/app.ts", 8),
    )
    b = build_at(facts, "bin/app.ts", 9)
    assert (b.platforms.how, b.platform_location) == (How.HOST, None)
    assert keys(fn) == [frozenset({"cdk:src:bin/app.ts:9"})]


def test_ts_values_resolve_through_constants_imports_spreads_and_static_fields(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        {
            "infra/cdk.json": json.dumps({"app": "node bin/app.js"}),  # compiled output not committed
            "infra/bin/app.ts": """
            import * as cdk from 'aws-cdk-lib';
            import { FnStack } from '../lib/fn-stack.js';
            new FnStack(new cdk.App(), 'S', globalThis.stackProps);
            """,
            "infra/lib/settings.ts": """
            import { Architecture } from 'aws-cdk-lib/aws-lambda';
            export const ARCH = Architecture.ARM_64;
            export class Settings {
              static readonly ARCH = Architecture.X86_64;
            }
            """,
            "infra/lib/fn-stack.ts": """
            import * as cdk from 'aws-cdk-lib';
            import { ARCH, Settings } from './settings';
            import * as settings from './settings';

            const common = { architecture: ARCH, memorySize: 512 };
            export class FnStack extends cdk.Stack {
              constructor(scope: cdk.App, id: string, props?: cdk.StackProps) {
                super(scope, id, props);
                const code = cdk.aws_lambda.DockerImageCode.fromImageAsset('fn');
                new cdk.aws_lambda.DockerImageFunction(this, 'Spread', { ...common, code });
                new cdk.aws_lambda.DockerImageFunction(this, 'Static', { code, architecture: Settings.ARCH });
                new cdk.aws_lambda.DockerImageFunction(this, 'Namespace', { code, architecture: settings.ARCH });
                new cdk.aws_lambda.DockerImageFunction(this, 'FromProps', { ...props, code });
                let arch = cdk.aws_lambda.Architecture.ARM_64;
                arch = cdk.aws_lambda.Architecture.X86_64;
                new cdk.aws_lambda.DockerImageFunction(this, 'Reassigned', { code, architecture: arch });
              }
            }
            """,
        },
    )
    spread = workload(facts, "Spread")
    assert (spread.arch.how, spread.arch.archs, spread.arch_location) == (
        How.EXPLICIT,
        {"arm64"},
        Location("infra/lib/fn-stack.ts", 5),
    )
    assert workload(facts, "Static").arch.archs == {"amd64"}
    assert workload(facts, "Namespace").arch.archs == {"arm64"}
    assert workload(facts, "FromProps").arch.how is How.UNKNOWN  # an unresolved spread may hold it
    assert workload(facts, "Reassigned").arch.how is How.UNKNOWN
    # one asset shared by five functions: the first binding decides its platform
    b = build_at(facts, "infra/lib/fn-stack.ts", 9)
    assert (b.platforms.archs, b.context, b.dockerfile) == ({"arm64"}, "infra/fn", "infra/fn/Dockerfile")
    assert {w.name for w in facts.workloads if frozenset({"cdk:src:infra/lib/fn-stack.ts:9"}) in keys(w)} == {
        "Spread",
        "Static",
        "Namespace",
        "FromProps",
        "Reassigned",
    }


# ---- ECS -----------------------------------------------------------------------------------


ECS_TS = """
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';

const stack = new Stack(new App(), 'S');
const fargate = new ecs.FargateTaskDefinition(stack, 'Fargate', {
  runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
});
fargate.addContainer('web', { image: ecs.ContainerImage.fromAsset('web', { platform: Platform.LINUX_ARM64 }) });
const asset = new DockerImageAsset(stack, 'Worker', { directory: 'worker', file: 'build/Dockerfile', platform: Platform.custom('linux/arm64') });
fargate.addContainer('worker', { image: ecs.ContainerImage.fromDockerImageAsset(asset) });
const repo = ecr.Repository.fromRepositoryName(stack, 'Repo', 'api');
fargate.addContainer('api', { image: ecs.ContainerImage.fromEcrRepository(repo, 'v1') });

const cluster = new ecs.Cluster(stack, 'Cluster');
cluster.addCapacity('Graviton', {
  instanceType: new ec2.InstanceType('c7g.large'),
  machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.ARM),
});
const onEc2 = new ecs.Ec2TaskDefinition(stack, 'OnEc2');
new ecs.ContainerDefinition(stack, 'Sidecar', { taskDefinition: onEc2, image: ecs.ContainerImage.fromRegistry('nginx:1.27') });
const generic = new ecs.TaskDefinition(stack, 'Generic', {
  compatibility: ecs.Compatibility.FARGATE,
  runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.of('ARM64') },
});
const win = new ecs.FargateTaskDefinition(stack, 'Win', {
  runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE },
});
const plain = new ecs.FargateTaskDefinition(stack, 'Plain');
"""


def test_ts_ecs_task_definitions_containers_and_capacity(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path, TS_APP | {"bin/app.ts": ECS_TS, "worker/build/Dockerfile": "FROM alpine:3.20\n"}
    )
    fargate = workload(facts, "Fargate")
    assert (fargate.kind, fargate.service, fargate.arch.how, fargate.arch.archs) == (
        "cdk:aws_ecs.FargateTaskDefinition",
        "ecs",
        How.EXPLICIT,
        {"arm64"},
    )
    assert fargate.arch_location == Location("bin/app.ts", 9)
    assert keys(fargate) == [
        frozenset({"cdk:src:bin/app.ts:11"}),
        frozenset({"cdk:src:bin/app.ts:12"}),
        frozenset({"ecr:api"}),
    ]
    assert [i.ref for i in fargate.images] == ["", "", "api:v1"]
    assert fargate.images[1].location == Location("bin/app.ts", 13, 41)  # the fromDockerImageAsset call

    b = build_at(facts, "bin/app.ts", 11)
    assert (b.platforms.how, b.platforms.archs, b.dockerfile) == (How.EXPLICIT, {"arm64"}, "web/Dockerfile")
    b = build_at(facts, "bin/app.ts", 12)
    assert (b.platforms.archs, b.dockerfile, b.context, b.name) == (
        {"arm64"},
        "worker/build/Dockerfile",
        "worker",
        "CDK image asset worker",
    )

    on_ec2 = workload(facts, "OnEc2")  # no runtimePlatform: the cluster's only capacity (Graviton) decides
    assert (on_ec2.arch.how, on_ec2.arch.archs, on_ec2.arch_location) == (
        How.DERIVED,
        {"arm64"},
        Location("bin/app.ts", 19),
    )
    assert [(i.ref, i.location.line) for i in on_ec2.images] == [("nginx:1.27", 23)]

    cap = capacity(facts, "Cluster/Graviton")
    assert (cap.kind, cap.location.line, cap.cdk and cap.cdk.service) == ("cdk:addCapacity", 18, "ecs")
    assert [(t.instance_type, t.arch) for t in cap.instance_types] == [("c7g.large", "arm64")]
    assert (cap.ami_arch.how, cap.ami_arch.archs, cap.ami_location) == (
        How.DERIVED,
        {"arm64"},
        Location("bin/app.ts", 20),
    )

    assert workload(facts, "Generic").arch.archs == {"arm64"}
    win = workload(facts, "Win")
    assert (win.os_family, win.arch.archs) == ("windows", {"amd64"})
    plain = workload(facts, "Plain")
    assert (plain.arch.how, plain.arch.archs, plain.arch_location) == (How.DEFAULT, {"amd64"}, None)


LET_BRANCHES_TS = """
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';

const app = new App();
const stack = new Stack(app, 'S');
const tier = app.node.tryGetContext('tier');
let chosen = null;
if (tier === 'ec2') {
  chosen = new ecs.Ec2TaskDefinition(stack, 'IfEc2');
} else {
  chosen = new ecs.FargateTaskDefinition(stack, 'IfFargate');
}
chosen.addContainer('a', { image: ecs.ContainerImage.fromRegistry('a:1') });

let picked: ecs.TaskDefinition;
switch (tier) {
  case 'ec2':
    picked = new ecs.Ec2TaskDefinition(stack, 'CaseEc2');
    break;
  default:
    picked = new ecs.FargateTaskDefinition(stack, 'CaseFargate');
}
picked.addContainer('b', { image: ecs.ContainerImage.fromRegistry('b:1') });

let replaced = new ecs.FargateTaskDefinition(stack, 'Replaced');
replaced = new ecs.FargateTaskDefinition(stack, 'Replacement');
replaced.addContainer('c', { image: ecs.ContainerImage.fromRegistry('c:1') });

let later = null;
if (tier === 'ec2') {
  later = new ecs.FargateTaskDefinition(stack, 'BranchThenCallback');
}
[1].forEach(() => { later = new ecs.FargateTaskDefinition(stack, 'InCallback'); });
later.addContainer('d', { image: ecs.ContainerImage.fromRegistry('d:1') });
"""


def test_ts_let_given_its_value_in_branches_is_one_of_them(tmp_path: Path) -> None:
    """`let x = null; if (...) { x = A } else { x = B }`: a call on x after the statement applies to
    whichever of A and B was made (likewise the cases of a `switch`); a variable assigned anywhere
    else (in sequence, in a callback) stays unknown, since its value then depends on the order."""
    facts = facts_of(tmp_path, TS_APP | {"bin/app.ts": LET_BRANCHES_TS})
    images = {w.name: [i.ref for i in w.images] for w in facts.workloads}
    assert images == {
        "IfEc2": ["a:1"],
        "IfFargate": ["a:1"],
        "CaseEc2": ["b:1"],
        "CaseFargate": ["b:1"],
        "Replaced": [],
        "Replacement": [],
        "BranchThenCallback": [],
        "InCallback": [],
    }


def test_ts_ecs_patterns_and_autoscaling_capacity_provider(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "bin/app.ts": """
            import { App, Stack } from 'aws-cdk-lib';
            import { aws_ec2 as ec2, aws_ecs as ecs, aws_ecs_patterns as patterns, aws_autoscaling as autoscaling } from 'aws-cdk-lib';
            const stack = new Stack(new App(), 'S');
            new patterns.ApplicationLoadBalancedFargateService(stack, 'Web', {
              runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64 },
              taskImageOptions: { image: ecs.ContainerImage.fromAsset('web'), containerPort: 8080 },
            });
            new patterns.QueueProcessingFargateService(stack, 'Queue', { image: ecs.ContainerImage.fromAsset('queue') });
            new patterns.ScheduledFargateTask(stack, 'Cron', {
              scheduledFargateTaskImageOptions: { image: ecs.ContainerImage.fromAsset('cron') },
            });
            const asg = new autoscaling.AutoScalingGroup(stack, 'Asg', {
              instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
              machineImage: ecs.EcsOptimizedImage.amazonLinux2(ecs.AmiHardwareType.STANDARD),
            });
            new ecs.AsgCapacityProvider(stack, 'Provider', { autoScalingGroup: asg });
            """,
        },
    )
    web = workload(facts, "Web")
    assert (web.kind, web.arch.archs, web.arch_location, keys(web)) == (
        "cdk:aws_ecs_patterns.ApplicationLoadBalancedFargateService",
        {"arm64"},
        Location("bin/app.ts", 5),
        [frozenset({"cdk:src:bin/app.ts:6"})],
    )
    assert build_at(facts, "bin/app.ts", 6).platforms.how is How.HOST
    queue = workload(facts, "Queue")
    assert (queue.arch.how, queue.arch.archs, keys(queue)) == (
        How.DEFAULT,
        {"amd64"},
        [frozenset({"cdk:src:bin/app.ts:8"})],
    )
    assert keys(workload(facts, "Cron")) == [frozenset({"cdk:src:bin/app.ts:10"})]
    asg = capacity(facts, "Asg")
    assert (asg.kind, asg.cdk and asg.cdk.service, asg.cdk and asg.cdk.ecs_capacity_provider) == (
        "cdk:aws_autoscaling.AutoScalingGroup",
        "ecs",
        "Provider",
    )
    assert [(t.instance_type, t.arch) for t in asg.instance_types] == [("m7g.large", "arm64")]
    assert (asg.ami_arch.how, asg.ami_arch.archs) == (How.DERIVED, {"amd64"})  # a standard AMI on Graviton


# ---- EKS and Batch -------------------------------------------------------------------------


def test_ts_eks_node_groups(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "bin/app.ts": """
            import { App, Stack } from 'aws-cdk-lib';
            import * as ec2 from 'aws-cdk-lib/aws-ec2';
            import * as eks from 'aws-cdk-lib/aws-eks';
            const stack = new Stack(new App(), 'S');
            const cluster = new eks.Cluster(stack, 'Eks', { version: eks.KubernetesVersion.V1_30, defaultCapacity: 0 });
            cluster.addNodegroupCapacity('arm', {
              instanceTypes: [new ec2.InstanceType('m7g.large'), new ec2.InstanceType('c7g.large')],
              amiType: eks.NodegroupAmiType.AL2023_ARM_64_STANDARD,
            });
            cluster.addNodegroupCapacity('derived', { instanceTypes: [new ec2.InstanceType('m6i.large')] });
            new eks.Nodegroup(stack, 'Defaults', { cluster });
            """,
        },
    )
    arm = capacity(facts, "Eks/arm")
    assert (arm.kind, arm.location.line, arm.cdk and arm.cdk.service) == ("cdk:aws_eks.Nodegroup", 6, "eks")
    assert [(t.instance_type, t.arch, t.location.line) for t in arm.instance_types] == [
        ("m7g.large", "arm64", 7),
        ("c7g.large", "arm64", 7),
    ]
    assert (arm.ami_arch.how, arm.ami_arch.archs, arm.ami_location) == (
        How.EXPLICIT,
        {"arm64"},
        Location("bin/app.ts", 8),
    )
    derived = capacity(facts, "Eks/derived")
    assert (derived.ami_arch.how, derived.ami_arch.archs) == (How.DERIVED, {"amd64"})
    defaults = capacity(facts, "Defaults")
    assert [(t.instance_type, t.arch) for t in defaults.instance_types] == [("t3.medium", "amd64")]
    assert defaults.node_group is not None and defaults.node_group.instance_types_default is True
    assert len(facts.capacities) == 3  # defaultCapacity: 0 adds none


def test_py_batch_job_with_image_asset_and_compute_environment(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        PY_APP
        | {
            "app.py": """
            import aws_cdk as cdk
            from aws_cdk import aws_batch as batch, aws_ec2 as ec2, aws_ecs as ecs

            app = cdk.App()
            stack = cdk.Stack(app, "S")
            container = batch.EcsFargateContainerDefinition(
                stack,
                "Job",
                image=ecs.ContainerImage.from_asset("job"),
                cpu=1,
                memory=cdk.Size.gibibytes(2),
                fargate_cpu_architecture=ecs.CpuArchitecture.ARM64,
            )
            batch.EcsJobDefinition(stack, "JobDef", container=container)
            ec2_container = batch.EcsEc2ContainerDefinition(stack, "Ec2Job", image=ecs.ContainerImage.from_asset("job"), cpu=1, memory=cdk.Size.gibibytes(2))
            batch.ManagedEc2EcsComputeEnvironment(
                stack, "Compute", vpc=None, instance_types=[ec2.InstanceType("c7g.large")], use_optimal_instance_classes=False
            )
            """,
        },
    )
    job = workload(facts, "Job")
    assert (job.kind, job.service, job.arch.how, job.arch.archs, job.arch_location, job.arch_syntax) == (
        "cdk:aws_batch.EcsFargateContainerDefinition",
        "batch",
        How.EXPLICIT,
        {"arm64"},
        Location("app.py", 12),
        "cdk-py",
    )
    assert keys(job) == [frozenset({"cdk:src:app.py:9"})]
    ec2_job = workload(facts, "Ec2Job")
    assert (ec2_job.arch.how, ec2_job.arch.archs) == (How.DERIVED, {"arm64"})
    assert ec2_job.batch is not None and ec2_job.batch.environments is not None
    assert ec2_job.batch.environments.confidence == "medium"
    assert ec2_job.batch.environments.basis == (
        "the only EC2 compute environment of this CDK app (cdk.json): Compute (c7g.large)"
    )
    compute = capacity(facts, "Compute")
    assert [(t.instance_type, t.arch) for t in compute.instance_types] == [("c7g.large", "arm64")]


def test_py_batch_gpu_job_runs_on_the_gpu_compute_environment(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        PY_APP
        | {
            "app.py": """
            import aws_cdk as cdk
            from aws_cdk import aws_batch as batch, aws_ec2 as ec2, aws_ecs as ecs

            app = cdk.App()
            stack = cdk.Stack(app, "S")
            image = ecs.ContainerImage.from_registry("123456789012.dkr.ecr.us-east-1.amazonaws.com/train:v1")
            batch.EcsEc2ContainerDefinition(stack, "Train", image=image, cpu=4, memory=cdk.Size.gibibytes(16), gpu=1)
            batch.EcsEc2ContainerDefinition(stack, "Prepare", image=image, cpu=1, memory=cdk.Size.gibibytes(2))
            batch.ManagedEc2EcsComputeEnvironment(
                stack, "Graviton", vpc=None, instance_classes=[ec2.InstanceClass.C7G], use_optimal_instance_classes=False
            )
            batch.ManagedEc2EcsComputeEnvironment(
                stack, "Gpu", vpc=None, instance_types=[ec2.InstanceType("g5.xlarge")], use_optimal_instance_classes=False
            )
            """,
        },
    )
    train = workload(facts, "Train")
    assert (train.arch.how, train.arch.archs) == (How.DERIVED, {"amd64"})
    assert train.batch is not None and train.batch.gpu is True
    assert "the only GPU compute environment of this CDK app (cdk.json): Gpu (g5.xlarge)" in train.arch.note
    prepare = workload(facts, "Prepare")  # a CPU job may land on either environment
    assert prepare.arch.how is How.UNKNOWN and not prepare.arch.archs


def test_buildargs_platform_facts_for_arch401(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "img/Dockerfile": "ARG TARGETPLATFORM\nFROM python:3.12-slim\n",
            "bin/app.ts": """
            import { App, Stack } from 'aws-cdk-lib';
            import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
            const stack = new Stack(new App(), 'S');
            new DockerImageAsset(stack, 'Img', {
              directory: 'img',
              buildArgs: { '--platform': 'linux/arm64', TARGETPLATFORM: 'linux/arm64', VERSION: '1' },
            });
            """,
        },
    )
    common = {
        "value": "linux/arm64",
        "arch": "arm64",
        "asset": "CDK image asset img",
        "asset_location": Location("bin/app.ts", 4, 1),
        "effective_arch": None,
        "dockerfile": "img/Dockerfile",
        "target": None,
        "syntax": "cdk-ts",
        "unresolved": False,
        "location": Location("bin/app.ts", 6),
        "arg_used_in_from_platform": False,
        "dockerfile_read": True,
    }
    assert facts.extra.cdk_buildarg_platforms == [
        CdkBuildArgPlatform(**(common | {"key": "--platform", "dashed": True})),
        CdkBuildArgPlatform(**(common | {"key": "TARGETPLATFORM", "dashed": False})),
    ]


# ---- Python --------------------------------------------------------------------------------


def test_py_import_styles_snake_case_and_paths(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        PY_APP
        | {
            "app.py": """
            import aws_cdk as cdk
            from stacks.service import ServiceStack

            ServiceStack(cdk.App(), "S")
            """,
            "stacks/__init__.py": "",
            "stacks/config.py": """
            from aws_cdk import aws_lambda as lambda_

            ARCH = lambda_.Architecture.ARM_64
            """,
            "stacks/service.py": """
            from pathlib import Path

            import aws_cdk.aws_lambda as _lambda
            from aws_cdk import Stack, aws_ecs as ecs
            from aws_cdk.aws_ecr_assets import Platform
            from aws_cdk.aws_lambda import DockerImageCode, DockerImageFunction

            from .config import ARCH

            ROOT = Path(__file__).resolve().parent.parent


            class ServiceStack(Stack):
                def __init__(self, scope, construct_id, **kwargs):
                    super().__init__(scope, construct_id, **kwargs)
                    DockerImageFunction(
                        self,
                        "Fn",
                        code=DockerImageCode.from_image_asset(str(ROOT / "fn")),
                        architecture=ARCH,
                    )
                    _lambda.DockerImageFunction(self, "Fn2", code=_lambda.DockerImageCode.from_image_asset("fn"))
                    self.task = ecs.FargateTaskDefinition(
                        self, "Task", runtime_platform=ecs.RuntimePlatform(cpu_architecture=ecs.CpuArchitecture.ARM64)
                    )
                    self.task.add_container(
                        "web",
                        image=ecs.ContainerImage.from_asset(directory="web", platform=Platform.LINUX_ARM64),
                    )
            """,
        },
    )
    fn = workload(facts, "Fn")
    assert (fn.arch.how, fn.arch.archs, fn.arch_location, fn.arch_syntax) == (
        How.EXPLICIT,
        {"arm64"},
        Location("stacks/service.py", 20),
        "cdk-py",
    )
    b = build_at(facts, "stacks/service.py", 19)
    assert (b.platforms.archs, b.context, b.dockerfile, b.fix_syntax) == (
        {"arm64"},
        "fn",
        "fn/Dockerfile",
        "cdk-py",
    )
    fn2 = workload(facts, "Fn2")
    assert (fn2.arch.how, fn2.arch.archs) == (How.DEFAULT, {"amd64"})
    assert build_at(facts, "stacks/service.py", 22).platforms.how is How.HOST
    task = workload(facts, "Task")
    assert (task.arch.archs, task.arch_location, keys(task)) == (
        {"arm64"},
        Location("stacks/service.py", 24),
        [frozenset({"cdk:src:stacks/service.py:28"})],
    )
    b = build_at(facts, "stacks/service.py", 28)
    assert (b.platforms.archs, b.platform_location, b.context) == (
        {"arm64"},
        Location("stacks/service.py", 28),
        "web",
    )


# ---- host-derived --------------------------------------------------------------------------


def test_host_derived_values_are_marked_and_consistent_pairs_are_not_findings(tmp_path: Path) -> None:
    files = TS_APP | {
        "fn/Dockerfile": DOCKERFILE,
        "bin/app.ts": """
        import * as os from 'os';
        import { App, Stack } from 'aws-cdk-lib';
        import * as lambda from 'aws-cdk-lib/aws-lambda';
        import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
        const stack = new Stack(new App(), 'S');
        const arch = process.arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
        new lambda.DockerImageFunction(stack, 'Host', { architecture: arch, code: lambda.DockerImageCode.fromImageAsset('fn') });
        new lambda.DockerImageFunction(stack, 'HostPlatform', {
          architecture: lambda.Architecture.ARM_64,
          code: lambda.DockerImageCode.fromImageAsset('fn', { platform: Platform.custom(`linux/${os.arch()}`) }),
        });
        """,
    }
    facts = facts_of(tmp_path, files)
    host = workload(facts, "Host")
    assert (host.arch.how, host.cdk and host.cdk.host_derived, host.cdk and host.cdk.host_source) == (
        How.HOST,
        True,
        "process.arch",
    )
    b = build_at(facts, "bin/app.ts", 7)
    assert (b.platforms.how, b.link_keys) == (How.HOST, frozenset({"cdk:src:bin/app.ts:7", "cdk:hostarch"}))
    assert "process.arch" in b.platforms.note
    plain = workload(facts, "HostPlatform").cdk
    assert plain is not None and not plain.host_derived
    b = build_at(facts, "bin/app.ts", 10)
    assert (b.platforms.how, b.link_keys) == (How.HOST, frozenset({"cdk:src:bin/app.ts:10", "cdk:hostarch"}))
    result = scan([tmp_path], Config())
    # both sides of Host follow the same machine: nothing to report; HostPlatform is a real risk
    assert {(f.rule_id, f.location.line) for f in result.findings if f.rule_id.startswith("ARCH30")} == {
        ("ARCH302", 10)
    }


def test_py_platform_machine_is_host_derived(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        PY_APP
        | {
            "app.py": """
            import platform
            import aws_cdk as cdk
            from aws_cdk import aws_ecs as ecs
            stack = cdk.Stack(cdk.App(), "S")
            cpu = ecs.CpuArchitecture.ARM64 if platform.machine() in ("arm64", "aarch64") else ecs.CpuArchitecture.X86_64
            ecs.FargateTaskDefinition(stack, "Task", runtime_platform=ecs.RuntimePlatform(cpu_architecture=cpu))
            """,
        },
    )
    task = workload(facts, "Task")
    assert (task.arch.how, task.cdk and task.cdk.host_derived, task.cdk and task.cdk.host_source) == (
        How.HOST,
        True,
        "platform.machine()",
    )


# ---- JavaScript, discovery, robustness -----------------------------------------------------


def test_javascript_app_with_require(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        {
            "cdk.json": json.dumps({"app": "node app.js"}),
            "app.js": """
            const cdk = require('aws-cdk-lib');
            const { DockerImageAsset, Platform } = require('aws-cdk-lib/aws-ecr-assets');
            const { join } = require('path');
            const stack = new cdk.Stack(new cdk.App(), 'S');
            new DockerImageAsset(stack, 'Img', { directory: join(__dirname, 'img'), platform: Platform.LINUX_ARM64 });
            """,
        },
    )
    b = build_at(facts, "app.js", 5)
    assert (b.platforms.archs, b.context, b.fix_syntax) == ({"arm64"}, "img", "cdk-ts")


def test_syntax_errors_give_diagnostics_and_the_scan_goes_on(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "bin/app.ts": """
            import { App, Stack } from 'aws-cdk-lib';
            import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
            import './broken';
            const stack = new Stack(new App(), 'S');
            new DockerImageAsset(stack, 'Img', { directory: 'img' });
            """,
            "bin/broken.ts": "const x = {\n  a: (1,\n};\n",
            "py/cdk.json": json.dumps({"app": "python3 app.py"}),
            "py/app.py": "def broken(:\n    pass\n",
            "java/cdk.json": json.dumps({"app": "mvn -e -q compile exec:java"}),
        },
    )
    assert [b.location for b in facts.builds if b.source == "cdk"] == [Location("bin/app.ts", 5, 1)]
    by_path = {d.location.path: d for d in facts.diagnostics}
    assert by_path["bin/broken.ts"].location.line in (2, 3)
    assert by_path["py/app.py"].location.line == 1
    assert "Python syntax error" in by_path["py/app.py"].message
    assert by_path["java/cdk.json"].level == "note"


def test_nothing_from_the_app_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    facts_of(
        tmp_path,
        PY_APP
        | {"app.py": f"open({str(marker)!r}, 'w').write('ran')\nimport sitecustomize_should_not_load\n"},
    )
    assert not marker.exists()


def test_generated_app_of_50_constructs_is_fast(tmp_path: Path) -> None:
    lines = [
        "import * as path from 'path';",
        "import { App, Stack } from 'aws-cdk-lib';",
        "import * as lambda from 'aws-cdk-lib/aws-lambda';",
        "import * as ecs from 'aws-cdk-lib/aws-ecs';",
        "import { Platform } from 'aws-cdk-lib/aws-ecr-assets';",
        "const stack = new Stack(new App(), 'S');",
    ]
    for i in range(25):
        lines.append(
            f"new lambda.DockerImageFunction(stack, 'Fn{i}', {{ architecture: lambda.Architecture.ARM_64, "
            f"code: lambda.DockerImageCode.fromImageAsset(path.join(__dirname, 'fn{i}')) }});"
        )
        lines.append(
            f"const td{i} = new ecs.FargateTaskDefinition(stack, 'Task{i}', {{ runtimePlatform: {{ cpuArchitecture: ecs.CpuArchitecture.ARM64 }} }});\n"
            f"td{i}.addContainer('c', {{ image: ecs.ContainerImage.fromAsset('svc{i}', {{ platform: Platform.LINUX_ARM64 }}) }});"
        )
    write(tmp_path, TS_APP | {"bin/app.ts": "\n".join(lines) + "\n"})
    diagnostics: list = []
    files = discover(tmp_path, ScanOptions(), diagnostics)
    facts = RepoFacts(root=tmp_path)
    # CPU time with a wide margin (~0.1 s when linear): a guard against a blow-up in the number of
    # constructs, not a speed measurement, which is the benchmarks' job; wall time failed on a
    # loaded machine.
    started = time.process_time()
    cdk_source.extract(RepoView(tmp_path, files, ScanOptions(), diagnostics), facts)
    elapsed = time.process_time() - started
    assert (len(facts.workloads), len(facts.builds)) == (50, 50)
    assert elapsed < 3.0, f"{elapsed:.3f}s CPU"


@pytest.mark.parametrize(
    "example",
    [
        "ts_fargate_arm64_unpinned",
        "ts_fargate_arm64_pinned",
        "py_dockerimagefunction_noarch",
        "py_dockerimagefunction_arch",
    ],
)
def test_example_apps(example: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).parent / "fixtures" / "cdk" / example
    monkeypatch.chdir(root)
    result = scan([Path(".")], Config())
    got = sorted((f.rule_id, f.location.path, f.location.line) for f in result.findings)
    expected = {
        "ts_fargate_arm64_unpinned": [("ARCH302", "lib/service-stack.ts", 28)],
        "ts_fargate_arm64_pinned": [],
        "py_dockerimagefunction_noarch": [("ARCH302", "stacks/function_stack.py", 21)],
        "py_dockerimagefunction_arch": [],
    }[example]
    assert got == expected


def test_source_wins_over_a_committed_cdk_out(tmp_path: Path) -> None:
    import shutil

    from archmatch.config import Config
    from archmatch.engine import analyze

    app = tmp_path / "app"
    shutil.copytree(Path(__file__).parent / "fixtures" / "cdk" / "ts_fargate_arm64_unpinned", app)
    (app / "cdk.out").mkdir()
    (app / "cdk.out" / "Stack.assets.json").write_text(
        '{"dockerImages": {"abc": {"source": {"directory": "asset.abc"}, "destinations": {}}}}'
    )
    facts, _ = analyze(tmp_path, Config())
    assert [b.location.path for b in facts.builds] == ["app/lib/service-stack.ts"]
    assert [w.name for w in facts.workloads] == ["Web"]
    assert any(d.location.path == "app/cdk.out" and d.level == "note" for d in facts.diagnostics)


# ---- data flow: parameters, return values, fields, instances, defaults (issue 13 item 7) --------


def test_ts_values_flow_through_parameters_returns_fields_and_instances(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "bin/app.ts": """
            import { App } from 'aws-cdk-lib';
            import { SharedStack } from '../lib/shared';
            import { ApiStack } from '../lib/api';
            const app = new App();
            const shared = new SharedStack(app, 'Shared');
            new ApiStack(app, 'Api', { taskDef: shared.taskDef, imageDir: 'api' });
            """,
            "lib/images.ts": """
            import * as ecs from 'aws-cdk-lib/aws-ecs';
            export function assetImage(dir: string) {
              return ecs.ContainerImage.fromAsset(dir);
            }
            export const worker = (cpu?: ecs.CpuArchitecture) => cpu ?? ecs.CpuArchitecture.ARM64;
            """,
            "lib/shared.ts": """
            import { Stack } from 'aws-cdk-lib';
            import * as ecs from 'aws-cdk-lib/aws-ecs';
            import { Construct } from 'constructs';
            import { worker } from './images';
            export class SharedStack extends Stack {
              public readonly taskDef: ecs.FargateTaskDefinition;
              constructor(scope: Construct, id: string) {
                super(scope, id);
                this.taskDef = new ecs.FargateTaskDefinition(this, 'Shared', {
                  runtimePlatform: { cpuArchitecture: worker() },
                });
              }
            }
            """,
            "lib/api.ts": """
            import { Stack } from 'aws-cdk-lib';
            import * as ecs from 'aws-cdk-lib/aws-ecs';
            import { Construct } from 'constructs';
            import { assetImage } from './images';
            export interface ApiProps { taskDef: ecs.TaskDefinition; imageDir: string }
            export class ApiStack extends Stack {
              constructor(scope: Construct, id: string, props: ApiProps) {
                super(scope, id);
                props.taskDef.addContainer('api', { image: assetImage(props.imageDir) });
              }
            }
            """,
        },
    )
    shared = workload(facts, "Shared")
    assert (shared.arch.how, shared.arch.archs) == (How.EXPLICIT, {"arm64"})  # the helper's default
    b = build_at(facts, "lib/images.ts", 3)
    assert (b.context, b.platforms.how) == ("api", How.HOST)  # the directory the one caller passes
    assert keys(shared) == [frozenset({"cdk:src:lib/images.ts:3"})]  # added through the other stack


def test_py_values_flow_through_parameters_returns_properties_and_defaults(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        PY_APP
        | {
            "app.py": """
            import aws_cdk as cdk
            from stacks.service import ServiceStack
            app = cdk.App()
            ServiceStack(app, "Arm")
            ServiceStack(app, "X86", cpu="X86_64")
            app.synth()
            """,
            "stacks/__init__.py": "",
            "stacks/service.py": """
            import aws_cdk as cdk
            from aws_cdk import aws_ecs as ecs

            def task(scope, name, cpu):
                return ecs.FargateTaskDefinition(
                    scope, name, runtime_platform=ecs.RuntimePlatform(cpu_architecture=ecs.CpuArchitecture.of(cpu))
                )

            class ServiceStack(cdk.Stack):
                def __init__(self, scope, construct_id, *, cpu="ARM64", **kwargs):
                    super().__init__(scope, construct_id, **kwargs)
                    self.task_def = task(self, "Task", cpu)
                    self.task_def.add_container("web", image=self.image)

                @property
                def image(self):
                    return ecs.ContainerImage.from_asset("web")
            """,
        },
    )
    task = workload(facts, "Task")
    # one construct call, two stacks passing different values: unknown, never one of them
    assert task.arch.how is How.UNKNOWN
    assert keys(task) == [frozenset({"cdk:src:stacks/service.py:17"})]
    assert build_at(facts, "stacks/service.py", 17).context == "web"


def test_ts_conditional_image_gives_both_candidates(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "bin/app.ts": """
            import { App, Stack } from 'aws-cdk-lib';
            import * as ecs from 'aws-cdk-lib/aws-ecs';
            const stack = new Stack(new App(), 'S');
            const local = stack.node.tryGetContext('local');
            const td = new ecs.FargateTaskDefinition(stack, 'Task');
            td.addContainer('app', { image: local ? ecs.ContainerImage.fromAsset('app') : ecs.ContainerImage.fromRegistry('nginx:1.27') });
            """,
        },
    )
    refs = workload(facts, "Task").images
    assert [(r.ref, sorted(r.link_keys)) for r in refs] == [
        ("", ["cdk:src:bin/app.ts:6"]),
        ("nginx:1.27", []),
    ]
    assert all(r.candidate == "one of 2 images chosen by a condition at bin/app.ts:6" for r in refs)


def test_construct_libraries_without_cdk_json(tmp_path: Path) -> None:
    package = '{"name": "lib", "peerDependencies": {"aws-cdk-lib": "^2.150.0"}}'
    construct = """
    import * as lambda from 'aws-cdk-lib/aws-lambda';
    import { Construct } from 'constructs';
    export interface ResizerProps { readonly architecture?: lambda.Architecture }
    export class Resizer extends Construct {
      constructor(scope: Construct, id: string, props: ResizerProps = {}) {
        super(scope, id);
        new lambda.DockerImageFunction(this, 'Resize', { code: lambda.DockerImageCode.fromImageAsset('fn') });
        new lambda.DockerImageFunction(this, 'Custom', {
          architecture: props.architecture ?? lambda.Architecture.ARM_64,
          code: lambda.DockerImageCode.fromImageAsset('fn'),
        });
      }
    }
    """
    facts = facts_of(
        tmp_path,
        {
            "packages/images/package.json": package,
            "packages/images/src/resizer.ts": construct,
            "packages/images/lib/resizer.js": "const lambda = require('aws-cdk-lib/aws-lambda');\nnew lambda.DockerImageFunction(this, 'Compiled', { code: lambda.DockerImageCode.fromImageAsset('fn') });\n",
            "packages/images/test/resizer.test.ts": "import * as lambda from 'aws-cdk-lib/aws-lambda';\nnew lambda.DockerImageFunction(stack, 'InTest', { code: lambda.DockerImageCode.fromImageAsset('fn') });\n",
            "packages/web/package.json": '{"name": "web", "dependencies": {"react": "^18.0.0"}}',
            "packages/web/src/x.ts": "import * as lambda from 'aws-cdk-lib/aws-lambda';\nnew lambda.DockerImageFunction(s, 'NotCdk', { code: lambda.DockerImageCode.fromImageAsset('fn') });\n",
        },
    )
    assert sorted(w.name for w in facts.workloads) == ["Custom", "Resize"]
    assert workload(facts, "Resize").arch.how is How.DEFAULT
    # a consumer outside the repository may pass any architecture: not the default alone
    assert workload(facts, "Custom").arch.how is How.UNKNOWN
    assert build_at(facts, "packages/images/src/resizer.ts", 7).context == "packages/images/fn"
    assert Project("packages/images", "cdk-library", "packages/images/package.json") in facts.projects
    assert {w.project for w in facts.workloads} == {"packages/images"}


def test_data_flow_is_bounded(tmp_path: Path) -> None:
    callers = "\n".join(f"pick(stack, 'dir{i}');" for i in range(30))
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "bin/app.ts": f"""
            import {{ App, Stack }} from 'aws-cdk-lib';
            import * as lambda from 'aws-cdk-lib/aws-lambda';
            import {{ loop }} from '../lib/loop';
            const stack = new Stack(new App(), 'S');
            function pick(scope: Stack, dir: string) {{
              return new lambda.DockerImageFunction(scope, 'Many', {{ code: lambda.DockerImageCode.fromImageAsset(dir) }});
            }}
            {callers}
            function down(n: any): any {{ return down(n); }}
            new lambda.DockerImageFunction(stack, 'Loop', {{ architecture: down(loop(1)), code: lambda.DockerImageCode.fromImageAsset('x') }});
            """,
            "lib/loop.ts": """
            import { again } from './again';
            export function loop(x: any): any { return again(x); }
            """,
            "lib/again.ts": """
            import { loop } from './loop';
            export function again(x: any): any { return loop(x); }
            """,
        },
    )
    assert workload(facts, "Loop").arch.how is How.UNKNOWN
    many = [b for b in facts.builds if b.location.line == 6]
    assert [b.context for b in many] == [None]  # more callers than followed: the directory is unknown


# ---- CodeBuild projects as build hosts ------------------------------------------------------


def codebuild_builds(facts: RepoFacts) -> list[ImageBuild]:
    return [b for b in facts.builds if b.source == "codebuild"]


@pytest.mark.parametrize(
    ("image", "hint"),
    [
        ("codebuild.LinuxArmBuildImage.AMAZON_LINUX_2_STANDARD_3_0", {"arm64"}),
        ("codebuild.LinuxBuildImage.AMAZON_LINUX_2_ARM_3", {"arm64"}),  # an ARM alias on LinuxBuildImage
        ("codebuild.LinuxBuildImage.STANDARD_7_0", {"amd64"}),
        ("codebuild.LinuxBuildImage.fromDockerRegistry('ubuntu:24.04')", {"amd64"}),
        ("codebuild.LinuxArmBuildImage.fromCodeBuildImageId('x')", {"arm64"}),
        ("codebuild.LinuxArmLambdaBuildImage.AMAZON_LINUX_2023_NODE_20", {"arm64"}),
        ("codebuild.LinuxGpuBuildImage.DLC_TENSORFLOW_2_1_0_TRAINING", set()),
        (
            "process.env.ARM ? codebuild.LinuxArmBuildImage.AMAZON_LINUX_2_STANDARD_3_0 : codebuild.LinuxBuildImage.STANDARD_7_0",
            set(),
        ),
        ("imageFromSomewhere()", set()),
    ],
)
def test_codebuild_build_image_class_gives_the_host(tmp_path: Path, image: str, hint: set[str]) -> None:
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "app/Dockerfile": DOCKERFILE,
            "bin/app.ts": f"""
            import {{ App, Stack }} from 'aws-cdk-lib';
            import * as codebuild from 'aws-cdk-lib/aws-codebuild';
            declare function imageFromSomewhere(): codebuild.IBuildImage;
            const stack = new Stack(new App(), 'S');
            new codebuild.Project(stack, 'P', {{
              environment: {{ buildImage: {image} }},
              buildSpec: codebuild.BuildSpec.fromObject({{
                version: '0.2',
                phases: {{ build: {{ commands: ['docker build -t app:1 app'] }} }},
              }}),
            }});
            """,
        },
    )
    (build,) = codebuild_builds(facts)
    assert build.location == Location("bin/app.ts", 9)
    assert build.platforms.how is How.HOST and build.platforms.host_hint == frozenset(hint)
    assert build.dockerfile == "app/Dockerfile"


def test_codebuild_python_inline_spec_and_variables(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        PY_APP
        | {
            "svc/Dockerfile": DOCKERFILE,
            "app.py": """
            import aws_cdk as cdk
            from aws_cdk import aws_codebuild as codebuild

            stack = cdk.Stack(cdk.App(), "S")
            codebuild.PipelineProject(
                stack,
                "P",
                environment=codebuild.BuildEnvironment(build_image=codebuild.LinuxArmBuildImage.AMAZON_LINUX_2_STANDARD_3_0),
                environment_variables={"TAG": codebuild.BuildEnvironmentVariable(value="9")},
                build_spec=codebuild.BuildSpec.from_object({
                    "version": "0.2",
                    "phases": {
                        "pre_build": {"commands": ["cd svc"]},
                        "build": {"commands": [
                            "docker build -t web:$TAG .",
                        ]},
                    },
                }),
            )
            """,
        },
    )
    (build,) = codebuild_builds(facts)
    assert build.location == Location("app.py", 15)
    assert build.tags == ["web:9"]
    assert build.dockerfile == "svc/Dockerfile"
    assert build.platforms.host_hint == frozenset({"arm64"})


def test_codebuild_buildspec_files_from_source_and_asset(tmp_path: Path) -> None:
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - docker build -t a:1 app\n"
    facts = facts_of(
        tmp_path,
        {"infra/cdk.json": json.dumps({"app": "npx ts-node bin/app.ts"})}
        | {
            "app/Dockerfile": DOCKERFILE,
            "ci/source.yml": spec,
            "infra/specs/asset.yml": spec,
            "outside.yml": spec,
            "infra/bin/app.ts": """
            import { App, Stack } from 'aws-cdk-lib';
            import * as codebuild from 'aws-cdk-lib/aws-codebuild';
            const stack = new Stack(new App(), 'S');
            const arm = { buildImage: codebuild.LinuxArmBuildImage.AMAZON_LINUX_2_STANDARD_3_0 };
            new codebuild.Project(stack, 'A', { environment: arm, buildSpec: codebuild.BuildSpec.fromSourceFilename('ci/source.yml') });
            new codebuild.Project(stack, 'B', { environment: arm, buildSpec: codebuild.BuildSpec.fromAsset('specs/asset.yml') });
            new codebuild.Project(stack, 'C', { environment: arm, buildSpec: codebuild.BuildSpec.fromAsset('../../outside.yml') });
            new codebuild.Project(stack, 'D', { environment: arm, buildSpec: codebuild.BuildSpec.fromAsset('/etc/passwd') });
            """,
        },
    )
    hosts = {b.location.path: b.platforms.host_hint for b in codebuild_builds(facts)}
    # the spec outside the app's scan root is refused; outside.yml itself is still read as a buildspec
    # file no project names (`buildspec*.yml` only), so it is not a build at all here
    assert hosts == {"ci/source.yml": frozenset({"arm64"}), "infra/specs/asset.yml": frozenset({"arm64"})}


def test_codebuild_hostile_inline_spec_is_bounded(tmp_path: Path) -> None:
    deep = "{ a: " * 300 + "1" + " }" * 300
    commands = ", ".join(f"'docker build -t x{i}:1 app'" for i in range(3000))
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "app/Dockerfile": DOCKERFILE,
            "bin/app.ts": f"""
            import {{ App, Stack }} from 'aws-cdk-lib';
            import * as codebuild from 'aws-cdk-lib/aws-codebuild';
            const stack = new Stack(new App(), 'S');
            new codebuild.Project(stack, 'Deep', {{ buildSpec: codebuild.BuildSpec.fromObject({deep}) }});
            new codebuild.Project(stack, 'Wide', {{
              buildSpec: codebuild.BuildSpec.fromObject({{ phases: {{ build: {{ commands: [{commands}] }} }} }}),
            }});
            """,
        },
    )
    builds = codebuild_builds(facts)
    assert 0 < len(builds) <= 3000
    assert all(b.platforms.host_hint == frozenset({"amd64"}) for b in builds)


def test_computed_asset_folder_found_by_its_literal_end_only_when_one_folder_fits(tmp_path: Path) -> None:
    """`path.join(findup(...) || '../..', '..', 'app', 'docker')`: the folder is unknown, but the
    segments written after the computed part name it when exactly one folder ends in them."""
    stack = """
    import * as path from 'path';
    import { sync as findup } from 'find-up';
    import { App, Stack } from 'aws-cdk-lib';
    import * as ecr_assets from 'aws-cdk-lib/aws-ecr-assets';
    const stack = new Stack(new App(), 'S');
    new ecr_assets.DockerImageAsset(stack, 'Unique', { directory: path.join(findup('pkg') || '../..', '..', 'app', 'docker') });
    new ecr_assets.DockerImageAsset(stack, 'Twice', { directory: path.join(findup('pkg') || '../..', 'shared', 'docker') });
    new ecr_assets.DockerImageAsset(stack, 'Named', { directory: path.join(findup('pkg') || '.', 'app'), file: 'docker/Dockerfile' });
    """
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "bin/app.ts": stack,
            "services/app/docker/Dockerfile": DOCKERFILE,
            "one/shared/docker/Dockerfile": DOCKERFILE,
            "two/shared/docker/Dockerfile": DOCKERFILE,
        },
    )
    unique = build_at(facts, "bin/app.ts", 6)
    assert (unique.context, unique.dockerfile) == ("services/app/docker", "services/app/docker/Dockerfile")
    assert "computed path; the only folder ending in app/docker" in unique.name
    twice = build_at(facts, "bin/app.ts", 7)
    assert (twice.context, twice.dockerfile) == (None, None)  # two folders fit: still unknown
    named = build_at(facts, "bin/app.ts", 8)  # the asset's `file` is looked for under the folder
    assert (named.context, named.dockerfile) == ("services/app", "services/app/docker/Dockerfile")


def test_py_eks_node_group_with_the_deprecated_single_instance_type(tmp_path: Path) -> None:
    """`add_nodegroup_capacity(..., instance_type=m6g.large)` (CDK v1 style) is an m6g node group,
    not the EKS default t3.medium."""
    facts = facts_of(
        tmp_path,
        PY_APP
        | {
            "app.py": """
            from aws_cdk import core, aws_ec2 as ec2, aws_eks as eks
            app = core.App()
            stack = core.Stack(app, "S")
            cluster = eks.Cluster(stack, "EKS", version=eks.KubernetesVersion.V1_21, default_capacity=0)
            cluster.add_nodegroup_capacity("graviton", desired_size=1, instance_type=ec2.InstanceType("m6g.large"))
            """,
        },
    )
    graviton = capacity(facts, "EKS/graviton")
    assert [(t.instance_type, t.arch) for t in graviton.instance_types] == [("m6g.large", "arm64")]
    assert (graviton.ami_arch.how, graviton.ami_arch.archs) == (How.DERIVED, {"arm64"})
    assert graviton.node_group is not None and graviton.node_group.instance_types_default is False


# ---- packages of the same monorepo imported by name ------------------------------------------

WORKER_TS = """
import * as path from 'path';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
export class Worker extends Construct {
  constructor(scope: Construct, id: string, props: { cpu: ecs.CpuArchitecture }) {
    super(scope, id);
    const task = new ecs.FargateTaskDefinition(this, 'Task', { runtimePlatform: { cpuArchitecture: props.cpu } });
    task.addContainer('app', { image: ecs.ContainerImage.fromAsset(path.join(__dirname, '..', 'docker')) });
  }
}
"""


def app_using(spec: str, name: str = "Worker") -> str:
    return f"""
    import {{ App, Stack }} from 'aws-cdk-lib';
    import * as ecs from 'aws-cdk-lib/aws-ecs';
    import {{ {name} }} from '{spec}';
    new {name}(new Stack(new App(), 'S'), 'W', {{ cpu: ecs.CpuArchitecture.ARM64 }});
    """


def repo_view(root: Path) -> RepoView:
    diagnostics: list = []
    return RepoView(root, discover(root, ScanOptions(), diagnostics), ScanOptions(), diagnostics)


def task_arch(facts: RepoFacts) -> set[str]:
    return set(workload(facts, "Task").arch.archs)


@pytest.mark.parametrize(
    ("root_files", "dependency"),
    [
        ({"package.json": '{"workspaces": ["packages/*"]}'}, "*"),
        ({"package.json": '{"workspaces": {"packages": ["packages/**", "!packages/ignored"]}}'}, "*"),
        ({"pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n"}, "workspace:*"),
        ({}, "file:../constructs"),
        ({}, "link:../constructs"),
    ],
)
def test_workspace_package_import_carries_values_into_its_constructs(
    tmp_path: Path, root_files: dict[str, str], dependency: str
) -> None:
    facts = facts_of(
        tmp_path,
        root_files
        | {
            "packages/infra/cdk.json": json.dumps({"app": "npx ts-node bin/app.ts"}),
            "packages/infra/package.json": json.dumps({"dependencies": {"@shop/constructs": dependency}}),
            "packages/infra/bin/app.ts": app_using("@shop/constructs"),
            "packages/constructs/package.json": json.dumps(
                {"name": "@shop/constructs", "main": "lib/index.js", "types": "lib/index.d.ts"}
            ),
            "packages/constructs/src/index.ts": "export { Worker } from './worker';\n",
            "packages/constructs/src/worker.ts": WORKER_TS,
            "packages/constructs/docker/Dockerfile": DOCKERFILE,
        },
    )
    assert task_arch(facts) == {"arm64"}


def test_workspace_entry_forms_and_subpath_imports(tmp_path: Path) -> None:
    base = {
        "package.json": '{"workspaces": ["packages/*"]}',
        "packages/infra/cdk.json": json.dumps({"app": "npx ts-node bin/app.ts"}),
        "packages/c/docker/Dockerfile": DOCKERFILE,
        "packages/c/lib/worker.ts": WORKER_TS,
    }
    exported = base | {
        "packages/c/package.json": json.dumps({"name": "c", "exports": {".": {"import": "./lib/worker.js"}}}),
        "packages/infra/bin/app.ts": app_using("c"),
    }
    assert task_arch(facts_of(tmp_path / "exports", exported)) == {"arm64"}
    subpath = base | {
        "packages/c/package.json": json.dumps({"name": "c"}),
        "packages/infra/bin/app.ts": app_using("c/lib/worker"),
    }
    assert task_arch(facts_of(tmp_path / "subpath", subpath)) == {"arm64"}


def test_workspace_packages_outside_the_root_or_package_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(
        outside, {"package.json": '{"name": "@shop/constructs", "main": "worker.ts"}', "worker.ts": WORKER_TS}
    )
    root = tmp_path / "repo"
    write(
        root,
        {
            "infra/cdk.json": json.dumps({"app": "npx ts-node bin/app.ts"}),
            "infra/package.json": json.dumps(
                {"dependencies": {"@shop/constructs": "file:../../outside", "escaping": "file:../escaping"}}
            ),
            "infra/bin/app.ts": app_using("@shop/constructs") + "import { X } from 'escaping';\n",
            "escaping/package.json": json.dumps({"name": "escaping", "main": "../../outside/worker.js"}),
        },
    )
    facts, _ = analyze(root, Config())
    assert not facts.workloads  # nothing outside the scan root (or the package folder) is read
    notes = [d.message for d in facts.diagnostics if "not a package inside the scan root" in d.message]
    assert len(notes) == 1 and "file:../../outside" in notes[0]
    view = repo_view(root)
    from archmatch.extract.cdk_source import workspaces

    assert workspaces.resolve(view, "infra/bin/app.ts", "escaping") is None


def test_workspace_cycles_and_hostile_globs_are_bounded(tmp_path: Path) -> None:
    files = {
        "package.json": json.dumps({"workspaces": ["packages/*", "**/" * 40 + "x", "*" * 300]}),
        "packages/infra/cdk.json": json.dumps({"app": "npx ts-node bin/app.ts"}),
        "packages/infra/bin/app.ts": app_using("a", "Worker"),
        "packages/a/package.json": json.dumps({"name": "a", "main": "index.ts"}),
        "packages/a/index.ts": "export * from 'b';\nexport { Worker } from './worker';\n",
        "packages/a/worker.ts": WORKER_TS,
        "packages/a/docker/Dockerfile": DOCKERFILE,
        "packages/b/package.json": json.dumps({"name": "b", "main": "index.ts"}),
        "packages/b/index.ts": "export * from 'a';\nexport { Nothing } from 'b';\n",  # a cycle, and itself
    }
    for i in range(1500):  # a huge package tree, every package a workspace root: indexed once, bounded
        manifest = {"name": f"p{i}", "main": "index.ts", "workspaces": ["**/*"] * 200}
        files[f"packages/p{i}/package.json"] = json.dumps(manifest)
    write(tmp_path, files)
    started = time.monotonic()
    facts, _ = analyze(tmp_path, Config())
    assert time.monotonic() - started < 60
    assert not [d for d in facts.diagnostics if d.code == "internal"]
    assert task_arch(facts) == {"arm64"}


def test_codebuild_commands_written_as_template_literals_are_read(tmp_path: Path) -> None:
    """Commands built from values known only at synth time are still builds: each unknown part is an
    unresolved `${name}`, and a conditional part that may set the platform leaves it unknown."""
    facts = facts_of(
        tmp_path,
        TS_APP
        | {
            "app/Dockerfile": DOCKERFILE,
            "bin/app.ts": """
            import { App, Stack } from 'aws-cdk-lib';
            import { BuildSpec, LinuxBuildImage, PipelineProject } from 'aws-cdk-lib/aws-codebuild';
            const stack = new Stack(new App(), 'S');
            const tag: string = stack.node.tryGetContext('tag');
            const file: string | undefined = stack.node.tryGetContext('file');
            const arm: boolean = stack.node.tryGetContext('arm');
            new PipelineProject(stack, 'P', {
              environment: { buildImage: LinuxBuildImage.STANDARD_7_0 },
              buildSpec: BuildSpec.fromObject({ phases: { build: { commands: [
                `docker build -t web:${tag} app`,
                `docker build ${file ? `-f ${file} ` : ''}-t api:${tag} app`,
                'docker build ' + (arm ? '--platform linux/arm64 ' : '') + '-t worker:' + tag + ' app',
                `docker build --platform ${arm ? 'linux/arm64' : 'linux/amd64'} -t batch:${tag} app`,
              ] } } }),
            });
            """,
        },
    )
    builds = {b.tags[0].split(":")[0]: b for b in codebuild_builds(facts)}
    assert sorted(builds) == ["api", "batch", "web", "worker"]
    web = builds["web"]
    assert (web.tags, web.dockerfile, web.platforms.how) == (["web:${tag}"], "app/Dockerfile", How.HOST)
    assert builds["api"].dockerfile is None  # `-f` or not: the Dockerfile is not known
    assert builds["api"].platforms.how is How.HOST  # neither branch sets a platform
    assert builds["worker"].platforms.how is How.UNKNOWN  # one branch does
    assert builds["batch"].platforms.how is How.UNKNOWN


def test_codebuild_python_f_string_commands_are_read(tmp_path: Path) -> None:
    facts = facts_of(
        tmp_path,
        PY_APP
        | {
            "svc/Dockerfile": DOCKERFILE,
            "app.py": """
            import aws_cdk as cdk
            from aws_cdk import aws_codebuild as codebuild

            app = cdk.App()
            stack = cdk.Stack(app, "S")
            tag = app.node.try_get_context("tag")
            codebuild.PipelineProject(
                stack,
                "P",
                build_spec=codebuild.BuildSpec.from_object({
                    "phases": {"build": {"commands": [f"docker build -t web:{tag} svc"]}},
                }),
            )
            """,
        },
    )
    (build,) = codebuild_builds(facts)
    assert (build.tags, build.dockerfile, build.platforms.how) == (["web:${tag}"], "svc/Dockerfile", How.HOST)
