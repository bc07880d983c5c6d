"""SST apps as CDK apps, the Batch constructs of `@aws-cdk/aws-batch(-alpha)`, JSON files the app code
loads, and asset folders chosen by a condition (the DroneYard recall case)."""

from __future__ import annotations

import json
from pathlib import Path

from test_cdk_source import capacity, facts_of, workload

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.extract.cdk_source import jsonvalues
from archmatch.model import RepoFacts
from archmatch.platforms import How

SST_V1 = {
    "sst.json": json.dumps({"name": "jobs", "main": "stacks/index.js"}),
    "package.json": json.dumps({"devDependencies": {"aws-cdk-lib": "2.39.1"}}),
    "stacks/index.js": "import JobStack from './JobStack';\nexport default function main(app) { app.stack(JobStack); }\n",
    "docker/Dockerfile": "FROM python:3.12-slim\n",
    "dockergpu/Dockerfile": "FROM python:3.12-slim\n",
}

ALPHA_STACK = """
import * as batch from '@aws-cdk/aws-batch-alpha';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
const path = require('path');
const cfg = require('../awsconfig.json');
const __dirname = path.resolve();

export default function JobStack({ stack }) {
  const environment = new batch.ComputeEnvironment(stack, 'Environment', {
    computeResources: { type: batch.ComputeResourceType.SPOT, instanceTypes: cfg.computeEnv.instanceTypes },
  });
  const asset = new DockerImageAsset(stack, 'Image', {
    directory: path.join(__dirname, cfg.computeEnv.useGpu ? 'dockergpu' : 'docker'),
  });
  new batch.JobDefinition(stack, 'Job', {
    PLATFORM
    container: { image: ecs.ContainerImage.fromDockerImageAsset(asset), gpuCount: cfg.computeEnv.useGpu ? 1 : 0 },
  });
}
"""


def alpha_app(config: str | None, platform: str = "") -> dict[str, str]:
    files = {**SST_V1, "stacks/JobStack.js": ALPHA_STACK.replace("PLATFORM", platform)}
    if config is not None:
        files["awsconfig.json"] = config
    return files


def graviton(types: str = '["r6gd.4xlarge"]') -> str:
    return '{\n  "computeEnv": {\n    "useGpu": false,\n    "instanceTypes": ' + types + "\n  }\n}\n"


def test_sst_v1_alpha_job_runs_on_the_instance_types_of_a_required_json_file(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, alpha_app(graviton()))
    environment = capacity(facts, "Environment")
    assert [(t.instance_type, t.arch) for t in environment.instance_types] == [("r6gd.4xlarge", "arm64")]
    assert (
        str(environment.instance_types[0].location) == "awsconfig.json:4"
    )  # the value's line in the JSON file
    assert environment.cdk is not None and environment.cdk.app == "sst.json"
    job = workload(facts, "Job")
    assert job.service == "batch" and job.ecs is not None and not job.ecs.fargate
    assert job.arch.how is How.DERIVED and job.arch.archs == {"arm64"}
    assert job.batch is not None and job.batch.gpu is None  # `useGpu ? 1 : 0`: either
    assert any(p.kind == "cdk" and p.marker == "sst.json" for p in facts.projects)


def test_a_folder_chosen_by_a_condition_is_two_candidate_builds_and_one_finding(tmp_path: Path) -> None:
    files = alpha_app(graviton())
    facts = facts_of(tmp_path, files)
    builds = sorted((b.dockerfile, b.location.line) for b in facts.builds if b.source == "cdk")
    assert builds == [("docker/Dockerfile", 12), ("dockergpu/Dockerfile", 12)]
    result = scan([tmp_path], Config())
    found = [f for f in result.findings if f.rule_id == "ARCH302"]
    assert len(found) == 1, [f.message for f in found]
    assert "one of 2 folders chosen by the condition" in found[0].message
    assert any(r.location.path == "dockergpu/Dockerfile" for r in found[0].related)


