"""`archmatch fix-command`: the corrected `docker build` command for a target workload.

archmatch fix-command --for lambda:arm64 -- docker buildx build --platform linux/amd64,linux/arm64 -t fn .
docker buildx build --platform linux/arm64 --provenance=false --sbom=false -t fn .
"""

from __future__ import annotations

import argparse
import shlex
import sys

from archmatch.dockercli import hide_build_values, parse_build_command, with_platform
from archmatch.outputs import write_stdout
from archmatch.platforms import AMD64, ARM64, arch_of

SERVICES = ("lambda", "ecs", "fargate", "eks", "k8s", "batch", "ec2", "apprunner")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "fix-command",
        help="print a docker build command corrected for the workload that runs the image",
        description="Rewrite a docker build command so its image runs on the given workload: one "
        "--platform for its architecture, and for Lambda a single-manifest image (no attestations).",
    )
    p.add_argument(
        "--for",
        dest="target",
        required=True,
        metavar="SERVICE:ARCH",
        help="e.g. lambda:arm64, ecs:x86_64, eks:amd64",
    )
    p.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        help="the docker build command (after --), or - to read it from stdin",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    service, _, arch_text = args.target.partition(":")
    arch = arch_of(arch_text) if arch_text else None
    if service.lower() not in SERVICES or arch not in (AMD64, ARM64):
        print(
            f"archmatch: --for takes SERVICE:ARCH with SERVICE one of {', '.join(SERVICES)} and ARCH amd64/x86_64 or arm64 (e.g. lambda:arm64)",
            file=sys.stderr,
        )
        return 2
    if service.lower() == "apprunner" and arch != "amd64":
        print("archmatch: App Runner runs x86_64 only; there is no arm64 to build for", file=sys.stderr)
        return 2
    words = [w for w in args.command if w != "--"]
    command = (
        sys.stdin.read().strip()
        if words == ["-"]
        else " ".join(shlex.quote(w) if " " in w else w for w in words)
    )
    if parse_build_command(command) is None:
        print("archmatch: not a docker build / docker buildx build command", file=sys.stderr)
        return 2
    fixed = with_platform(command, f"linux/{arch}", single_manifest=service.lower() == "lambda")
    write_stdout(hide_build_values(fixed) + "\n")
    return 0
