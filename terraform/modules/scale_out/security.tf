# Each tier lets in only the one before it: the internet reaches the load balancer, the load balancer the instances,
# the instances the database and the cache. Nothing accepts SSH (operators use SSM).

resource "aws_security_group" "load_balancer" {
  #checkov:skip=CKV_AWS_260:Port 80 is open only to redirect to HTTPS (see load_balancer.tf).
  name        = "${var.project}-scale-lb"
  description = "HTTPS (and HTTP, redirected) from anywhere to the load balancer."
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "HTTP, answered with a redirect to HTTPS"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description     = "To the API instances"
    from_port       = var.api_port
    to_port         = var.api_port
    protocol        = "tcp"
    security_groups = [aws_security_group.instances.id]
  }
}

resource "aws_security_group" "instances" {
  name        = "${var.project}-scale-api"
  description = "The API port from the load balancer only."
  vpc_id      = var.vpc_id
  # No inline rules: this group's rules are all separate resources below. The provider cannot mix the two on one
  # group (each apply would remove the other's), which had every second apply drop the database and Redis egress.
}

# Separate rules: the groups refer to each other, which inline rules cannot do without a cycle.
resource "aws_security_group_rule" "instances_https_out" {
  #checkov:skip=CKV_AWS_382:The hosts must reach ECR, SSM and package mirrors, whose addresses are not fixed; only HTTPS is open.
  type              = "egress"
  description       = "HTTPS out through the NAT gateway: ECR, SSM, package mirrors"
  security_group_id = aws_security_group.instances.id
  cidr_blocks       = ["0.0.0.0/0"]
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
}

resource "aws_security_group_rule" "instances_http_out" {
  type              = "egress"
  description       = "HTTP out: Ubuntu package mirrors used by the first boot"
  security_group_id = aws_security_group.instances.id
  cidr_blocks       = ["0.0.0.0/0"]
  from_port         = 80
  to_port           = 80
  protocol          = "tcp"
}

resource "aws_security_group_rule" "instances_from_load_balancer" {
  type                     = "ingress"
  description              = "bookcat API from the load balancer"
  security_group_id        = aws_security_group.instances.id
  source_security_group_id = aws_security_group.load_balancer.id
  from_port                = var.api_port
  to_port                  = var.api_port
  protocol                 = "tcp"
}

resource "aws_security_group_rule" "instances_to_database" {
  type                     = "egress"
  description              = "PostgreSQL"
  security_group_id        = aws_security_group.instances.id
  source_security_group_id = aws_security_group.database.id
  from_port                = 5432
  to_port                  = 5432
  protocol                 = "tcp"
}

resource "aws_security_group_rule" "instances_to_cache" {
  type                     = "egress"
  description              = "Redis"
  security_group_id        = aws_security_group.instances.id
  source_security_group_id = aws_security_group.cache.id
  from_port                = 6379
  to_port                  = 6379
  protocol                 = "tcp"
}

resource "aws_security_group" "database" {
  name        = "${var.project}-scale-db"
  description = "PostgreSQL from the API instances only."
  vpc_id      = var.vpc_id

  # And from database_client_security_group_ids: the single instance, which moves a catalog up with `bookcat copy`.
  # (The group's description stays as it was: changing it would replace the group under the database.)
  ingress {
    description     = "PostgreSQL from the API instances and the given clients"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = concat([aws_security_group.instances.id], var.database_client_security_group_ids)
  }
}

resource "aws_security_group" "cache" {
  name        = "${var.project}-scale-cache"
  description = "Redis from the API instances only."
  vpc_id      = var.vpc_id

  ingress {
    description     = "Redis from the API instances"
    from_port       = 6379
    to_port         = 6379
    protocol        = "tcp"
    security_groups = [aws_security_group.instances.id]
  }
}
