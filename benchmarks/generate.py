"""Generate a synthetic monorepo of N services for the benchmarks (deterministic for a seed).

Each service has a Dockerfile, a build (compose file or GitHub workflow) and a runtime
(Terraform Lambda / ECS, or a SAM template). About one service in five is deliberately broken
in one of a few ways (constant amd64 final stage, amd64 build for an arm64 workload, hard-coded
GOARCH), so the scan has real findings to report.

    python benchmarks/generate.py OUT_DIR --services 100 [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

GO_DOCKERFILE = """\
# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM golang:1.22 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH={goarch} go build -o /out/{name} ./cmd/{name}

FROM {final_platform}gcr.io/distroless/static-debian12
COPY --from=build /out/{name} /{name}
USER nonroot
ENTRYPOINT ["/{name}"]
"""

PY_DOCKERFILE = """\
FROM {final_platform}public.ecr.aws/lambda/python:3.12
COPY requirements.txt ${{LAMBDA_TASK_ROOT}}/
RUN pip install -r requirements.txt --target "${{LAMBDA_TASK_ROOT}}"
COPY app.py ${{LAMBDA_TASK_ROOT}}/
CMD ["app.handler"]
"""

COMPOSE = """\
services:
  {name}:
    image: {registry}/{name}:latest
    build:
      context: .
      dockerfile: Dockerfile
{platforms}    environment:
      LOG_LEVEL: info
"""

WORKFLOW = """\
name: build {name}
on:
  push:
    paths: ["services/{name}/**"]
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-qemu-action@v3
      - uses: docker/setup-buildx-action@v3
      - uses: docker/build-push-action@v6
        with:
          context: services/{name}
          push: true
{platforms}          tags: {registry}/{name}:latest
"""

TF_LAMBDA = """\
resource "aws_lambda_function" "{ident}" {{
  function_name = "{name}"
  role          = "arn:aws:iam::123456789012:role/{name}"
  package_type  = "Image"
  image_uri     = "{registry}/{name}:latest"
  architectures = ["{arch}"]
  memory_size   = 512
  timeout       = 30
}}
"""

TF_ECS = """\
resource "aws_ecs_task_definition" "{ident}" {{
  family                   = "{name}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  runtime_platform {{
    cpu_architecture        = "{ecs_arch}"
    operating_system_family = "LINUX"
  }}
  container_definitions = jsonencode([{{
    name      = "{name}"
    image     = "{registry}/{name}:latest"
    essential = true
  }}])
}}
"""

SAM = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  {ident}:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Architectures: [{arch}]
      MemorySize: 512
      Timeout: 30
    Metadata:
      Dockerfile: Dockerfile
      DockerContext: .
      DockerTag: v1
"""


def service(root: Path, index: int, rng: random.Random) -> str:
    """Write one service; returns how it was broken ("" when it is consistent)."""
    name = f"svc-{index:04d}"
    ident = f"Svc{index:04d}"
    arch = rng.choice(["arm64", "x86_64"])
    platform = "linux/arm64" if arch == "arm64" else "linux/amd64"
    broken = (
        rng.choice(["constant-amd64-final", "build-wrong-arch", "hardcoded-goarch"])
        if rng.random() < 0.2
        else ""
    )
    if broken == "constant-amd64-final":
        arch, platform = "arm64", "linux/arm64"
    build_platform = "linux/amd64" if broken == "build-wrong-arch" and arch == "arm64" else platform
    if broken == "build-wrong-arch" and arch != "arm64":
        build_platform = "linux/arm64"
    src = root / "services" / name
    src.mkdir(parents=True)
    runtime = rng.choice(["tf-lambda", "tf-ecs", "sam"])
    final_platform = "--platform=linux/amd64 " if broken == "constant-amd64-final" else ""
    if runtime == "tf-ecs" or (runtime == "tf-lambda" and rng.random() < 0.5):
        goarch = "amd64" if broken == "hardcoded-goarch" else "$TARGETARCH"
        (src / "Dockerfile").write_text(
            GO_DOCKERFILE.format(name=name, goarch=goarch, final_platform=final_platform)
        )
        (src / "go.mod").write_text(f"module example.com/{name}\n\ngo 1.22\n")
    else:
        (src / "Dockerfile").write_text(PY_DOCKERFILE.format(final_platform=final_platform))
        (src / "requirements.txt").write_text("boto3==1.34.0\n")
        (src / "app.py").write_text("def handler(event, context):\n    return {'ok': True}\n")
    if runtime == "sam":
        (src / "template.yaml").write_text(SAM.format(ident=ident, arch=arch))
    else:
        if rng.random() < 0.5:
            platforms = (
                f"      platforms: [{build_platform}]\n"
                if broken != "build-wrong-arch" or rng.random() < 0.9
                else ""
            )
            (src / "compose.yaml").write_text(
                COMPOSE.format(name=name, registry=REGISTRY, platforms=platforms)
            )
        else:
            workflows = root / ".github" / "workflows"
            workflows.mkdir(parents=True, exist_ok=True)
            platforms = f"          platforms: {build_platform}\n"
            (workflows / f"{name}.yml").write_text(
                WORKFLOW.format(name=name, registry=REGISTRY, platforms=platforms)
            )
        infra = root / "infra" / name
        infra.mkdir(parents=True)
        if runtime == "tf-lambda":
            text = TF_LAMBDA.format(ident=ident.lower(), name=name, registry=REGISTRY, arch=arch)
        else:
            text = TF_ECS.format(
                ident=ident.lower(),
                name=name,
                registry=REGISTRY,
                ecs_arch="ARM64" if arch == "arm64" else "X86_64",
            )
        (infra / "main.tf").write_text(text)
    return broken


def generate(out: Path, services: int, seed: int = 1) -> dict[str, int]:
    """(Re)create `out` with `services` services; returns how many of each breakage it holds."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "infra").mkdir()
    (out / "infra" / "providers.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n')
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    for i in range(services):
        kind = service(out, i, rng) or "consistent"
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts = generate(args.out, args.services, args.seed)
    print(
        f"{args.out}: {args.services} services ({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))})"
    )


if __name__ == "__main__":
    main()
