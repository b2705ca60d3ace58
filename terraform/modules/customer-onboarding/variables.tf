variable "project_id" {
  description = "The customer project where pushrun runs jobs (Cloud Run jobs are created and executed here)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Cloud Run region the work pool launches jobs in."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Cloud Run region such as europe-west1."
  }
}

variable "workspace" {
  description = "The pushrun workspace (slug) to register the credential and work pool in. The launcher account's description names it (pushrun-workspace:<workspace>): pushrun accepts a keyless credential for that workspace only."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.workspace))
    error_message = "workspace must be a lowercase slug: a letter, then letters, digits or hyphens, at most 63."
  }
}

variable "mode" {
  description = "How pushrun authenticates as its service account: \"keyless\" (pushrun mints short-lived tokens; no key exists; recommended) or \"service_account_key\" (a JSON key is created and handed to pushrun)."
  type        = string
  default     = "keyless"
  validation {
    condition     = contains(["keyless", "service_account_key"], var.mode)
    error_message = "mode must be \"keyless\" or \"service_account_key\"."
  }
}

variable "pushrun_service_accounts" {
  description = "Keyless mode: pushrun's own service accounts that may mint tokens for the service account this module creates (output customer_trust_service_accounts of pushrun's platform). Ignored in service_account_key mode."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for email in var.pushrun_service_accounts : can(regex("^[^@\\s]+@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", email))])
    error_message = "pushrun_service_accounts must be service account e-mails (…@PROJECT.iam.gserviceaccount.com)."
  }
}

variable "service_account_id" {
  description = "Account id of the service account pushrun acts as in this project."
  type        = string
  default     = "pushrun-launcher"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.service_account_id))
    error_message = "service_account_id must be 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "runtime_service_account_email" {
  description = "Existing service account the jobs run as. Null creates a dedicated one with no roles (grant it what your workloads need)."
  type        = string
  default     = null
  validation {
    condition     = var.runtime_service_account_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.gserviceaccount\\.com$", var.runtime_service_account_email))
    error_message = "runtime_service_account_email must be a service account e-mail."
  }
}

variable "runtime_service_account_id" {
  description = "Account id of the runtime service account created when runtime_service_account_email is null."
  type        = string
  default     = "pushrun-runtime"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.runtime_service_account_id))
    error_message = "runtime_service_account_id must be 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "role_id_prefix" {
  description = "Prefix of the custom roles' ids (<prefix>Launcher, <prefix>RuntimeUser and, keyless, <prefix>SelfReader); change it to onboard a project twice."
  type        = string
  default     = "pushrun"
  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_.]{2,40}$", var.role_id_prefix))
    error_message = "role_id_prefix must be 3-41 letters, digits, underscores or dots, starting with a letter."
  }
}

variable "credential_name" {
  description = "Name of the credential registered in pushrun. Null: gcp-<project_id>."
  type        = string
  default     = null
  validation {
    condition     = var.credential_name == null || can(regex("^[a-z][a-z0-9-]{0,62}$", var.credential_name))
    error_message = "credential_name must be a lowercase slug."
  }
}

variable "work_pool_name" {
  description = "Name of the cloud-run work pool registered in pushrun. Null: <project_id>-<region>."
  type        = string
  default     = null
  validation {
    condition     = var.work_pool_name == null || can(regex("^[a-z][a-z0-9-]{0,62}$", var.work_pool_name))
    error_message = "work_pool_name must be a lowercase slug."
  }
}

variable "job_defaults" {
  description = "Base job template of the work pool: resources, timeout, retries and labels of every job (deployments may override)."
  type = object({
    cpu             = optional(string)
    memory          = optional(string)
    timeout_seconds = optional(number)
    max_retries     = optional(number)
    labels          = optional(map(string))
  })
  default = {}
  validation {
    condition = (
      (var.job_defaults.cpu == null || can(regex("^([0-9]+(\\.[0-9]+)?|[0-9]+m)$", var.job_defaults.cpu))) &&
      (var.job_defaults.memory == null || can(regex("^[0-9]+(Mi|Gi)$", var.job_defaults.memory))) &&
      (var.job_defaults.timeout_seconds == null || (var.job_defaults.timeout_seconds >= 1 && var.job_defaults.timeout_seconds <= 604800)) &&
      (var.job_defaults.max_retries == null || (var.job_defaults.max_retries >= 0 && var.job_defaults.max_retries <= 10))
    )
    error_message = "job_defaults: cpu like \"1\" or \"500m\", memory like \"512Mi\", timeout_seconds 1-604800, max_retries 0-10."
  }
}

variable "vpc_access" {
  description = "Optional VPC access of the jobs: a Serverless VPC Access connector, or Direct VPC egress through one network interface."
  type = object({
    connector = optional(string)
    egress    = optional(string)
    network_interface = optional(object({
      network    = optional(string)
      subnetwork = optional(string)
      tags       = optional(list(string))
    }))
  })
  default = null
  validation {
    condition     = var.vpc_access == null || try(contains(["ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"], var.vpc_access.egress), true)
    error_message = "vpc_access.egress must be ALL_TRAFFIC or PRIVATE_RANGES_ONLY."
  }
}

variable "concurrency_limit" {
  description = "Runs (PENDING + RUNNING) allowed at once in the work pool; null = unlimited."
  type        = number
  default     = null
  validation {
    condition     = var.concurrency_limit == null || (var.concurrency_limit >= 0 && var.concurrency_limit <= 100000)
    error_message = "concurrency_limit must be between 0 and 100000."
  }
}

variable "enable_apis" {
  description = "Enable the Cloud Run Admin and IAM APIs in the project (leave false if another configuration manages them)."
  type        = bool
  default     = true
}
