"""YAML/JSON documents with line numbers, shared by the CloudFormation, Serverless, Kubernetes
and cdk.out extractors (thin names over `archmatch.extract.yaml_docs` / `json_doc`)."""

from __future__ import annotations

from typing import Any

from archmatch.extract import json_doc, yaml_docs
from archmatch.model import DiagnosticLevel
from archmatch.repo import RepoView


def yaml_documents(repo: RepoView, rel: str, level: DiagnosticLevel = "warning") -> list[Any] | None:
    return yaml_docs(repo, rel, level)


def json_document(repo: RepoView, rel: str) -> Any | None:
    return json_doc(repo, rel)
