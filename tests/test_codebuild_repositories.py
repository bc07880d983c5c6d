"""CodeBuild project variables that name an ECR repository resource: which values and which tags
give a buildspec build the repository's key, and which do not (a name with a suffix, an ARN, a
variable the commands assign again, a tag whose path only ends in the variable), in CloudFormation
and Terraform."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import analyze
from archmatch.extract import cloudformation
from archmatch.model import RepoFacts
from archmatch.repo import RepoView, ScanOptions, discover

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Repo:
    Type: AWS::ECR::Repository
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      Environment:
        Type: ARM_CONTAINER
        EnvironmentVariables:
          - Name: REPO
            Value: {value}
      Source:
        Type: CODECOMMIT
        BuildSpec: buildspec.yml
"""

BUILDSPEC = """
version: 0.2
phases:
  build:
    commands:
{commands}
"""


def build_keys(root: Path, value: str, *commands: str) -> frozenset[str]:
    files = {
        "template.yaml": TEMPLATE.format(value=value),
        "buildspec.yml": BUILDSPEC.format(commands="\n".join(f"      - {c}" for c in commands)),
        "Dockerfile": "FROM alpine:3.20\n",
    }
    for rel, text in files.items():
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    facts = RepoFacts(root=root)
    repo = RepoView(root, discover(root, ScanOptions(), facts.diagnostics), ScanOptions(), facts.diagnostics)
    cloudformation.extract(repo, facts)
    (build,) = facts.builds
    return build.link_keys


@pytest.mark.parametrize(
    "value",
    [
        "!Ref Repo",
        "!GetAtt Repo.RepositoryUri",
        '!Sub "${Repo.RepositoryUri}"',
        '!Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/${Repo}"',
    ],
)
def test_a_value_naming_the_repository_keys_the_build(tmp_path: Path, value: str) -> None:
    assert build_keys(tmp_path, value, "docker build -t $REPO:latest .") == {"ecr:Repo"}


@pytest.mark.parametrize("value", ['!Sub "${Repo}-cache"', "!GetAtt Repo.Arn", '!Sub "team/${Repo}"'])
def test_a_value_that_is_not_the_repository_keys_nothing(tmp_path: Path, value: str) -> None:
    assert build_keys(tmp_path, value, "docker build -t $REPO:latest .") == frozenset()


@pytest.mark.parametrize(
    "tag",
    ["$REPO", "${REPO}:1.0", "$ACCOUNT.dkr.ecr.$REGION.amazonaws.com/$REPO:latest", "localhost:5000/$REPO"],
)
def test_tags_whose_repository_is_the_variable(tmp_path: Path, tag: str) -> None:
    assert build_keys(tmp_path, "!Ref Repo", f"docker build -t {tag} .") == {"ecr:Repo"}


@pytest.mark.parametrize("tag", ["team/$REPO:latest", "$REPO-cache:latest", "a/b/$REPO", "app:$REPO"])
def test_tags_that_only_mention_the_variable(tmp_path: Path, tag: str) -> None:
    assert build_keys(tmp_path, "!Ref Repo", f"docker build -t {tag} .") == frozenset()


def test_a_variable_the_commands_assign_again_is_not_the_projects(tmp_path: Path) -> None:
    keys = build_keys(tmp_path, "!Ref Repo", "REPO=$(cat name.txt)", "docker build -t $REPO:latest .")
    assert keys == frozenset()


TERRAFORM = """
variable "prefix" {{}}
resource "aws_ecr_repository" "app" {{
  name = "${{var.prefix}}-app"
}}
resource "aws_codebuild_project" "image" {{
  environment {{
    type = "ARM_CONTAINER"
    environment_variable {{
      name  = "REPO"
      value = {value}
    }}
  }}
  source {{
    type      = "CODECOMMIT"
    buildspec = "buildspec.yml"
  }}
}}
"""


def terraform_build_keys(root: Path, value: str) -> frozenset[str]:
    (root / "main.tf").write_text(TERRAFORM.format(value=value))
    (root / "buildspec.yml").write_text(BUILDSPEC.format(commands="      - docker build -t $REPO:latest ."))
    (root / "Dockerfile").write_text("FROM alpine:3.20\n")
    facts, _ = analyze(root, Config())
    (build,) = facts.builds
    return build.link_keys


@pytest.mark.parametrize(
    "value",
    [
        "aws_ecr_repository.app.repository_url",
        "aws_ecr_repository.app.name",
        '"${aws_ecr_repository.app.repository_url}"',
        '"${data.aws_caller_identity.me.account_id}.dkr.ecr.eu-west-1.amazonaws.com/${aws_ecr_repository.app.name}"',
    ],
)
def test_terraform_value_naming_the_repository_keys_the_build(tmp_path: Path, value: str) -> None:
    assert terraform_build_keys(tmp_path, value) == {"ecr:aws_ecr_repository.app"}


@pytest.mark.parametrize(
    "value",
    [
        "aws_ecr_repository.app.arn",
        '"team/${aws_ecr_repository.app.name}"',
        '"${aws_ecr_repository.app.name}-cache"',
    ],
)
def test_terraform_value_that_is_not_the_repository_keys_nothing(tmp_path: Path, value: str) -> None:
    assert terraform_build_keys(tmp_path, value) == frozenset()
