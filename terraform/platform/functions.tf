locals {
  artifacts_dir = coalesce(var.artifacts_dir, "${path.module}/../../dist/functions")

  # Gen2 functions answer on a URL derived from region, project and name. Using it (rather
  # than the functions' url attributes) lets every function know the others' URLs, and the
  # api its own, without a dependency cycle. Also the OIDC audience of tasks and the tick.
  function_urls = {
    for name in keys(local.functions) :
    name => "https://${var.region}-${var.project_id}.cloudfunctions.net/pushrun-${name}"
  }
  api_url = coalesce(var.api_url, local.function_urls["api"])

  # shared/config/env.ts; test/terraform/platform.test.ts checks that every required
  # variable of the Env schema is set here or in local.secret_ids.
  function_env = merge(
    {
      GOOGLE_CLOUD_PROJECT          = var.project_id
      PUSHRUN_REGION                = var.region
      PUSHRUN_API_URL               = local.api_url
      PUSHRUN_KMS_KEY_RING          = google_kms_key_ring.workspaces.name
      PUSHRUN_DISPATCH_QUEUE        = google_cloud_tasks_queue.dispatch.name
      PUSHRUN_MONITOR_QUEUE         = google_cloud_tasks_queue.monitor.name
      PUSHRUN_DISPATCHER_URL        = local.function_urls["dispatcher"]
      PUSHRUN_MONITOR_URL           = local.function_urls["monitor"]
      PUSHRUN_TASKS_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
      PUSHRUN_LOG_LEVEL             = var.log_level
    },
    var.sso_audience == null ? {} : { PUSHRUN_SSO_AUDIENCE = var.sso_audience },
  )
}

resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = "${var.project_id}-pushrun-artifacts"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels

  depends_on = [google_project_service.required]
}

# The object name carries the zip's hash, so a new build is a new object and Terraform
# redeploys exactly the functions whose code changed.
resource "google_storage_bucket_object" "source" {
  for_each = local.functions

  bucket = google_storage_bucket.artifacts.name
  name   = "functions/${each.key}-${filemd5("${local.artifacts_dir}/${each.key}.zip")}.zip"
  source = "${local.artifacts_dir}/${each.key}.zip"
}

# pushrun's own image repository, so the build identity can be granted writer on it alone.
resource "google_artifact_registry_repository" "functions" {
  project       = var.project_id
  location      = var.region
  repository_id = "pushrun-functions"
  format        = "DOCKER"
  description   = "Images of the pushrun functions, built by Cloud Build from dist/functions/*.zip."
  labels        = var.labels

  depends_on = [google_project_service.required]
}

resource "google_artifact_registry_repository_iam_member" "build_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

resource "google_storage_bucket_iam_member" "build_source_reader" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = "pushrun-${each.key}"
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime           = "nodejs24"
    entry_point       = each.key
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.artifacts.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function[each.key].email
    available_memory                 = each.value.memory
    available_cpu                    = "1"
    timeout_seconds                  = each.value.timeout
    max_instance_count               = var.max_instances[each.key]
    min_instance_count               = each.key == "api" ? var.api_min_instances : 0
    max_instance_request_concurrency = each.value.concurrency
    # Internal functions accept traffic only from inside Google (Cloud Tasks, Cloud
    # Scheduler), on top of the IAM invoker check and the handlers' own OIDC check.
    ingress_settings               = each.value.ingress
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_env

    dynamic "secret_environment_variables" {
      for_each = local.secret_ids
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.platform[secret_environment_variables.key].secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [
    google_project_service.required,
    google_secret_manager_secret_version.platform,
    google_secret_manager_secret_iam_member.accessor,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
    google_project_iam_member.build_log_writer,
  ]
}

# The api is public: callers authenticate with API keys, ID tokens or run tokens.
resource "google_cloud_run_v2_service_iam_member" "api_public" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function["api"].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# The internal functions may be invoked only by the identity Cloud Tasks and Cloud
# Scheduler sign as (the handlers check the same identity and audience again).
resource "google_cloud_run_v2_service_iam_member" "internal_invoker" {
  for_each = toset(["scheduler", "dispatcher", "monitor"])

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.tasks_invoker.member
}
