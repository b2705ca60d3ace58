# Settings repeated literally from shared/config/queues.ts (QUEUE_SETTINGS);
# test/terraform/platform.test.ts compares the two. Change both together.
resource "google_cloud_tasks_queue" "dispatch" {
  project  = var.project_id
  location = var.region
  name     = "pushrun-dispatch"

  rate_limits {
    max_dispatches_per_second = 50
    max_concurrent_dispatches = 100
  }

  retry_config {
    max_attempts  = 50
    min_backoff   = "1s"
    max_backoff   = "60s"
    max_doublings = 5
  }

  depends_on = [google_project_service.required]
}

resource "google_cloud_tasks_queue" "monitor" {
  project  = var.project_id
  location = var.region
  name     = "pushrun-monitor"

  rate_limits {
    max_dispatches_per_second = 100
    max_concurrent_dispatches = 200
  }

  retry_config {
    max_attempts  = 100
    min_backoff   = "2s"
    max_backoff   = "300s"
    max_doublings = 6
  }

  depends_on = [google_project_service.required]
}

locals {
  queues = {
    dispatch = google_cloud_tasks_queue.dispatch
    monitor  = google_cloud_tasks_queue.monitor
  }

  # Who puts tasks on which queue (function => queues):
  #   api        -> dispatch (runs created through the API)
  #   scheduler  -> dispatch (scheduled runs), monitor (stuck-run sweep)
  #   dispatcher -> monitor  (follow the execution it launched)
  #   monitor    -> monitor  (next poll), dispatch (retries by the retry policy)
  enqueuers = {
    "api/dispatch"        = { function = "api", queue = "dispatch" }
    "scheduler/dispatch"  = { function = "scheduler", queue = "dispatch" }
    "scheduler/monitor"   = { function = "scheduler", queue = "monitor" }
    "dispatcher/monitor"  = { function = "dispatcher", queue = "monitor" }
    "monitor/monitor"     = { function = "monitor", queue = "monitor" }
    "monitor/dispatch"    = { function = "monitor", queue = "dispatch" }
  }
}

# roles/cloudtasks.enqueuer (cloudtasks.tasks.create only) on the one queue each
# function writes to, instead of project-wide.
resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = local.enqueuers

  project  = var.project_id
  location = var.region
  name     = local.queues[each.value.queue].name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.function[each.value.function].member
}
