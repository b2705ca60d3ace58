output "service_account_email" {
  description = "The service account pushrun acts as in this project."
  value       = google_service_account.pushrun.email
}

output "runtime_service_account_email" {
  description = "The service account the jobs run as."
  value       = local.runtime_service_account_email
}

output "credential_name" {
  description = "Name of the credential registered in the pushrun workspace."
  value       = local.credential_name
}

output "work_pool_name" {
  description = "Name of the cloud-run work pool registered in the pushrun workspace (use it in deployments)."
  value       = local.work_pool_name
}

output "granted_roles" {
  description = "The custom roles granted to pushrun: on the project, on the runtime service account, and (keyless) on the launcher account itself."
  value = {
    project                  = google_project_iam_custom_role.launcher.name
    runtime_service_account  = google_project_iam_custom_role.runtime_user.name
    launcher_service_account = local.keyless ? google_project_iam_custom_role.self_reader[0].name : null
  }
}
