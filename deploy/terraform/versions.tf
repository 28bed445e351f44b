terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # One major version: a new major (7.x) can change resources' arguments, so moving to it
      # is a decision, taken with a plan read line by line, not an accident of `init -upgrade`.
      version = "~> 6.0"
    }
  }
}
