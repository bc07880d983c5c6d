"""Root-module variable values named on command lines (`terraform plan -var-file=F -var k=v`):
where they are found (archmatch/extract/builds/_tfcli.py), how the root module is evaluated with
them (archmatch/extract/terraform/cmdvars.py, extract/_variants.py) and what the function a deploy
command names gets from them (archmatch/link/deploys.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archmatch.config import Config
from archmatch.engine import analyze, scan
from archmatch.extract import jsonlines
from archmatch.extract.builds._tfcli import parse
from archmatch.extract.terraform.ast import Lit
from archmatch.extract.terraform.hcl import parse_tfvars_json
from archmatch.model import Location, RepoFacts, Workload

FIXTURES = Path(__file__).parent / "fixtures" / "rules" / "ARCH301"

MODULE = """
variable "functions" {
  default = {}
}

module "fns" {
  for_each = var.functions
  source   = "./modules/fn"
  name     = replace(each.key, "_", "-")
  arch     = each.value.arch
}

resource "aws_lambda_function" "thumbnails" {
  function_name = "thumbnails"
  role          = "arn:aws:iam::111122223333:role/thumbnails"
  package_type  = "Image"
  image_uri     = "111122223333.dkr.ecr.us-east-1.amazonaws.com/thumbnails:v1"
  architectures = ["x86_64"]
}
"""
FN = """
variable "name" {}
variable "arch" {}

resource "aws_lambda_function" "this" {
  function_name = var.name
  role          = "arn:aws:iam::111122223333:role/${var.name}"
  package_type  = "Image"
  image_uri     = "111122223333.dkr.ecr.us-east-1.amazonaws.com/placeholder:v0"
  architectures = [var.arch]
}
"""
DEPLOY = """#!/bin/bash
IMAGE=111122223333.dkr.ecr.us-east-1.amazonaws.com/resizer:latest
docker build --platform linux/amd64 -t "$IMAGE" fn
aws lambda update-function-code --function-name image-resizer --image-uri "$IMAGE"
"""


def _tfvars(**functions: str) -> str:
    body = "".join(f'  {name} = {{\n    arch = "{arch}"\n  }}\n' for name, arch in functions.items())
    return "functions = {\n" + body + "}\n"


def _facts(tmp_path: Path, files: dict[str, str]) -> RepoFacts:
    base = {"infra/main.tf": MODULE, "infra/modules/fn/main.tf": FN, "fn/Dockerfile": "FROM alpine:3.20\n"}
    for name, text in {**base, **files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    facts, _ = analyze(tmp_path, Config())
    return facts


def _cli(facts: RepoFacts) -> Workload:
    (cli,) = [w for w in facts.workloads if w.cli is not None]
    return cli


def _instances(facts: RepoFacts) -> list[str]:
    return sorted(w.name for w in facts.workloads if w.name.startswith("module.fns"))


def test_terraform_command_lines() -> None:
    command = parse(["terraform", "-chdir=infra", "apply", "-auto-approve", "-var-file=envs/prod.tfvars"])
    assert command is not None and (command.chdir, command.var_files) == ("infra", ("envs/prod.tfvars",))
    command = parse(
        ["tofu", "plan", "-var-file", "a.tfvars", "--var-file=b.tfvars", "-var", "region=eu-west-1"]
    )
    assert command is not None and command.var_files == ("a.tfvars", "b.tfvars")
    assert command.variables == (("region", "eu-west-1"),)
    assert parse(["terraform", "plan", "-out", "tfplan"]) is None  # no variables given
    assert parse(["terraform", "fmt", "-var-file=x.tfvars"]) is None  # a subcommand that reads none
    assert parse(["echo", "terraform"]) is None


def test_a_script_names_the_values_of_the_root_it_changes_into(tmp_path: Path) -> None:
    script = "cd infra\nterraform apply -var-file=envs/prod.tfvars\n" + DEPLOY
    facts = _facts(tmp_path, {"deploy.sh": script, "infra/envs/prod.tfvars": _tfvars(image_resizer="arm64")})
    assert _instances(facts) == ['module.fns["image_resizer"].aws_lambda_function.this']
    (instance,) = [w for w in facts.workloads if w.name.startswith("module.fns")]
    assert instance.values is not None and instance.values.files == ("infra/envs/prod.tfvars",)
    assert instance.arch_location is not None and instance.arch_location.path == "infra/envs/prod.tfvars"
    cli = _cli(facts)
    assert cli.deploys_to is not None and cli.deploys_to.confidence == "medium"
    assert "infra/envs/prod.tfvars" in cli.deploys_to.evidence


def test_values_the_root_does_not_load_by_itself_are_not_read_without_a_command(tmp_path: Path) -> None:
    facts = _facts(tmp_path, {"deploy.sh": DEPLOY, "infra/envs/prod.tfvars": _tfvars(image_resizer="arm64")})
    assert _instances(facts) == []
    assert _cli(facts).deploys_to is None


def test_a_makefile_variable_names_the_var_file(tmp_path: Path) -> None:
    makefile = "ENV ?= prod\n\napply:\n\tterraform -chdir=infra apply -var-file=envs/$(ENV).tfvars\n"
    facts = _facts(
        tmp_path,
        {
            "Makefile": makefile,
            "deploy.sh": DEPLOY,
            "infra/envs/prod.tfvars": _tfvars(image_resizer="arm64"),
            "infra/envs/dev.tfvars": _tfvars(image_resizer_dev="arm64"),
        },
    )
    assert _instances(facts) == ['module.fns["image_resizer"].aws_lambda_function.this']


def test_a_ci_step_with_an_unknown_environment_gives_one_candidate_per_file(tmp_path: Path) -> None:
    workflow = """on: push
