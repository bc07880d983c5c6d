terraform {
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.0" }
    docker = { source = "kreuzwerker/docker", version = "~> 3.0" }
  }
}

variable "image_tag" {
  type    = string
  default = "1.0.0"
}

resource "aws_ecr_repository" "orders" {
  name = "orders-api"
}

module "orders_image" {
  source  = "terraform-aws-modules/lambda/aws//modules/docker-build"
  version = "~> 7.0"

  create_ecr_repo = false
  ecr_repo        = aws_ecr_repository.orders.name
  image_tag       = var.image_tag
  source_path     = "${path.module}/src"
  platform        = "linux/amd64"
}

module "orders_lambda" {
  source  = "terraform-aws-modules/lambda/aws"
  version = "~> 7.0"

  function_name  = "orders-api"
  create_package = false
  package_type   = "Image"
  architectures  = ["arm64"]
  image_uri      = module.orders_image.image_uri
}
