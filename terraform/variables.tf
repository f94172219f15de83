variable "project" {
  description = "Name prefix for every resource."
  type        = string
  default     = "bookcat"

  validation {
    # 22 at most: the scale-out target group's name adds 10 characters, and AWS allows 32. Single dashes between
    # letters and digits only: load balancers, target groups, RDS and ElastiCache refuse a trailing dash or "--".
    condition     = length(var.project) >= 2 && length(var.project) <= 22 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.project))
    error_message = "project must be 2-22 lower-case letters and digits, starting with a letter, with single dashes between them (no trailing dash, no \"--\"), e.g. bookcat or bookcat-prod."
  }
  validation {
    # The scale-out load balancer is named after the project, and AWS refuses a load balancer name starting with
    # "internal-" (the prefix of internal load balancers' DNS names).
    condition     = !startswith(var.project, "internal-")
    error_message = "project must not start with \"internal-\": AWS refuses load balancer names that do (the scaled-out shape's is named after the project), e.g. bookcat-internal instead."
  }
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "availability_zone_suffix" {
  description = "Which of the region's zones hosts the subnet and the instance (a, b, c …)."
  type        = string
  default     = "a"

  validation {
    condition     = can(regex("^[a-f]$", var.availability_zone_suffix))
    error_message = "availability_zone_suffix must be one letter from a to f."
  }
}

variable "vpc_cidr" {
  description = "Address range of the VPC. Every subnet is carved from it (network.tf): /24s in a /16."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    # /22 at most: the subnets are /27 or larger (a load balancer's subnet needs 8 free addresses), 32 of them fit.
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/(1[6-9]|2[0-2])$", var.vpc_cidr)) && try(cidrsubnet(var.vpc_cidr, 0, 0) == var.vpc_cidr, false)
    error_message = "vpc_cidr must be an IPv4 network address with a prefix from /16 to /22, such as 10.20.0.0/16 (not 10.20.1.0/16: the host bits must be zero)."
  }
}

variable "api_allowed_cidr" {
  description = "Who may reach the API port, e.g. your office's range or a load balancer's. Never SSH: access is through SSM."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.api_allowed_cidr))
    error_message = "api_allowed_cidr must be a CIDR block such as 203.0.113.0/24."
  }
}

variable "api_port" {
  description = "Port the API listens on."
  type        = number
  default     = 8000

  validation {
    condition     = var.api_port > 0 && var.api_port < 65536
    error_message = "api_port must be from 1 to 65535."
  }
}

variable "instance_type" {
  description = "EC2 instance type for the server."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.small."
  }
}

variable "root_volume_gib" {
  description = "Size of the encrypted root volume: the system and container images (the catalog has its own volume)."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_gib >= 10 && var.root_volume_gib <= 500
    error_message = "root_volume_gib must be from 10 to 500."
  }
}

variable "data_volume_gib" {
  description = "Size of the catalog's own encrypted volume, kept when the instance is replaced."
  type        = number
  default     = 10

  validation {
    condition     = var.data_volume_gib >= 1 && var.data_volume_gib <= 1000
    error_message = "data_volume_gib must be from 1 to 1000."
  }
}

variable "snapshot_retention_days" {
  description = "How many daily snapshots of the catalog volume to keep."
  type        = number
  default     = 14

  validation {
    condition     = var.snapshot_retention_days >= 1 && var.snapshot_retention_days <= 1000
    error_message = "snapshot_retention_days must be from 1 to 1000."
  }
}

variable "github_environment" {
  description = "The GitHub environment the deploy job runs in; the deploy role trusts only its OIDC subject. Restrict it to main in the repository settings."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+$", var.github_environment))
    error_message = "github_environment must be a plain environment name such as production."
  }
}

variable "github_repository" {
  description = "The GitHub repository allowed to deploy, as owner/name. Only its github_environment may assume the deploy role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like owner/name."
  }
}

