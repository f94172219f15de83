# The scaled-out shape (docs/deployment-aws.md, "The scaled-out shape on AWS"): RDS PostgreSQL, ElastiCache Redis, an Application
# Load Balancer and an auto-scaling group of API instances, in the same VPC. Off unless scale_out is set: the
# single instance on SQLite (compute.tf) is the default, and both can run side by side while a catalog moves up.
module "scale_out" {
  source = "./modules/scale_out"
  count  = var.scale_out == null ? 0 : 1

  project             = var.project
  availability_zones  = ["${var.region}a", "${var.region}b"]
  vpc_id              = aws_vpc.main.id
  internet_gateway_id = aws_internet_gateway.main.id
  subnet_cidrs        = local.subnet_cidrs.scale_out
  ami_id              = data.aws_ami.ubuntu.id
  image_repository    = aws_ecr_repository.api.repository_url
  image_digest        = var.scale_out.image_digest
  certificate_arn     = var.scale_out.certificate_arn
  # The replicas only pull, like the single instance, and get the same SSM agent policy (iam.tf).
  instance_profile_policy_arns = [aws_iam_policy.ecr_pull.arn, aws_iam_policy.ssm_agent.arn]
  # The single instance runs `bookcat copy` into the database when a catalog moves up (docs/deployment-aws.md).
  database_client_security_group_ids = [aws_security_group.api.id]
  api_port                           = var.api_port
  secrets                            = var.scale_out_secrets
  secrets_version                    = var.scale_out.secrets_version
  nat_gateway_per_zone               = var.scale_out.nat_gateway_per_zone
  cache_shards                       = var.scale_out.cache_shards
}
