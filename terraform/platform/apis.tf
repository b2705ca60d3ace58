locals {
  required_apis = [
    "artifactregistry.googleapis.com",    # function images built by Cloud Build
    "cloudbuild.googleapis.com",          # builds the function sources
    "cloudfunctions.googleapis.com",      # the four functions
    "cloudkms.googleapis.com",            # per-workspace envelope-encryption keys
    "cloudresourcemanager.googleapis.com", # testIamPermissions on customer projects (credential verification)
    "cloudscheduler.googleapis.com",      # the every-minute scheduler tick
    "cloudtasks.googleapis.com",          # dispatch and monitor queues
    "firestore.googleapis.com",           # all state
    "iam.googleapis.com",                 # service accounts and custom roles
    "iamcredentials.googleapis.com",      # minting tokens for customers' service accounts (keyless credentials)
    "logging.googleapis.com",
    "run.googleapis.com",                 # gen2 functions run on Cloud Run; customer jobs are Cloud Run jobs
    "secretmanager.googleapis.com",       # platform admin key and run-token secret
    "storage.googleapis.com",             # function source zips
  ]
}

resource "google_project_service" "required" {
  for_each = toset(local.required_apis)

  project = var.project_id
  service = each.value
  # Disabling an API on destroy would break anything else in the project that uses it.
  disable_on_destroy = false
}
