"""CloudFormation and SAM templates (YAML or JSON, `cdk.out/*.template.json` included), recognised
by content: `AWSTemplateFormatVersion`, or `Resources` holding `Type: AWS::...` entries.

A file that fails to parse gets a parse diagnostic when it says it is a template: by one of those
markers or the SAM `Transform: AWS::Serverless-...` line in its text, or by its name (`template.yaml`,
SAM's default, `*.template.json`, `*.cfn.yaml`, ...), as a compose, Serverless, Kubernetes or CI file
does by its name or markers. Any other YAML or JSON that fails to parse is not ours to judge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from archmatch import lazyre
from archmatch.extract import _variants, json_doc, yaml_docs
from archmatch.extract.cloudformation import capacity, codebuild, parameters, stacks, workloads
from archmatch.extract.cloudformation.context import Ctx, Resource
from archmatch.extract.cloudformation.intrinsics import Given, Template
from archmatch.extract.yamlsafe import LDict, LList
from archmatch.isolation import isolated, note_position
from archmatch.model import RepoFacts
from archmatch.repo import RepoView

_SUFFIXES = (".yaml", ".yml", ".json", ".template", ".cfn")
# Starts with a literal, so the regex engine skips ahead quickly in multi-MB files that are not
# templates (a quote before `Type` is allowed but need not be matched).
_SNIFF = lazyre.compile(r"Type[\"']?\s*:\s*[\"']?AWS::")
_SAM_TRANSFORM = lazyre.compile(r"Transform[\"']?\s*:\s*\[?\s*[\"']?AWS::Serverless")
# SAM's default template name, and the suffixes CloudFormation tooling writes
_TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
_TEMPLATE_SUFFIXES = tuple(
    f".{kind}.{ext}" for kind in ("template", "cfn") for ext in ("yaml", "yml", "json")
)

Handler = Callable[[Ctx, Resource], None]
HANDLERS: dict[str, Handler] = {
    "AWS::Lambda::Function": workloads.lambda_function,
    "AWS::Serverless::Function": workloads.lambda_function,
    "AWS::ECS::TaskDefinition": workloads.ecs_task_definition,
    "AWS::Batch::JobDefinition": workloads.batch_job_definition,
    "AWS::AppRunner::Service": workloads.apprunner_service,
    "AWS::EC2::LaunchTemplate": capacity.launch_template,
    "AWS::EC2::Instance": capacity.ec2_instance,
    "AWS::AutoScaling::AutoScalingGroup": capacity.autoscaling_group,
    "AWS::EKS::Nodegroup": capacity.eks_nodegroup,
    "AWS::EKS::FargateProfile": capacity.eks_fargate_profile,
    "AWS::Batch::ComputeEnvironment": capacity.batch_compute_environment,
    "AWS::CodeBuild::Project": codebuild.codebuild_project,
    "AWS::CloudFormation::Stack": stacks.nested_stack,
    "AWS::Serverless::Application": stacks.nested_stack,
}


def is_template(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    if "AWSTemplateFormatVersion" in doc:
        return True
    resources = doc.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(r, dict) and isinstance(r.get("Type"), str) and r["Type"].startswith("AWS::")
        for r in resources.values()
    )


def load_template(repo: RepoView, rel: str) -> Template | None:
    """The template in `rel`, or None if the file is not one (parse errors become diagnostics)."""
    if not rel.endswith(_SUFFIXES) or rel.rsplit("/", 1)[-1].startswith(("serverless.", ".")):
        return None
    text = repo.read_text(rel)
    if text is None or not (_named_like_a_template(rel) or _has_template_markers(text)):
        return None
    if rel.endswith(".json") or text.lstrip().startswith("{"):
        doc = json_doc(repo, rel)
    else:
        docs = yaml_docs(repo, rel)
        doc = docs[0] if docs else None
    if isinstance(doc, dict) and not isinstance(doc, LDict):
        doc = with_lines(doc)  # plain JSON (the YAML loader refused it): no line numbers
    return Template(rel, doc) if isinstance(doc, LDict) and is_template(doc) else None


def _named_like_a_template(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1].lower()
    return name in _TEMPLATE_NAMES or name.endswith(_TEMPLATE_SUFFIXES)


def _has_template_markers(text: str) -> bool:
    if "AWSTemplateFormatVersion" in text:
        return True
    return "AWS::" in text and (_SNIFF.search(text) is not None or _SAM_TRANSFORM.search(text) is not None)


def with_lines(value: Any) -> Any:
    """Plain dicts/lists as LDict/LList (line 0), so handlers can treat every template alike."""
    if isinstance(value, dict):
        out = LDict((k, with_lines(v)) for k, v in value.items())
        out.key_lines = {}
        return out
    if isinstance(value, list):
        items = LList(with_lines(v) for v in value)
        items.item_lines = []
        return items
    return value


def extract(repo: RepoView, facts: RepoFacts) -> None:
    for rel in repo.files:
        with isolated(repo, facts, rel):
            tpl = load_template(repo, rel)
            if tpl is not None:
                _extract_deployed(repo, facts, tpl)


def _extract_deployed(repo: RepoView, facts: RepoFacts, tpl: Template) -> None:
    """The template's facts, evaluated once per set of parameter values that the repository's
    deploy commands give it (`parameters.py`), else once with its defaults."""
    sets = parameters.value_sets(repo, facts, tpl.path)
    if not sets:
        extract_template(Ctx(repo, facts, tpl))
        return
    diagnostics, extra = len(facts.diagnostics), facts.extra.copy()

    def evaluated(given: Given | None) -> list[_variants.Fact]:
        template = tpl if given is None else Template(tpl.path, tpl.doc, given)
        return _variants.taken(facts, lambda: extract_template(Ctx(repo, facts, template)))

    baseline = evaluated(None)
    variants = [evaluated(s.given) for s in sets]
    for item in _variants.merge(baseline, variants, sets, "cloudformation"):
        _variants.append(facts, item)
    facts.diagnostics[diagnostics:] = _variants.unique(facts.diagnostics[diagnostics:])
    for name in (f.name for f in fields(extra)):  # what each evaluation adds besides the facts, once
        before = len(getattr(extra, name))
        added = getattr(facts.extra, name)
        added[before:] = _variants.unique(added[before:])


def extract_template(ctx: Ctx) -> None:
    for logical, body in ctx.tpl.resources.items():
        if not isinstance(body, LDict) or not isinstance(body.get("Type"), str):
            continue
        condition = body.get("Condition")
        if isinstance(condition, str) and ctx.tpl.condition(condition) is False:
            continue  # never created with the default parameters
        note_position(ctx.repo, ctx.tpl.path, ctx.tpl.resources.line_of(logical))
        raw = body.get("Properties")
        raw = raw if isinstance(raw, LDict) else LDict()
        props = ctx.resolve(raw)
        if not isinstance(props, dict):  # `Properties: !Ref X` resolves to no mapping: nothing known
            props = LDict()
        res = Resource(str(logical), body["Type"], body, raw, props, ctx.tpl.resources.line_of(logical))
        handler = HANDLERS.get(res.type)
        if handler is not None:
            handler(ctx, res)
    ctx.tpl.budget.report(ctx.repo)
