"""SAM configuration files (archmatch/extract/builds/samconfig.py): the parameter values, stack
name and template of each environment's `sam deploy` / `sam sync`, read as the values of a command
that deploys the template (`CfnParametersUse`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.extract.builds import samconfig
from archmatch.model import CfnParametersUse, Location, RepoFacts, Workload
from archmatch.repo import RepoView, ScanOptions, discover


def uses(root: Path, files: dict[str, str]) -> tuple[list[CfnParametersUse], RepoFacts]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    facts = RepoFacts(root=root)
    repo = RepoView(root, discover(root, ScanOptions(), facts.diagnostics), ScanOptions(), facts.diagnostics)
    samconfig.extract(repo, facts)
    return facts.extra.cfn_parameters, facts


TEMPLATE = "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"


def test_a_string_of_overrides_with_quoted_values_and_the_stack_name(tmp_path: Path) -> None:
    found, _ = uses(
        tmp_path,
        {
            "app/template.yaml": TEMPLATE,
            "app/samconfig.toml": """
                version = 0.1
                [default.deploy.parameters]
                stack_name = "thumbs"
                parameter_overrides = "Arch=\\"arm64\\" Name=\\"a b\\" ParameterKey=Tag,ParameterValue=2"
            """,
        },
    )
    assert found == [
        CfnParametersUse(
            Location("app/samconfig.toml", 4),
            "app/template.yaml",
            None,
            (("Arch", "arm64"), ("Name", "a b"), ("Tag", "2")),
            stack_name="thumbs",
            config_file="app/samconfig.toml",
        )
    ]


def test_one_use_per_environment_each_over_its_global_table(tmp_path: Path) -> None:
    found, _ = uses(
        tmp_path,
        {
            "template.yml": TEMPLATE,
            "samconfig.toml": """
                version = 0.1
                [default.global.parameters]
                stack_name = "app-dev"
                parameter_overrides = ["Arch=x86_64"]

                [default.deploy.parameters]
                parameter_overrides = ["Stage=dev", "Arch=x86_64"]

                [prod.global.parameters]
                stack_name = "app-prod"
                parameter_overrides = "Stage=prod Arch=arm64"

                [staging.build.parameters]
                cached = true
            """,
        },
    )
    assert [(u.location.line, u.template, u.parameters, u.stack_name) for u in found] == [
        (7, "template.yml", (("Stage", "dev"), ("Arch", "x86_64")), "app-dev"),
        (11, "template.yml", (("Stage", "prod"), ("Arch", "arm64")), "app-prod"),
    ]


def test_sam_sync_deploys_too_and_a_template_file_names_the_template(tmp_path: Path) -> None:
    found, _ = uses(
        tmp_path,
        {
            "infra/app.yaml": TEMPLATE,
            "samconfig.toml": """
                [default.deploy.parameters]
                template_file = "infra/app.yaml"
                parameter_overrides = "Arch=arm64"
                [default.sync.parameters]
                template = "infra/app.yaml"
                parameter_overrides = "Arch=x86_64"
            """,
        },
    )
    assert [(u.template, u.parameters) for u in found] == [
        ("infra/app.yaml", (("Arch", "arm64"),)),
        ("infra/app.yaml", (("Arch", "x86_64"),)),
    ]


def test_yaml_configuration_lists_and_mappings(tmp_path: Path) -> None:
    found, _ = uses(
        tmp_path,
        {
            "template.yaml": TEMPLATE,
            "samconfig.yaml": """
                version: 0.1
                default:
                  deploy:
                    parameters:
                      stack_name: app
                      parameter_overrides:
                        - Arch=arm64
                        - [Stage=prod]
                prod:
                  deploy:
                    parameters:
                      parameter_overrides: {Arch: arm64, Memory: 1024, Debug: false, Tag: "${TAG}"}
            """,
        },
    )
    assert [(u.location.line, u.parameters, u.stack_name) for u in found] == [
        (6, (("Arch", "arm64"), ("Stage", "prod")), "app"),
        (12, (("Arch", "arm64"), ("Memory", "1024"), ("Debug", "false"), ("Tag", None)), None),
    ]


def test_sam_reads_the_first_of_toml_yaml_yml_in_a_folder(tmp_path: Path) -> None:
    found, _ = uses(
        tmp_path,
        {
            "template.yaml": TEMPLATE,
            "samconfig.yml": "default: {deploy: {parameters: {parameter_overrides: A=yml}}}\n",
            "samconfig.yaml": "default: {deploy: {parameters: {parameter_overrides: A=yaml}}}\n",
            "b/template.yaml": TEMPLATE,
            "b/samconfig.yml": "default: {deploy: {parameters: {parameter_overrides: A=yml}}}\n",
        },
    )
    assert [(u.config_file, u.parameters) for u in found] == [
        ("b/samconfig.yml", (("A", "yml"),)),
        ("samconfig.yaml", (("A", "yaml"),)),
    ]


def test_a_file_reference_among_the_overrides_gives_no_values(tmp_path: Path) -> None:
    found, _ = uses(
        tmp_path,
        {
            "template.yaml": TEMPLATE,
            "samconfig.toml": '[default.deploy.parameters]\nparameter_overrides = ["file://params.yaml"]\n',
        },
    )
    assert [(u.parameters, u.unknown_files) for u in found] == [((), True)]


def test_an_overrides_string_longer_than_a_real_one_gives_no_values(tmp_path: Path) -> None:
    """Its values are not read (the shell-quoting reader is quadratic in a word's length): not
    known, rather than a second of work per file."""
    long_word = "ParameterKey=" * 1600  # 20,800 characters
    found, _ = uses(
        tmp_path,
        {
            "template.yaml": TEMPLATE,
            "samconfig.toml": f'[default.deploy.parameters]\nparameter_overrides = "Arch=arm64 {long_word}"\n',
        },
    )
    assert [(u.parameters, u.unknown_files) for u in found] == [((), True)]


def test_nothing_without_a_template_or_without_values(tmp_path: Path) -> None:
    found, _ = uses(
        tmp_path,
        {
            "samconfig.toml": '[default.deploy.parameters]\nparameter_overrides = "A=1"\n',
            "b/template.yaml": TEMPLATE,
            "b/samconfig.toml": '[default.deploy.parameters]\ncapabilities = "CAPABILITY_IAM"\n',
        },
    )
    assert found == []


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('[default.deploy.parameters]\nparameter_overrides = "A=1\n', "not valid TOML", 2),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "TOML nested too deeply", 0),
        ("# " + "x" * (300 * 1024) + "\n", "SAM configuration over 256 KB", 0),
    ],
)
def test_a_file_that_does_not_parse_or_is_too_large_is_a_diagnostic_naming_it(
    tmp_path: Path, text: str, message: str, line: int
) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "samconfig.toml").write_text(text)
    found, facts = uses(tmp_path, {})
    assert found == []
    assert [(d.location, d.message.startswith(message)) for d in facts.diagnostics] == [
        (Location("samconfig.toml", line), True)
    ]


def functions(root: Path, files: dict[str, str]) -> list[Workload]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    result = scan([root], Config())
    return [w for facts in result.facts for w in facts.workloads]


FUNCTION = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Arch:
    Type: String
    Default: x86_64
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Architectures: [!Ref Arch]
      Code:
        ImageUri: !Sub '111122223333.dkr.ecr.us-east-1.amazonaws.com/fn:${AWS::StackName}'
      Role: arn:aws:iam::111122223333:role/fn
"""


def test_the_template_is_evaluated_once_per_environment(tmp_path: Path) -> None:
    found = functions(
        tmp_path,
        {
            "template.yaml": FUNCTION,
            "samconfig.toml": """
                [default.deploy.parameters]
                stack_name = "dev"
                [prod.deploy.parameters]
                stack_name = "prod"
                parameter_overrides = "Arch=arm64"
            """,
        },
    )
    got = sorted(
        (w.images[0].ref, sorted(w.arch.archs), w.values.describe() if w.values else "") for w in found
    )
    assert got == [
        (
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/fn:dev",
            ["amd64"],
            "parameters from samconfig.toml: 1 of 2 candidate value sets (named at samconfig.toml:2)",
        ),
        (
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/fn:prod",
            ["arm64"],
            "parameters from samconfig.toml: 1 of 2 candidate value sets (named at samconfig.toml:5)",
        ),
    ]
