terraform {
  # 1.5: `check` blocks and the for_each/optional() features used here.
  required_version = ">= 1.5"

  required_providers {
    google = {
      source = "hashicorp/google"
      # terraform/schema/google.json.gz is extracted from 6.50: stay on that line so CI's
      # offline check and `terraform plan` agree on what exists.
      version = "~> 6.50"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
