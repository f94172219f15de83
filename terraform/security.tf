resource "aws_security_group" "api" {
  name        = "${var.project}-api"
  description = "The bookcat API port from the allowed range only; no SSH (operators use SSM)."
  vpc_id      = aws_vpc.main.id

  ingress {
    description = "bookcat API"
    from_port   = var.api_port
    to_port     = var.api_port
    protocol    = "tcp"
    cidr_blocks = [var.api_allowed_cidr]
  }

  egress {
    description = "HTTPS out: ECR, Docker Hub (Redis image), SSM and package mirrors"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
    #checkov:skip=CKV_AWS_382:The host must reach ECR, SSM and package mirrors, whose addresses are not fixed; only HTTPS is open.
  }

  egress {
    description = "HTTP out: Ubuntu package mirrors used by the user data"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  # With the scaled-out shape, `bookcat copy` runs here to move the catalog up (docs/deployment-aws.md). To the database's subnets,
  # not its group: that group admits this one (modules/scale_out), and two groups naming each other inline would be a
  # cycle. Only RDS listens on 5432 there.
  dynamic "egress" {
    for_each = var.scale_out == null ? [] : [local.subnet_cidrs.scale_out.private]
    content {
      description = "PostgreSQL: bookcat copy to the scaled-out database"
      from_port   = 5432
      to_port     = 5432
      protocol    = "tcp"
      cidr_blocks = egress.value
    }
  }
}
