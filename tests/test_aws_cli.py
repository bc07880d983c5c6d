"""AWS CLI deploy commands in shell text (archmatch/extract/builds/_awscli.py, _awsdeploy.py) and
the function an `update-function-code` deploys to (archmatch/link/deploys.py)."""

from __future__ import annotations

from pathlib import Path

from archmatch import dockercli
from archmatch.config import Config
from archmatch.engine import analyze
from archmatch.extract.builds._awscli import field_values, parse
from archmatch.model import RepoFacts
from archmatch.platforms import How

IMAGE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1.4.0"
SCRIPT = f"""#!/bin/bash
IMAGE={IMAGE}
aws ecs register-task-definition --family api \\
  --requires-compatibilities FARGATE --network-mode awsvpc \\
  --runtime-platform cpuArchitecture=ARM64,operatingSystemFamily=LINUX \\
  --container-definitions "[{{\\"name\\": \\"api\\", \\"image\\": \\"$IMAGE\\"}}]"
aws batch register-job-definition --job-definition-name nightly --type container \\
  --platform-capabilities FARGATE \\
  --container-properties "{{\\"image\\": \\"$IMAGE\\"}}"
aws apprunner create-service --service-name web \\
  --source-configuration "ImageRepository={{ImageIdentifier=$IMAGE,ImageRepositoryType=ECR}}"
aws eks --region us-east-1 create-nodegroup --cluster-name main --nodegroup-name arm \\
  --ami-type AL2023_ARM_64_STANDARD --instance-types m7g.large c7g.large
aws eks create-nodegroup --cluster-name main --nodegroup-name plain
aws ecs register-task-definition --cli-input-json file://taskdef.json
"""


def _facts(tmp_path: Path, files: dict[str, str]) -> RepoFacts:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    facts, _ = analyze(tmp_path, Config())
    return facts


def test_global_options_anywhere_before_the_command() -> None:
    words = dockercli.split_commands("aws lambda --region eu-west-1 update-function-code --function-name f")[
        0
    ]
    command = parse(words)
    assert command is not None and (command.service, command.command) == ("lambda", "update-function-code")
    assert command.value("--function-name") == "f"
    assert parse(dockercli.split_commands("aws lambda invoke --function-name f out.json")[0]) is None


def test_json_and_shorthand_values() -> None:
    assert field_values('[{"name": "a", "image": "$IMAGE"}, {"image":"b:1"}]', "image") == ["$IMAGE", "b:1"]
    assert field_values("cpuArchitecture=ARM64,operatingSystemFamily=LINUX", "cpuArchitecture") == ["ARM64"]
    assert field_values(
        "ImageRepository={ImageIdentifier=x:1,ImageRepositoryType=ECR}", "ImageIdentifier"
    ) == ["x:1"]


def test_each_command_is_a_workload_or_capacity(tmp_path: Path) -> None:
    facts = _facts(
        tmp_path,
        {
            "deploy.sh": SCRIPT,
            "taskdef.json": '{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.27"}]}',
        },
    )
    found = {w.kind: w for w in facts.workloads}
    ecs = found["aws ecs register-task-definition"]  # the file:// one is the JSON file's workload
    assert (ecs.arch.how, sorted(ecs.arch.archs), ecs.arch_location.line if ecs.arch_location else 0) == (
        How.EXPLICIT,
        ["arm64"],
        5,
    )
    assert ecs.ecs is not None and ecs.ecs.fargate and [i.ref for i in ecs.images] == [IMAGE]
    batch = found["aws batch register-job-definition"]
    assert (batch.arch.how, sorted(batch.arch.archs), batch.ecs.fargate if batch.ecs else None) == (
        How.DEFAULT,
        ["amd64"],
        True,
    )
    apprunner = found["aws apprunner create-service"]
    assert (apprunner.service, sorted(apprunner.arch.archs), [i.ref for i in apprunner.images]) == (
        "apprunner",
        ["amd64"],
        [IMAGE],
    )
    assert sum(w.kind == "ECS task definition (JSON)" for w in facts.workloads) == 1
    groups = {c.name.split(" ")[0]: c for c in facts.capacities}
    arm = groups["arm"]
    assert sorted(arm.ami_arch.archs) == ["arm64"] and [
        (i.instance_type, i.arch) for i in arm.instance_types
    ] == [
        ("m7g.large", "arm64"),
        ("c7g.large", "arm64"),
    ]
    plain = groups["plain"]
    assert plain.node_group is not None and plain.node_group.instance_types_default
    assert [(i.instance_type, i.arch) for i in plain.instance_types] == [("t3.medium", "amd64")]


TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: api-fn
      PackageType: Image
      Code: {ImageUri: 111122223333.dkr.ecr.us-east-1.amazonaws.com/bootstrap:v0}
      Architectures: [arm64]
"""


def _update(function: str) -> str:
    return f"#!/bin/sh\naws lambda update-function-code --function-name {function} --image-uri {IMAGE}\n"


def test_update_function_code_takes_the_named_functions_architecture(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {"template.yaml": TEMPLATE, "deploy.sh": _update("api-fn")})
    (cli,) = [w for w in facts.workloads if w.cli is not None]
    assert sorted(cli.arch.archs) == ["arm64"] and cli.deploys_to is not None
    assert (cli.deploys_to.name, cli.deploys_to.confidence) == ("Api", "medium")
    assert cli.arch_location is not None and cli.arch_location.path == "template.yaml"


def test_update_function_code_of_an_unknown_function(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {"template.yaml": TEMPLATE, "deploy.sh": _update('"$FUNCTION"')})
    (cli,) = [w for w in facts.workloads if w.cli is not None]
    assert cli.deploys_to is not None and cli.deploys_to.confidence == "low"
    assert "the only image Lambda function" in cli.deploys_to.evidence
    two = TEMPLATE + TEMPLATE.split("Resources:\n", 1)[1].replace("Api:", "Other:").replace("api-fn", "other")
    facts = _facts(tmp_path, {"template.yaml": two, "deploy.sh": _update('"$FUNCTION"')})
    (cli,) = [w for w in facts.workloads if w.cli is not None]
    assert cli.deploys_to is None and cli.arch.how is How.UNKNOWN


def test_heredocs_that_write_a_file() -> None:
    from archmatch.extract.builds._shellscan import written_heredocs

    text = 'cat > /tmp/a.json <<EOF\n{"image": "$X"}\nEOF\ncat <<\'END\' > b.json\n$Y\nEND\nssh host <<EOF\ndocker build .\nEOF\n'
    blanked, found = written_heredocs(text)
    assert len(blanked) == len(text) and blanked.count("\n") == text.count("\n")
    assert [(h.target, h.body, h.expands) for h in found.values()] == [
        ("/tmp/a.json", '{"image": "$X"}', True),
        ("b.json", "$Y", False),
    ]
    assert "docker build ." in blanked and '"image"' not in blanked  # only file-writing heredocs are blanked


def test_a_job_definition_written_by_a_heredoc(tmp_path: Path) -> None:
    script = (
        "#!/bin/sh\nIMAGE=repo/nightly:1\ncat > /tmp/job.json << EOF\n"
        '{"jobDefinitionName": "nightly", "platformCapabilities": ["FARGATE"],\n'
        ' "containerProperties": {"image": "$IMAGE"}}\nEOF\n'
        "aws batch register-job-definition --cli-input-json file:///tmp/job.json\n"
    )
    facts = _facts(tmp_path, {"deploy.sh": script})
    (job,) = facts.workloads
    assert (job.name, [i.ref for i in job.images], sorted(job.arch.archs)) == (
        "nightly (aws batch register-job-definition)",
        ["repo/nightly:1"],
        ["amd64"],
    )


def test_ecs_names_from_arns() -> None:
    from archmatch.aws.ecs import cluster_name, service_name, task_family

    assert cluster_name("arn:aws:ecs:eu-west-1:111122223333:cluster/orders") == "orders"
    assert cluster_name("orders") == "orders"
    assert service_name("arn:aws:ecs:eu-west-1:111122223333:service/orders/worker") == ("worker", "orders")
    assert service_name("arn:aws:ecs:eu-west-1:111122223333:service/worker") == ("worker", None)
    assert service_name("worker") == ("worker", None)
    assert task_family("worker:12") == task_family("worker") == "worker"
    assert task_family("arn:aws:ecs:eu-west-1:111122223333:task-definition/worker:3") == "worker"


_TASK = """
resource "aws_ecs_cluster" "main" { name = "shop" }
resource "aws_ecs_task_definition" "web" {
  family                   = "shop-web"
  requires_compatibilities = ["FARGATE"]
  runtime_platform { cpu_architecture = "ARM64" }
  container_definitions = jsonencode([{ name = "web", image = "${var.image}" }])
}
resource "aws_ecs_service" "web" {
  name            = "shop-web"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.web.arn
}
"""


def test_update_service_redeploys_the_image_pushed_before_it(tmp_path: Path) -> None:
    script = """#!/bin/bash
