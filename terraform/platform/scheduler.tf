resource "google_cloud_scheduler_job" "tick" {
  project     = var.project_id
  region      = var.region
  name        = "pushrun-scheduler-tick"
  description = "Calls the scheduler function every minute."
  schedule    = "* * * * *"
  time_zone   = "Etc/UTC"
  # The scheduler's work is idempotent per minute and the next tick comes anyway:
  # retrying a missed tick would only pile up on the next one.
  attempt_deadline = "300s"

  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = local.function_urls["scheduler"]
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.tasks_invoker.email
      audience              = local.function_urls["scheduler"]
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.internal_invoker]
}
