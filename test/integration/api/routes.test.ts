import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiUnderTest, client, startApi } from '../../support/apiServer.js';
import { type Fixture, populate } from './fixture.js';

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let f: Fixture;
const transcript: string[] = [];

beforeAll(async () => {
  api = await startApi();
  call = client(api.url, transcript);
  f = await populate(api, call, 'acme');
});
afterAll(() => api.close());

const ws = '/v1/workspaces/acme';

describe('workspaces', () => {
  it('only the platform admin may create a workspace', async () => {
    const r = await call('POST', '/v1/workspaces', {
      key: f.ownerKey,
      body: { name: 'other', ownerEmail: 'a@b.test' },
    });
    expect(r.status).toBe(403);
    expect(r.body.error.status).toBe('PERMISSION_DENIED');
  });

  it('a duplicate workspace name is a 409 and leaves the first intact', async () => {
    const r = await call('POST', '/v1/workspaces', {
      key: api.adminKey,
      body: { name: 'acme', ownerEmail: 'x@y.test' },
    });
    expect(r.status).toBe(409);
    expect((await call('GET', ws, { key: f.ownerKey })).status).toBe(200);
  });

  it('settings can turn logs off and on', async () => {
    const r = await call('PATCH', ws, { key: f.ownerKey, body: { settings: { logsEnabled: false } } });
    expect(r.status).toBe(200);
    expect(r.body.settings.logsEnabled).toBe(false);
    const back = await call('PATCH', ws, { key: f.ownerKey, body: { settings: { logsEnabled: true } } });
    expect(back.body.settings.logsEnabled).toBe(true);
  });

  it('no credentials is 401, an unknown key is 401', async () => {
    expect((await call('GET', ws)).status).toBe(401);
    const forged = `prk_acme_${'a'.repeat(12)}_${'0'.repeat(40)}`;
    expect((await call('GET', ws, { key: forged })).status).toBe(401);
  });
});

describe('members and service accounts', () => {
  it('lists members without secrets', async () => {
    const r = await call('GET', `${ws}/members`, { key: f.ownerKey });
    expect(r.status).toBe(200);
    expect(r.body.items.map((m: { email: string }) => m.email).sort()).toEqual([
      'dev@acme.test',
      'owner@acme.test',
    ]);
  });

  it('a second member with the same email is refused', async () => {
    const r = await call('POST', `${ws}/members`, {
      key: f.ownerKey,
      body: { email: 'DEV@acme.test', role: 'viewer' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].field).toBe('email');
  });

  it('the last owner cannot be removed', async () => {
    const members = await call('GET', `${ws}/members`, { key: f.ownerKey });
    const owner = members.body.items.find((m: { role: string }) => m.role === 'owner');
    const r = await call('DELETE', `${ws}/members/${owner.id}`, { key: f.ownerKey });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/last owner/);
  });

  it('a service account key is shown once, listed as metadata, and revocation takes effect at once', async () => {
    await call('POST', `${ws}/service-accounts`, {
      key: f.ownerKey,
      body: { name: 'ci-bot', role: 'runner' },
    });
    const k = await call('POST', `${ws}/service-accounts/ci-bot/keys`, {
      key: f.ownerKey,
      body: { description: 'ci', expiresInSeconds: 3600 },
    });
    expect(k.status).toBe(201);
    expect(k.body.key).toMatch(/^prk_acme_/);
    expect(k.body.expiresAt).toBeDefined();
    const list = await call('GET', `${ws}/service-accounts/ci-bot/keys`, { key: f.ownerKey });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].key).toBeUndefined();
    expect(list.body.items[0].hash).toBeUndefined();
    expect((await call('GET', `${ws}/runs`, { key: k.body.key })).status).toBe(200);
    const revoked = await call('DELETE', `${ws}/service-accounts/ci-bot/keys/${k.body.id}`, {
      key: f.ownerKey,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeDefined();
    expect((await call('GET', `${ws}/runs`, { key: k.body.key })).status).toBe(401);
  });

  it('deleting a service account revokes its keys', async () => {
    await call('POST', `${ws}/service-accounts`, {
      key: f.ownerKey,
      body: { name: 'tmp-bot', role: 'viewer' },
    });
    const k = await call('POST', `${ws}/service-accounts/tmp-bot/keys`, { key: f.ownerKey, body: {} });
    expect((await call('GET', ws, { key: k.body.key })).status).toBe(200);
    expect((await call('DELETE', `${ws}/service-accounts/tmp-bot`, { key: f.ownerKey })).status).toBe(204);
    expect((await call('GET', ws, { key: k.body.key })).status).toBe(401);
  });

  it('a non-owner cannot create an owner service account', async () => {
    await call('POST', `${ws}/service-accounts`, {
      key: f.ownerKey,
      body: { name: 'admin-bot', role: 'admin' },
    });
    const k = await call('POST', `${ws}/service-accounts/admin-bot/keys`, { key: f.ownerKey, body: {} });
    const r = await call('POST', `${ws}/service-accounts`, {
      key: k.body.key,
      body: { name: 'sneaky', role: 'owner' },
    });
    expect(r.status).toBe(403);
  });
});

