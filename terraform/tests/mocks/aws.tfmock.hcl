# The AWS provider's answers for every test file, loaded by `mock_provider "aws" { source = "./tests/mocks" }` (the
# path is from the module's root, where `terraform test` runs): one account, one region, one AMI. Whatever else a plan
# reads or creates gets the values Terraform generates, or a run's own override_resource.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}
mock_data "aws_region" {
  defaults = { name = "eu-west-1" }
}
mock_data "aws_ami" {
  defaults = { id = "ami-0123456789abcdef0" }
}

# ARNs a plan knows, so that the policies and the attachments naming them can be read: the registry's, the hosts' and
# the deploy role's policies', and the scale-out module's key (named as the root module has it, and as a run of the
# module on its own has it). A run whose configuration lacks a target passes it over.
override_resource {
  target          = aws_ecr_repository.api
  override_during = plan
  values          = { arn = "arn:aws:ecr:eu-west-1:123456789012:repository/bookcat" }
}
override_resource {
  target          = aws_iam_policy.ecr_pull
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:policy/bookcat-ecr-pull" }
}
override_resource {
  target          = aws_iam_policy.ecr_push_pull
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:policy/bookcat-ecr-push-pull" }
}
override_resource {
  target          = aws_iam_policy.ssm_agent
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:policy/bookcat-ssm-agent" }
}
override_resource {
  target          = module.scale_out[0].aws_kms_key.secrets
  override_during = plan
  values          = { arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
}
override_resource {
  target          = aws_kms_key.secrets
  override_during = plan
  values          = { arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
}
