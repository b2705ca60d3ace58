/**
 * The IAM permissions pushrun's dispatcher and monitor use in a customer project,
 * and nothing more. Credential verification asks `testIamPermissions` for exactly
 * this list, and a test checks that terraform/modules/customer-onboarding grants
 * exactly this list, so the three cannot drift apart.
 */
export const CUSTOMER_PROJECT_PERMISSIONS = [
  'run.jobs.create',
  'run.jobs.get',
  'run.jobs.delete',
  'run.jobs.run',
  'run.jobs.runWithOverrides',
  'run.executions.get',
  'run.executions.list',
  'run.executions.cancel',
  'run.operations.get',
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