jobs:
  infra:
    runs-on: ubuntu-latest
    steps:
      - run: terraform -chdir=infra apply -auto-approve -var-file="envs/${{ inputs.env }}.tfvars"
"""
    files = {
        ".github/workflows/infra.yml": workflow,
        "deploy.sh": DEPLOY,
        "infra/envs/prod.tfvars": _tfvars(image_resizer="arm64"),
        "infra/envs/dev.tfvars": _tfvars(image_resizer="arm64", scratch="arm64"),
    }
    facts = _facts(tmp_path, files)
    # each file writes the resizer's architecture on its own line: one instance per file, each
    # located where its value is written; the scratch function exists with dev.tfvars only
    assert _instances(facts) == [
        'module.fns["image_resizer"].aws_lambda_function.this',
        'module.fns["image_resizer"].aws_lambda_function.this',
        'module.fns["scratch"].aws_lambda_function.this',
    ]
    values = {
        (w.name.split('"')[1], w.values.files): w.values
        for w in facts.workloads
        if w.name.startswith("module.fns") and w.values is not None
    }
    assert sorted(values) == [
        ("image_resizer", ("infra/envs/dev.tfvars",)),
        ("image_resizer", ("infra/envs/prod.tfvars",)),
        ("scratch", ("infra/envs/dev.tfvars",)),
    ]
    assert all(v.candidates == 2 and not v.every_candidate for v in values.values())
    assert "1 of 2 candidate value sets" in values[("scratch", ("infra/envs/dev.tfvars",))].describe()
    cli = _cli(facts)  # image-resizer is declared with every candidate set: medium
    assert cli.deploys_to is not None and cli.deploys_to.confidence == "medium"


def test_a_resource_every_candidate_gives_alike_is_one_fact(tmp_path: Path) -> None:
    script = 'terraform -chdir=infra apply -var-file="envs/${STAGE}.tfvars"\n' + DEPLOY
    same = 'functions = { image_resizer = { arch = "arm64" } }\n'
    files = {"deploy.sh": script, "infra/envs/prod.tfvars": same, "infra/envs/dev.tfvars": same}
    facts = _facts(tmp_path, files)
    assert len(_instances(facts)) == 2  # the two files write the value in two places: two facts
    thumbnails = [w for w in facts.workloads if w.name == "aws_lambda_function.thumbnails"]
    assert len(thumbnails) == 1 and thumbnails[0].values is None  # the same with or without them


def test_a_name_only_some_candidates_declare_is_a_low_confidence_target(tmp_path: Path) -> None:
    script = 'terraform -chdir=infra apply -var-file="envs/$1.tfvars"\n' + DEPLOY
    files = {
        "deploy.sh": script,
        "infra/envs/prod.tfvars": _tfvars(image_resizer="arm64"),
        "infra/envs/dev.tfvars": _tfvars(other="arm64"),
    }
    cli = _cli(_facts(tmp_path, files))
    assert cli.deploys_to is not None and cli.deploys_to.confidence == "low"
    assert "1 of 2 candidate value sets" in cli.deploys_to.evidence


def test_a_deploy_in_the_job_that_names_the_var_file_uses_its_values(tmp_path: Path) -> None:
    job = """  {env}:
    runs-on: ubuntu-latest
    steps:
      - run: terraform -chdir=infra apply -auto-approve -var-file=envs/{env}.tfvars
