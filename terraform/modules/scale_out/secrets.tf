# What the instances need and nobody should read in a file: SecureString parameters under one path, encrypted with
# this module's key. The instances' role may read exactly this path; the first boot fetches them into the env file.

resource "aws_kms_key" "secrets" {
  description         = "${var.project}: the scale-out shape's SSM parameters and database storage"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

data "aws_caller_identity" "current" {}

# The database password, the cache user's password and the signing key come in as an ephemeral variable and go where they are needed through
# write-only arguments: neither the plan nor the state ever holds them. They are written when these resources are
# created and whenever secrets_version changes.
locals {
  parameter_path  = "/${var.project}/scale-out"
  secrets_version = var.secrets_version
  # TLS, verified against the system's trust store (Amazon's CAs are in it), as the ACL user of cache.tf.
  redis_host = local.cache_endpoint
  # The path itself (what GetParametersByPath is authorised on) and the parameters under it: not /<project>/scale-outX.
  settings_arns = [
    for suffix in ["", "/*"] :
    "arn:aws:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${local.parameter_path}${suffix}"
  ]
  # DATABASE_URL's alone: what the single instance may read to move a catalog up (the root module's iam.tf).
  database_url_arn = "arn:aws:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${local.parameter_path}/DATABASE_URL"
}

resource "aws_ssm_parameter" "database_url" {
  name   = "${local.parameter_path}/DATABASE_URL"
  type   = "SecureString"
  key_id = aws_kms_key.secrets.arn
  # sslmode=require: encrypted to RDS; the image has no RDS CA bundle to verify against (see docs/deployment-aws.md).
  value_wo         = "postgres://bookcat:${var.secrets.database_password}@${aws_db_instance.main.address}:${aws_db_instance.main.port}/bookcat?sslmode=require"
  value_wo_version = local.secrets_version
}

resource "aws_ssm_parameter" "redis_url" {
  name             = "${local.parameter_path}/REDIS_URL"
  type             = "SecureString"
  key_id           = aws_kms_key.secrets.arn
  value_wo         = "rediss://${local.cache_user}:${var.secrets.cache_password}@${local.redis_host}:6379"
  value_wo_version = local.secrets_version
}

# Cluster mode: the configuration endpoint answers CLUSTER NODES for the whole cluster.
resource "aws_ssm_parameter" "redis_cluster" {
  count  = local.cache_cluster_mode ? 1 : 0
  name   = "${local.parameter_path}/REDIS_CLUSTER"
  type   = "SecureString"
  key_id = aws_kms_key.secrets.arn
  value  = "${local.cache_endpoint}:6379"
}

resource "aws_ssm_parameter" "jwt_secret" {
  name             = "${local.parameter_path}/JWT_SECRET_KEY"
  type             = "SecureString"
  key_id           = aws_kms_key.secrets.arn
  value_wo         = var.secrets.jwt_secret
  value_wo_version = local.secrets_version
}
