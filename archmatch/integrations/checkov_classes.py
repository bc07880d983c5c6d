"""The Checkov check classes, one per framework. Imported only inside a Checkov process."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck as CfnBase
from checkov.common.bridgecrew.severities import Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check
from checkov.serverless.checks.function.base_function_check import BaseFunctionCheck
from checkov.terraform.checks.module.base_module_check import BaseModuleCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck as TfBase

from archmatch.integrations import checkov_adapter as adapter
from archmatch.integrations import checkov_profile
from archmatch.integrations.checkov_profile import accounted
from archmatch.rules import Rule, RuleMeta, metadata

CATEGORIES = (CheckCategories.GENERAL_SECURITY,)
_RESULTS = {"FAILED": CheckResult.FAILED, "PASSED": CheckResult.PASSED, "UNKNOWN": CheckResult.UNKNOWN}


class _ArchmatchCheck:
    """Mixin: rule id, severity, and the reason of each failure in the check's name.

    Checkov keeps per-result `details` only in its Terraform runner, and its SARIF writer turns
    them into `attachments` without the `artifactLocation` the SARIF schema requires (GitHub
    rejects the upload). Every runner, though, copies `check.name` into the record it creates right
    after scanning a resource, and every output (CLI, JSON, JUnit, SARIF message) shows it: so a
    failed result's name carries the finding's message, and a passed one has the plain title.
    """

    rule_id: str
    entity_path: str
    name: str
    title: str

    def _setup(self, meta: RuleMeta) -> None:
        self.rule_id = meta.id
        self.title = adapter.check_name(meta)
        self.severity = Severities[adapter.CHECKOV_SEVERITY[meta.severity]]

    @accounted("runs", archmatch_code=False)  # Checkov's BaseCheck.run: its records around the call
    def run(self, *args: Any, **kwargs: Any) -> Any:
        # A skipped result never reaches `_report`: reset first so it cannot inherit the name of
        # the previous resource's failure.
        self.name = self.title
        return super().run(*args, **kwargs)

    def _verdict(self, resource: adapter.Resource) -> tuple[CheckResult, list[Any]]:
        return self._report(*adapter.evaluate_resource(self.rule_id, resource))

    def _report(self, result: str, hits: list[Any]) -> tuple[CheckResult, list[Any]]:
        self.name = adapter.failure_name(self.title, hits) if result == "FAILED" else self.title
        return _RESULTS[result], hits


class TerraformCheck(_ArchmatchCheck, TfBase):
    def __init__(self, meta: RuleMeta, entities: list[str]) -> None:
        super().__init__(
            adapter.check_name(meta), meta.checkov_id, CATEGORIES, entities, guideline=meta.help_uri
        )
        self._setup(meta)

    @accounted("calls")
    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return self._verdict(adapter.terraform_resource(conf, self.entity_path))[0]


class TerraformModuleCheck(_ArchmatchCheck, BaseModuleCheck):
    """The same rule on Terraform `module` blocks (Checkov calls it for every module call)."""

    def __init__(self, meta: RuleMeta) -> None:
        super().__init__(adapter.check_name(meta), meta.checkov_id, CATEGORIES, guideline=meta.help_uri)
        self._setup(meta)

    @accounted("calls")
    def scan_module_conf(self, conf: dict[str, Any]) -> CheckResult:
        return self._report(*adapter.evaluate_module(self.rule_id, conf, self.entity_path))[0]


class CloudFormationCheck(_ArchmatchCheck, CfnBase):
    def __init__(self, meta: RuleMeta, entities: list[str]) -> None:
        super().__init__(
            adapter.check_name(meta), meta.checkov_id, CATEGORIES, entities, guideline=meta.help_uri
        )
        self._setup(meta)

    @accounted("calls")
    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return self._verdict(adapter.cloudformation_resource(conf, self.entity_path))[0]


class KubernetesCheck(_ArchmatchCheck, BaseK8Check):
    def __init__(self, meta: RuleMeta, entities: list[str]) -> None:
        super().__init__(
            adapter.check_name(meta), meta.checkov_id, CATEGORIES, entities, guideline=meta.help_uri
        )
        self._setup(meta)

    @accounted("calls")
    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        return self._verdict(adapter.kubernetes_resource(conf, self.entity_path))[0]


class ServerlessCheck(_ArchmatchCheck, BaseFunctionCheck):
    def __init__(self, meta: RuleMeta, entities: list[str]) -> None:
        super().__init__(
            adapter.check_name(meta), meta.checkov_id, CATEGORIES, entities, guideline=meta.help_uri
        )
        self._setup(meta)

    @accounted("calls")
    def scan_function_conf(self, conf: dict[str, Any]) -> CheckResult:
        return self._verdict(adapter.serverless_resource(conf, self.entity_path))[0]


class DockerfileCheck(_ArchmatchCheck, BaseDockerfileCheck):
    def __init__(self, meta: RuleMeta, entities: list[str]) -> None:
        super().__init__(
            adapter.check_name(meta), meta.checkov_id, CATEGORIES, entities, guideline=meta.help_uri
        )
        self._setup(meta)

    @accounted("calls")
    def scan_resource_conf(  # type: ignore[override]
        self, conf: dict[str, list[dict[str, Any]]]
    ) -> tuple[CheckResult, list[dict[str, Any]] | None]:
        resource = adapter.dockerfile_resource(conf, self.entity_path)
        result, hits = self._verdict(resource)
        if result is CheckResult.FAILED:
            return result, adapter.offending_instructions(resource, hits)
        return result, None


CLASSES: dict[str, type[_ArchmatchCheck]] = {
    "terraform": TerraformCheck,
    "cloudformation": CloudFormationCheck,
    "kubernetes": KubernetesCheck,
    "serverless": ServerlessCheck,
    "dockerfile": DockerfileCheck,
}


def make_check(meta: RuleMeta, framework: str, entities: list[str]) -> Any:
    return CLASSES[framework](meta, entities)  # type: ignore[call-arg]


_REGISTERED: dict[str, list[Any]] = {}  # framework -> its checks, made once per process


def register_all(
    rules: Iterable[Rule] | None = None,
    frameworks: Iterable[str] | None = None,
    started: tuple[float, float, float, int, dict[str, int]] | None = None,
) -> list[Any]:
    """Instantiate (and so register with Checkov) a check per rule and framework, once per process
    and framework: those of `frameworks` (Checkov loads the pack once per registry), else all.
    Made from the rules' metadata: the rule modules load only when a check is evaluated. `started`
    (the clocks and module count when the checks file began) accounts the registration when profiling."""
    frameworks = tuple(frameworks) if frameworks is not None else None
    checks = _register(rules, frameworks)
    if started is not None:
        checkov_profile.registered(frameworks, started)
    return checks


def _register(rules: Iterable[Rule] | None, frameworks: tuple[str, ...] | None) -> list[Any]:
    metas = sorted(metadata().values(), key=lambda m: m.id) if rules is None else [r.meta for r in rules]
    supported = adapter.SUPPORTED_FRAMEWORKS
    for framework in supported if frameworks is None else frameworks:
        if framework in _REGISTERED or framework not in supported:
            continue
        made = _REGISTERED.setdefault(framework, [])
        for meta in metas:
            entities = adapter.resources_for(meta, framework) if framework in meta.checkov_frameworks else []
            if entities:
                made.append(make_check(meta, framework, entities))
            if framework == "terraform" and adapter.has_module_check(meta):
                made.append(TerraformModuleCheck(meta))
    return [check for framework in supported for check in _REGISTERED.get(framework, [])]
