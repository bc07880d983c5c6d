"""ARCH201: an image workload with no declared architecture runs x86_64 by default.

Facts read: Workload.service in {lambda, ecs, batch}, Workload.arch.how == DEFAULT,
details["package_type"] ("Image" | "Zip", Lambda only), details["fargate"] (Batch: only Fargate
jobs have the X86_64 default; EC2 jobs run on whatever the compute environment offers).
"""

from __future__ import annotations

from collections.abc import Iterator

from archmatch.model import Finding, RepoFacts, Workload
from archmatch.platforms import How
from archmatch.rules import make

_WHERE = {
    "lambda": "architectures = [\"arm64\"] (or [\"x86_64\"]); CloudFormation/SAM Architectures, Serverless architecture",
    "ecs": "runtime_platform { cpu_architecture = \"ARM64\" } (CloudFormation RuntimePlatform.CpuArchitecture)",
    "batch": "runtimePlatform.cpuArchitecture in the container properties",
}


def _applies(w: Workload) -> bool:
    if w.arch.how is not How.DEFAULT or w.service not in _WHERE:
        return False
    if w.service == "lambda":
        return str(w.details.get("package_type", "")).lower() == "image"
    if w.service == "batch":
        return w.details.get("fargate") is True
    return True


def check(facts: RepoFacts) -> Iterator[Finding]:
    for w in facts.workloads:
        if _applies(w):
            yield make("ARCH201", w.location, w.name, workload=w.name, kind=w.kind, where=_WHERE[w.service])
