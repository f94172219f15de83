# Plans both shapes with the real AWS provider's schema and mocked answers, no account needed: what `terraform apply`
# would send is checked by the provider's own validation (the DLM description's pattern, names' lengths, write-only
# arguments) before anyone reaches AWS. Run by scripts/checks/check-infra.sh (`terraform test`).

mock_provider "aws" {
  source = "./tests/mocks"
}

# The scaled-out shape, which a run without it sets to null. The secrets are placeholders of the right shape: a plan with
# mocked AWS sends nothing anywhere.
variables {
  scale_out = {
    image_digest    = "sha256:0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b"
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  }
  scale_out_secrets = {
    database_password = join("", [for word in ["not", "a", "real", "password"] : "${word}0000000"])
    cache_password    = join("", [for word in ["not", "a", "real", "cache", "password"] : "${word}0000000"])
    jwt_secret        = join("-", [for word in ["not", "a", "real", "signing", "key"] : "${word}00000"])
  }
}

run "single_server" {
  command = plan

  variables {
    scale_out = null
  }

  assert {
    condition     = length(module.scale_out) == 0
    error_message = "the single-server shape must not plan the scale-out module"
  }
  assert {
    condition     = aws_dlm_lifecycle_policy.data.description == "bookcat catalog volume - daily"
    error_message = "unexpected DLM description: ${aws_dlm_lifecycle_policy.data.description}"
  }
  assert {
    condition     = output.deploy_role_trusted_subjects == ["repo:example-org/bookcat:environment:production", "repo:example-org@1234/bookcat@5678:environment:production"]
    error_message = "the deploy role must trust the name-only and the immutable subject"
  }
}

# The registry's and the two policies' ARNs are known at plan (tests/mocks), so the plan knows which policy each host
# role gets.
run "hosts_only_pull_and_keep_credentials_from_containers" {
  command = plan

  assert {
    condition     = aws_instance.api.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "a container on the server must not reach the instance role: IMDS hop limit 1"
  }
  assert {
    condition = (
      aws_iam_role_policy_attachment.instance_ecr.policy_arn == aws_iam_policy.ecr_pull.arn
      && module.scale_out[0].instance_policy_arns[0] == aws_iam_policy.ecr_pull.arn
    )
    error_message = "the server and the replicas must get the pull-only registry policy"
  }
  assert {
    condition = !anytrue(flatten([
      for statement in jsondecode(aws_iam_policy.ecr_pull.policy).Statement :
      [for action in flatten([statement.Action]) : can(regex("Put|Upload|Delete|Tag", action))]
    ]))
    error_message = "the hosts' registry policy must not allow pushing or re-tagging images"
  }
  assert {
    condition     = contains(jsondecode(aws_iam_policy.ecr_push_pull.policy).Statement[1].Action, "ecr:PutImage")
    error_message = "the deploy role must be able to push images and move stable"
  }
}

run "immutable_subjects" {
  command = plan

  variables {
    # The account's existing provider: its ARN is known at plan time, so the whole trust policy can be read.
    create_github_oidc_provider = false
    scale_out                   = null
  }

  assert {
    condition = (
      jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]
      == ["repo:example-org/bookcat:environment:production", "repo:example-org@1234/bookcat@5678:environment:production"]
    )
    error_message = "with the ids, the deploy role must trust both the name-only and the immutable subject"
  }
}

run "scale_out" {
  command = plan

  variables {
    project = "a-project-of-22-chars"
  }

  assert {
    condition     = length(module.scale_out) == 1
    error_message = "the scale-out shape must plan its module"
  }
}

run "project_names_that_no_load_balancer_can_carry_are_refused" {
  command = plan

  variables {
    project   = "a-project-of-23-chars-x"
    scale_out = null
  }

  expect_failures = [var.project]
}

run "the_scale_out_shape_needs_its_secrets" {
  command = plan

  variables {
    scale_out_secrets = null
  }

  expect_failures = [var.scale_out_secrets]
}