variable "github_repository_ids" {
  description = <<-EOT
    The numeric ids of github_repository's owner and of the repository, for GitHub's immutable OIDC subjects
    (repo:OWNER@OWNER_ID/NAME@REPO_ID:environment:ENV), the only ones a repository created or renamed from 2026-07-15
    on gets. The deploy role trusts that subject and the name-only one. Print them with:
    gh api repos/OWNER/NAME --jq '{owner: .owner.id, repository: .id}'
  EOT
  type = object({
    owner      = number
    repository = number
  })
  # Null is refused below, with how to get the ids: without them a new repository's deploy job could not assume the role.
  default = null

  validation {
    condition     = try(var.github_repository_ids.owner > 0 && var.github_repository_ids.repository > 0, false)
    error_message = "github_repository_ids is required (and prod.tfvars.example's zeros are placeholders): without it a repository created or renamed from 2026-07-15 on gets a deploy role no job can assume. Print the ids with gh api repos/OWNER/NAME --jq '{owner: .owner.id, repository: .id}' and set github_repository_ids = { owner = …, repository = … } in prod.tfvars."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; set false if the account already has one."
  type        = bool
  default     = true
}

variable "image_retention_count" {
  description = "How many releases ECR keeps besides those tagged stable, scale-out and scale-out-previous, which are always kept (scripts/checks/check-ecr-lifecycle.py)."
  type        = number
  default     = 30

  validation {
    condition     = var.image_retention_count >= 5
    error_message = "image_retention_count must be at least 5 so rollbacks have something to go back to."
  }
}

variable "scale_out" {
  description = "Set to build the scaled-out shape (modules/scale_out): the image digest its replicas run (the deployment workflow's summary prints each release's; tag it with scripts/deploy/pin-scale-out.sh before applying, so ECR keeps it), the ACM certificate for its load balancer, which version of scale_out_secrets is written (bump it to rotate them), whether each zone gets its own NAT gateway (true; false shares one, at half the cost), and how many shards the cache has (1; more is ElastiCache's cluster mode). Null (the default) builds none of it."
  type = object({
    image_digest         = string
    certificate_arn      = string
    secrets_version      = optional(number, 1)
    nat_gateway_per_zone = optional(bool, true)
    cache_shards         = optional(number, 1)
  })
  default = null

  validation {
    # A digest, never a tag: a moved tag changes nothing Terraform sees, so no instance refresh would roll it out and
    # replicas booted before and after the move would run different releases.
    condition     = var.scale_out == null ? true : can(regex("^sha256:[0-9a-f]{64}$", var.scale_out.image_digest))
    error_message = "scale_out.image_digest must be an image digest, sha256: and 64 hex digits, not a tag such as stable or latest (a tag can move without Terraform noticing). The deployment workflow's summary prints each release's; or: aws ecr describe-images --repository-name bookcat --image-ids imageTag=stable --query 'imageDetails[0].imageDigest' --output text."
  }
}

variable "scale_out_secrets" {
  description = <<-EOT
    The scaled-out shape's database password, cache user's password and JWT signing key (e.g. each
    `openssl rand -hex 32`), required with scale_out. Ephemeral: Terraform writes them to RDS and SSM through write-only arguments and keeps them in neither
    the plan nor the state. They are written when the module is created and whenever scale_out.secrets_version
    changes (to rotate: new values, version + 1); pass them on every apply, from wherever you keep them
    (TF_VAR_scale_out_secrets).
  EOT
  type = object({
    database_password = string
    cache_password    = string
    jwt_secret        = string
  })
  default   = null
  sensitive = true
  ephemeral = true

  validation {
    condition     = var.scale_out == null || var.scale_out_secrets != null
    error_message = "scale_out needs scale_out_secrets (the database password, the cache user's password and the JWT signing key), e.g. TF_VAR_scale_out_secrets='{database_password = \"...\", cache_password = \"...\", jwt_secret = \"...\"}'."
  }
  validation {
    # Conditional, not ||: HCL evaluates both sides.
    condition     = var.scale_out_secrets == null ? true : can(regex("^[A-Za-z0-9]{32,}$", var.scale_out_secrets.database_password))
    error_message = "scale_out_secrets.database_password must be 32 or more letters and digits (it goes into a URL)."
  }
  validation {
    # ElastiCache takes 16 to 128 characters; letters and digits, as it goes into a URL.
    condition     = var.scale_out_secrets == null ? true : can(regex("^[A-Za-z0-9]{32,128}$", var.scale_out_secrets.cache_password))
    error_message = "scale_out_secrets.cache_password must be 32 to 128 letters and digits (ElastiCache's limit; it goes into a URL)."
  }
  validation {
    condition     = var.scale_out_secrets == null ? true : length(var.scale_out_secrets.jwt_secret) >= 32
    error_message = "scale_out_secrets.jwt_secret must be 32 characters or more."
  }
}
