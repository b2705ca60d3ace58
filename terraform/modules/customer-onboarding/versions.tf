terraform {
  # 1.5: optional() object attributes, check blocks.
  required_version = ">= 1.5"

  # No provider blocks here: the calling root module configures google (the customer's
  # project) and restapi (the pushrun API URL and API key), so this module can be used
  # with count/for_each and its credentials never live in module code.
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
    restapi = {
      source = "Mastercard/restapi"
      # 2.0 added ignore_all_server_changes, which keeps the write-only credential from diffing.
      version = "~> 2.0"
    }
  }
}
