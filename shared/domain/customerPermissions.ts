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
