"""AWS CodeBuild as a build host (docs/aws-facts.md#codebuild): the architecture of the machine a
project's environment type runs on. A `docker build` without a platform in a buildspec builds for
that machine, as on a GitHub runner."""

from __future__ import annotations

from archmatch.platforms import AMD64, ARM64

# Environment `type` (Terraform `environment.type`, CloudFormation `Environment.Type`, the CDK's
# `LinuxArmBuildImage` / `LinuxBuildImage` ...) -> the architecture of the build machine.
ENVIRONMENT_TYPE_ARCH: dict[str, str] = {
    "ARM_CONTAINER": ARM64,
    "ARM_LAMBDA_CONTAINER": ARM64,
    "LINUX_CONTAINER": AMD64,
    "LINUX_LAMBDA_CONTAINER": AMD64,
}

# CDK build image classes -> the environment type they set.
CDK_IMAGE_CLASS_TYPE: dict[str, str] = {
    "LinuxArmBuildImage": "ARM_CONTAINER",
    "LinuxBuildImage": "LINUX_CONTAINER",
    "LinuxArmLambdaBuildImage": "ARM_LAMBDA_CONTAINER",
    "LinuxLambdaBuildImage": "LINUX_LAMBDA_CONTAINER",
}


def environment_arch(env_type: object) -> str | None:
    """The build machine's architecture for a known environment type, else None."""
    return ENVIRONMENT_TYPE_ARCH.get(env_type.strip().upper()) if isinstance(env_type, str) else None
