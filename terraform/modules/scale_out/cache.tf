# The shared cache: a Redis primary and a replica in the other zone, promoted automatically if the primary fails.
# Every instance talks to the primary endpoint, whose DNS name follows the promotion; after one, the servers'
# reachability check reconciles the cache with the store's version (see "How the cache works").

resource "aws_elasticache_subnet_group" "main" {
  name       = "${var.project}-scale"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_elasticache_replication_group" "main" {
  #checkov:skip=CKV_AWS_30:bookcat's Redis client speaks plain TCP (no TLS yet); the cache holds rendered public pages, and only the API instances' group may connect.
  #checkov:skip=CKV_AWS_31:ElastiCache takes an AUTH token only with in-transit encryption, which the client does not speak yet (see CKV_AWS_30).
  replication_group_id       = "${var.project}-scale"
  description                = "bookcat response cache"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.cache_node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.main.name
  security_group_ids         = [aws_security_group.cache.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.secrets.arn
  snapshot_retention_limit   = 1
  auto_minor_version_upgrade = true
}