"""
    deploy = """      - run: |
          docker build --platform linux/amd64 -t "$IMAGE" fn
          aws lambda update-function-code --function-name image-resizer --image-uri "$IMAGE"
"""
    workflow = "on: push\nenv:\n  IMAGE: 1111.dkr.ecr.us-east-1.amazonaws.com/r:1\njobs:\n"
    files = {
        "infra/envs/prod.tfvars": _tfvars(image_resizer="arm64"),
        "infra/envs/dev.tfvars": _tfvars(other="arm64"),
    }
    # the prod job plans prod.tfvars, which declares image-resizer: its deploy uses those values
    same_job = workflow + job.format(env="dev") + job.format(env="prod") + deploy
    cli = _cli(_facts(tmp_path, {**files, ".github/workflows/d.yml": same_job}))
    assert cli.deploys_to is not None and cli.deploys_to.confidence == "medium"
    # the dev job plans dev.tfvars, which does not: one of two candidate sets only
    other_job = workflow + job.format(env="prod") + job.format(env="dev") + deploy
    cli = _cli(_facts(tmp_path, {**files, ".github/workflows/d.yml": other_job}))
    assert cli.deploys_to is not None and cli.deploys_to.confidence == "low"


def test_command_line_variables_override_the_var_files(tmp_path: Path) -> None:
    script = (
        "terraform -chdir=infra apply -var-file=envs/prod.tfvars "
        """-var 'functions={ image_resizer = { arch = "x86_64" } }'\n"""
    ) + DEPLOY
    facts = _facts(tmp_path, {"deploy.sh": script, "infra/envs/prod.tfvars": _tfvars(image_resizer="arm64")})
    (instance,) = [w for w in facts.workloads if w.name.startswith("module.fns")]
    assert sorted(instance.arch.archs) == ["amd64"]
    assert instance.arch_location is not None and instance.arch_location.path == "deploy.sh"


def _json_tfvars(**functions: str) -> str:
    return json.dumps({"functions": {name: {"arch": arch} for name, arch in functions.items()}}, indent=2)


def test_a_json_var_file_on_the_command_line_is_read_like_a_tfvars_file(tmp_path: Path) -> None:
    script = "terraform -chdir=infra apply -var-file=envs/prod.tfvars.json\n" + DEPLOY
    facts = _facts(
        tmp_path, {"deploy.sh": script, "infra/envs/prod.tfvars.json": _json_tfvars(image_resizer="arm64")}
    )
    (instance,) = [w for w in facts.workloads if w.name.startswith("module.fns")]
    assert sorted(instance.arch.archs) == ["arm64"]
    assert instance.arch_location == Location("infra/envs/prod.tfvars.json", 4)
    assert instance.values is not None and instance.values.files == ("infra/envs/prod.tfvars.json",)


def test_json_tfvars_files_load_in_terraform_order(tmp_path: Path) -> None:
    """terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) by name; later ones win."""
    files = {
        "infra/terraform.tfvars": _tfvars(a="arm64", b="arm64", c="arm64"),
        "infra/terraform.tfvars.json": _json_tfvars(a="x86_64", b="x86_64", c="x86_64"),
        "infra/b.auto.tfvars.json": _json_tfvars(b="arm64", c="arm64"),
        "infra/c.auto.tfvars": _tfvars(c="x86_64"),
    }
    # each file replaces the whole map, as Terraform does: the last file that sets it wins
    assert _loaded(tmp_path / "all", files) == {"c": (["amd64"], "infra/c.auto.tfvars")}
    del files["infra/c.auto.tfvars"], files["infra/b.auto.tfvars.json"]
    assert _loaded(tmp_path / "two", files) == {
        name: (["amd64"], "infra/terraform.tfvars.json") for name in "abc"
    }


def _loaded(root: Path, files: dict[str, str]) -> dict[str, tuple[list[str], str | None]]:
    facts = _facts(root, files)
    return {
        w.name.split('"')[1]: (sorted(w.arch.archs), w.arch_location.path if w.arch_location else None)
        for w in facts.workloads
        if w.name.startswith("module.fns")
    }


def test_json_tfvars_strings_are_literal_and_bad_files_are_diagnostics(tmp_path: Path) -> None:
    (attr,) = parse_tfvars_json(jsonlines.loads('{"name": "fn-${var.env}"}')).values()  # type: ignore[union-attr]
    assert isinstance(attr.expr, Lit) and attr.expr.value == "fn-${var.env}"
    assert parse_tfvars_json(jsonlines.loads('["not", "an", "object"]')) is None
    facts = _facts(
        tmp_path,
        {"infra/terraform.tfvars.json": "[1, 2]\n", "infra/x.auto.tfvars.json": '{"functions": }\n'},
    )
    problems = sorted(
        (d.location.path, d.level) for d in facts.diagnostics if d.location.path.endswith(".json")
    )
    assert problems == [("infra/terraform.tfvars.json", "warning"), ("infra/x.auto.tfvars.json", "warning")]


def test_the_dagger_flag_makes_the_deploy_an_error_on_the_literal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = FIXTURES / "fail_dagger_go_tf_var_file_flag"
    monkeypatch.chdir(case)
    result = scan([Path(".")], Config())
    (finding,) = result.findings
    assert (finding.rule_id, finding.severity) == ("ARCH301", "error")
    assert (finding.location.path, finding.location.line) == ("infra/modules/fn/main.tf", 10)
    assert "infra/environments/prod.tfvars" in finding.message


def test_list_workloads_shows_where_the_instance_values_come_from() -> None:
    case = FIXTURES / "fail_dagger_go_tf_var_file_flag"
    out = subprocess.run(
        [sys.executable, "-m", "archmatch", "scan", str(case), "--list-workloads", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    doc = json.loads(out.stdout)
    workloads = doc["workloads"] if isinstance(doc, dict) else doc
    (instance,) = [w for w in workloads if w["name"].startswith("module.lambda_functions")]
    assert instance["name"] == 'module.lambda_functions["resizer"].aws_lambda_function.this'
    values = instance["values"]
    assert values["files"][0].endswith("infra/environments/prod.tfvars")
    assert values["candidate_sets"] == 1 and values["from_sets"] == 1
    assert any("ci/terraform.go" in n and "deploy.yml" in n for n in values["named_at"])


def test_unknown_parts_of_a_var_file_path() -> None:
    from archmatch.extract.terraform.cmdvars import literal_parts

    assert literal_parts("envs/${{ inputs.env }}.tfvars") == ["envs/", ".tfvars"]
    assert literal_parts('$(shell read -p "env (dev/prod): " e && echo $e).tfvars') == ["", ".tfvars"]
    assert literal_parts("${A:-${B}}/$1-`cat f`.tfvars") == ["", "/", "-", ".tfvars"]
    assert literal_parts("${A:-$" * 10_000)[-1] == ""  # an unclosed part ends the text, in one pass


def test_a_function_the_deploy_command_reports_is_not_reported_twice(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = FIXTURES / "fail_tf_var_file_script"
    for path in case.rglob("*"):
        if path.is_file():
            target = tmp_path / path.relative_to(case)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text())
    fn = tmp_path / "infra/modules/fn/main.tf"  # the function also runs the repository the script pushes
    fn.write_text(fn.read_text().replace("/placeholder:v0", "/resizer:latest"))
    monkeypatch.chdir(tmp_path)
    facts, _ = analyze(Path("."), Config())
    linked = {link.workload.name for link in facts.links}
    assert 'module.fns["image_resizer"].aws_lambda_function.this' in linked  # by repository and tag
    findings = [f for f in scan([Path(".")], Config()).findings if f.rule_id == "ARCH301"]
    assert [(f.entity, f.severity) for f in findings] == [
        ("image-resizer (aws lambda update-function-code)", "error")
    ]


def test_terraform_commands_remembered_per_text_and_repository_are_bounded() -> None:
    """A crafted script of thousands of distinct terraform commands: each new one was compared with
    every one remembered (quadratic: 12,000 lines took minutes); later ones are ignored."""
    from archmatch.extract.builds._common import LineMap
    from archmatch.extract.builds._shellscan import (
        MAX_TERRAFORM_COMMANDS,
        MAX_TERRAFORM_USES,
        ShellState,
        record_command_values,
        scan,
    )

    text = "".join(f"terraform plan -var-file=envs/e{i}.tfvars\n" for i in range(MAX_TERRAFORM_COMMANDS + 50))
    facts = RepoFacts(Path("."))
    for script in range(MAX_TERRAFORM_USES // MAX_TERRAFORM_COMMANDS + 2):
        state = ShellState(path=f"deploy{script}.sh", script_dir=".", cwd=".")
        scan(text, state, LineMap(text))
        assert len(state.terraform) == MAX_TERRAFORM_COMMANDS
        assert state.terraform[0].var_files == ("envs/e0.tfvars",)
        record_command_values(facts, state, "deploy.sh")
        record_command_values(facts, state, "deploy.sh")  # recorded once
    assert len(facts.extra.terraform_vars) == MAX_TERRAFORM_USES
    assert len(set(facts.extra.terraform_vars)) == MAX_TERRAFORM_USES
