"""Registers every archmatch rule as a Checkov check (CKV_ARCH_<n>).

Checkov executes this file once per check registry it loads external checks into, in every
framework process it forks, so it stays cheap: it only reads the rule metadata and defines the
checks of the framework whose registry is loading it (nothing, and no import of archmatch, for the
frameworks archmatch has no check in: secrets, GitHub Actions, ...). The rule logic and the
repository analysis live in the archmatch package (`archmatch.integrations.checkov_adapter`).
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from types import ModuleType

# Checkov's registries that archmatch checks register into: (module, attribute) -> the frameworks
# of those checks. Checkov never loads external checks into its Terraform module registry: the
# module checks register when its resource registry loads this file.
_REGISTRIES = {
    ("checkov.terraform.checks.resource.registry", "resource_registry"): ("terraform",),
    ("checkov.cloudformation.checks.resource.registry", "cfn_registry"): ("cloudformation",),
    ("checkov.kubernetes.checks.resource.registry", "registry"): ("kubernetes",),
    ("checkov.serverless.checks.function.registry", "function_registry"): ("serverless",),
    ("checkov.dockerfile.registry", "registry"): ("dockerfile",),
}


def _loading_frameworks() -> tuple[str, ...] | None:
    """The frameworks whose checks belong in the Checkov registry executing this file (the `self`
    of a caller frame): () for a registry that holds no archmatch check, None when no registry is
    found (imported some other way): then every check is registered."""
    base = getattr(sys.modules.get("checkov.common.checks.base_check_registry"), "BaseCheckRegistry", None)
    getframe = getattr(sys, "_getframe", None)
    if base is None or getframe is None:
        return None
    frame = getframe(1)
    for _ in range(16):  # the registry's exec is a few importlib frames up
        if frame is None:
            break
        owner = frame.f_locals.get("self")
        if isinstance(owner, base):
            for (module, attribute), frameworks in _REGISTRIES.items():
                if getattr(sys.modules.get(module), attribute, None) is owner:
                    return frameworks
            return ()
        frame = frame.f_back
    return None


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


# where this execution started: the cost of registering is accounted with ARCHMATCH_PACK_PROFILE set
_started = (
    time.thread_time(),
    time.process_time(),
    time.perf_counter(),
    len(sys.modules),
    gc.get_stats()[-1],
)
_frameworks = _loading_frameworks()
_loaded = _checks_module() if _frameworks != () else None
CHECKS = _loaded.register_all(frameworks=_frameworks, started=_started) if _loaded is not None else []
