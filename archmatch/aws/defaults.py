"""What AWS runs when the architecture is not written (docs/aws-facts.md#service-defaults): one
definition for every format's extractor."""

from __future__ import annotations

from archmatch.platforms import AMD64, ArchFact

# Lambda without Architectures / architectures / architecture (Terraform, CloudFormation, SAM,
# Serverless, CDK): x86_64
LAMBDA_DEFAULT_ARCH = AMD64
# ECS task definition without runtimePlatform.cpuArchitecture: X86_64
ECS_DEFAULT_ARCH = AMD64
# Batch job definition on Fargate without runtimePlatform: X86_64
BATCH_FARGATE_DEFAULT_ARCH = AMD64
# EKS node group when neither it nor its launch template names an instance type (x86_64)
EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"


def eks_fargate_arch() -> ArchFact:
    """EKS on Fargate has no architecture setting and runs x86_64 only (docs/aws-facts.md#eks-node-groups)."""
    return ArchFact.derived(AMD64, note="EKS on Fargate runs x86_64 only")


def apprunner_arch() -> ArchFact:
    """App Runner has no architecture setting and runs x86_64 only (docs/aws-facts.md#service-defaults)."""
    return ArchFact.derived(AMD64, note="App Runner runs x86_64 only")
