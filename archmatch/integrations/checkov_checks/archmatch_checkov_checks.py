"""Registers every archmatch rule as a Checkov check (CKV_ARCH_<n>).

Checkov imports this file as a top-level module, once in every framework process it forks, so
it stays cheap: it only reads the rule metadata and defines the checks. The rule logic and the
repository analysis live in the archmatch package (`archmatch.integrations.checkov_adapter`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType


def _checks_module() -> ModuleType | None:
    try:
        from archmatch.integrations import checkov_classes
    except ImportError as exc:
        # Checkov may run from another environment than archmatch: try the package we ship in.
        site = Path(__file__).resolve().parents[3]
        if (site / "archmatch" / "__init__.py").is_file() and str(site) not in sys.path:
            sys.path.append(str(site))
            try:
                from archmatch.integrations import checkov_classes
            except ImportError:
                pass
            else:
                return checkov_classes
        print(
            f"WARNING archmatch: the CKV_ARCH_* checks are NOT running: cannot import archmatch ({exc}). "
            "Install archmatch in the Python environment that runs Checkov.",
            file=sys.stderr,
        )
        return None
    return checkov_classes


_loaded = _checks_module()
CHECKS = _loaded.register_all() if _loaded is not None else []
