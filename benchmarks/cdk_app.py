"""A generated AWS CDK app (TypeScript or Python) of N constructs, and its scan time.

Half the constructs are DockerImageFunctions (arm64), half Fargate task definitions with an
asset container; every asset folder has a Dockerfile, so linking and the rules run too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from archmatch.config import Config
from archmatch.engine import scan


def generate_ts(root: Path, constructs: int) -> None:
    lines = [
        "import * as path from 'path';",
        "import { App, Stack } from 'aws-cdk-lib';",
        "import * as lambda from 'aws-cdk-lib/aws-lambda';",
        "import * as ecs from 'aws-cdk-lib/aws-ecs';",
        "import { Platform } from 'aws-cdk-lib/aws-ecr-assets';",
        "const stack = new Stack(new App(), 'S');",
    ]
    for i in range(constructs // 2):
        lines.append(
            f"new lambda.DockerImageFunction(stack, 'Fn{i}', {{ architecture: lambda.Architecture.ARM_64, "
            f"code: lambda.DockerImageCode.fromImageAsset(path.join(__dirname, '..', 'fn{i}')) }});"
        )
        lines.append(
            f"const td{i} = new ecs.FargateTaskDefinition(stack, 'Task{i}', {{ runtimePlatform: {{ cpuArchitecture: ecs.CpuArchitecture.ARM64 }} }});"
        )
        lines.append(
            f"td{i}.addContainer('c', {{ image: ecs.ContainerImage.fromAsset('svc{i}', {{ platform: Platform.LINUX_ARM64 }}) }});"
        )
    _write_common(root, constructs, {"app": "npx ts-node --prefer-ts-exts bin/app.ts"})
    (root / "bin").mkdir(parents=True, exist_ok=True)
    (root / "bin" / "app.ts").write_text("\n".join(lines) + "\n")


def generate_py(root: Path, constructs: int) -> None:
    lines = [
        "from aws_cdk import App, Stack",
        "from aws_cdk import aws_lambda as lambda_, aws_ecs as ecs",
        "from aws_cdk.aws_ecr_assets import Platform",
        "app = App()",
        "stack = Stack(app, 'S')",
    ]
    for i in range(constructs // 2):
        lines.append(
            f"lambda_.DockerImageFunction(stack, 'Fn{i}', architecture=lambda_.Architecture.ARM_64, "
            f"code=lambda_.DockerImageCode.from_image_asset('fn{i}'))"
        )
        lines.append(
            f"td{i} = ecs.FargateTaskDefinition(stack, 'Task{i}', runtime_platform=ecs.RuntimePlatform(cpu_architecture=ecs.CpuArchitecture.ARM64))"
        )
        lines.append(
            f"td{i}.add_container('c', image=ecs.ContainerImage.from_asset('svc{i}', platform=Platform.LINUX_ARM64))"
        )
    _write_common(root, constructs, {"app": "python3 app.py"})
    (root / "app.py").write_text("\n".join(lines) + "\n")


def _write_common(root: Path, constructs: int, cdk_json: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cdk.json").write_text(json.dumps(cdk_json))
    for i in range(constructs // 2):
        for folder in (f"fn{i}", f"svc{i}"):
            (root / folder).mkdir(exist_ok=True)
            (root / folder / "Dockerfile").write_text("FROM public.ecr.aws/lambda/python:3.12\n")


def scan_seconds(root: Path, repeat: int = 5) -> tuple[float, int, int]:
    """Median in-process scan time (imports excluded), and the workload and finding counts."""
    scan([root], Config())  # warm: imports, tree-sitter language objects
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = scan([root], Config())
        times.append(time.perf_counter() - started)
    assert result is not None
    workloads = sum(len(f.workloads) for f in result.facts)
    return sorted(times)[len(times) // 2], workloads, len(result.findings)
