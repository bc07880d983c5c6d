"""AWS semantics that do not depend on the file format: what the Terraform, CloudFormation, SAM,
Serverless and CDK extractors all need to interpret a value, and what the rules need to judge it
(the facts and their sources: docs/aws-facts.md). Extractors adapt their syntax to these functions;
rules read the resulting facts.

- `defaults`: what each service runs when no architecture is written (x86_64-only services too);
- `ecs`: launch types, Fargate capacity providers, the task's operating-system family, the
  architecture of a task definition that writes none;
- `batch`: Fargate jobs and compute environments, a job definition's default, GPU requests and
  the compute environments an EC2 job may run on;
- `eks`: node groups;
- `compute`: the architecture of instance types, EKS AMI types, SSM AMI parameters, Batch
  instance-type keywords and AMI names.
"""
