"""A control for the cost of the archmatch Checkov pack (benchmarks/run.py --control).

It registers exactly the checks the real pack registers, in the same Checkov registries, by
running the pack's own file; but every check answers PASSED at once, without finding the file or
analysing the repository. Checkov with this control against Checkov alone is the cost of Checkov's
own work for the pack's checks (loading them, calling them, recording the results); the real pack
against this control is what archmatch's code adds.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from checkov.common.models.enums import CheckResult

from archmatch.integrations import checkov_classes


def _passed(self: Any, resource: Any) -> tuple[CheckResult, list[Any]]:
    return CheckResult.PASSED, []


def _module_passed(*args: Any, **kwargs: Any) -> tuple[str, list[Any]]:
    return "PASSED", []


checkov_classes._ArchmatchCheck._verdict = _passed  # type: ignore[method-assign]
checkov_classes.adapter.evaluate_module = _module_passed  # type: ignore[assignment]
PACK = Path(__file__).resolve().parents[2] / "checks" / "archmatch_checkov_checks.py"
CHECKS = runpy.run_path(str(PACK))["CHECKS"]
