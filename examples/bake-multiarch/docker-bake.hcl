variable "REGISTRY" {
  default = "123456789012.dkr.ecr.eu-central-1.amazonaws.com"
}

variable "TAG" {
  default = "dev"
}

group "default" {
  targets = ["web"]
}

target "_common" {
  platforms = ["linux/amd64", "linux/arm64"]
}

target "web" {
  inherits   = ["_common"]
  context    = "services/web"
  dockerfile = "Dockerfile"
  tags       = ["${REGISTRY}/web:${TAG}"]
}
