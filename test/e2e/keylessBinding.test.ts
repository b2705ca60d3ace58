import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowImpersonation,
  type CustomerProject,
  launcherDescription,
  onboardCustomer,
} from '../../scripts/customerProject.js';
import { PLATFORM_PROJECT } from '../../scripts/localStack.js';
import { type ApiUnderTest, client, startApi } from '../support/apiServer.js';

/**
 * pushrun impersonates every keyless customer's launcher account with ONE platform identity.
 * These tests show that a workspace cannot borrow another customer's trust: the launcher's
 * description, which only its owner can write, must name the registering workspace.
 */
let api: ApiUnderTest;
let call: ReturnType<typeof client>;
const keys: Record<string, string> = {};
/** acme's keyless project, onboarded for acme the way the Terraform module does it. */
let acme: CustomerProject;

async function createWorkspace(name: string): Promise<string> {
  const created = await call('POST', '/v1/workspaces', {
    key: api.adminKey,
    body: { name, ownerEmail: `owner@${name}.test` },
  });
  expect(created.status, created.text).toBe(201);
  return created.body.apiKey.key;
}

function registerKeyless(ws: string, name: string, c: CustomerProject) {
  return call('POST', `/v1/workspaces/${ws}/credentials`, {
    key: keys[ws],
    body: { name, kind: 'impersonation', projectId: c.projectId, serviceAccountEmail: c.launcherEmail },
  });
}

beforeAll(async () => {
  api = await startApi();
  call = client(api.url);
  for (const ws of ['acme', 'globex', 'acme-evil']) keys[ws] = await createWorkspace(ws);
  acme = await onboardCustomer(api.stack.control, 'acme-keyless-bound', 'acme-launcher', 'acme');
  await allowImpersonation(api.stack.control, acme, 'acme');
});
afterAll(() => api.close());

describe('keyless credentials are bound to one workspace by the launcher account', () => {
  it("another workspace cannot register acme's launcher account: 400 naming serviceAccountEmail", async () => {
    const stolen = await registerKeyless('globex', 'borrowed', acme);
    expect(stolen.status, stolen.text).toBe(400);
    expect(stolen.body.error.status).toBe('INVALID_ARGUMENT');
    expect(stolen.body.error.details.map((d: { field: string }) => d.field)).toEqual(['serviceAccountEmail']);
    // It tells globex what its own account would need, and nothing about acme's account.
    expect(stolen.body.error.message).toContain('pushrun-workspace:globex');
    expect(stolen.text).not.toContain('pushrun-workspace:acme');
    expect(stolen.text).not.toContain('run.jobs');
    expect(
      (await call('GET', '/v1/workspaces/globex/credentials/borrowed', { key: keys.globex })).status,
    ).toBe(404);
  });

  it('the workspace the description names registers it, and verify passes', async () => {
    const cred = await registerKeyless('acme', 'keyless', acme);
    expect(cred.status, cred.text).toBe(201);
    const verify = await call('POST', '/v1/workspaces/acme/credentials/keyless/verify', {
      key: keys.acme,
      body: {},
    });
    expect(verify.status, verify.text).toBe(200);
    expect(verify.body.ok).toBe(true);
  });

  it('the name must be a whole word: pushrun-workspace:acme-evil does not bind acme', async () => {
    const evil = await onboardCustomer(api.stack.control, 'acme-evil-proj', 'evil-launcher');
    await allowImpersonation(api.stack.control, evil, 'acme-evil');
    const refused = await registerKeyless('acme', 'evil', evil);
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.error.details[0].field).toBe('serviceAccountEmail');
    // …while the workspace it does name may use it.
    expect((await registerKeyless('acme-evil', 'mine', evil)).status).toBe(201);
  });

  it('a description changed later makes verify refuse the credential; restoring it passes again', async () => {
    const control = api.stack.control;
    await control.setServiceAccountDescription(
      acme.projectId,
      acme.launcherEmail,
      'pushrun-workspace:globex',
    );
    const path = '/v1/workspaces/acme/credentials/keyless/verify';
    const refused = await call('POST', path, { key: keys.acme, body: {} });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.error.details[0].field).toBe('serviceAccountEmail');
    expect(refused.body.error.message).toContain('pushrun-workspace:acme');
    await control.setServiceAccountDescription(
      acme.projectId,
      acme.launcherEmail,
      launcherDescription('acme'),
    );
    const ok = await call('POST', path, { key: keys.acme, body: {} });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.ok).toBe(true);
  });

  it('a launcher that may not read itself is refused with what to grant', async () => {
    const unread = await onboardCustomer(api.stack.control, 'acme-unreadable', 'unread-launcher', 'acme');
    // Token creator only, as onboarding did before the binding: the description cannot be read.
    await api.stack.control.grant(
      unread.projectId,
      `serviceAccount:pushrun-platform@${PLATFORM_PROJECT}.iam.gserviceaccount.com`,
      { role: 'roles/iam.serviceAccountTokenCreator' },
      unread.launcherEmail,
    );
    const refused = await registerKeyless('acme', 'unreadable', unread);
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.error.details[0].field).toBe('serviceAccountEmail');
    expect(refused.body.error.message).toContain('iam.serviceAccounts.get');
  });
});