def test_missing_or_oversized_json_leaves_the_environment_unknown(tmp_path: Path) -> None:
    missing = facts_of(tmp_path / "missing", alpha_app(None))
    assert capacity(missing, "Environment").instance_types == []
    assert workload(missing, "Job").arch.how is How.UNKNOWN
    big = '["r6gd.4xlarge"' + ', "r6gd.4xlarge"' * (jsonvalues.MAX_JSON_NODES + 1) + "]"
    oversized = facts_of(tmp_path / "big", alpha_app(graviton(big)))
    assert workload(oversized, "Job").arch.how is How.UNKNOWN


def test_legacy_batch_defaults_fargate_jobs_and_environments(tmp_path: Path) -> None:
    stack = """
    import * as batch from '@aws-cdk/aws-batch';
    import * as ecs from '@aws-cdk/aws-ecs';
    export default function S({ stack }) {
      new batch.ComputeEnvironment(stack, 'Optimal', { computeResources: { vpc } });
      new batch.ComputeEnvironment(stack, 'Unmanaged', { managed: false });
      new batch.ComputeEnvironment(stack, 'Fargate', { computeResources: { type: batch.ComputeResourceType.FARGATE } });
      new batch.ComputeEnvironment(stack, 'SomeType', { computeResources: { type: process.env.TYPE } });
      new batch.JobDefinition(stack, 'OnFargate', {
        platformCapabilities: [batch.PlatformCapabilities.FARGATE],
        container: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/x/job:1') },
      });
      new batch.JobDefinition(stack, 'Either', {
        platformCapabilities: [process.env.CAPABILITY],
        container: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/x/job:1') },
      });
    }
    """
    facts = facts_of(tmp_path, {**SST_V1, "stacks/JobStack.js": stack})
    optimal = capacity(facts, "Optimal")
    assert [t.instance_type for t in optimal.instance_types] == ["optimal"]
    assert optimal.batch_type == "ON_DEMAND"
    assert capacity(facts, "Unmanaged").instance_types == []
    assert capacity(facts, "Fargate").fargate
    assert capacity(facts, "SomeType").instance_types == []  # maybe Fargate: no default instance types
    job = workload(facts, "OnFargate")
    assert job.ecs is not None and job.ecs.fargate
    assert job.arch.how is How.DEFAULT and job.arch.archs == {"amd64"}
    either = workload(facts, "Either")  # not placed on the `optimal` environment: it may run on Fargate
    assert either.arch.how is How.UNKNOWN and either.arch_location is not None and either.batch is None


def sst_v2(package: dict[str, object], stack: str) -> dict[str, str]:
    return {
        "sst.config.ts": 'import { JobStack } from "./stacks/JobStack";\n'
        "export default { config() { return { name: 'x' }; }, stacks(app) { app.stack(JobStack); } };\n",
        "package.json": json.dumps(package),
        "config.json": '{"batch": {"instanceType": "c7g.large"}}',
        "stacks/JobStack.ts": stack,
        "job/Dockerfile": "FROM python:3.12-slim\n",
    }


V2_STACK = """
import * as batch from "aws-cdk-lib/aws-batch";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import { batch as settings } from "../config.json";
export function JobStack({ stack }) {
  new batch.ManagedEc2EcsComputeEnvironment(stack, "Environment", {
    useOptimalInstanceClasses: false,
    instanceTypes: [new ec2.InstanceType(settings.instanceType)],
  });
  new batch.EcsEc2ContainerDefinition(stack, "Container", { image: ecs.ContainerImage.fromAsset("job") });
}
"""


def test_sst_v2_config_is_the_entry_and_named_json_imports_resolve(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, sst_v2({"devDependencies": {"sst": "^2", "aws-cdk-lib": "2.110.1"}}, V2_STACK))
    assert capacity(facts, "Environment").cdk.app == "sst.config.ts"  # type: ignore[union-attr]
    assert workload(facts, "Container").arch.archs == {"arm64"}


def test_sst_v3_without_the_cdk_is_not_a_cdk_app(tmp_path: Path) -> None:
    facts: RepoFacts = facts_of(tmp_path, sst_v2({"dependencies": {"sst": "^3"}}, V2_STACK))
    assert not any(p.marker == "sst.config.ts" for p in facts.projects)
