import { JWT } from 'google-auth-library';
import { EmulatorControl } from '../../../emulators/controlClient.js';
import type { ServiceAccountKeyJson } from '../../../emulators/iam/iamState.js';
import { type StartedEmulators, startEmulators } from '../../../emulators/server.js';
import {
  CUSTOMER_PROJECT_LEVEL_PERMISSIONS,
  CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
} from '../../../shared/domain/customerPermissions.js';
import type { CustomerCredential } from '../../../shared/ports/customerAccess.js';

/**
 * A customer project as terraform/modules/customer-onboarding leaves it, in the emulators:
 * a launcher account holding the launcher custom role on the project and actAs on the
 * runtime account only, with a key; and pushrun's own platform account with a key (the
 * identity that impersonates in keyless mode).
 */
export interface CustomerProject {
  emulators: StartedEmulators;
  control: EmulatorControl;
  projectId: string;
  region: string;
  launcherEmail: string;
  launcherKey: ServiceAccountKeyJson;
  runtimeEmail: string;
  platformEmail: string;
  platformAuth: JWT;
  /** The key credential of the launcher account. */
  keyCredential: CustomerCredential;
  /** A new account with the onboarding grants (and a key); `impersonable` grants pushrun token creator on it. */
  newLauncher(
    accountId: string,
    opts?: { impersonable?: boolean; grants?: boolean },
  ): Promise<{
    email: string;
    key: ServiceAccountKeyJson;
    credential: CustomerCredential;
  }>;
  stop(): Promise<void>;
}

export const keyCredential = (key: ServiceAccountKeyJson): CustomerCredential => ({
  kind: 'service_account_key',
  key,
});

export async function startCustomerProject(projectId: string): Promise<CustomerProject> {
  const emulators = await startEmulators();
  const control = new EmulatorControl(emulators.endpoints.control);
  const platformProject = `${projectId.slice(0, 20)}-platform`;
  await control.createProject(projectId);
  await control.createProject(platformProject);
  const { email: runtimeEmail } = await control.createServiceAccount(projectId, 'pushrun-runtime');
  const { email: platformEmail } = await control.createServiceAccount(platformProject, 'pushrun-functions');
  const platformKey = await control.createKey(platformProject, platformEmail);
  const platformAuth = new JWT({
    email: platformKey.client_email,
    key: platformKey.private_key,
    keyId: platformKey.private_key_id,
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
  });

  const newLauncher: CustomerProject['newLauncher'] = async (accountId, opts = {}) => {
    const { email } = await control.createServiceAccount(projectId, accountId);
    const member = `serviceAccount:${email}`;
    if (opts.grants !== false) {
      await control.grant(projectId, member, { permissions: [...CUSTOMER_PROJECT_LEVEL_PERMISSIONS] });
      await control.grant(
        projectId,
        member,
        { permissions: [...CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS] },
        runtimeEmail,
      );
    }
    if (opts.impersonable) {
      await control.grant(
        projectId,
        `serviceAccount:${platformEmail}`,
        { role: 'roles/iam.serviceAccountTokenCreator' },
        email,
      );
    }
    const key = await control.createKey(projectId, email);
    return { email, key, credential: keyCredential(key) };
  };

  const launcher = await newLauncher('pushrun-launcher');
  return {
    emulators,
    control,
    projectId,
    region: 'europe-west1',
    launcherEmail: launcher.email,
    launcherKey: launcher.key,
    runtimeEmail,
    platformEmail,
    platformAuth,
    keyCredential: launcher.credential,
    newLauncher,
    stop: () => emulators.stop(),
  };
}

/** Calls counted by the emulators for one service and method since `before`. */
export async function callsSince(
  control: EmulatorControl,
  before: Record<string, Record<string, number>>,
  service: string,
  method: string,
): Promise<number> {
  const now = await control.stats();
  return (now[service]?.[method] ?? 0) - (before[service]?.[method] ?? 0);
}

/** Polls `probe` until `done` holds (modest interval: two shared cores). */
export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 15_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
