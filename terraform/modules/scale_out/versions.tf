terraform {
  # Ephemeral resources and write-only arguments (the scale-out shape's secrets never reach the state).
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}
