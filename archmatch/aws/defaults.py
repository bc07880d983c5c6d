"""What AWS runs when the architecture is not written (docs/aws-facts.md#service-defaults): one
definition for every format's extractor."""

from __future__ import annotations

from archmatch.platforms import AMD64

# Lambda without Architectures / architectures / architecture (Terraform, CloudFormation, SAM,
# Serverless, CDK): x86_64
LAMBDA_DEFAULT_ARCH = AMD64
# ECS task definition without runtimePlatform.cpuArchitecture: X86_64
ECS_DEFAULT_ARCH = AMD64
# Batch job definition on Fargate without runtimePlatform: X86_64
BATCH_FARGATE_DEFAULT_ARCH = AMD64
# EKS node group when neither it nor its launch template names an instance type (x86_64)
EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"