describe('work pools and deployments', () => {
  it('a cloud-run pool must name an existing credential', async () => {
    const c = await call('POST', `${ws}/work-pools`, {
      key: f.ownerKey,
      body: {
        name: 'cr-nocred',
        kind: 'cloud-run',
        credential: 'gcp',
        projectId: 'customer-proj',
        region: 'europe-west1',
        baseJobTemplate: { serviceAccount: 'runner@customer-proj.iam.gserviceaccount.com' },
      },
    });
    expect(c.status).toBe(400);
    expect(c.body.error.details[0].field).toBe('credential');
  });

  it('creates, reads, updates and lists work pools', async () => {
    const c = await call('POST', `${ws}/work-pools`, {
      key: f.ownerKey,
      body: {
        name: 'cr',
        kind: 'managed',
        baseJobTemplate: {
          cpu: '1',
          memory: '512Mi',
          serviceAccount: 'runner@customer-proj.iam.gserviceaccount.com',
        },
      },
    });
    expect(c.status).toBe(201);
    expect(c.body.concurrencyLimit).toBeNull();
    const u = await call('PATCH', `${ws}/work-pools/cr`, {
      key: f.ownerKey,
      body: { concurrencyLimit: 3, paused: true },
    });
    expect(u.body).toMatchObject({ concurrencyLimit: 3, paused: true, baseJobTemplate: { cpu: '1' } });
    const l = await call('GET', `${ws}/work-pools?page_size=1`, { key: f.ownerKey });
    expect(l.body.items).toHaveLength(1);
    expect(l.body.nextPageToken).toBeDefined();
    const l2 = await call('GET', `${ws}/work-pools?page_size=1&page_token=${l.body.nextPageToken}`, {
      key: f.ownerKey,
    });
    expect(l2.body.items[0].name).not.toBe(l.body.items[0].name);
  });

  it('a cloud-run pool without credential, project, region and runtime account is refused naming each', async () => {
    const r = await call('POST', `${ws}/work-pools`, {
      key: f.ownerKey,
      body: { name: 'cr2', kind: 'cloud-run' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'baseJobTemplate.serviceAccount',
      'credential',
      'projectId',
      'region',
    ]);
  });

  it('a pool in use cannot be deleted; an unused one can', async () => {
    expect((await call('DELETE', `${ws}/work-pools/pool-a`, { key: f.ownerKey })).status).toBe(400);
    expect((await call('DELETE', `${ws}/work-pools/cr`, { key: f.ownerKey })).status).toBe(204);
    expect((await call('GET', `${ws}/work-pools/cr`, { key: f.ownerKey })).status).toBe(404);
  });

  it('a deployment needs an existing pool and a valid schema whose defaults match', async () => {
    const noPool = await call('POST', `${ws}/deployments`, {
      key: f.ownerKey,
      body: { name: 'd1', workPool: 'nope' },
    });
    expect(noPool.status).toBe(400);
    expect(noPool.body.error.details[0].field).toBe('workPool');
    const badSchema = await call('POST', `${ws}/deployments`, {
      key: f.ownerKey,
      body: {
        name: 'd2',
        workPool: 'pool-a',
        parameterSchema: { type: 'object', properties: { a: { type: 'nonsense' } } },
      },
    });
    expect(badSchema.status).toBe(400);
    expect(badSchema.body.error.details[0].field).toBe('parameterSchema');
    const badDefault = await call('POST', `${ws}/deployments`, {
      key: f.ownerKey,
      body: {
        name: 'd3',
        workPool: 'pool-a',
        parameterSchema: { type: 'object', properties: { a: { type: 'integer' } } },
        parameters: { a: 'text' },
      },
    });
    expect(badDefault.status).toBe(400);
    expect(badDefault.body.error.details[0].field).toBe('parameters.a');
  });

  it('updates a deployment and keeps defaults', async () => {
    const u = await call('PATCH', `${ws}/deployments/etl`, {
      key: f.ownerKey,
      body: { tags: ['nightly'], priority: 5 },
    });
    expect(u.status).toBe(200);
    expect(u.body).toMatchObject({
      tags: ['nightly'],
      priority: 5,
      collisionStrategy: 'enqueue',
      retryPolicy: { maxRetries: 0 },
    });
  });
});

describe('runs', () => {
  it('validates parameters against the schema and merges defaults', async () => {
    const ok = await call('POST', `${ws}/deployments/etl/runs`, {
      key: f.ownerKey,
      body: { parameters: { n: 7 } },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.parameters).toEqual({ n: 7, label: 'x' });
    expect(ok.body.state).toMatchObject({ type: 'SCHEDULED', name: 'Scheduled' });
    const bad = await call('POST', `${ws}/deployments/etl/runs`, {
      key: f.ownerKey,
      body: { parameters: { n: -1, zz: 1 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'parameters.n',
      'parameters.zz',
    ]);
  });

  it('an Idempotency-Key returns the first run with 200, also under concurrency', async () => {
    const send = () =>
      call('POST', `${ws}/deployments/etl/runs`, {
        key: f.ownerKey,
        body: { parameters: { n: 2 } },
        headers: { 'idempotency-key': 'order-42' },
      });
    const results = await Promise.all([send(), send(), send()]);
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect((await send()).status).toBe(200);
  });

  it('lists runs newest first with filters and pages', async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      made.push(
        (
          await call('POST', `${ws}/deployments/etl/runs`, {
            key: f.ownerKey,
            body: { parameters: { n: i } },
          })
        ).body.id,
      );
    }
    const p1 = await call('GET', `${ws}/runs?deployment=etl&state=SCHEDULED&page_size=2`, {
      key: f.ownerKey,
    });
    expect(p1.status).toBe(200);
    expect(p1.body.items.map((r: { id: string }) => r.id)).toEqual([made[2], made[1]]);
    const p2 = await call(
      'GET',
      `${ws}/runs?deployment=etl&state=SCHEDULED&page_size=2&page_token=${p1.body.nextPageToken}`,
      {
        key: f.ownerKey,
      },
    );
    expect(p2.body.items[0].id).toBe(made[0]);
    const none = await call('GET', `${ws}/runs?state=COMPLETED`, { key: f.ownerKey });
    expect(none.body.items).toEqual([]);
    const badToken = await call('GET', `${ws}/runs?page_token=zzz`, { key: f.ownerKey });
    expect(badToken.status).toBe(400);
    expect(badToken.body.error.details[0].field).toBe('page_token');
  });

  it('state proposals go through orchestration and the history is kept', async () => {
    const run = (
      await call('POST', `${ws}/deployments/etl/runs`, { key: f.ownerKey, body: { parameters: { n: 1 } } })
    ).body;
    const path = `${ws}/runs/${run.id}/state`;
    const p = await call('POST', path, { key: f.ownerKey, body: { type: 'PENDING', transitionId: 't1' } });
    expect(p.body).toMatchObject({ status: 'ACCEPT', applied: true, state: { type: 'PENDING' } });
    const again = await call('POST', path, {
      key: f.ownerKey,
      body: { type: 'PENDING', transitionId: 't1' },
    });
    expect(again.body).toMatchObject({ status: 'ACCEPT', applied: false });
    const second = await call('POST', path, { key: f.ownerKey, body: { type: 'PENDING' } });
    expect(second.body).toMatchObject({ status: 'REJECT', state: { type: 'PENDING' } });
    await call('POST', path, { key: f.ownerKey, body: { type: 'RUNNING' } });
    const done = await call('POST', path, { key: f.ownerKey, body: { type: 'COMPLETED' } });
    expect(done.body.status).toBe('ACCEPT');
    const after = await call('POST', path, { key: f.ownerKey, body: { type: 'RUNNING' } });
    expect(after.body.status).toBe('REJECT');
    const states = await call('GET', `${ws}/runs/${run.id}/states`, { key: f.ownerKey });
    expect(states.body.items.map((s: { type: string }) => s.type)).toEqual([
      'SCHEDULED',
      'PENDING',
      'RUNNING',
      'COMPLETED',
    ]);
    const got = await call('GET', `${ws}/runs/${run.id}`, { key: f.ownerKey });
    expect(got.body.startTime).toBeDefined();
    expect(got.body.endTime).toBeDefined();
  });

  it('RUNNING before the scheduled time answers WAIT', async () => {
    const later = new Date(Date.now() + 3600_000).toISOString();
    const run = (
      await call('POST', `${ws}/deployments/etl/runs`, {
        key: f.ownerKey,
        body: { parameters: { n: 1 }, scheduledTime: later },
      })
    ).body;
    const r = await call('POST', `${ws}/runs/${run.id}/state`, {
      key: f.ownerKey,
      body: { type: 'RUNNING' },
    });
    expect(r.body.status).toBe('WAIT');
    expect(r.body.retryAfterSeconds).toBeGreaterThan(3500);
  });

  it('cancelling a SCHEDULED run makes it CANCELLED at once; a finished run cannot be cancelled', async () => {
    const run = (
      await call('POST', `${ws}/deployments/etl/runs`, { key: f.ownerKey, body: { parameters: { n: 1 } } })
    ).body;
    const c = await call('POST', `${ws}/runs/${run.id}/cancel`, { key: f.runnerKey });
    expect(c.status).toBe(200);
    expect(c.body.state.type).toBe('CANCELLED');
    const again = await call('POST', `${ws}/runs/${run.id}/cancel`, { key: f.runnerKey });
    expect(again.status).toBe(400);
  });

  it('cancelling a RUNNING run makes it CANCELLING', async () => {
    const run = (
      await call('POST', `${ws}/deployments/etl/runs`, { key: f.ownerKey, body: { parameters: { n: 1 } } })
    ).body;
    await call('POST', `${ws}/runs/${run.id}/state`, { key: f.ownerKey, body: { type: 'PENDING' } });
    await call('POST', `${ws}/runs/${run.id}/state`, { key: f.ownerKey, body: { type: 'RUNNING' } });
    const c = await call('POST', `${ws}/runs/${run.id}/cancel`, { key: f.ownerKey });
    expect(c.body.state.type).toBe('CANCELLING');
  });
});

describe('logs and task runs', () => {
  it('stores logs in batches and pages through them in order, filtered by level', async () => {
    const logs = Array.from({ length: 30 }, (_, i) => ({
      level: i % 3 === 0 ? 'ERROR' : 'INFO',
      message: `line ${i}`,
    }));
    const w = await call('POST', `${ws}/runs/${f.runId}/logs`, { key: f.ownerKey, body: { logs } });
    expect(w.status).toBe(201);
    expect(w.body).toEqual({ stored: 30, logsEnabled: true });
    const p1 = await call('GET', `${ws}/runs/${f.runId}/logs?page_size=20`, { key: f.ownerKey });
    const p2 = await call(
      'GET',
      `${ws}/runs/${f.runId}/logs?page_size=20&page_token=${p1.body.nextPageToken}`,
      {
        key: f.ownerKey,
      },
    );
    const messages = [...p1.body.items, ...p2.body.items].map((l: { message: string }) => l.message);
    expect(messages).toEqual(logs.map((l) => l.message));
    const errors = await call('GET', `${ws}/runs/${f.runId}/logs?level=ERROR&page_size=100`, {
      key: f.ownerKey,
    });
    expect(errors.body.items).toHaveLength(10);
  });

  it('with logs turned off nothing is stored and the response says so', async () => {
    await call('PATCH', ws, { key: f.ownerKey, body: { settings: { logsEnabled: false } } });
    const run = (
      await call('POST', `${ws}/deployments/etl/runs`, { key: f.ownerKey, body: { parameters: { n: 1 } } })
    ).body;
    const w = await call('POST', `${ws}/runs/${run.id}/logs`, {
      key: f.ownerKey,
      body: { logs: [{ message: 'secret-ish' }] },
    });
    expect(w.status).toBe(200);
    expect(w.body).toEqual({ stored: 0, logsEnabled: false });
    const r = await call('GET', `${ws}/runs/${run.id}/logs`, { key: f.ownerKey });
    expect(r.body.items).toEqual([]);
    await call('PATCH', ws, { key: f.ownerKey, body: { settings: { logsEnabled: true } } });
  });

  it('task runs keep parameter names and never their values', async () => {
    const t = await call('POST', `${ws}/runs/${f.runId}/task-runs`, {
      key: f.ownerKey,
      body: {
        id: 'extract-1',
        name: 'extract',
        state: 'RUNNING',
        parameters: { password: 'hunter2-value', rows: 10 },
      },
    });
    expect(t.status).toBe(201);
    expect(t.body.parameterNames.sort()).toEqual(['password', 'rows']);
    expect(t.text).not.toContain('hunter2-value');
    const done = await call('POST', `${ws}/runs/${f.runId}/task-runs`, {
      key: f.ownerKey,
      body: { id: 'extract-1', name: 'extract', state: 'COMPLETED', endTime: new Date().toISOString() },
    });
    expect(done.body.state).toBe('COMPLETED');
    const list = await call('GET', `${ws}/runs/${f.runId}/task-runs`, { key: f.ownerKey });
    expect(list.body.items).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain('hunter2-value');
    const raw = await fetch(
      `http://${process.env.FIRESTORE_EMULATOR_HOST}/v1/projects/${api.projectId}/databases/(default)/documents/workspaces/acme/runs/${f.runId}/taskRuns/extract-1`,
    );
    expect(await raw.text()).not.toContain('hunter2-value');
  });
});

describe('service endpoints', () => {
  it('serves the OpenAPI description generated from the contracts', async () => {
    const r = await call('GET', '/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(r.body.paths['/v1/workspaces/{ws}/deployments/{deployment}/runs'].post.requestBody).toBeDefined();
  });

  it('healthz answers without credentials; unknown routes are 404 and wrong methods 405', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/v1/nothing')).status).toBe(404);
    const m = await call('PUT', ws, { key: f.ownerKey });
    expect(m.status).toBe(405);
    expect(m.body.error.code).toBe(405);
  });

  it('no response ever carried an API key hash', () => {
    expect(transcript.length).toBeGreaterThan(20);
    for (const text of transcript) expect(text).not.toMatch(/"hash"|[0-9a-f]{64}/);
  });
});
