output "api_url" {
  description = "Where the API answers (from the allowed CIDR)."
  value       = "http://${aws_eip.api.public_ip}:${var.api_port}"
}

output "instance_id" {
  description = "The server's instance id: the DEPLOY_INSTANCE_ID repository variable, and the target of `aws ssm start-session`."
  value       = aws_instance.api.id
}

output "ecr_repository_url" {
  description = "Registry and repository the images are pushed to (REGISTRY is the part before the slash)."
  value       = aws_ecr_repository.api.repository_url
}

output "deploy_role_arn" {
  description = "The role GitHub Actions assumes through OIDC: the AWS_DEPLOY_ROLE_ARN repository variable."
  value       = aws_iam_role.deploy.arn
}

output "ecr_repository_name" {
  description = "The ECR repository's name (the `project` variable): the ECR_REPOSITORY repository variable when it is not bookcat."
  value       = aws_ecr_repository.api.name
}

output "data_volume_id" {
  description = "The catalog's own EBS volume, kept when the instance is replaced and snapshotted daily."
  value       = aws_ebs_volume.data.id
}

output "scale_out_url" {
  description = "The scaled-out service's address (null unless scale_out is set)."
  value       = one(module.scale_out[*].url)
}

output "scale_out_settings_path" {
  description = "SSM path of the scaled-out replicas' DATABASE_URL, REDIS_URL and JWT_SECRET_KEY."
  value       = one(module.scale_out[*].settings_path)
}

output "deploy_role_trusted_subjects" {
  description = "The OIDC subjects the deploy role trusts: the name-only form and the immutable one (with github_repository_ids)."
  value       = local.github_deploy_subjects
}

output "region" {
  description = "The region everything is in: the deployment workflow's AWS_REGION."
  value       = var.region
}
