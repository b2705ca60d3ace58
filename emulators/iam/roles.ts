/**
 * Predefined roles the emulator knows, with the permissions that matter to the
 * APIs it emulates (a subset of each real role's list, real permission names).
 */
const RUN_READ = [
  'run.jobs.get',
  'run.jobs.list',
  'run.executions.get',
  'run.executions.list',
  'run.tasks.get',
  'run.tasks.list',
  'run.operations.get',
  'run.operations.list',
  'run.locations.list',
  'run.services.get',
  'run.services.list',
  'run.revisions.get',
  'run.revisions.list',
  'resourcemanager.projects.get',
];

const RUN_WRITE = [
  ...RUN_READ,
  'run.jobs.create',
  'run.jobs.update',
  'run.jobs.delete',
  'run.jobs.run',
  'run.jobs.runWithOverrides',
  'run.executions.cancel',
  'run.executions.delete',
  'run.operations.delete',
  'run.services.create',
  'run.services.update',
  'run.services.delete',
  'run.revisions.delete',
  'run.jobs.getIamPolicy',
  'run.services.getIamPolicy',
];

export const PREDEFINED_ROLES: Record<string, readonly string[]> = {
  'roles/run.viewer': RUN_READ,
  'roles/run.developer': RUN_WRITE,
  'roles/run.admin': [...RUN_WRITE, 'run.jobs.setIamPolicy', 'run.services.setIamPolicy'],
  'roles/run.invoker': ['run.jobs.run', 'run.jobs.runWithOverrides', 'run.routes.invoke'],
  'roles/run.jobsExecutor': ['run.jobs.run', 'run.jobs.get', 'run.executions.get', 'run.executions.list'],
  'roles/run.jobsExecutorWithOverrides': [
    'run.jobs.run',
    'run.jobs.runWithOverrides',
    'run.jobs.get',
    'run.executions.get',
    'run.executions.list',
  ],
  'roles/iam.serviceAccountUser': [
    'iam.serviceAccounts.actAs',
    'iam.serviceAccounts.get',
    'iam.serviceAccounts.list',
    'resourcemanager.projects.get',
  ],
  'roles/iam.serviceAccountTokenCreator': [
    'iam.serviceAccounts.getAccessToken',
    'iam.serviceAccounts.getOpenIdToken',
    'iam.serviceAccounts.implicitDelegation',
    'iam.serviceAccounts.signBlob',
    'iam.serviceAccounts.signJwt',
    'iam.serviceAccounts.get',
    'resourcemanager.projects.get',
  ],
  'roles/viewer': [...RUN_READ, 'iam.serviceAccounts.get', 'iam.serviceAccounts.list'],
  'roles/owner': [
    ...RUN_WRITE,
    'run.jobs.setIamPolicy',
    'iam.serviceAccounts.actAs',
    'iam.serviceAccounts.getAccessToken',
    'iam.serviceAccounts.getOpenIdToken',
    'iam.serviceAccounts.get',
    'iam.serviceAccounts.list',
  ],
};

export function permissionsOfRole(role: string): readonly string[] | undefined {
  return PREDEFINED_ROLES[role];
}