docker build -t web:dev app
docker tag web:dev "$URL:latest"
aws ecs update-service --cluster shop --service shop-web --force-new-deployment
docker push "$URL:latest"
aws ecs update-service --cluster shop --service shop-web --force-new-deployment
aws ecs update-service --cluster shop --service shop-web --desired-count 2
"""
    facts = _facts(tmp_path, {"deploy.sh": script, "infra/main.tf": _TASK, "app/Dockerfile": "FROM alpine\n"})
    found = [w for w in facts.workloads if w.kind == "aws ecs update-service"]
    # the first redeploy comes before the push, the last one starts no new tasks: one workload
    assert [w.location.line for w in found] == [6]
    (w,) = found
    assert w.arch.archs == {"arm64"} and w.deploys_to is not None
    assert w.deploys_to.name == "aws_ecs_task_definition.web" and w.deploys_to.confidence == "medium"
    (image,) = w.images
    assert image.ref == "$URL:latest" and "the same script pushes this image" in image.pushed_by
    (link,) = [lk for lk in facts.links if lk.workload is w]
    assert link.build.location.line == 2 and link.confidence == "medium"


def test_update_service_of_an_unknown_cluster_is_low(tmp_path: Path) -> None:
    script = """#!/bin/bash
docker build -t web app
docker push web
aws ecs update-service --cluster "$CLUSTER" --service shop-web --force-new-deployment
"""
    facts = _facts(tmp_path, {"deploy.sh": script, "infra/main.tf": _TASK, "app/Dockerfile": "FROM alpine\n"})
    (w,) = [w for w in facts.workloads if w.kind == "aws ecs update-service"]
    assert w.deploys_to is not None and w.deploys_to.confidence == "low"
    assert "the command's cluster $CLUSTER is not known" in w.deploys_to.evidence


def test_a_task_definition_the_command_redeploys_is_reported_once(tmp_path: Path) -> None:
    """The task definition's own link to the build (here by naming, the template beside the script)
    and the command's redeploy link are one root cause: one finding, the command's."""
    from archmatch.engine import scan

    template = _TASK.replace('"ARM64"', '"X86_64"').replace(
        '"${var.image}"', '"${aws_ecr_repository.web.repository_url}:latest"'
    )
    template += 'resource "aws_ecr_repository" "web" { name = "shop-web" }\n'
    for platform, rule in (("", "ARCH302"), ("--platform linux/arm64 ", "ARCH301")):
        script = f"""#!/bin/bash
docker build {platform}-t shop-web app
docker tag shop-web "$URL:latest"
docker push "$URL:latest"
aws ecs update-service --cluster shop --service shop-web --force-new-deployment
"""
        root = tmp_path / rule
        for name, text in {
            "deploy.sh": script,
            "main.tf": template,
            "app/Dockerfile": "FROM alpine\n",
        }.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        facts, _ = analyze(root, Config())
        kinds = sorted(lk.kind for lk in facts.links)
        assert kinds == ["naming", "redeploy"], kinds  # the task definition is linked by its name too
        findings = [f for f in scan([root], Config()).findings if f.rule_id == rule]
        assert len(findings) == 1 and "push and redeploy" in findings[0].message, findings
