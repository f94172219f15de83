# The scale-out module on its own (issue #39): replicas run an image by digest, so a new release is a new launch
# template that the instance refresh rolls out; they boot only after what their first boot reads exists, and wait
# for the database and the cache; each zone has its own NAT gateway; their role reads exactly their settings' path;
# the database admits the single instance, which moves a catalog up. Mocked AWS: no account needed.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  project             = "bookcat"
  vpc_id              = "vpc-0123456789abcdef0"
  internet_gateway_id = "igw-0123456789abcdef0"
  availability_zones  = ["eu-west-1a", "eu-west-1b"]
  subnet_cidrs        = { public = ["10.20.10.0/24", "10.20.11.0/24"], private = ["10.20.20.0/24", "10.20.21.0/24"] }
  ami_id              = "ami-0123456789abcdef0"
  image_repository    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bookcat"
  image_digest        = "sha256:0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b"
  certificate_arn     = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  # The single instance's group, which runs `bookcat copy` into the database.
  database_client_security_group_ids = ["sg-0000000000000single"]
  secrets = {
    database_password = join("", [for word in ["not", "a", "real", "password"] : "${word}0000000"])
    cache_password    = join("", [for word in ["not", "a", "real", "cache", "password"] : "${word}0000000"])
    jwt_secret        = join("-", [for word in ["not", "a", "real", "signing", "key"] : "${word}00000"])
  }
}

