# Daily snapshots of the catalog volume (aws_ebs_volume.data, found by its Snapshot tag) with Data Lifecycle Manager.
# Restore: create a volume from a snapshot in the same zone, then point aws_ebs_volume.data at it (docs/deployment-aws.md).

resource "aws_iam_role" "snapshots" {
  name = "${var.project}-snapshots"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "dlm.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "snapshots" {
  role       = aws_iam_role.snapshots.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"
}

resource "aws_dlm_lifecycle_policy" "data" {
  # The API accepts only letters, digits, spaces, dashes and underscores here (^[0-9A-Za-z _-]+$).
  description        = "${var.project} catalog volume - daily"
  execution_role_arn = aws_iam_role.snapshots.arn
  state              = "ENABLED"

  policy_details {
    resource_types = ["VOLUME"]
    target_tags    = { Snapshot = "${var.project}-data" }

    schedule {
      name      = "daily"
      copy_tags = true

      create_rule {
        interval      = 24
        interval_unit = "HOURS"
        times         = ["03:00"]
      }

      retain_rule {
        count = var.snapshot_retention_days
      }
    }
  }
}
