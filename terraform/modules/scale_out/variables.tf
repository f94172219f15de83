variable "project" {
  description = "Name prefix for every resource."
  type        = string
}

variable "vpc_id" {
  description = "The VPC to build in (the root module's)."
  type        = string
}

variable "internet_gateway_id" {
  description = "The VPC's internet gateway: the load balancer's subnets and the NAT gateway route through it."
  type        = string
}

variable "availability_zones" {
  description = "The two zones the load balancer, the replicas, the database's standby and the cache's replica spread over."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 2 && var.availability_zones[0] != var.availability_zones[1]
    error_message = "availability_zones must name two different zones, e.g. [\"eu-west-1a\", \"eu-west-1b\"]."
  }
}

variable "subnet_cidrs" {
  description = "Two public ranges (load balancer, NAT gateways) and two private ones (instances, database, cache), one of each per zone, inside the VPC: the root module carves them from its vpc_cidr."
  type = object({
    public  = list(string)
    private = list(string)
  })

  validation {
    condition     = length(var.subnet_cidrs.public) == 2 && length(var.subnet_cidrs.private) == 2 && alltrue([for cidr in concat(var.subnet_cidrs.public, var.subnet_cidrs.private) : can(cidrnetmask(cidr))])
    error_message = "subnet_cidrs needs two public and two private CIDR blocks."
  }
}

variable "image_repository" {
  description = "The repository of the bookcat image, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/bookcat."
  type        = string
}

variable "image_digest" {
  description = "The digest of the image every instance runs (sha256:…). A new one changes the launch template, and the instance refresh rolls it out."
  type        = string

  validation {
    # Not a tag: `stable` moving changes nothing here, so no refresh would follow and replicas would mix releases.
    condition     = can(regex("^sha256:[0-9a-f]{64}$", var.image_digest))
    error_message = "image_digest must be an image digest, sha256: and 64 hex digits, not a tag such as stable or latest (a tag can move without the launch template changing)."
  }
}

variable "database_client_security_group_ids" {
  description = "Other security groups the database admits, e.g. the single instance's, which runs `bookcat copy` to move a catalog up."
  type        = list(string)
  default     = []
}

variable "nat_gateway_per_zone" {
  description = "One NAT gateway in each zone (true, the default), so a zone's outage leaves the other zone's replicas able to boot; false shares one, at half the cost."
  type        = bool
  default     = true
}

variable "instance_profile_policy_arns" {
  description = "Managed policies the instances also get, e.g. the root module's ECR pull policy."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate for the load balancer's HTTPS listener."
  type        = string
}

variable "ami_id" {
  description = "The Ubuntu 24.04 image the replicas boot (the root module's, so both shapes run the same one)."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type of the API replicas."
  type        = string
  default     = "t3.small"
}

variable "replicas" {
  description = "How many API instances the auto-scaling group keeps (min, desired, max)."
  type = object({
    min     = number
    desired = number
    max     = number
  })
  default = { min = 2, desired = 3, max = 6 }

  validation {
    condition     = var.replicas.min >= 1 && var.replicas.min <= var.replicas.desired && var.replicas.desired <= var.replicas.max
    error_message = "replicas must satisfy 1 <= min <= desired <= max."
  }
}

variable "database" {
  description = "RDS PostgreSQL: instance class, storage in GiB, days of automated backups, and connections per API process (DATABASE_POOL_SIZE)."
  type = object({
    instance_class = string
    storage_gib    = number
    backup_days    = number
    pool_size      = number
  })
  default = { instance_class = "db.t4g.medium", storage_gib = 50, backup_days = 14, pool_size = 10 }

  validation {
    condition     = var.database.backup_days >= 1 && var.database.backup_days <= 35
    error_message = "database.backup_days must be from 1 to 35 (0 would turn backups off)."
  }
}

variable "cache_node_type" {
  description = "ElastiCache node type of the Redis primary and its replica."
  type        = string
  default     = "cache.t4g.small"
}

variable "api_port" {
  description = "Port the API listens on inside the instances."
  type        = number
  default     = 8000
}

variable "access_logs_bucket" {
  description = "An existing S3 bucket for the load balancer's access logs; empty leaves them off."
  type        = string
  default     = ""
}

variable "cache_shards" {
  description = "Shards of the cache, each a primary and a replica: 1 (the default) is one Redis; more turns on ElastiCache's cluster mode, and the service shards its pages over them (REDIS_CLUSTER)."
  type        = number
  default     = 1

  validation {
    condition     = var.cache_shards >= 1 && var.cache_shards <= 10 && floor(var.cache_shards) == var.cache_shards
    error_message = "cache_shards must be a whole number from 1 to 10."
  }
}

variable "secrets" {
  description = "The database password, the cache user's password and the JWT signing key, written through write-only arguments (the cache user's by a provisioner) when secrets_version changes; never stored."
  type = object({
    database_password = string
    cache_password    = string
    jwt_secret        = string
  })
  sensitive = true
  ephemeral = true
}

variable "secrets_version" {
  description = "Which version of secrets the write-only arguments hold: they are written again only when this changes."
  type        = number
  default     = 1
}
