/**
 * The IAM permissions pushrun's dispatcher and monitor use in a customer project,
 * and nothing more. Credential verification asks `testIamPermissions` for exactly
 * this list, and a test checks that terraform/modules/customer-onboarding grants
 * exactly this list, so the three cannot drift apart.
 */
export const CUSTOMER_PROJECT_PERMISSIONS = [
  // CloudRunJobLauncher.launch: one CreateJob per run attempt, carrying start_execution_token,
  // creates the job and starts its execution at once (no RunJob, no overrides, the operation
  // is not polled, so no run.jobs.runWithOverrides / run.operations.get).
  'run.jobs.create',
  // Starting an execution is what run.jobs.run guards; Google does not document that CreateJob
  // with an execution token skips that check (the emulator does not check it), so it stays.
  'run.jobs.run',
  // deleteJob: cleanup once the execution has finished.
  'run.jobs.delete',
  // getExecution: the monitor's poll, and launch's confirmation after ALREADY_EXISTS (the
  // execution name is deterministic, so no run.jobs.get or run.executions.list is needed).
  'run.executions.get',
  // cancelExecution.
  'run.executions.cancel',
  // Creating a job that runs as the runtime service account (granted on that account only).
  'iam.serviceAccounts.actAs',
] as const;
export type CustomerProjectPermission = (typeof CUSTOMER_PROJECT_PERMISSIONS)[number];

/**
 * The same permissions split by where terraform/modules/customer-onboarding grants them.
 * `iam.serviceAccounts.actAs` is granted on the runtime service account only, not on the
 * project: at project level it would let pushrun launch jobs as *any* service account of
 * the customer (the default compute account with Editor, say). Consequently a
 * `testIamPermissions` on the project reports only CUSTOMER_PROJECT_LEVEL_PERMISSIONS;
 * `actAs` is verified with `testIamPermissions` on the runtime service account
 * (`projects/-/serviceAccounts/{email}`), which is known once a work pool names it.
 */
export const CUSTOMER_PROJECT_LEVEL_PERMISSIONS = CUSTOMER_PROJECT_PERMISSIONS.filter(
  (p): p is Exclude<CustomerProjectPermission, 'iam.serviceAccounts.actAs'> =>
    p !== 'iam.serviceAccounts.actAs',
);
/** Granted on (and verified against) the work pool's runtime service account. */
export const CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS = ['iam.serviceAccounts.actAs'] as const;

/**
 * Granted to the launcher account on ITSELF (never on the project, which would let pushrun
 * read every service account of the customer). An impersonation credential is only trusted
 * once pushrun, acting as the launcher, has read the account's description and found the
 * workspace named there (shared/domain/workspaceBinding.ts); that read is IAM admin
 * `projects.serviceAccounts.get`. Used at registration and verification by the API only,
 * so it is not part of CUSTOMER_PROJECT_PERMISSIONS (what the dispatcher and monitor use).
 */
export const CUSTOMER_LAUNCHER_SERVICE_ACCOUNT_PERMISSIONS = ['iam.serviceAccounts.get'] as const;
