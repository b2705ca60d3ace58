# Generated here so that no person ever handles them; they live in Terraform state,
# which must be stored encrypted with restricted access (see README).
resource "random_password" "platform_admin_key" {
  length  = 48
  special = false
}

resource "random_password" "run_token_secret" {
  length  = 64
  special = false
}

locals {
  # Environment variable => Secret Manager secret id. Keys are not sensitive, so they
  # can drive for_each; the values are looked up separately.
  secret_ids = {
    PUSHRUN_PLATFORM_ADMIN_KEY = "pushrun-platform-admin-key"
    PUSHRUN_RUN_TOKEN_SECRET   = "pushrun-run-token-secret"
  }
  secret_values = {
    PUSHRUN_PLATFORM_ADMIN_KEY = random_password.platform_admin_key.result
    PUSHRUN_RUN_TOKEN_SECRET   = random_password.run_token_secret.result
  }
}

resource "google_secret_manager_secret" "platform" {
  for_each = local.secret_ids

  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.required]
}

resource "google_secret_manager_secret_version" "platform" {
  for_each = local.secret_ids

  secret      = google_secret_manager_secret.platform[each.key].id
  secret_data = local.secret_values[each.key]
}

# Every function loads the whole Env schema (shared/config/env.ts), which requires both
# secrets, so each function's identity may read exactly these two secrets.
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = {
    for pair in setproduct(keys(local.functions), keys(local.secret_ids)) :
    "${pair[0]}/${pair[1]}" => { function = pair[0], secret = pair[1] }
  }

  project   = var.project_id
  secret_id = google_secret_manager_secret.platform[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}
