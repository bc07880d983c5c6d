"""CloudFormation nested stacks: a template that creates another template of the repository
(`AWS::CloudFormation::Stack` `TemplateURL`, SAM `AWS::Serverless::Application` `Location`, written
as a path relative to the template, as `aws cloudformation package` and `sam deploy` read them).
Linking takes a tree of nested stacks under one root template as one deployment."""

from __future__ import annotations

from archmatch.extract.cloudformation.context import Ctx, Resource, key_value_line
from archmatch.model import NestedStack

_PROPERTY = {"AWS::CloudFormation::Stack": "TemplateURL", "AWS::Serverless::Application": "Location"}


def nested_stack(ctx: Ctx, res: Resource) -> None:
    key = _PROPERTY[res.type]
    url = ctx.text(res.raw.get(key))
    if not url or "://" in url or url.startswith("s3:"):
        return  # an uploaded template (S3 or HTTPS URL) is not a file of the repository
    child = ctx.repo_path(url)
    if child is None or child == ctx.path or not ctx.repo.exists(child):
        return
    line = key_value_line(res.raw, key) or res.line
    ctx.facts.extra.nested_stacks.append(NestedStack(ctx.path, child, ctx.loc(line)))
