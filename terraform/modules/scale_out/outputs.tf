output "url" {
  description = "The service's address: point your DNS name at the load balancer."
  value       = "https://${aws_lb.main.dns_name}"
}

output "database_endpoint" {
  description = "RDS PostgreSQL's address, for `bookcat copy --to` from inside the VPC (the URL with its password is the SSM parameter)."
  value       = aws_db_instance.main.address
}

output "settings_path" {
  description = "The SSM Parameter Store path holding DATABASE_URL, REDIS_URL and JWT_SECRET_KEY."
  value       = local.parameter_path
}

output "settings_arns" {
  description = "The ARNs of the settings' path and of the parameters under it, for a policy that may read them."
  value       = local.settings_arns
}

output "database_url_arn" {
  description = "The ARN of the DATABASE_URL parameter alone, for a policy that may read it and no other setting."
  value       = local.database_url_arn
}

output "settings_key_arn" {
  description = "The KMS key that encrypts the settings (and the database): reading them needs kms:Decrypt on it."
  value       = aws_kms_key.secrets.arn
}

output "autoscaling_group" {
  description = "The API replicas' group: a new image_digest rolls out through its instance refresh."
  value       = aws_autoscaling_group.api.name
}

output "instance_policy_arns" {
  description = "The managed policies attached to the instances' role besides their own settings policy: all of them (no AWS-managed one)."
  value       = aws_iam_role_policy_attachment.extra[*].policy_arn
}
