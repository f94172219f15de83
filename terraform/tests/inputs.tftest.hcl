# Inputs AWS or GitHub would reject later, or that would build something that cannot work, are refused at plan with
# a message saying what to give instead (issue #39). Mocked AWS: no account needed.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  # Placeholders of the right shape, for the runs that give scale_out (a plan with mocked AWS sends nothing anywhere);
  # without scale_out nothing reads them.
  scale_out_secrets = {
    database_password = join("", [for word in ["not", "a", "real", "password"] : "${word}0000000"])
    cache_password    = join("", [for word in ["not", "a", "real", "cache", "password"] : "${word}0000000"])
    jwt_secret        = join("-", [for word in ["not", "a", "real", "signing", "key"] : "${word}00000"])
  }
}

# Load balancers, target groups, RDS and ElastiCache refuse a trailing dash, a double dash and capitals.
run "project_with_a_trailing_dash_is_refused" {
  command = plan
  variables { project = "bookcat-" }
  expect_failures = [var.project]
}

run "project_with_a_double_dash_is_refused" {
  command = plan
  variables { project = "book--cat" }
  expect_failures = [var.project]
}

run "project_with_capitals_is_refused" {
  command = plan
  variables { project = "Bookcat" }
  expect_failures = [var.project]
}

# AWS refuses a load balancer name that starts with "internal-" (the prefix of its internal load balancers' DNS names).
run "project_starting_with_internal_is_refused" {
  command = plan
  variables { project = "internal-bookcat" }
  expect_failures = [var.project]
}

run "project_with_single_dashes_is_accepted" {
  command = plan
  variables { project = "book-cat-2" }
}

# A repository created or renamed from 2026-07-15 on gets only the immutable subject: without the ids the role
# would trust no subject its deploy job can have.
run "the_repository_ids_are_required" {
  command = plan
  variables { github_repository_ids = null }
  expect_failures = [var.github_repository_ids]
}

run "prod_tfvars_example_placeholder_ids_are_refused" {
  command = plan
  variables { github_repository_ids = { owner = 0, repository = 0 } }
  expect_failures = [var.github_repository_ids]
}

# Every subnet is carved from vpc_cidr, at /27 or larger: a /23 leaves too little room, and host bits or IPv6 are
# refused rather than failing at apply.
run "a_vpc_too_small_for_the_subnets_is_refused" {
  command = plan
  variables { vpc_cidr = "10.20.0.0/23" }
  expect_failures = [var.vpc_cidr]
}

run "a_vpc_range_with_host_bits_is_refused" {
  command = plan
  variables { vpc_cidr = "10.20.1.0/16" }
  expect_failures = [var.vpc_cidr]
}

run "an_ipv6_vpc_range_is_refused" {
  command = plan
  variables { vpc_cidr = "fd00:20::/48" }
  expect_failures = [var.vpc_cidr]
}

# The replicas run an image by digest: a tag can move without the launch template changing, so no instance refresh
# would follow and replicas of two releases would mix.
run "the_stable_tag_is_refused_for_the_replicas" {
  command = plan
  variables {
    scale_out = {
      image_digest    = "stable"
      certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    }
  }
  expect_failures = [var.scale_out]
}

run "the_latest_tag_is_refused_for_the_replicas" {
  command = plan
  variables {
    scale_out = {
      image_digest    = "latest"
      certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    }
  }
  expect_failures = [var.scale_out]
}
