# The network follows vpc_cidr (issue #39): every subnet, the single instance's and the scaled-out shape's, is carved
# from it, so another range plans and applies. And the single instance reaches the scaled-out database, to move a
# catalog up.

mock_provider "aws" {
  source = "./tests/mocks"
}

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

run "the_default_range_keeps_todays_subnets" {
  command = plan

  assert {
    condition = (
      aws_subnet.public.cidr_block == "10.20.1.0/24"
      && local.subnet_cidrs.scale_out == { public = ["10.20.10.0/24", "10.20.11.0/24"], private = ["10.20.20.0/24", "10.20.21.0/24"] }
    )
    error_message = "the default vpc_cidr must keep the subnets a running deployment has"
  }
}

run "every_subnet_lies_in_another_range" {
  command = plan

  variables {
    vpc_cidr = "172.31.0.0/16"
  }

  assert {
    condition     = aws_vpc.main.cidr_block == "172.31.0.0/16"
    error_message = "the VPC must have the given range"
  }
  assert {
    # A subnet lies in the VPC when its first address, masked to the VPC's prefix, is the VPC's network.
    condition = alltrue([
      for subnet in concat([aws_subnet.public.cidr_block], local.subnet_cidrs.scale_out.public, local.subnet_cidrs.scale_out.private) :
      cidrsubnet("${cidrhost(subnet, 0)}/16", 0, 0) == "172.31.0.0/16"
    ])
    error_message = "every subnet must lie in vpc_cidr: ${jsonencode(concat([aws_subnet.public.cidr_block], local.subnet_cidrs.scale_out.public, local.subnet_cidrs.scale_out.private))}"
  }
  assert {
    condition     = length(distinct(concat([aws_subnet.public.cidr_block], local.subnet_cidrs.scale_out.public, local.subnet_cidrs.scale_out.private))) == 5
    error_message = "the five subnets must not overlap"
  }
  assert {
    # The single instance runs `bookcat copy` into the scaled-out database: PostgreSQL out to its subnets only.
    condition = anytrue([
      for rule in aws_security_group.api.egress :
      rule.from_port == 5432 && rule.to_port == 5432 && join(",", rule.cidr_blocks) == "172.31.20.0/24,172.31.21.0/24"
    ])
    error_message = "with scale_out, the single instance must reach PostgreSQL in the scaled-out private subnets"
  }
}

run "a_small_range_gets_subnets_a_load_balancer_can_use" {
  command = plan

  variables {
    vpc_cidr = "10.8.4.0/22"
  }

  assert {
    condition = alltrue([
      for subnet in concat([aws_subnet.public.cidr_block], local.subnet_cidrs.scale_out.public, local.subnet_cidrs.scale_out.private) :
      cidrsubnet("${cidrhost(subnet, 0)}/22", 0, 0) == "10.8.4.0/22" && endswith(subnet, "/27")
    ])
    error_message = "in a /22, every subnet must be a /27 inside it"
  }
}
