"""Every mechanical fix of every failing rule fixture, applied as a SARIF consumer would apply it,
removes its finding and brings no new error (in particular, no linked workload breaks).

A failing fixture whose findings offer no mechanical edit is listed in DISPLAY_ONLY with the
reason; the list is checked both ways (a listed case that gains an edit must leave the list).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from expectations import case_expectations
from test_fixes import apply_sarif_fix

from archmatch.config import Config
from archmatch.engine import scan
from archmatch.report import sarif

FIXTURES = Path(__file__).parent / "fixtures" / "rules"

# "RULE/case" -> why its fix is text only
_PER_ARCH_NAME = "a URL, file name or runtime identifier needs a per-architecture mapping (x86_64/aarch64, x64/arm64): the fix describes the TARGETARCH case statement"
_CHOICE_OF_ARCH = (
    "declaring an architecture where none is written is the user's choice: the rule never guesses which"
)
_CAPACITY = "which instance types or AMI to keep is the user's choice: the fix names both consistent options"
_UNSUPPORTED = "the service does not run arm64 there: the fix offers x86_64 or another service, a choice"
_TAG = "the immutable tag or digest to use is not known to a static scan"
_CDK_OPTION = "replacing buildArgs by the asset's platform option also needs the Platform import: a multi-line source edit shown as a diff"
DISPLAY_ONLY: dict[str, str] = {
    "ARCH105/fail_arch_base_stage.Dockerfile": "which side is meant (the stage's base image or the hard-coded architecture) is the user's choice",
    "ARCH105/fail_pinned_download.Dockerfile": "which side is meant (the pin or the downloaded architecture) is the user's choice",
    "ARCH108/fail_arg_default_pin.Dockerfile": _PER_ARCH_NAME,
    "ARCH108/fail_dotnet_self_contained.Dockerfile": _PER_ARCH_NAME,
    "ARCH106/fail_one_build_follows_the_host": _PER_ARCH_NAME,
    "ARCH106/fail_linked_arm64_function": _PER_ARCH_NAME,
    "ARCH106/fail_multiplatform_bake": _PER_ARCH_NAME,
    "ARCH108/fail_unpinned_download.Dockerfile": _PER_ARCH_NAME,
    "ARCH201/fail_cdk_py_fargate": _CHOICE_OF_ARCH,
    "ARCH201/fail_cdk_ts_fargate": _CHOICE_OF_ARCH,
    "ARCH201/fail_cdk_ts_lambda_image": _CHOICE_OF_ARCH,
    "ARCH201/fail_cfn_ecs_task_json": _CHOICE_OF_ARCH,
    "ARCH201/fail_sls_image_uri": _CHOICE_OF_ARCH,
    "ARCH201/fail_tf_fargate_build_platform_variable": _CHOICE_OF_ARCH,
    "ARCH201/fail_tf_fargate_capacity_provider": _CHOICE_OF_ARCH,
    "ARCH201/fail_tf_lambda_image": _CHOICE_OF_ARCH,
    "ARCH202/fail_cdk_ts_default_instance_types": _CAPACITY,
    "ARCH202/fail_cfn_ami_type_vs_types": _CAPACITY,
    "ARCH202/fail_cfn_mixed_types": _CAPACITY,
    "ARCH202/fail_tf_ami_vs_types": _CAPACITY,
    "ARCH202/fail_tf_mixed_types": _CAPACITY,
    "ARCH202/fail_tf_module_default_types": _CAPACITY,
    "ARCH203/fail_cfn_instance_ssm_parameter": _CAPACITY,
    "ARCH203/fail_cfn_ssm_launch_template": _CAPACITY,
    "ARCH203/fail_tf_asg_override": _CAPACITY,
    "ARCH203/fail_tf_ssm_launch_template": _CAPACITY,
    "ARCH204/fail_cdk_ts_windows_arm64_fargate": _UNSUPPORTED,
    "ARCH204/fail_cfn_windows_arm64": _UNSUPPORTED,
    "ARCH204/fail_k8s_arm64_pod_on_fargate": _UNSUPPORTED,
    "ARCH204/fail_tf_windows_arm64": _UNSUPPORTED,
    "ARCH205/fail_cfn_latest_and_untagged": _TAG,
    "ARCH205/fail_tf_latest_and_untagged": _TAG,
    "ARCH206/fail_cfn_capacity_provider_chain": _CAPACITY,
    "ARCH206/fail_tf_capacity_provider_chain": _CAPACITY,
    "ARCH302/fail_script_to_lambda": "a docker build line in a shell script: the fix shows the whole edited command (--platform and --provenance=false)",
    "ARCH302/fail_script_variables_function": "a docker build line in a shell script: the fix shows the whole edited command",
    "ARCH302/fail_makefile_variables": "a docker build line in a Makefile recipe: the fix shows the whole command as make runs it",
    "ARCH302/fail_tf_local_exec_ecr": "a docker build line in a Terraform local-exec command: the fix shows the whole edited command",
    "ARCH302/fail_script_cli_create_function": "a docker build line in a shell script: the fix shows the whole edited command",
    "ARCH302/fail_script_host_test": "a docker build line in a shell script: the fix shows the whole edited command",
    "ARCH302/fail_script_darwin_default_platform": "a docker build line in a shell script: the fix shows the whole edited command",
    "ARCH302/fail_script_retag_read_tag": "a docker build line in a shell script: the fix shows the whole edited command",
    "ARCH302/fail_ecs_json_render_self_hosted": "a docker build line in a workflow run: step: the fix shows the whole edited command",
    "ARCH302/fail_proximity_only_build": "a docker build line in a shell script: the fix shows the whole edited command",
    "ARCH302/fail_buildspec_without_project": "a docker build line in a buildspec: the fix shows the whole edited command",
    "ARCH301/fail_tf_codebuild_arm_project": "a docker build line in a buildspec (the fix shows the whole edited command) and a function with no architectures (declaring one is the user's choice)",
    "ARCH301/fail_cfn_codebuild_inline_buildspec": "a docker build line in an inline buildspec (the fix shows the whole edited command) and a function with no Architectures (declaring one is the user's choice)",
    "ARCH304/fail_gha_multiplatform_lambda": "a Lambda build needs one platform and no attestations: two workflow keys, shown as a diff",
    "ARCH306/fail_mixed_nodes": "adding a nodeSelector needs the manifest's YAML indentation, which rules do not read",
    "ARCH401/fail_py_build_args": _CDK_OPTION,
    "ARCH401/fail_ts_buildargs_contradict_architecture": "removing the build argument is a multi-line source edit, shown as a diff",
    "ARCH401/fail_ts_dashed_platform": _CDK_OPTION,
    "ARCH401/fail_ts_dashed_platform_pinned_dockerfile": _CDK_OPTION,
}


def _failing_cases() -> list[tuple[str, Path]]:
    out = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for case in sorted(rule_dir.iterdir()):
            if case.name.endswith(".expect"):
                continue
            if any(rule == rule_dir.name for _, _, rule in case_expectations(case)):
                out.append((rule_dir.name, case))
    return out


def _copy(case: Path, work: Path) -> None:
    if case.is_dir():
        shutil.copytree(case, work)
    else:
        work.mkdir()
        shutil.copy(case, work / case.name)


def _results(work: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    monkeypatch.chdir(work)
    return json.loads(sarif.render(scan([Path(".")], Config())))["runs"][0]["results"]


def _key(result: dict) -> tuple[str, str]:
    return result["ruleId"], result["properties"]["entity"]


def _errors(results: list[dict]) -> set[tuple[str, str]]:
    return {_key(r) for r in results if r["level"] == "error"}


@pytest.mark.parametrize(
    ("rule", "case"), _failing_cases(), ids=lambda v: v if isinstance(v, str) else v.name
)
def test_every_fix_of_a_failing_fixture_removes_its_finding_and_breaks_nothing(
    rule: str, case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"{rule}/{case.name}"
    before_dir = tmp_path / "before"
    _copy(case, before_dir)
    before = _results(before_dir, monkeypatch)
    own = [r for r in before if r["ruleId"] == rule]
    assert own, f"{name} does not report {rule}"
    fixes = [(r, i, fx) for r in own for i, fx in enumerate(r.get("fixes", []))]
    if name in DISPLAY_ONLY:
        assert not fixes, (
            f"{name} is listed as display-only but offers a mechanical fix: remove it from the list"
        )
        return
    assert fixes, f"{name}: no mechanical fix; add it to DISPLAY_ONLY with the reason"
    for index, (result, number, fix) in enumerate(fixes):
        work = tmp_path / f"fix{index}"
        _copy(case, work)
        apply_sarif_fix(work, fix)
        after = _results(work, monkeypatch)
        what = f"{name}: fix {number} of {_key(result)} ({fix['description']['text']})"
        assert _key(result) not in {_key(r) for r in after}, f"{what} left the finding"
        assert _errors(after) <= _errors(before), (
            f"{what} brought new errors: {sorted(_errors(after) - _errors(before))}"
        )


def test_the_display_only_list_names_failing_fixtures_with_a_reason() -> None:
    failing = {f"{rule}/{case.name}" for rule, case in _failing_cases()}
    assert set(DISPLAY_ONLY) <= failing, sorted(set(DISPLAY_ONLY) - failing)
    assert all(reason for reason in DISPLAY_ONLY.values())


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    "example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.endswith("-fixed"))
)
def test_every_fix_of_a_broken_example_removes_its_finding_and_breaks_nothing(
    example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = EXAMPLES / example
    before = _results(source, monkeypatch)
    fixes = [(r, fx) for r in before for fx in r.get("fixes", [])]
    for index, (result, fix) in enumerate(fixes):
        work = tmp_path / f"fix{index}"
        shutil.copytree(source, work)
        apply_sarif_fix(work, fix)
        after = _results(work, monkeypatch)
        what = f"{example}: {_key(result)} ({fix['description']['text']})"
        assert _key(result) not in {_key(r) for r in after}, f"{what} left the finding"
        assert _errors(after) <= _errors(before), (
            f"{what} brought new errors: {sorted(_errors(after) - _errors(before))}"
        )
