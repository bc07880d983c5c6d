"""AWS semantics that do not depend on the file format: what Terraform, CloudFormation, SAM and
CDK extractors all need to interpret a value (the facts and their sources: docs/aws-facts.md).
Extractors adapt their syntax to these functions; rules read the resulting facts. Instance types,
AMI names and SSM parameters: archmatch/aws_arch.py."""
