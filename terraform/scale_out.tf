# The scaled-out shape (see README, "Scaling out on PostgreSQL"): RDS PostgreSQL, ElastiCache Redis, an Application
# Load Balancer and an auto-scaling group of API instances, in the same VPC. Off unless scale_out is set: the
# single instance on SQLite (compute.tf) is the default, and both can run side by side while a catalog moves up.
module "scale_out" {
  source = "./modules/scale_out"
  count  = var.scale_out == null ? 0 : 1

  project                      = var.project
  availability_zones           = ["${var.region}a", "${var.region}b"]
  vpc_id                       = aws_vpc.main.id
  internet_gateway_id          = aws_internet_gateway.main.id
  ami_id                       = data.aws_ami.ubuntu.id
  image                        = "${aws_ecr_repository.api.repository_url}:${var.scale_out.image_tag}"
  certificate_arn              = var.scale_out.certificate_arn
  instance_profile_policy_arns = [aws_iam_policy.ecr_pull.arn]
  api_port                     = var.api_port
  secrets                      = var.scale_out_secrets
  secrets_version              = var.scale_out.secrets_version
}
