output "api_url" {
  description = "Base URL of the pushrun API (PUSHRUN_API_URL)."
  value       = local.api_url
}

output "function_urls" {
  description = "URL of each function."
  value       = local.function_urls
}

output "customer_trust_service_accounts" {
  description = "Keyless onboarding: the service accounts each customer grants roles/iam.serviceAccountTokenCreator on their pushrun service account (pushrun_service_accounts of modules/customer-onboarding)."
  value       = [for name in local.customer_facing_functions : google_service_account.function[name].email]
}

output "service_accounts" {
  description = "Runtime service account of each function, the tasks/scheduler invoker and the build identity."
  value = merge(
    { for name, sa in google_service_account.function : name => sa.email },
    {
      tasks_invoker = google_service_account.tasks_invoker.email
      build         = google_service_account.build.email
    },
  )
}

output "queues" {
  description = "Full resource names of the Cloud Tasks queues."
  value       = { for name, queue in local.queues : name => queue.id }
}

output "kms_key_ring" {
  description = "Key ring holding the per-workspace crypto keys."
  value       = google_kms_key_ring.workspaces.id
}

output "platform_admin_key" {
  description = "Bearer key that may create workspaces (terraform output -raw platform_admin_key)."
  value       = random_password.platform_admin_key.result
  sensitive   = true
}
