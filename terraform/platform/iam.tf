# One runtime identity per function, so each gets only what it uses, plus the identity
# Cloud Tasks and Cloud Scheduler sign their OIDC tokens as, plus the build identity.

locals {
  functions = {
    api = {
      description = "The public REST API: people, service accounts, run containers, SCIM."
      memory      = "512Mi"
      timeout     = 60
      concurrency = 80
      ingress     = "ALLOW_ALL"
    }
    scheduler = {
      description = "Every minute: materialise scheduled runs, enqueue dispatch tasks, mark late runs, sweep stuck runs."
      memory      = "512Mi"
      timeout     = 300
      concurrency = 1
      ingress     = "ALLOW_INTERNAL_ONLY"
    }
    dispatcher = {
      description = "Cloud Tasks target: launch one run as a Cloud Run job execution in the customer project."
      memory      = "512Mi"
      timeout     = 120
      concurrency = 40
      ingress     = "ALLOW_INTERNAL_ONLY"
    }
    monitor = {
      description = "Cloud Tasks target: follow one run's execution to a final state; cancellation; crash detection."
      memory      = "512Mi"
      timeout     = 120
      concurrency = 40
      ingress     = "ALLOW_INTERNAL_ONLY"
    }
  }

  # The functions that call customer projects, and so mint tokens for customers'
  # service accounts in keyless mode: api (credential verification), dispatcher
  # (launch), monitor (poll/cancel). Customers grant these roles/iam.serviceAccountTokenCreator.
  customer_facing_functions = ["api", "dispatcher", "monitor"]
}

resource "google_service_account" "function" {
  for_each = local.functions

  project      = var.project_id
  account_id   = "pushrun-${each.key}"
  display_name = "pushrun ${each.key} function"
  description  = each.value.description
}

resource "google_service_account" "tasks_invoker" {
  project      = var.project_id
  account_id   = "pushrun-tasks-invoker"
  display_name = "pushrun Cloud Tasks / Scheduler invoker"
  description  = "The only identity allowed to invoke scheduler, dispatcher and monitor; Cloud Tasks and Cloud Scheduler sign OIDC tokens as it (PUSHRUN_TASKS_SERVICE_ACCOUNT)."
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "pushrun-build"
  display_name = "pushrun function builds"
  description  = "Cloud Build identity for the functions' builds, instead of the broad default compute account."
}

# Firestore holds all state and every function reads and writes it. roles/datastore.user
# is data access only (no index, database or IAM administration).
resource "google_project_iam_member" "firestore_user" {
  for_each = local.functions

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function[each.key].member
}

# Creating a Cloud Tasks task that carries an OIDC token requires
# iam.serviceAccounts.actAs on the token's service account. A custom role with that one
# permission (roles/iam.serviceAccountUser would add get/list on accounts and projects),
# granted on the invoker account only, never project-wide.
resource "google_project_iam_custom_role" "act_as" {
  project     = var.project_id
  role_id     = "pushrunActAs"
  title       = "pushrun act as"
  description = "iam.serviceAccounts.actAs alone, granted on single service accounts."
  permissions = ["iam.serviceAccounts.actAs"]
}

# Every function enqueues OIDC tasks (see local.enqueuers in queues.tf).
resource "google_service_account_iam_member" "enqueuers_act_as_invoker" {
  for_each = local.functions

  service_account_id = google_service_account.tasks_invoker.name
  role               = google_project_iam_custom_role.act_as.name
  member             = google_service_account.function[each.key].member
}

# Build identity: write build logs, push the function image to pushrun's own repository,
# read the source zip. Nothing else (see functions.tf for the repository and bucket grants).
resource "google_project_iam_member" "build_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}
