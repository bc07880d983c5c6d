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
# Members of the x86-64 `LinuxBuildImage` class that are ARM images (aliases of
# `LinuxArmBuildImage` members, so their type is ARM_CONTAINER).
CDK_LINUX_BUILD_IMAGE_ARM_MEMBERS = frozenset(
    {"AMAZON_LINUX_2_ARM", "AMAZON_LINUX_2_ARM_2", "AMAZON_LINUX_2_ARM_3"}
)
# The build image of a CDK `Project` / `PipelineProject` that names none.
CDK_DEFAULT_BUILD_IMAGE = "LinuxBuildImage.STANDARD_7_0"


def cdk_image_type(image_class: str, member: str = "") -> str | None:
    """The environment type a CDK build image sets: its class decides (`LinuxArmBuildImage.X`,
    `LinuxBuildImage.fromDockerRegistry(...)`), except the ARM aliases on `LinuxBuildImage`."""
    if image_class == "LinuxBuildImage" and member in CDK_LINUX_BUILD_IMAGE_ARM_MEMBERS:
        return "ARM_CONTAINER"
    return CDK_IMAGE_CLASS_TYPE.get(image_class)


def environment_arch(env_type: object) -> str | None:
    """The build machine's architecture for a known environment type, else None."""
    return ENVIRONMENT_TYPE_ARCH.get(env_type.strip().upper()) if isinstance(env_type, str) else None
