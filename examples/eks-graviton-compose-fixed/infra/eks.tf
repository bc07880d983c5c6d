resource "aws_eks_node_group" "general" {
  cluster_name    = "shop"
  node_group_name = "general"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-nodes"
  subnet_ids      = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
  ami_type        = "AL2023_ARM_64_STANDARD"
  instance_types  = ["m7g.large", "c7g.large"]

  scaling_config {
    desired_size = 3
    max_size     = 6
    min_size     = 3
  }
}
