resource "aws_ecr_repository" "api" {
  name = var.project
  #checkov:skip=CKV_AWS_51:scripts/deploy/promote-stable.sh moves the `stable` tag to each healthy release, so tags must be mutable; commit-SHA tags are never reused.
  image_tag_mutability = "MUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

# What it keeps is tested against a history of pushes by scripts/checks/check-ecr-lifecycle.py: `stable` is never expired.
resource "aws_ecr_lifecycle_policy" "api" {
  repository = aws_ecr_repository.api.name
  policy = templatefile("${path.module}/ecr-lifecycle-policy.json.tftpl", {
    image_retention_count = var.image_retention_count
  })
}
