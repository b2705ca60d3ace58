variable "project_id" {
  description = "pushrun's own GCP project: Firestore, KMS, Cloud Tasks, Secret Manager and the four functions live here."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the functions, queues, scheduler job, KMS key ring and artifact repository (PUSHRUN_REGION)."
  type        = string
  default     = "europe-west1"
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a GCP region such as europe-west1."
  }
}

variable "firestore_location" {
  description = "Location of the Firestore database: a multi-region (eur3, nam5) or a region. Cannot be changed after creation."
  type        = string
  default     = "eur3"
  validation {
    condition     = can(regex("^([a-z]+[0-9]+|[a-z]+-[a-z]+[0-9]+)$", var.firestore_location))
    error_message = "firestore_location must be a Firestore multi-region (eur3, nam5) or a region (europe-west1)."
  }
}

variable "artifacts_dir" {
  description = "Directory holding the function zips built by `npm run build` (<name>.zip). Defaults to dist/functions of this repository."
  type        = string
  default     = null
}

variable "api_url" {
  description = "Public base URL of the api function when it is served behind a custom domain; defaults to its cloudfunctions.net URL. Given to run containers as PUSHRUN_API_URL."
  type        = string
  default     = null
  validation {
    condition     = var.api_url == null || can(regex("^https://[^/]+(/.*)?$", var.api_url))
    error_message = "api_url must be an https:// URL."
  }
}

variable "kms_key_ring_name" {
  description = "Name of the key ring holding one crypto key per workspace (PUSHRUN_KMS_KEY_RING). Key rings cannot be deleted: pick it once."
  type        = string
  default     = "pushrun-workspaces"
  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,63}$", var.kms_key_ring_name))
    error_message = "kms_key_ring_name must be 1-63 letters, digits, underscores or hyphens."
  }
}

variable "max_instances" {
  description = "Upper bound on instances per function: caps cost and the load pushrun can put on Firestore and customers' Cloud Run APIs."
  type        = map(number)
  default = {
    api        = 20
    scheduler  = 1
    dispatcher = 20
    monitor    = 20
  }
  validation {
    condition = (
      length(setsubtract(["api", "scheduler", "dispatcher", "monitor"], keys(var.max_instances))) == 0 &&
      alltrue([for n in values(var.max_instances) : n >= 1 && n <= 1000])
    )
    error_message = "max_instances must give api, scheduler, dispatcher and monitor each a number between 1 and 1000."
  }
}

variable "api_min_instances" {
  description = "Warm instances kept for the api function, to take cold starts off interactive requests (0 = scale to zero)."
  type        = number
  default     = 0
  validation {
    condition     = var.api_min_instances >= 0 && var.api_min_instances <= 10
    error_message = "api_min_instances must be between 0 and 10."
  }
}

variable "log_level" {
  description = "PUSHRUN_LOG_LEVEL of every function."
  type        = string
  default     = "info"
  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be one of debug, info, warn, error."
  }
}

variable "sso_audience" {
  description = "Audience (OAuth client id) of Google/Identity Platform ID tokens people sign in with (PUSHRUN_SSO_AUDIENCE); null disables SSO sign-in."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Protect the Firestore database from deletion (by Terraform or anyone). Turn off only to tear down a test environment."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels added to every labelled resource (cost attribution)."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels keys and values must be lowercase letters, digits, underscores or hyphens (keys start with a letter), at most 63 characters."
  }
}
