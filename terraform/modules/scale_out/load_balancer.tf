# One public entry: HTTPS to any healthy replica, round robin. A replica is healthy while its health check answers
# 200 ("ok" or "degraded": a replica whose cache is down still serves from the database).

resource "aws_lb" "main" {
  #checkov:skip=CKV2_AWS_28:A WAF is an account-wide choice with its own rules and cost; attach one with aws_wafv2_web_acl_association if you run one.
  #checkov:skip=CKV_AWS_91:Access logs go to an existing bucket when access_logs_bucket is set; this module creates no bucket.
  name                       = "${var.project}-scale"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = aws_subnet.public[*].id
  security_groups            = [aws_security_group.load_balancer.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = true

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == "" ? [] : [var.access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = "${var.project}-scale"
      enabled = true
    }
  }
}

resource "aws_lb_target_group" "api" {
  name                 = "${var.project}-scale-api"
  port                 = var.api_port
  protocol             = "HTTP"
  vpc_id               = var.vpc_id
  deregistration_delay = 15 # within bookcat's drain timeout: requests in flight finish before it exits

  health_check {
    path                = "/api/v1/common/health-check"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
