resource "aws_ecr_repository" "api" {
  name = var.project
  #checkov:skip=CKV_AWS_51:scripts/deploy/promote-stable.sh moves the `stable` tag to each healthy release and scripts/deploy/pin-scale-out.sh `scale-out` to what the replicas run, so tags must be mutable; commit-SHA tags are never reused.
  image_tag_mutability = "MUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

# What it keeps is tested against histories of pushes by scripts/checks/check-ecr-lifecycle.py: `stable`, and the
# replicas' `scale-out` and `scale-out-previous` (scripts/deploy/pin-scale-out.sh), are never expired.
resource "aws_ecr_lifecycle_policy" "api" {
  repository = aws_ecr_repository.api.name
  policy = templatefile("${path.module}/ecr-lifecycle-policy.json.tftpl", {
    image_retention_count = var.image_retention_count
  })
}
