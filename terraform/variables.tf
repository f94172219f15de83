variable "project" {
  description = "Name prefix for every resource."
  type        = string
  default     = "bookcat"

  validation {
    # 22 at most: the scale-out target group's name adds 10 characters, and AWS allows 32.
    condition     = can(regex("^[a-z][a-z0-9-]{1,21}$", var.project))
    error_message = "project must be 2-22 lower-case letters, digits or dashes, starting with a letter."
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
  description = "Address range of the VPC."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be a CIDR block such as 10.20.0.0/16."
  }
}

variable "public_subnet_cidr" {
  description = "Address range of the public subnet, inside vpc_cidr."
  type        = string
  default     = "10.20.1.0/24"

  validation {
    condition     = can(cidrnetmask(var.public_subnet_cidr))
    error_message = "public_subnet_cidr must be a CIDR block such as 10.20.1.0/24."
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
    (repo:OWNER@OWNER_ID/NAME@REPO_ID:environment:ENV), which repositories created or renamed from 2026-07-15 on get.
    Print them with: gh api repos/OWNER/NAME --jq '{owner: .owner.id, repository: .id}'. Null trusts the name-only
    subject alone.
  EOT
  type = object({
    owner      = number
    repository = number
  })
  default = null
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; set false if the account already has one."
  type        = bool
  default     = true
}

variable "image_retention_count" {
  description = "How many releases ECR keeps besides the one tagged stable, which is always kept (scripts/checks/check-ecr-lifecycle.py)."
  type        = number
  default     = 30

  validation {
    condition     = var.image_retention_count >= 5
    error_message = "image_retention_count must be at least 5 so rollbacks have something to go back to."
  }
}

variable "scale_out" {
  description = "Set to build the scaled-out shape (modules/scale_out): the image tag its replicas run, the ACM certificate for its load balancer, and which version of scale_out_secrets is written (bump it to rotate them). Null (the default) builds none of it."
  type = object({
    image_tag       = string
    certificate_arn = string
    secrets_version = optional(number, 1)
  })
  default = null
}

variable "scale_out_secrets" {
  description = <<-EOT
    The scaled-out shape's database password and JWT signing key (e.g. each `openssl rand -hex 32`), required with
    scale_out. Ephemeral: Terraform writes them to RDS and SSM through write-only arguments and keeps them in neither
    the plan nor the state. They are written when the module is created and whenever scale_out.secrets_version
    changes (to rotate: new values, version + 1); pass them on every apply, from wherever you keep them
    (TF_VAR_scale_out_secrets).
  EOT
  type = object({
    database_password = string
    jwt_secret        = string
  })
  default   = null
  sensitive = true
  ephemeral = true

  validation {
    condition     = var.scale_out == null || var.scale_out_secrets != null
    error_message = "scale_out needs scale_out_secrets (the database password and the JWT signing key), e.g. TF_VAR_scale_out_secrets='{database_password = \"...\", jwt_secret = \"...\"}'."
  }
  validation {
    # Conditional, not ||: HCL evaluates both sides.
    condition     = var.scale_out_secrets == null ? true : can(regex("^[A-Za-z0-9]{32,}$", var.scale_out_secrets.database_password))
    error_message = "scale_out_secrets.database_password must be 32 or more letters and digits (it goes into a URL)."
  }
  validation {
    condition     = var.scale_out_secrets == null ? true : length(var.scale_out_secrets.jwt_secret) >= 32
    error_message = "scale_out_secrets.jwt_secret must be 32 characters or more."
  }
}
