# The API replicas: an auto-scaling group of identical, stateless instances behind the load balancer. Each runs the
# one image with the settings from SSM; no SSH key, no public address, instance metadata through IMDSv2 only.

data "aws_region" "current" {}

resource "aws_launch_template" "api" {
  name_prefix   = "${var.project}-scale-"
  image_id      = var.ami_id
  instance_type = var.instance_type
  ebs_optimized = true
  # The image by digest: a new release is a new launch template version, which the group's instance refresh rolls
  # out. The database's and the cache's addresses make the first boot wait for them (and this template, so the
  # group, wait for their creation).
  user_data = base64encode(templatefile("${path.module}/user_data.sh.tftpl", {
    region           = data.aws_region.current.name
    parameter_path   = local.parameter_path
    image            = "${var.image_repository}@${var.image_digest}"
    registry         = split("/", var.image_repository)[0]
    api_port         = var.api_port
    pool_size        = var.database.pool_size
    settings_dir     = "/etc/bookcat"
    database_address = aws_db_instance.main.address
    cache_address    = local.cache_endpoint
  }))

  iam_instance_profile {
    name = aws_iam_instance_profile.api.name
  }

  network_interfaces {
    associate_public_ip_address = false
    security_groups             = [aws_security_group.instances.id]
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1          # the host alone uses the role (image pulls, settings); the container gets an env file
  }

  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = "/dev/sda1"
    ebs {
      volume_type           = "gp3"
      volume_size           = 20
      encrypted             = true
      delete_on_termination = true # nothing lives here: the catalog is in RDS
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${var.project}-scale-api" }
  }
}

resource "aws_autoscaling_group" "api" {
  name                      = "${var.project}-scale-api"
  min_size                  = var.replicas.min
  desired_capacity          = var.replicas.desired
  max_size                  = var.replicas.max
  vpc_zone_identifier       = aws_subnet.private[*].id
  target_group_arns         = [aws_lb_target_group.api.arn]
  health_check_type         = "ELB" # an instance the load balancer finds unhealthy is replaced
  health_check_grace_period = 300   # first boot installs Docker and pulls the image

  launch_template {
    id      = aws_launch_template.api.id
    version = aws_launch_template.api.latest_version
  }

  # A new launch template version (a new image digest, new settings) starts a refresh by itself (the provider does
  # on any change of launch_template): the instances are replaced a few at a time, keeping most of them serving.
  # Replicas of the old and the new release run side by side meanwhile (docs/deployment-aws.md: migrations must be additive).
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 66
    }
  }

  # Not before what the first boot reads: its settings in SSM, the role that may read them, and the database and
  # cache it waits for. Otherwise, on the first apply, replicas booted early, failed, and were replaced every 300 s.
  depends_on = [
    aws_ssm_parameter.database_url, aws_ssm_parameter.redis_url, aws_ssm_parameter.jwt_secret,
    aws_iam_role_policy.read_settings, aws_iam_role_policy_attachment.extra,
    aws_db_instance.main, aws_elasticache_replication_group.main,
  ]

  tag {
    key                 = "Name"
    value               = "${var.project}-scale-api"
    propagate_at_launch = true
  }
}

# Grows the group when the replicas are busy, and shrinks it back.
resource "aws_autoscaling_policy" "cpu" {
  name                   = "${var.project}-scale-cpu"
  autoscaling_group_name = aws_autoscaling_group.api.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
    target_value = 60
  }
}

resource "aws_iam_role" "api" {
  name = "${var.project}-scale-api"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# The SSM agent's policy comes from here too (the root module's, without AWS's AmazonSSMManagedInstanceCore, which
# would let the replicas read every parameter in the account).
resource "aws_iam_role_policy_attachment" "extra" {
  count      = length(var.instance_profile_policy_arns)
  role       = aws_iam_role.api.name
  policy_arn = var.instance_profile_policy_arns[count.index]
}

# Exactly the settings' path, and the key that decrypts it.
resource "aws_iam_role_policy" "read_settings" {
  name = "read-settings"
  role = aws_iam_role.api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["ssm:GetParametersByPath", "ssm:GetParameters", "ssm:GetParameter"]
        Resource = local.settings_arns
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.secrets.arn
      },
    ]
  })
}

resource "aws_iam_instance_profile" "api" {
  name = "${var.project}-scale-api"
  role = aws_iam_role.api.name
}
