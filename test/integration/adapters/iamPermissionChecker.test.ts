import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomerAuth } from '../../../shared/adapters/gcp/customerAuth.js';
import { IamPermissionChecker } from '../../../shared/adapters/gcp/iamPermissionChecker.js';
import {
  CUSTOMER_LAUNCHER_SERVICE_ACCOUNT_PERMISSIONS,
  CUSTOMER_PROJECT_LEVEL_PERMISSIONS,
  CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
} from '../../../shared/domain/customerPermissions.js';
import { PermissionDeniedError, RetryableError } from '../../../shared/domain/errors.js';
import type { CustomerCredential } from '../../../shared/ports/customerAccess.js';
import { type CustomerProject, startCustomerProject } from './customerProjectFixture.js';

let p: CustomerProject;
let checker: IamPermissionChecker;

beforeAll(async () => {
  p = await startCustomerProject('acme-checker-test');
  const auth = createCustomerAuth({ iamEndpoint: p.emulators.endpoints.iam, platformAuth: p.platformAuth });
  checker = new IamPermissionChecker({ auth, endpoint: p.emulators.endpoints.iam });
});

afterAll(async () => {
  await p?.stop();
});

describe('IamPermissionChecker', () => {
  it('an onboarded key holds every project-level permission, and actAs on the runtime account only', async () => {
    expect(
      await checker.grantedOnProject(p.keyCredential, p.projectId, CUSTOMER_PROJECT_LEVEL_PERMISSIONS),
    ).toEqual([...CUSTOMER_PROJECT_LEVEL_PERMISSIONS]);
    // actAs is not granted on the project: pushrun may not run jobs as any other account.
    expect(
      await checker.grantedOnProject(
        p.keyCredential,
        p.projectId,
        CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
      ),
    ).toEqual([]);
    expect(
      await checker.grantedOnServiceAccount(
        p.keyCredential,
        p.runtimeEmail,
        CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
      ),
    ).toEqual(['iam.serviceAccounts.actAs']);
    const { email: other } = await p.control.createServiceAccount(p.projectId, 'checker-other-sa');
    expect(
      await checker.grantedOnServiceAccount(
        p.keyCredential,
        other,
        CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
      ),
    ).toEqual([]);
  });

  it('returns the granted subset, in the order asked, when a grant is partial', async () => {
    const { email, credential } = await p.newLauncher('checker-partial', { grants: false });
    await p.control.grant(p.projectId, `serviceAccount:${email}`, {
      permissions: ['run.executions.get', 'run.jobs.create'],
    });
    expect(
      await checker.grantedOnProject(credential, p.projectId, CUSTOMER_PROJECT_LEVEL_PERMISSIONS),
    ).toEqual(['run.jobs.create', 'run.executions.get']);
  });

  it('a project the credential cannot see, or that does not exist, grants nothing', async () => {
    expect(
      await checker.grantedOnProject(
        p.keyCredential,
        'someone-elses-project',
        CUSTOMER_PROJECT_LEVEL_PERMISSIONS,
      ),
    ).toEqual([]);
    expect(
      await checker.grantedOnServiceAccount(
        p.keyCredential,
        `ghost@${p.projectId}.iam.gserviceaccount.com`,
        CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
      ),
    ).toEqual([]);
  });

  it('works the same for an impersonation credential, with no key', async () => {
    const { email } = await p.newLauncher('checker-keyless', { impersonable: true });
    const cred: CustomerCredential = { kind: 'impersonation', serviceAccountEmail: email };
    expect(await checker.grantedOnProject(cred, p.projectId, CUSTOMER_PROJECT_LEVEL_PERMISSIONS)).toEqual([
      ...CUSTOMER_PROJECT_LEVEL_PERMISSIONS,
    ]);
    expect(
      await checker.grantedOnServiceAccount(
        cred,
        p.runtimeEmail,
        CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
      ),
    ).toEqual(['iam.serviceAccounts.actAs']);
  });

  it('a credential that cannot authenticate at all is PermissionDeniedError: disabled key, impersonation not granted', async () => {
    const { email, key, credential } = await p.newLauncher('checker-disabled');
    await p.control.setKeyEnabled(p.projectId, email, key.private_key_id, false);
    await expect(
      checker.grantedOnProject(credential, p.projectId, CUSTOMER_PROJECT_LEVEL_PERMISSIONS),
    ).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(
      checker.grantedOnServiceAccount(
        credential,
        p.runtimeEmail,
        CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
      ),
    ).rejects.toBeInstanceOf(PermissionDeniedError);
    const { email: notImpersonable } = await p.newLauncher('checker-no-token');
    const err = await checker
      .grantedOnProject(
        { kind: 'impersonation', serviceAccountEmail: notImpersonable },
        p.projectId,
        CUSTOMER_PROJECT_LEVEL_PERMISSIONS,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as Error).message).toContain('roles/iam.serviceAccountTokenCreator');
  });

  it('readServiceAccount reads the description with iam.serviceAccounts.get on the account, else undefined', async () => {
    const { email, credential } = await p.newLauncher('checker-reader');
    // Not granted on itself: Google answers 403, which the port reports as unreadable.
    expect(await checker.readServiceAccount(credential, email)).toBeUndefined();
    await p.control.grant(
      p.projectId,
      `serviceAccount:${email}`,
      { permissions: [...CUSTOMER_LAUNCHER_SERVICE_ACCOUNT_PERMISSIONS] },
      email,
    );
    expect(await checker.readServiceAccount(credential, email)).toEqual({ email, description: '' });
    await p.control.setServiceAccountDescription(p.projectId, email, 'pushrun-workspace:acme');
    expect(await checker.readServiceAccount(credential, email)).toEqual({
      email,
      description: 'pushrun-workspace:acme',
    });
    // The grant is on this account only: others stay unreadable, unknown ones too.
    expect(await checker.readServiceAccount(credential, p.runtimeEmail)).toBeUndefined();
    expect(
      await checker.readServiceAccount(credential, `nobody@${p.projectId}.iam.gserviceaccount.com`),
    ).toBeUndefined();
    await p.control.addFault({ service: 'iam', method: 'GetServiceAccount', code: 14, count: 1 });
    await expect(checker.readServiceAccount(credential, email)).rejects.toBeInstanceOf(RetryableError);
  });

  it('Google unavailable is a RetryableError, for both checks', async () => {
    await p.control.addFault({ service: 'iam', method: 'TestIamPermissions', code: 14, count: 2 });
    await expect(
      checker.grantedOnProject(p.keyCredential, p.projectId, CUSTOMER_PROJECT_LEVEL_PERMISSIONS),
    ).rejects.toBeInstanceOf(RetryableError);
    await expect(
      checker.grantedOnServiceAccount(
        p.keyCredential,
        p.runtimeEmail,
        CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
      ),
    ).rejects.toBeInstanceOf(RetryableError);
    await expect(
      checker.grantedOnProject(p.keyCredential, p.projectId, CUSTOMER_PROJECT_LEVEL_PERMISSIONS),
    ).resolves.toHaveLength(CUSTOMER_PROJECT_LEVEL_PERMISSIONS.length);
  });
});
