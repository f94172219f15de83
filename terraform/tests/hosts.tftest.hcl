# What the hosts' roles may do (issue #39): the SSM agent gets only what Session Manager and Run Command need, not
# AWS's AmazonSSMManagedInstanceCore (which reads every parameter in the account); the single instance reads the
# scale-out DATABASE_URL alone, and decrypts it, only when the scaled-out shape exists, to move a catalog up.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The policies' and the module key's ARNs are known at plan (tests/mocks), so the policies naming them can be read.
run "the_ssm_agent_reads_no_parameter" {
  command = plan

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

  assert {
    condition = !anytrue(flatten([
      for statement in jsondecode(aws_iam_policy.ssm_agent.policy).Statement :
      [for action in flatten([statement.Action]) : can(regex("(?i)^ssm:(GetParameter|\\*)", action))]
    ]))
    error_message = "the hosts' SSM agent policy must not read parameters: each host reads only its own settings' path"
  }
  assert {
    condition = alltrue([
      for action in ["ssm:UpdateInstanceInformation", "ssmmessages:OpenDataChannel", "ssmmessages:CreateControlChannel", "ec2messages:GetMessages", "ec2messages:SendReply"] :
      contains(flatten([for statement in jsondecode(aws_iam_policy.ssm_agent.policy).Statement : statement.Action]), action)
    ])
    error_message = "the SSM agent must still register, open Session Manager channels and take Run Command's messages"
  }
  assert {
    condition     = aws_iam_role_policy_attachment.instance_ssm_agent.policy_arn == aws_iam_policy.ssm_agent.arn
    error_message = "the single instance must get the project's SSM agent policy"
  }
  assert {
    # Every managed policy the replicas' role gets: none is AWS's AmazonSSMManagedInstanceCore.
    condition     = module.scale_out[0].instance_policy_arns == [aws_iam_policy.ecr_pull.arn, aws_iam_policy.ssm_agent.arn]
    error_message = "the replicas must get the pull-only registry policy and the project's SSM agent policy, and no other managed policy"
  }
  assert {
    condition = (
      jsondecode(aws_iam_role_policy.read_scale_out_settings[0].policy).Statement[0].Action == ["ssm:GetParameter", "ssm:GetParameters"]
      && jsondecode(aws_iam_role_policy.read_scale_out_settings[0].policy).Statement[0].Resource == "arn:aws:ssm:eu-west-1:123456789012:parameter/bookcat/scale-out/DATABASE_URL"
    )
    error_message = "to move a catalog up, the single instance may read the replicas' DATABASE_URL, and no other setting of theirs (not JWT_SECRET_KEY, not REDIS_URL)"
  }
  assert {
    condition = (
      jsondecode(aws_iam_role_policy.read_scale_out_settings[0].policy).Statement[1].Action == "kms:Decrypt"
      && jsondecode(aws_iam_role_policy.read_scale_out_settings[0].policy).Statement[1].Resource == "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    )
    error_message = "the single instance must be able to decrypt the scale-out settings with the module's key"
  }
}

run "without_the_scaled_out_shape_the_instance_reads_no_settings" {
  command = plan

  assert {
    condition     = length(aws_iam_role_policy.read_scale_out_settings) == 0
    error_message = "without scale_out, the single instance must not get a settings policy"
  }
  assert {
    condition     = !anytrue([for rule in aws_security_group.api.egress : rule.from_port == 5432])
    error_message = "without scale_out, the single instance must have no PostgreSQL egress"
  }
}
