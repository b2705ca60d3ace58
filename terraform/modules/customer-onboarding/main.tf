locals {
  keyless         = var.mode == "keyless"
  credential_name = coalesce(var.credential_name, "gcp-${var.project_id}")
  work_pool_name  = coalesce(var.work_pool_name, "${var.project_id}-${var.region}")

  runtime_service_account_email = (
    var.runtime_service_account_email != null
    ? var.runtime_service_account_email
    : google_service_account.runtime[0].email
  )
}

resource "google_project_service" "required" {
  for_each = var.enable_apis ? toset(["run.googleapis.com", "iam.googleapis.com"]) : toset([])

  project = var.project_id
  service = each.value
  # Other workloads in the project may use these APIs: never switch them off on destroy.
  disable_on_destroy = false
}

# ---------------------------------------------------------------------------------------
# The identity pushrun acts as in this project.

resource "google_service_account" "pushrun" {
  project      = var.project_id
  account_id   = var.service_account_id
  display_name = "pushrun launcher"
  # The first word binds this account to ONE pushrun workspace. pushrun impersonates keyless
  # launchers with a single platform identity that every customer trusts, so before it
  # accepts (and on every verification of) a keyless credential it reads this description
  # as the account and refuses unless the registering workspace is named here, as a whole
  # word. Only this project's IAM admins can change it; pushrun has no update permission.
  description = "pushrun-workspace:${var.workspace} pushrun creates, runs, watches, cancels and deletes Cloud Run jobs as this account."

  depends_on = [google_project_service.required]
}

# A custom role rather than roles/run.developer: that role also updates and deletes any
# Cloud Run *service*, reads every job's and service's configuration and IAM policy, and
# more. These are exactly the calls the dispatcher and monitor make
# (shared/domain/customerPermissions.ts, CUSTOMER_PROJECT_LEVEL_PERMISSIONS; a test keeps
# the two lists equal).
resource "google_project_iam_custom_role" "launcher" {
  project     = var.project_id
  role_id     = "${var.role_id_prefix}Launcher"
  title       = "pushrun launcher"
  description = "Create (and so start), read the execution of, cancel and delete the Cloud Run jobs pushrun launches."
  # One job per run attempt, created with its execution's token: no RunJob, no overrides,
  # no job reads, no execution listing, no operation polling.
  permissions = [
    "run.jobs.create",       # launch: CreateJob carrying start_execution_token creates the job and starts its execution
    "run.jobs.run",          # that token starts an execution; Google does not document CreateJob skipping this check
    "run.jobs.delete",       # clean up the job once its execution has finished
    "run.executions.get",    # monitor: follow the execution to a final state; confirm it after a lost CreateJob response
    "run.executions.cancel", # cancellation
  ]
}

resource "google_project_iam_member" "launcher" {
  project = var.project_id
  role    = google_project_iam_custom_role.launcher.name
  member  = google_service_account.pushrun.member
}

# ---------------------------------------------------------------------------------------
# The identity the jobs run as, and pushrun's right to launch jobs as it.

resource "google_service_account" "runtime" {
  count = var.runtime_service_account_email == null ? 1 : 0

  project      = var.project_id
  account_id   = var.runtime_service_account_id
  display_name = "pushrun job runtime"
  description  = "Identity of the Cloud Run jobs pushrun launches. Has no roles: grant it what the workloads need."

  depends_on = [google_project_service.required]
}

# Creating a job that runs as a service account requires iam.serviceAccounts.actAs on
# that account. Granted on the runtime account only: at project level it would let
# pushrun launch jobs as *any* account here (the default compute account with Editor,
# say). A one-permission custom role, because roles/iam.serviceAccountUser also lists
# accounts and projects.
resource "google_project_iam_custom_role" "runtime_user" {
  project     = var.project_id
  role_id     = "${var.role_id_prefix}RuntimeUser"
  title       = "pushrun runtime user"
  description = "Launch jobs as the pushrun runtime service account (granted on that account only)."
  permissions = ["iam.serviceAccounts.actAs"]
}

resource "google_service_account_iam_member" "launcher_acts_as_runtime" {
  service_account_id = "projects/${var.project_id}/serviceAccounts/${local.runtime_service_account_email}"
  role               = google_project_iam_custom_role.runtime_user.name
  member             = google_service_account.pushrun.member
}

# ---------------------------------------------------------------------------------------
# Keyless: the launcher may read itself, so pushrun (acting as it) can read the workspace
# binding in its description. A one-permission custom role granted on the launcher account
# only: roles/iam.serviceAccountViewer would also list every account of the project and
# read their keys and IAM policies, and iam.serviceAccounts.get on the project would read
# every account. Key mode needs no binding (holding the key is the proof), hence no grant.

resource "google_project_iam_custom_role" "self_reader" {
  count = local.keyless ? 1 : 0

  project     = var.project_id
  role_id     = "${var.role_id_prefix}SelfReader"
  title       = "pushrun launcher self-reader"
  description = "Read the pushrun launcher service account itself, whose description names its pushrun workspace (granted on that account only)."
  permissions = ["iam.serviceAccounts.get"]
}

