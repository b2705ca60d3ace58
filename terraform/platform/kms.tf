# One key ring; the api function creates one crypto key per workspace inside it at run
# time (envelope encryption of credentials and secrets) and destroys its versions when
# the workspace is deleted (crypto-shredding). Terraform manages the ring only.
resource "google_kms_key_ring" "workspaces" {
  project  = var.project_id
  name     = var.kms_key_ring_name
  location = var.region

  depends_on = [google_project_service.required]
}

# Exactly what managing workspace keys takes, and nothing of the broader
# roles/cloudkms.admin (no IAM policy changes, no import jobs, no key ring creation).
resource "google_project_iam_custom_role" "workspace_key_admin" {
  project     = var.project_id
  role_id     = "pushrunWorkspaceKeyAdmin"
  title       = "pushrun workspace key admin"
  description = "Create one crypto key per workspace in the pushrun key ring, rotate it, and destroy its versions when the workspace is deleted."
  permissions = [
    "cloudkms.cryptoKeys.create",        # a new workspace gets its own key
    "cloudkms.cryptoKeys.get",           # idempotent creation: look the key up first
    "cloudkms.cryptoKeys.update",        # rotation schedule and primary version
    "cloudkms.cryptoKeyVersions.create", # on-demand rotation
    "cloudkms.cryptoKeyVersions.list",   # find every version to destroy
    "cloudkms.cryptoKeyVersions.destroy", # crypto-shredding on workspace deletion
  ]
}

# api: creates workspace keys and destroys them when a workspace is deleted.
resource "google_kms_key_ring_iam_member" "api_key_admin" {
  key_ring_id = google_kms_key_ring.workspaces.id
  role        = google_project_iam_custom_role.workspace_key_admin.name
  member      = google_service_account.function["api"].member
}

# api: encrypts credentials and secrets when they are written, and decrypts a
# credential to verify it (testIamPermissions in the customer project).
resource "google_kms_key_ring_iam_member" "api_encrypt_decrypt" {
  key_ring_id = google_kms_key_ring.workspaces.id
  role        = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member      = google_service_account.function["api"].member
}

# dispatcher: decrypts the work pool's credential to launch the job in the customer
# project, and the secrets the run receives. monitor: decrypts the credential to read
# and cancel executions there. Neither ever encrypts.
resource "google_kms_key_ring_iam_member" "decrypters" {
  for_each = toset(["dispatcher", "monitor"])

  key_ring_id = google_kms_key_ring.workspaces.id
  role        = "roles/cloudkms.cryptoKeyDecrypter"
  member      = google_service_account.function[each.key].member
}
