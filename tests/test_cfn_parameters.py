"""CloudFormation parameter values given by the commands that deploy a template: how they are read
(archmatch/extract/builds/_cfncli.py) and how the template is evaluated with them
(archmatch/extract/cloudformation/parameters.py, extract/_variants.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.extract.builds._cfncli import CfnCommand, action_command, parse, use
from archmatch.model import Location, Workload


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "aws cloudformation create-stack --stack-name s --template-body file://t.yaml "
            "--parameters ParameterKey=A,ParameterValue=1 ParameterKey=B,UsePreviousValue=true",
            CfnCommand("t.yaml", "s", (("A", "1"), ("B", None)), ()),
        ),
        (
            "aws --region eu-west-1 cloudformation update-stack --stack-name $NAME "
            "--template-body file://t.yaml --parameters file://p.json",
            CfnCommand("t.yaml", None, (), ("p.json",)),
        ),
        (
            "aws cloudformation create-change-set --template-url file://t.yaml --parameters "
            '[{"ParameterKey":"A","ParameterValue":"x"},{"ParameterKey":"B","ParameterValue":"$V"}]',
            CfnCommand("t.yaml", None, (("A", "x"), ("B", None)), ()),
        ),
        (
            "aws cloudformation deploy --template-file infra/app.yaml --stack-name app "
            "--parameter-overrides Env=prod Tag=$(git rev-parse HEAD)",
            CfnCommand("infra/app.yaml", "app", (("Env", "prod"), ("Tag", None)), ()),
        ),
        (
            "sam deploy --stack-name app --parameter-overrides ParameterKey=Env,ParameterValue=prod",
            CfnCommand(None, "app", (("Env", "prod"),), ()),
        ),
        ("sam deploy -t other.yaml", CfnCommand("other.yaml", None, (), ())),
        ("sam package --output-template-file p.yaml", None),
    ],
)
def test_deploy_commands(command: str, expected: CfnCommand) -> None:
    assert parse(words(command)) == expected


def test_sam_overrides_in_one_quoted_word() -> None:
    """`--parameter-overrides 'Env=prod Name="a b"'`: one shell word holding several overrides."""
    command = parse(["sam", "deploy", "--parameter-overrides", 'Env=prod Name="a b"'])
    assert command is not None and command.parameters == (("Env", "prod"), ("Name", "a b"))


@pytest.mark.parametrize(
    "command",
    [
        "aws cloudformation describe-stacks --stack-name s",
        "aws cloudformation update-stack --stack-name s --use-previous-template",
        "aws s3 cp file://t.yaml s3://b/t.yaml",
        "sam build --parameter-overrides A=1",
        "echo cloudformation deploy",
    ],
)
def test_other_commands(command: str) -> None:
    assert parse(words(command)) is None


def test_template_paths_from_the_working_folder_and_the_scripts_own_folder() -> None:
    command = CfnCommand("t.yaml", "s", (), ("params/p.json",))
    found = use(command, ("deploy", "ops/deploy"), Location("ops/run.sh", 3))
    assert found is not None
    assert (found.template, found.own_template, found.parameter_files) == (
        "deploy/t.yaml",
        "ops/deploy/t.yaml",
        ("deploy/params/p.json",),
    )
    remote = CfnCommand("https://bucket.s3.amazonaws.com/t.yaml", "s", (), ())
    assert use(remote, (".", "."), Location("run.sh", 1)) is None
    unknown = use(CfnCommand("t.yaml", None, (), ("$P",)), (".", "."), Location("run.sh", 1))
    assert unknown is not None and unknown.unknown_files


TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Repo:
    Type: String
    Default: change-me
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Architectures: [arm64]
      Code:
        ImageUri: !Sub '111122223333.dkr.ecr.us-east-1.amazonaws.com/${Repo}:${AWS::StackName}'
      Role: arn:aws:iam::111122223333:role/fn
"""


def functions(root: Path, files: dict[str, str]) -> list[Workload]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    result = scan([root], Config())
    return [w for facts in result.facts for w in facts.workloads]


@pytest.mark.parametrize(
    "params",
    [
        '[{"ParameterKey": "Repo", "ParameterValue": "thumbs"}]',
        '["Repo=thumbs"]',
        '{"Parameters": {"Repo": "thumbs"}}',
    ],
)
def test_parameter_file_forms(tmp_path: Path, params: str) -> None:
    found = functions(
        tmp_path,
        {
            "t.yaml": TEMPLATE,
            "p.json": params,
            "deploy.sh": "aws cloudformation deploy --template-file t.yaml --stack-name v1 "
            "--parameter-overrides file://p.json\n",
        },
    )
    assert [(w.images[0].ref, w.values is not None) for w in found] == [
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/thumbs:v1", True)
    ]
    values = found[0].values
    assert values is not None
    assert values.describe() == "parameters from p.json (named at deploy.sh:1)"
    assert values.where == Location("deploy.sh", 1)


