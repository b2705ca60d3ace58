import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS } from '../../../shared/domain/permissions.js';
import { type ApiUnderTest, client, startApi } from '../../support/apiServer.js';
import { dumpFirestore } from '../../support/firestoreDump.js';
import { type Fixture, fillPath, populate, routeTable } from './fixture.js';

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let acme: Fixture;
let globex: Fixture;
const transcript: string[] = [];

beforeAll(async () => {
  api = await startApi();
  call = client(api.url, transcript);
  acme = await populate(api, call, 'acme');
  globex = await populate(api, call, 'globex');
});
afterAll(() => api.close());

const workspaceRoutes = routeTable().filter((r) => r.access.kind === 'permission');

describe('tenant isolation', () => {
  it.each(workspaceRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: a key from another workspace gets 404',
    async (_name, route) => {
      const r = await call(route.method, fillPath(route.path, acme), { key: globex.ownerKey, body: {} });
      expect(r.status).toBe(404);
      expect(r.body.error.status).toBe('NOT_FOUND');
    },
  );

  it.each(workspaceRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: a viewer is refused exactly when the viewer role lacks the permission',
    async (_name, route) => {
      if (route.access.kind !== 'permission') return;
      const allowed = ROLE_PERMISSIONS.viewer.has(route.access.permission);
      // A refused request writes its audit event and nothing else.
      const count = async () =>
        (await dumpFirestore(api.projectId)).filter((d) => !d.name.includes('/auditEvents/')).length;
      const before = allowed ? undefined : await count();
      const r = await call(route.method, fillPath(route.path, acme), { key: acme.viewerKey, body: {} });
      if (allowed) {
        expect(r.status).not.toBe(403);
        expect(r.status).toBeLessThan(500);
      } else {
        expect(r.status).toBe(403);
        expect(r.body.error.message).toContain(route.access.permission);
        expect(await count()).toBe(before);
      }
    },
  );

  it('every write route is closed to viewers', () => {
    const writes = workspaceRoutes.filter((r) => r.method !== 'GET');
    expect(writes.length).toBeGreaterThan(10);
    for (const r of writes) {
      if (r.access.kind === 'permission')
        expect(ROLE_PERMISSIONS.viewer.has(r.access.permission)).toBe(false);
    }
  });

  it('the other workspace still sees its own objects', async () => {
    const r = await call('GET', `/v1/workspaces/globex/runs/${globex.runId}`, { key: globex.ownerKey });
    expect(r.status).toBe(200);
  });

  it('no response contained a stored key hash, and Firestore holds no API key in plaintext', async () => {
    const hashes = (await dumpFirestore(api.projectId))
      .map((d) => /"hash":\{"stringValue":"([0-9a-f]{64})"/.exec(d.json)?.[1])
      .filter((h): h is string => h !== undefined);
    expect(hashes.length).toBeGreaterThanOrEqual(6);
    for (const text of transcript) for (const h of hashes) expect(text).not.toContain(h);
    const docs = await dumpFirestore(api.projectId);
    for (const key of [acme.ownerKey, acme.viewerKey, globex.ownerKey, globex.runnerKey]) {
      for (const d of docs) expect(d.json).not.toContain(key.slice(-40));
    }
  });
});
