import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE, SILENT, waitFor } from '../../scripts/customerProject.js';
import { CloudKmsKeyService } from '../../shared/adapters/gcp/cloudKmsKeyService.js';
import { createKmsClient } from '../../shared/adapters/gcp/kmsClient.js';
import { SealedSecret } from '../../shared/contracts/sealedSecret.js';
import { openSecret } from '../../shared/domain/envelope.js';
import { type ApiUnderTest, client, startApi } from '../support/apiServer.js';
import { type CloudRunWorkspace, setUpCloudRunWorkspace } from '../support/cloudRunWorkspace.js';
import { dumpFirestore } from '../support/firestoreDump.js';

/**
 * Deleting a workspace is crypto-shredding plus deletion: its KMS key versions
 * are destroyed (a sealed credential copied out beforehand no longer opens),
 * every document under it is gone, its keys stop working, and it is refused
 * while runs are in flight or without naming the workspace.
 */
let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let w: CloudRunWorkspace;

beforeAll(async () => {
  api = await startApi();
  call = client(api.url);
  w = await setUpCloudRunWorkspace(api, call, { ws: 'doomed' });
  await call('POST', `${w.base}/secrets`, { key: w.ownerKey, body: { name: 'dsn', value: 'postgres://x' } });
  await call('POST', `${w.base}/deployments`, {
    key: w.ownerKey,
    body: { name: 'sleeper', workPool: 'cr', image: 'x/s:1', command: [NODE], args: [SILENT, '0', '60000'] },
  });
  await call('POST', `${w.base}/service-accounts`, {
    key: w.ownerKey,
    body: { name: 'admin-bot', role: 'admin' },
  });
});
afterAll(() => api.close());

describe('deleting a workspace', () => {
  it('is for owners only, needs the name confirmed, and waits for runs in flight', async () => {
    const adminKey = (
      await call('POST', `${w.base}/service-accounts/admin-bot/keys`, { key: w.ownerKey, body: {} })
    ).body.key;
    expect((await call('DELETE', `${w.base}?confirm=doomed`, { key: adminKey })).status).toBe(403);
    const unconfirmed = await call('DELETE', w.base, { key: w.ownerKey });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.error.details[0].field).toBe('confirm');

    const run = (await call('POST', `${w.base}/deployments/sleeper/runs`, { key: w.ownerKey, body: {} }))
      .body;
    await waitFor('the run to be launched', async () => {
      const r = await call('GET', `${w.base}/runs/${run.id}`, { key: w.ownerKey });
      return ['PENDING', 'RUNNING'].includes(r.body.state.type) ? true : undefined;
    });
    const busy = await call('DELETE', `${w.base}?confirm=doomed`, { key: w.ownerKey });
    expect(busy.status).toBe(400);
    expect(busy.body.error.message).toContain('in flight');
    await call('POST', `${w.base}/runs/${run.id}/cancel`, { key: w.ownerKey });
    await waitFor('the cancellation', async () => {
      const r = await call('GET', `${w.base}/runs/${run.id}`, { key: w.ownerKey });
      return r.body.state.type === 'CANCELLED' ? true : undefined;
    });
  }, 60_000);

  it('destroys the key material first, then every document; old keys and copied ciphertext are useless', async () => {
    const before = await dumpFirestore(api.projectId);
    const credentialDoc = before.find((d) => d.name.endsWith('/workspaces/doomed/credentials/gcp'));
    expect(credentialDoc).toBeDefined();
    const fields = JSON.parse(credentialDoc?.json as string).fields.sealed.mapValue.fields as Record<
      string,
      { stringValue?: string; integerValue?: string }
    >;
    const sealed = SealedSecret.parse(
      Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [
          k,
          v.integerValue === undefined ? v.stringValue : Number(v.integerValue),
        ]),
      ),
    );
    const keys = new CloudKmsKeyService({
      client: await createKmsClient({ endpoint: api.env.PUSHRUN_KMS_ENDPOINT }),
      projectId: api.projectId,
      location: 'global',
      keyRing: 'pushrun-workspaces',
    });
    // The copy opens while the workspace exists…
    expect((await openSecret(keys, 'doomed', 'credential/gcp', sealed)).length).toBeGreaterThan(100);

    const deleted = await call('DELETE', `${w.base}?confirm=doomed`, { key: w.ownerKey });
    expect(deleted.status, deleted.text).toBe(204);

    // …and not after: the key versions are destroyed.
    await expect(openSecret(keys, 'doomed', 'credential/gcp', sealed)).rejects.toThrow();
    const after = await dumpFirestore(api.projectId);
    expect(after.filter((d) => d.name.includes('/workspaces/doomed'))).toEqual([]);
    expect((await call('GET', w.base, { key: w.ownerKey })).status).toBe(401);
  }, 60_000);
});
