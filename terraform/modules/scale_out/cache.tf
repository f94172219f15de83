# The shared cache: a Redis primary and a replica in the other zone, promoted automatically if the primary fails.
# Every instance talks to the primary endpoint, whose DNS name follows the promotion; after one, the servers'
# reachability check reconciles the cache with the store's version (see "How the cache works"). TLS only, and the
# service authenticates as an ACL user with exactly the rights docs/redis.md's "Managed Redis" lists; the default user is off.

locals {
  cache_cluster_mode = var.cache_shards > 1
  # Cluster mode is reached through its configuration endpoint (REDIS_CLUSTER), one shard through its primary's.
  cache_endpoint = local.cache_cluster_mode ? aws_elasticache_replication_group.main.configuration_endpoint_address : aws_elasticache_replication_group.main.primary_endpoint_address
  # IAM authentication, which the user starts with (below), requires its user ID and user name to be one string.
  cache_user = "${var.project}-service"
  # docs/redis.md's ACL line without `user NAME` and the password (ElastiCache keeps those apart).
  cache_access_string = "on resetkeys ~bookcat:* resetchannels &bookcat:* -@all +ping +select +role +get +set +del +exists +expire +incr +hget +hmget +hset +hsetnx +hlen +sadd +smembers +zadd +zrem +zrange +zremrangebyscore +zscore +time +publish +subscribe +evalsha +eval +wait +asking +cluster|nodes"
}

# ElastiCache wants a user named `default` in every user group: this one can do nothing.
resource "aws_elasticache_user" "disabled_default" {
  user_id              = "${var.project}-default"
  user_name            = "default"
  engine               = "REDIS"
  access_string        = "off -@all"
  no_password_required = true
}

# The service's user. Created with IAM authentication, which needs no secret, then given its password by
# terraform_data.cache_password below: a password in this resource would be in the state, and ElastiCache users have
# no write-only password argument (provider 5.x). ElastiCache refuses an IAM user whose ID and name differ.
resource "aws_elasticache_user" "service" {
  user_id       = local.cache_user
  user_name     = local.cache_user
  engine        = "REDIS"
  access_string = local.cache_access_string
  authentication_mode {
    type = "iam"
  }
  lifecycle {
    # The password mode is set outside Terraform's state (below); going back to IAM would lock the service out.
    ignore_changes = [authentication_mode]
  }
}

# Sets the service user's password from the ephemeral secrets (provisioners may read ephemeral values; nothing here
# is stored), when the user is created and whenever secrets_version changes. Needs the AWS CLI where Terraform runs.
resource "terraform_data" "cache_password" {
  triggers_replace = [aws_elasticache_user.service.id, var.secrets_version]

  provisioner "local-exec" {
    command = "aws elasticache modify-user --user-id \"$USER_ID\" --authentication-mode \"Type=password,Passwords=$PASSWORD\" >/dev/null && aws elasticache wait replication-group-available --replication-group-id \"$GROUP_ID\""
    environment = {
      USER_ID  = aws_elasticache_user.service.user_id
      GROUP_ID = aws_elasticache_replication_group.main.replication_group_id
      PASSWORD = var.secrets.cache_password
    }
  }
}

resource "aws_elasticache_user_group" "service" {
  user_group_id = "${var.project}-users"
  engine        = "REDIS"
  user_ids      = [aws_elasticache_user.disabled_default.user_id, aws_elasticache_user.service.user_id]
}

resource "aws_elasticache_subnet_group" "main" {
  name       = "${var.project}-scale"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_elasticache_replication_group" "main" {
  #checkov:skip=CKV_AWS_31:authentication is an ACL user group (user_group_ids), not the single AUTH token this check looks for.
  replication_group_id = "${var.project}-scale"
  description          = "bookcat response cache"
  engine               = "redis"
  engine_version       = "7.1"
  node_type            = var.cache_node_type
  # One shard: a primary and a replica. More: cluster mode, each shard a primary and a replica, pages spread over them.
  num_cache_clusters         = local.cache_cluster_mode ? null : 2
  cluster_mode               = local.cache_cluster_mode ? "enabled" : "disabled"
  num_node_groups            = local.cache_cluster_mode ? var.cache_shards : null
  replicas_per_node_group    = local.cache_cluster_mode ? 1 : null
  parameter_group_name       = local.cache_cluster_mode ? "default.redis7.cluster.on" : null
  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.main.name
  security_group_ids         = [aws_security_group.cache.id]
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  user_group_ids             = [aws_elasticache_user_group.service.user_group_id]
  kms_key_id                 = aws_kms_key.secrets.arn
  snapshot_retention_limit   = 1
  auto_minor_version_upgrade = true
}