run "replicas_run_a_digest_and_a_new_one_rolls_out" {
  command = plan

  module {
    source = "./modules/scale_out"
  }

  override_resource {
    target          = aws_db_instance.main
    override_during = plan
    values          = { address = "bookcat-scale.abc123.eu-west-1.rds.amazonaws.com" }
  }
  override_resource {
    target          = aws_elasticache_replication_group.main
    override_during = plan
    values          = { primary_endpoint_address = "master.bookcat-scale.abc123.euw1.cache.amazonaws.com" }
  }
  override_resource {
    target          = aws_launch_template.api
    override_during = plan
    values          = { id = "lt-0123456789abcdef0", latest_version = 7 }
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.api.user_data), "docker pull 123456789012.dkr.ecr.eu-west-1.amazonaws.com/bookcat@sha256:0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b\n")
    error_message = "the replicas must pull the image by its digest, so that a new digest is a new launch template"
  }
  assert {
    # The group follows the template's newest version: a change of it is what starts the instance refresh.
    condition = (
      aws_autoscaling_group.api.launch_template[0].id == "lt-0123456789abcdef0"
      && aws_autoscaling_group.api.launch_template[0].version == "7"
      && aws_autoscaling_group.api.instance_refresh[0].strategy == "Rolling"
      && aws_autoscaling_group.api.instance_refresh[0].preferences[0].min_healthy_percentage == 66
    )
    error_message = "a new launch template version must roll out by a rolling instance refresh that keeps two thirds serving"
  }
  assert {
    # Referencing their addresses makes the launch template, so the group, wait for the database and the cache
    # (the group's depends_on adds the settings in SSM), and the first boot waits until they answer.
    condition = (
      strcontains(base64decode(aws_launch_template.api.user_data), "wait_for bookcat-scale.abc123.eu-west-1.rds.amazonaws.com 5432")
      && strcontains(base64decode(aws_launch_template.api.user_data), "wait_for master.bookcat-scale.abc123.euw1.cache.amazonaws.com 6379")
    )
    error_message = "the replicas' first boot must wait for the database and the cache it starts on"
  }
  assert {
    condition = (
      jsondecode(aws_iam_role_policy.read_settings.policy).Statement[0].Resource == [
        "arn:aws:ssm:eu-west-1:123456789012:parameter/bookcat/scale-out",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/bookcat/scale-out/*",
      ]
    )
    error_message = "the replicas may read exactly their settings' path"
  }
}

run "a_tag_is_refused" {
  command = plan

  module {
    source = "./modules/scale_out"
  }

  variables {
    image_digest = "stable"
  }

  expect_failures = [var.image_digest]
}

run "the_database_admits_the_single_instance" {
  command = plan

  module {
    source = "./modules/scale_out"
  }

  override_resource {
    target          = aws_security_group.instances
    override_during = plan
    values          = { id = "sg-00000000000replicas" }
  }

  assert {
    condition = anytrue([
      for rule in aws_security_group.database.ingress :
      rule.from_port == 5432 && contains(rule.security_groups, "sg-0000000000000single") && contains(rule.security_groups, "sg-00000000000replicas")
    ])
    error_message = "the database must admit the replicas and the single instance (bookcat copy)"
  }
}

# Each zone's gateway and subnets get ids, so the plan shows what routes where.
run "each_zone_has_its_own_nat_gateway" {
  command = plan

  module {
    source = "./modules/scale_out"
  }

  override_resource {
    target          = aws_subnet.public[0]
    override_during = plan
    values          = { id = "subnet-0public0a" }
  }
  override_resource {
    target          = aws_subnet.public[1]
    override_during = plan
    values          = { id = "subnet-0public0b" }
  }
  override_resource {
    target          = aws_subnet.private[0]
    override_during = plan
    values          = { id = "subnet-0private0a" }
  }
  override_resource {
    target          = aws_subnet.private[1]
    override_during = plan
    values          = { id = "subnet-0private0b" }
  }
  override_resource {
    target          = aws_nat_gateway.main[0]
    override_during = plan
    values          = { id = "nat-0zone0a" }
  }
  override_resource {
    target          = aws_nat_gateway.main[1]
    override_during = plan
    values          = { id = "nat-0zone0b" }
  }
  override_resource {
    target          = aws_route_table.private[0]
    override_during = plan
    values          = { id = "rtb-0zone0a" }
  }
  override_resource {
    target          = aws_route_table.private[1]
    override_during = plan
    values          = { id = "rtb-0zone0b" }
  }

  assert {
    condition     = length(aws_nat_gateway.main) == 2
    error_message = "each zone must have its own NAT gateway, so a zone's outage does not stop first boots in the other"
  }
  assert {
    condition = alltrue([
      for zone in [0, 1] :
      aws_nat_gateway.main[zone].subnet_id == aws_subnet.public[zone].id
      && one(aws_route_table.private[zone].route[*].nat_gateway_id) == aws_nat_gateway.main[zone].id
      && aws_route_table_association.private[zone].subnet_id == aws_subnet.private[zone].id
      && aws_route_table_association.private[zone].route_table_id == aws_route_table.private[zone].id
    ])
    error_message = "each zone's private subnet must go out through the NAT gateway in its own zone"
  }
}

run "one_shared_nat_gateway_when_asked" {
  command = plan

  module {
    source = "./modules/scale_out"
  }

  variables {
    nat_gateway_per_zone = false
  }

  assert {
    condition     = length(aws_nat_gateway.main) == 1 && length(aws_route_table.private) == 2
    error_message = "nat_gateway_per_zone = false must share one NAT gateway between the zones' route tables"
  }
}

run "the_cache_takes_tls_and_its_own_acl_user_only" {
  command = plan

  module {
    source = "./modules/scale_out"
  }

  assert {
    condition     = aws_elasticache_replication_group.main.transit_encryption_enabled && aws_elasticache_replication_group.main.transit_encryption_mode == "required"
    error_message = "ElastiCache must require TLS in transit: REDIS_URL is rediss://."
  }
  assert {
    condition     = aws_elasticache_user_group.service.user_ids == toset(["bookcat-default", "bookcat-service"])
    error_message = "the cache's users must be the disabled default user and the service's own."
  }
  assert {
    condition     = startswith(aws_elasticache_user.disabled_default.access_string, "off ") && aws_elasticache_user.service.user_name == aws_elasticache_user.service.user_id
    error_message = "the default user must be off; the service user's ID and name are one string, as IAM authentication (its state before the password is set) requires."
  }
  assert {
    condition     = strcontains(aws_elasticache_user.service.access_string, "~bookcat:* resetchannels &bookcat:* -@all ")
    error_message = "the service's user may touch only bookcat's keys and channels."
  }
}

run "more_cache_shards_is_cluster_mode_and_the_service_is_told" {
  command = plan

  module {
    source = "./modules/scale_out"
  }

  variables {
    cache_shards = 3
  }

  override_resource {
    target          = aws_db_instance.main
    override_during = plan
    values          = { address = "bookcat-scale.abc123.eu-west-1.rds.amazonaws.com" }
  }
  override_resource {
    target          = aws_elasticache_replication_group.main
    override_during = plan
    values          = { configuration_endpoint_address = "clustercfg.bookcat-scale.abc123.euw1.cache.amazonaws.com" }
  }

  assert {
    condition     = aws_elasticache_replication_group.main.cluster_mode == "enabled" && aws_elasticache_replication_group.main.num_node_groups == 3 && aws_elasticache_replication_group.main.replicas_per_node_group == 1
    error_message = "three shards must be ElastiCache's cluster mode, each with a replica."
  }
  assert {
    condition     = length(aws_ssm_parameter.redis_cluster) == 1
    error_message = "the replicas must be told REDIS_CLUSTER."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.api.user_data), "wait_for clustercfg.bookcat-scale.abc123.euw1.cache.amazonaws.com 6379")
    error_message = "a first boot must wait for the cluster's configuration endpoint."
  }
}