def test_a_parameter_file_not_in_the_repository_gives_no_values(tmp_path: Path) -> None:
    found = functions(
        tmp_path,
        {
            "t.yaml": TEMPLATE,
            "deploy.sh": "aws cloudformation create-stack --stack-name v1 --template-body file://t.yaml "
            "--parameters file://generated.json\n",
        },
    )
    assert [(w.images[0].ref, w.values) for w in found] == [
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/change-me:${AWS::StackName}", None)
    ]


def test_one_version_per_command_and_values_alike_kept_once(tmp_path: Path) -> None:
    """Two stacks of one template give two versions of its function; a command giving the
    template's defaults gives the same function as without commands."""
    deploy = (
        "aws cloudformation deploy --template-file t.yaml --stack-name {} --parameter-overrides Repo={}\n"
    )
    found = functions(
        tmp_path,
        {
            "t.yaml": TEMPLATE,
            "dev.sh": deploy.format("dev", "thumbs"),
            "prod.sh": deploy.format("prod", "thumbs"),
            "ci/run.sh": "cd ..\n" + deploy.format("dev", "thumbs"),
        },
    )
    images = sorted((w.images[0].ref, sorted(w.values.named_at) if w.values else None) for w in found)
    assert images == [
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/thumbs:dev", ["ci/run.sh:2", "dev.sh:1"]),
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/thumbs:prod", ["prod.sh:1"]),
    ]


def test_a_packaged_or_built_copy_is_deployed_as_its_template(tmp_path: Path) -> None:
    """`aws cloudformation package --output-template-file P` then `deploy --template-file P`, and
    `sam build` then `sam deploy -t .aws-sam/build/template.yaml`, deploy the template itself."""
    found = functions(
        tmp_path,
        {
            "infra/template.yaml": TEMPLATE,
            "release.sh": (
                "cd infra\n"
                "aws cloudformation package --template-file template.yaml --s3-bucket b "
                "--output-template-file out/packaged.yaml\n"
                "aws cloudformation deploy --template-file out/packaged.yaml --stack-name prod "
                "--parameter-overrides Repo=thumbs\n"
                "sam build\n"
                "sam deploy -t .aws-sam/build/template.yaml --stack-name dev --parameter-overrides Repo=thumbs\n"
            ),
        },
    )
    assert sorted(w.images[0].ref for w in found) == [
        "111122223333.dkr.ecr.us-east-1.amazonaws.com/thumbs:dev",
        "111122223333.dkr.ecr.us-east-1.amazonaws.com/thumbs:prod",
    ]


def test_the_github_deploy_action() -> None:
    assert action_command(
        {
            "name": "app",
            "template": "infra/app.yaml",
            "parameter-overrides": 'Env=prod,Subnets="a,b",Key=${{ secrets.K }}',
        }
    ) == CfnCommand("infra/app.yaml", "app", (("Env", "prod"), ("Subnets", "a,b"), ("Key", None)), ())
    assert action_command(
        {"template": "t.yaml", "parameter-overrides": "file:///${{ github.workspace }}/params/prod.json"}
    ) == CfnCommand("t.yaml", None, (), ("params/prod.json",))
    assert action_command({"template": "https://bucket.s3.amazonaws.com/t.yaml"}) is None


def test_template_deploys_remembered_per_text_and_repository_are_bounded() -> None:
    from archmatch.extract.builds._common import LineMap
    from archmatch.extract.builds._shellscan import (
        MAX_TERRAFORM_COMMANDS,
        MAX_TERRAFORM_USES,
        ShellState,
        record_command_values,
        scan,
    )
    from archmatch.model import RepoFacts

    text = "".join(
        f"aws cloudformation deploy --template-file t.yaml --parameter-overrides N={i}\n"
        for i in range(MAX_TERRAFORM_COMMANDS + 50)
    )
    facts = RepoFacts(Path("."))
    for script in range(MAX_TERRAFORM_USES // MAX_TERRAFORM_COMMANDS + 2):
        state = ShellState(path=f"deploy{script}.sh", script_dir=".", cwd=".")
        scan(text, state, LineMap(text))
        assert len(state.cloudformation) == MAX_TERRAFORM_COMMANDS
        record_command_values(facts, state, "deploy.sh")
        record_command_values(facts, state, "deploy.sh")  # recorded once
    assert len(facts.extra.cfn_parameters) == MAX_TERRAFORM_USES
