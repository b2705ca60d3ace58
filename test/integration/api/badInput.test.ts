import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiUnderTest, client, startApi } from '../../support/apiServer.js';
import { dumpFirestore } from '../../support/firestoreDump.js';
import { type Fixture, fillPath, populate, routeTable } from './fixture.js';

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let f: Fixture;

beforeAll(async () => {
  api = await startApi();
  call = client(api.url);
  f = await populate(api, call, 'acme');
});
afterAll(() => api.close());

/** A valid body for every route that takes one; a test checks none is missing. */
const VALID: Record<string, Record<string, unknown>> = {
  'POST /v1/workspaces': { name: 'newws', ownerEmail: 'a@b.test' },
  'PATCH /v1/workspaces/:ws': { settings: { logsEnabled: true } },
  'POST /v1/workspaces/:ws/members': { email: 'n@x.test', role: 'viewer' },
  'POST /v1/workspaces/:ws/service-accounts': { name: 'bot2', role: 'viewer' },
  'POST /v1/workspaces/:ws/service-accounts/:sa/keys': { description: 'k' },
  'POST /v1/workspaces/:ws/work-pools': { name: 'p2', kind: 'hybrid' },
  'PATCH /v1/workspaces/:ws/work-pools/:pool': { paused: false },
  'POST /v1/workspaces/:ws/deployments': { name: 'd2', workPool: 'pool-a' },
  'PATCH /v1/workspaces/:ws/deployments/:deployment': { priority: 1 },
  'POST /v1/workspaces/:ws/deployments/:deployment/runs': { parameters: { n: 1 } },
  'POST /v1/workspaces/:ws/runs/:run/state': { type: 'RUNNING' },
  'POST /v1/workspaces/:ws/runs/:run/logs': { logs: [{ message: 'x' }] },
  'POST /v1/workspaces/:ws/runs/:run/task-runs': { name: 't', state: 'RUNNING' },
  'POST /v1/workspaces/:ws/roles': { name: 'r2', permissions: ['run:read'] },
  'PATCH /v1/workspaces/:ws/roles/:role': { description: 'x' },
  'POST /v1/workspaces/:ws/teams': { name: 't2' },
  'PATCH /v1/workspaces/:ws/teams/:team': { name: 'renamed' },
  'POST /v1/workspaces/:ws/teams/:team/members': { add: [] },
  'PATCH /v1/workspaces/:ws/members/:member': { name: 'N' },
  'PATCH /v1/workspaces/:ws/service-accounts/:sa': { description: 'd' },
  'POST /v1/workspaces/:ws/service-accounts/:sa/keys/:key:rotate': { overlapSeconds: 60 },
  'POST /v1/auth/session': { idToken: 'x'.repeat(40), workspace: 'acme' },
  'PATCH /v1/workspaces/:ws/credentials/:credential': { description: 'd' },
  'POST /v1/workspaces/:ws/secrets': { name: 's1', value: 'v' },
  'PATCH /v1/workspaces/:ws/secrets/:secret': { description: 'd' },
  'POST /v1/workspaces/:ws/credentials': {
    name: 'c1',
    kind: 'impersonation',
    projectId: 'customer-proj',
    serviceAccountEmail: 'launcher@customer-proj.iam.gserviceaccount.com',
  },
};

const bodyRoutes = routeTable().filter((r) => r.request !== undefined);
const cases = bodyRoutes.map((r) => {
  const id = `${r.method} ${r.path}`;
  return [id, r.method, r.path, VALID[id] as Record<string, unknown>] as const;
});

function wrongType(v: unknown): unknown {
  return typeof v === 'string' ? 12345 : 'not-the-right-type';
}

function keyFor(path: string): string {
  return path === '/v1/workspaces' ? api.adminKey : f.ownerKey;
}

/** Documents other than audit events: a refused request is audited, and that is all it may write. */
async function docCount(): Promise<number> {
  return (await dumpFirestore(api.projectId)).filter((d) => !d.name.includes('/auditEvents/')).length;
}

describe('bad input never writes and always names the field', () => {
  it('every route with a body has a valid sample here', () => {
    for (const [id, , , sample] of cases) expect(sample, id).toBeDefined();
  });

  it.each(cases)('%s: malformed JSON → 400', async (_id, method, path) => {
    const before = await docCount();
    const r = await call(method, fillPath(path, f), { key: keyFor(path), raw: '{"a": [1, 2' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(r.body.error.details[0].field).toBe('(body)');
    expect(await docCount()).toBe(before);
  });

  it.each(cases)('%s: an unknown field → 400 naming it', async (_id, method, path, sample) => {
    const before = await docCount();
    const r = await call(method, fillPath(path, f), {
      key: keyFor(path),
      body: { ...sample, surpriseField: true },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { field: string }) => d.field)).toContain('surpriseField');
    expect(await docCount()).toBe(before);
  });

  it.each(cases)('%s: a field of the wrong type → 400 naming it', async (_id, method, path, sample) => {
    const [field, value] = Object.entries(sample)[0] as [string, unknown];
    const before = await docCount();
    const r = await call(method, fillPath(path, f), {
      key: keyFor(path),
      body: { ...sample, [field]: wrongType(value) },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.some((d: { field: string }) => d.field.startsWith(field))).toBe(true);
    expect(await docCount()).toBe(before);
  });

  it.each(cases)('%s: a body that is not an object → 400', async (_id, method, path) => {
    const r = await call(method, fillPath(path, f), { key: keyFor(path), raw: '[1,2,3]' });
    expect(r.status).toBe(400);
  });

  it.each(cases)('%s: a body over 1 MiB → 413', async (_id, method, path, sample) => {
    const before = await docCount();
    const r = await call(method, fillPath(path, f), {
      key: keyFor(path),
      body: { ...sample, padding: 'x'.repeat(1_100_000) },
    });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe(413);
    expect(await docCount()).toBe(before);
  });

  it('bad query parameters are 400 naming the parameter', async () => {
    const r = await call('GET', `/v1/workspaces/acme/runs?page_size=0&state=SLEEPING`, { key: f.ownerKey });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'page_size',
      'state',
    ]);
  });

  it('an invalid slug is named', async () => {
    const r = await call('POST', '/v1/workspaces/acme/work-pools', {
      key: f.ownerKey,
      body: { name: 'Bad_Name', kind: 'hybrid' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0]).toMatchObject({ field: 'name' });
  });

  it('an oversized Idempotency-Key is named', async () => {
    const r = await call('POST', '/v1/workspaces/acme/deployments/etl/runs', {
      key: f.ownerKey,
      body: { parameters: { n: 1 } },
      headers: { 'idempotency-key': 'k'.repeat(300) },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].field).toBe('Idempotency-Key');
  });
});