resource "google_service_account_iam_member" "launcher_reads_itself" {
  count = local.keyless ? 1 : 0

  service_account_id = google_service_account.pushrun.name
  role               = google_project_iam_custom_role.self_reader[0].name
  member             = google_service_account.pushrun.member
}

# ---------------------------------------------------------------------------------------
# How pushrun authenticates as the launcher account.

# Keyless (default): pushrun's own service accounts mint short-lived access tokens for the
# launcher account through IAM Credentials. No key exists, nothing to rotate or leak.
resource "google_service_account_iam_member" "pushrun_token_creator" {
  for_each = local.keyless ? toset(var.pushrun_service_accounts) : toset([])

  service_account_id = google_service_account.pushrun.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${each.value}"
}

# Key mode: one JSON key, created once. It is in this configuration's state (keep the
# state encrypted and access-controlled) and sent once to pushrun, which stores it
# encrypted with the workspace's KMS key and never returns it.
resource "google_service_account_key" "pushrun" {
  count = local.keyless ? 0 : 1

  service_account_id = google_service_account.pushrun.name
}

# ---------------------------------------------------------------------------------------
# Registration with the pushrun API. Destroy unregisters (DELETE).

locals {
  credential_data = (
    local.keyless
    ? jsonencode({
      name                = local.credential_name
      kind                = "impersonation"
      serviceAccountEmail = google_service_account.pushrun.email
      projectId           = var.project_id
    })
    : jsonencode({
      name              = local.credential_name
      kind              = "service_account_key"
      serviceAccountKey = jsondecode(base64decode(google_service_account_key.pushrun[0].private_key))
      projectId         = var.project_id
    })
  )

  vpc_access = var.vpc_access == null ? null : {
    for k, v in {
      connector = var.vpc_access.connector
      egress    = var.vpc_access.egress
      networkInterfaces = var.vpc_access.network_interface == null ? null : [{
        for k2, v2 in {
          network    = var.vpc_access.network_interface.network
          subnetwork = var.vpc_access.network_interface.subnetwork
          tags       = var.vpc_access.network_interface.tags
        } : k2 => v2 if v2 != null
      }]
    } : k => v if v != null
  }

  # Absent fields inherit pushrun's defaults, so only what is set is sent.
  base_job_template = {
    for k, v in {
      serviceAccount = local.runtime_service_account_email
      cpu            = var.job_defaults.cpu
      memory         = var.job_defaults.memory
      timeoutSeconds = var.job_defaults.timeout_seconds
      maxRetries     = var.job_defaults.max_retries
      labels         = var.job_defaults.labels
      vpcAccess      = local.vpc_access
    } : k => v if v != null
  }

  # What PATCH may change; name and kind are fixed at creation.
  work_pool_settings = {
    credential       = local.credential_name
    projectId        = var.project_id
    region           = var.region
    baseJobTemplate  = local.base_job_template
    concurrencyLimit = var.concurrency_limit
  }
}

resource "restapi_object" "credential" {
  path         = "/v1/workspaces/${var.workspace}/credentials"
  id_attribute = "name"
  data         = local.credential_data

  # Credentials are write-only: GET returns no key material. Comparing the server's copy
  # with `data` would plan a change on every apply; ignore it, so a re-apply is a no-op
  # (and, the key being created once, never makes a new one).
  ignore_all_server_changes = true
  # The API has no update for credentials: any change registers a new one.
  force_new = ["name", "kind", "projectId", "serviceAccountEmail", "serviceAccountKey"]

  # pushrun verifies the credential on registration (testIamPermissions in this project;
  # keyless, the workspace binding in the launcher's description), so the grants must exist first.
  depends_on = [
    google_project_iam_member.launcher,
    google_service_account_iam_member.launcher_acts_as_runtime,
    google_service_account_iam_member.pushrun_token_creator,
    # and, keyless, reads the launcher's description as the launcher.
    google_service_account_iam_member.launcher_reads_itself,
  ]

  lifecycle {
    precondition {
      condition     = !local.keyless || length(var.pushrun_service_accounts) > 0
      error_message = "keyless mode needs pushrun_service_accounts (the platform's customer_trust_service_accounts output)."
    }
  }
}

resource "restapi_object" "work_pool" {
  path          = "/v1/workspaces/${var.workspace}/work-pools"
  id_attribute  = "name"
  data          = jsonencode(merge({ name = local.work_pool_name, kind = "cloud-run" }, local.work_pool_settings))
  update_method = "PATCH"
  update_data   = jsonencode(local.work_pool_settings)
  force_new     = ["name", "kind"]

  # The server adds fields (timestamps, defaults, paused); Terraform changes still PATCH,
  # but what the server fills in is not "corrected" on every apply.
  ignore_all_server_changes = true

  depends_on = [restapi_object.credential]
}
