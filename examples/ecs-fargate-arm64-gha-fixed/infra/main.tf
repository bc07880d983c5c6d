variable "image_tag" {
  type = string
}

resource "aws_ecs_task_definition" "checkout" {
  family                   = "checkout"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  container_definitions = jsonencode([
    {
      name      = "checkout"
      image     = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:${var.image_tag}"
      essential = true
      portMappings = [{ containerPort = 8080 }]
    }
  ])
}
