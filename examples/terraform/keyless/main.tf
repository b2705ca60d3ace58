# Minimal keyless onboarding: pushrun mints short-lived tokens for a service account in
# your project; no key is ever created.
#
#   export TF_VAR_pushrun_api_key=...   # a workspace API key with credential:write and work-pool:write
#   terraform init && terraform apply -var project_id=my-project -var workspace=acme \
#     -var pushrun_api_url=https://europe-west1-pushrun-prod.cloudfunctions.net/pushrun-api \
#     -var 'pushrun_service_accounts=["pushrun-api@…", "pushrun-dispatcher@…", "pushrun-monitor@…"]'

terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
    restapi = {
      source  = "Mastercard/restapi"
      version = "~> 2.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "restapi" {
  uri                  = var.pushrun_api_url
  write_returns_object = true
  id_attribute         = "name"
  headers = {
    Authorization  = "Bearer ${var.pushrun_api_key}"
    "Content-Type" = "application/json"
  }
}

module "pushrun" {
  source = "../../../terraform/modules/customer-onboarding"

  project_id               = var.project_id
  region                   = var.region
  workspace                = var.workspace
  mode                     = "keyless"
  pushrun_service_accounts = var.pushrun_service_accounts
}

variable "project_id" {
  description = "Your GCP project where pushrun runs jobs."
  type        = string
}

variable "region" {
  description = "Cloud Run region for the jobs."
  type        = string
  default     = "europe-west1"
}

variable "workspace" {
  description = "Your pushrun workspace."
  type        = string
}

variable "pushrun_api_url" {
  description = "Base URL of the pushrun API."
  type        = string
  validation {
    condition     = can(regex("^https://", var.pushrun_api_url))
    error_message = "pushrun_api_url must be an https:// URL."
  }
}

variable "pushrun_api_key" {
  description = "A pushrun API key allowed to write credentials and work pools in the workspace. Pass it through TF_VAR_pushrun_api_key, never a file in version control."
  type        = string
  sensitive   = true
}

variable "pushrun_service_accounts" {
  description = "pushrun's service accounts to trust (published by pushrun: customer_trust_service_accounts)."
  type        = list(string)
}

output "work_pool" {
  description = "Work pool to name in your deployments."
  value       = module.pushrun.work_pool_name
}

output "service_account" {
  description = "The service account pushrun acts as in your project."
  value       = module.pushrun.service_account_email
}
