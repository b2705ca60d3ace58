import { resolve } from 'node:path';
import type { EmulatorControl } from '../emulators/controlClient.js';
import {
  CUSTOMER_LAUNCHER_SERVICE_ACCOUNT_PERMISSIONS,
  CUSTOMER_PROJECT_LEVEL_PERMISSIONS,
} from '../shared/domain/customerPermissions.js';
import { workspaceBindingToken } from '../shared/domain/workspaceBinding.js';
import { PLATFORM_PROJECT } from './localStack.js';

export const FLOW = resolve(import.meta.dirname, '../examples/flows/etl.mjs');
export const SILENT = resolve(import.meta.dirname, '../examples/flows/silent.mjs');
export const NODE = process.execPath;

export interface CustomerProject {
  projectId: string;
  launcherEmail: string;
  runtimeEmail: string;
  key: Record<string, unknown>;
}

/** The launcher's description as terraform/modules/customer-onboarding writes it: it binds the account to `workspace`. */
export function launcherDescription(workspace: string): string {
  return `${workspaceBindingToken(workspace)} pushrun creates, runs, watches, cancels and deletes Cloud Run jobs as this account.`;
}

/**
 * A customer project in the IAM emulator set up the way the onboarding Terraform
 * module does it: a launcher service account with exactly pushrun's permissions
 * on the project, actAs on the runtime account only, and a key. The launcher's
 * description names `workspace` when given (the module always sets it; only
 * keyless credentials are checked against it, see allowImpersonation).
 */
export async function onboardCustomer(
  control: EmulatorControl,
  projectId: string,
  launcherId = 'pushrun-launcher',
  workspace?: string,
): Promise<CustomerProject> {
  await control.createProject(projectId).catch(() => undefined);
  const launcherEmail = (
    await control.createServiceAccount(
      projectId,
      launcherId,
      workspace === undefined ? {} : { description: launcherDescription(workspace) },
    )
  ).email;
  const runtimeEmail = (await control.createServiceAccount(projectId, `${launcherId.slice(0, 20)}-runtime`))
    .email;
  await control.grant(projectId, `serviceAccount:${launcherEmail}`, {
    permissions: [...CUSTOMER_PROJECT_LEVEL_PERMISSIONS],
  });
  await control.grant(
    projectId,
    `serviceAccount:${launcherEmail}`,
    { permissions: ['iam.serviceAccounts.actAs'] },
    runtimeEmail,
  );
  const key = (await control.createKey(projectId, launcherEmail)) as unknown as Record<string, unknown>;
  return { projectId, launcherEmail, runtimeEmail, key };
}

/**
 * Keyless onboarding, as the module's keyless mode does it: the launcher's description binds
 * it to `workspace`, the launcher may read itself (so pushrun, acting as it, can read that
 * binding), and pushrun's own service account may mint tokens for it.
 */
export async function allowImpersonation(
  control: EmulatorControl,
  c: CustomerProject,
  workspace = 'acme',
): Promise<void> {
  await control.setServiceAccountDescription(c.projectId, c.launcherEmail, launcherDescription(workspace));
  await control.grant(
    c.projectId,
    `serviceAccount:${c.launcherEmail}`,
    { permissions: [...CUSTOMER_LAUNCHER_SERVICE_ACCOUNT_PERMISSIONS] },
    c.launcherEmail,
  );
  await control.grant(
    c.projectId,
    `serviceAccount:pushrun-platform@${PLATFORM_PROJECT}.iam.gserviceaccount.com`,
    { role: 'roles/iam.serviceAccountTokenCreator' },
    c.launcherEmail,
  );
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
