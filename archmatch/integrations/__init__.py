"""Integrations with other tools: Checkov checks and policies, Hadolint, SARIF merging."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKS_DIR = HERE / "checkov_checks"  # Python external checks: checkov --external-checks-dir
POLICIES_DIR = HERE / "checkov_policies"  # YAML custom policies (same ids, use one or the other)
