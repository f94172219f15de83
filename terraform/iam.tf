locals {
  # Hosts only pull. Pushing new images and moving `stable` (scripts/deploy/promote-stable.sh) is the deploy role's alone,
  # so a compromised host or API process cannot publish an image the next rollback would run.
  ecr_pull_actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
  ecr_push_actions = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]
}

# --- The instance: managed through SSM, allowed to pull from its one repository.

resource "aws_iam_role" "api" {
  name = "${var.project}-instance"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# What the SSM agent needs for Session Manager and Run Command, for this instance and the scale-out replicas. Not
# AWS's AmazonSSMManagedInstanceCore: it also allows ssm:GetParameter(s) on every parameter in the account, and a
# host may read only its own settings (read_scale_out_settings below, and modules/scale_out).
resource "aws_iam_policy" "ssm_agent" {
  name = "${var.project}-ssm-agent"
  #checkov:skip=CKV_AWS_355:ssmmessages and ec2messages have no resource-level permissions; the ssm actions are those AWS's own AmazonSSMManagedInstanceCore allows on "*", less every parameter read.
  #checkov:skip=CKV_AWS_290:Only the instance's own agent makes these calls: they report its state and fetch and answer the commands sent to it.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "RegisterAndRunCommands"
        Effect = "Allow"
        Action = [
          "ssm:UpdateInstanceInformation", "ssm:ListInstanceAssociations", "ssm:DescribeAssociation",
          "ssm:UpdateInstanceAssociationStatus", "ssm:GetDocument", "ssm:DescribeDocument",
        ]
        Resource = "*"
      },
      {
        Sid      = "SessionManagerChannels"
        Effect   = "Allow"
        Action   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
        Resource = "*"
      },
      {
        Sid    = "RunCommandMessages"
        Effect = "Allow"
        Action = [
          "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
          "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
        ]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "instance_ssm_agent" {
  role       = aws_iam_role.api.name
  policy_arn = aws_iam_policy.ssm_agent.arn
}

# With the scaled-out shape, this instance moves the catalog up (docs/deployment-aws.md, "Moving a catalog up"): it reads the
# replicas' DATABASE_URL, so it may read that one parameter and decrypt it with the module's key. Nothing else: not
# the replicas' JWT_SECRET_KEY (which signs their tokens) nor their REDIS_URL.
resource "aws_iam_role_policy" "read_scale_out_settings" {
  count = var.scale_out == null ? 0 : 1
  name  = "read-scale-out-settings"
  role  = aws_iam_role.api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadTheScaleOutDatabaseUrl"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter", "ssm:GetParameters"]
        Resource = module.scale_out[0].database_url_arn
      },
      {
        Sid      = "DecryptIt"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = module.scale_out[0].settings_key_arn
      },
    ]
  })
}

# Registry login (which cannot be scoped to a repository) and the given actions on this one repository.
locals {
  ecr_registry_login = {
    Sid      = "RegistryLogin"
    Effect   = "Allow"
    Action   = ["ecr:GetAuthorizationToken"]
    Resource = "*"
  }
}

# The hosts (this instance and the scale-out replicas): pull only.
resource "aws_iam_policy" "ecr_pull" {
  name = "${var.project}-ecr-pull"
  #checkov:skip=CKV_AWS_355:ecr:GetAuthorizationToken cannot be scoped to a resource; AWS requires "*".
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.ecr_registry_login,
      {
        Sid      = "PullFromThisRepositoryOnly"
        Effect   = "Allow"
        Action   = local.ecr_pull_actions
        Resource = aws_ecr_repository.api.arn
      },
    ]
  })
}

# The deploy role: push each commit's image and move `stable` to it once it is healthy.
resource "aws_iam_policy" "ecr_push_pull" {
  name = "${var.project}-ecr-push-pull"
  #checkov:skip=CKV_AWS_355:ecr:GetAuthorizationToken cannot be scoped to a resource; AWS requires "*".
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.ecr_registry_login,
      {
        Sid      = "PushAndPullThisRepositoryOnly"
        Effect   = "Allow"
        Action   = concat(local.ecr_pull_actions, local.ecr_push_actions)
        Resource = aws_ecr_repository.api.arn
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "instance_ecr" {
  role       = aws_iam_role.api.name
  policy_arn = aws_iam_policy.ecr_pull.arn
}

resource "aws_iam_instance_profile" "api" {
  name = "${var.project}-instance"
  role = aws_iam_role.api.name
}

# --- GitHub Actions: short-lived credentials through OIDC, for this repository's production environment only. No access keys.

resource "aws_iam_openid_connect_provider" "github" {
  count           = var.create_github_oidc_provider ? 1 : 0
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

data "aws_caller_identity" "current" {}

locals {
  github_oidc_provider_arn = var.create_github_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com"
  # A job that declares `environment:` gets this subject from GitHub, not the branch's `ref:refs/heads/main`. Only
  # main deploys because the deployment workflow runs for main only and the environment allows main only
  # (repository settings, see docs/deployment-aws.md). scripts/checks/check-deploy-trust.py checks that this matches the workflow.
  # Repositories created or renamed from 2026-07-15 on get only immutable subjects, with the owner's and the
  # repository's numeric ids (github_repository_ids, required); older ones keep the name-only form. Both are trusted,
  # so the role works for either.
  github_repository_parts = split("/", var.github_repository)
  github_deploy_subjects = [
    "repo:${var.github_repository}:environment:${var.github_environment}",
    "repo:${local.github_repository_parts[0]}@${var.github_repository_ids.owner}/${local.github_repository_parts[1]}@${var.github_repository_ids.repository}:environment:${var.github_environment}",
  ]
}

resource "aws_iam_role" "deploy" {
  name = "${var.project}-github-deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.github_oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = local.github_deploy_subjects
        }
      }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "deploy_ecr" {
  role       = aws_iam_role.deploy.name
  policy_arn = aws_iam_policy.ecr_push_pull.arn
}

resource "aws_iam_role_policy" "deploy" {
  name = "run-deploy"
  role = aws_iam_role.deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RunDeployOnTheInstance"
        Effect   = "Allow"
        Action   = ["ssm:SendCommand"]
        Resource = [aws_instance.api.arn, "arn:aws:ssm:${var.region}::document/AWS-RunShellScript"]
      },
      {
        Sid = "ReadDeployResult"
        #checkov:skip=CKV_AWS_355:ssm:GetCommandInvocation has no resource-level permissions.
        Effect   = "Allow"
        Action   = ["ssm:GetCommandInvocation", "ssm:ListCommandInvocations"]
        Resource = "*"
      },
    ]
  })
}
