import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiUnderTest, client, startApi } from '../../support/apiServer.js';
import { type Fixture, populate } from '../api/fixture.js';
import { saKey } from './support.js';

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let f: Fixture;
const ws = '/v1/workspaces/acme';
let devKey: string;
let adminKey: string;
let teamId: string;
let runId: string;

const names = (r: { body: { items: { name?: string; id?: string }[] } }) =>
  r.body.items.map((i) => i.name ?? i.id);

beforeAll(async () => {
  api = await startApi();
  call = client(api.url);
  f = await populate(api, call, 'acme');
  devKey = await saKey(call, 'acme', f.ownerKey, 'dev-bot', 'developer');
  adminKey = await saKey(call, 'acme', f.ownerKey, 'admin-bot', 'admin');
  const team = await call('POST', `${ws}/teams`, { key: f.ownerKey, body: { name: 'data' } });
  teamId = team.body.id;
  expect(
    (
      await call('POST', `${ws}/work-pools`, {
        key: f.ownerKey,
        body: { name: 'secret-pool', kind: 'hybrid', access: [{ team: teamId, level: 'run' }] },
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await call('POST', `${ws}/deployments`, {
        key: f.ownerKey,
        body: { name: 'hidden', workPool: 'secret-pool' },
      })
    ).status,
  ).toBe(201);
  const run = await call('POST', `${ws}/deployments/hidden/runs`, { key: f.ownerKey, body: {} });
  expect(run.status).toBe(201);
  runId = run.body.id;
});
afterAll(() => api.close());

describe('object access lists', () => {
  it('a restricted pool, its deployments and their runs are invisible (404) and filtered from lists', async () => {
    expect((await call('GET', `${ws}/work-pools/secret-pool`, { key: devKey })).status).toBe(404);
    expect((await call('GET', `${ws}/deployments/hidden`, { key: devKey })).status).toBe(404);
    expect((await call('GET', `${ws}/runs/${runId}`, { key: devKey })).status).toBe(404);
    expect((await call('GET', `${ws}/runs/${runId}/logs`, { key: devKey })).status).toBe(404);
    expect((await call('POST', `${ws}/deployments/hidden/runs`, { key: devKey, body: {} })).status).toBe(404);
    expect(names(await call('GET', `${ws}/work-pools`, { key: devKey }))).toEqual(['pool-a']);
    expect(names(await call('GET', `${ws}/deployments`, { key: devKey }))).toEqual(['etl']);
    const runs = await call('GET', `${ws}/runs`, { key: devKey });
    expect(runs.body.items.map((r: { id: string }) => r.id)).not.toContain(runId);
    // Nor may one place a deployment in a pool one cannot see: it looks like a missing pool.
    const place = await call('POST', `${ws}/deployments`, {
      key: devKey,
      body: { name: 'sneak', workPool: 'secret-pool' },
    });
    expect(place.status).toBe(400);
  });

  it('owners and admins see everything', async () => {
    for (const key of [f.ownerKey, adminKey]) {
      expect((await call('GET', `${ws}/deployments/hidden`, { key })).status).toBe(200);
      expect(names(await call('GET', `${ws}/work-pools`, { key }))).toContain('secret-pool');
    }
  });

  it('joining the listed team grants access at once, leaving it revokes it at once', async () => {
    const add = await call('POST', `${ws}/teams/${teamId}/members`, {
      key: f.ownerKey,
      body: { add: ['service_account:dev-bot'] },
    });
    expect(add.status).toBe(200);
    expect((await call('GET', `${ws}/deployments/hidden`, { key: devKey })).status).toBe(200);
    expect((await call('GET', `${ws}/runs/${runId}`, { key: devKey })).status).toBe(200);
    const run = await call('POST', `${ws}/deployments/hidden/runs`, { key: devKey, body: {} });
    expect(run.status).toBe(201);
    // run on the pool is enough to manage deployments in it.
    expect(
      (await call('PATCH', `${ws}/deployments/hidden`, { key: devKey, body: { priority: 3 } })).status,
    ).toBe(200);
    // but not to manage the pool itself.
    expect(
      (await call('PATCH', `${ws}/work-pools/secret-pool`, { key: devKey, body: { paused: true } })).status,
    ).toBe(403);
    await call('POST', `${ws}/teams/${teamId}/members`, {
      key: f.ownerKey,
      body: { remove: ['service_account:dev-bot'] },
    });
    expect((await call('GET', `${ws}/deployments/hidden`, { key: devKey })).status).toBe(404);
  });

  it('a view entry shows a deployment but refuses runs (403, not 404)', async () => {
    const set = await call('PATCH', `${ws}/deployments/etl`, {
      key: f.ownerKey,
      body: { access: [{ principal: 'service_account:dev-bot', level: 'view' }] },
    });
    expect(set.status).toBe(200);
    expect((await call('GET', `${ws}/deployments/etl`, { key: devKey })).status).toBe(200);
    const r = await call('POST', `${ws}/deployments/etl/runs`, {
      key: devKey,
      body: { parameters: { n: 1 } },
    });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toMatch(/run/);
    // The run of the fixture (etl) stays visible to a viewer of the deployment.
    expect((await call('GET', `${ws}/runs/${f.runId}`, { key: devKey })).status).toBe(200);
    expect((await call('POST', `${ws}/runs/${f.runId}/cancel`, { key: devKey, body: {} })).status).toBe(403);
    // Clearing the list restores the role's access.
    await call('PATCH', `${ws}/deployments/etl`, { key: f.ownerKey, body: { access: null } });
    expect(
      (await call('POST', `${ws}/deployments/etl/runs`, { key: devKey, body: { parameters: { n: 1 } } }))
        .status,
    ).toBe(201);
  });
});

describe('teams', () => {
  it('a team role adds to its members’ permissions, and stops the moment the team is gone', async () => {
    const viewer = await saKey(call, 'acme', f.ownerKey, 'viewer-2', 'viewer');
    const body = { name: 'd2', workPool: 'pool-a' };
    expect((await call('POST', `${ws}/deployments`, { key: viewer, body })).status).toBe(403);
    const team = await call('POST', `${ws}/teams`, {
      key: f.ownerKey,
      body: { name: 'deployers', roles: ['deployer'], members: ['service_account:viewer-2'] },
    });
    expect(team.status).toBe(201);
    expect((await call('POST', `${ws}/deployments`, { key: viewer, body })).status).toBe(201);
    const renamed = await call('PATCH', `${ws}/teams/${team.body.id}`, {
      key: f.ownerKey,
      body: { name: 'shippers' },
    });
    expect(renamed.body.name).toBe('shippers');
    expect((await call('DELETE', `${ws}/teams/${team.body.id}`, { key: f.ownerKey })).status).toBe(204);
    expect(
      (await call('POST', `${ws}/deployments`, { key: viewer, body: { ...body, name: 'd3' } })).status,
    ).toBe(403);
  });

  it('team names are unique and members must exist', async () => {
    expect((await call('POST', `${ws}/teams`, { key: f.ownerKey, body: { name: 'data' } })).status).toBe(409);
    const r = await call('POST', `${ws}/teams`, {
      key: f.ownerKey,
      body: { name: 'ghosts', members: ['member:doesnotexist'] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].field).toBe('members.0');
  });
});

describe('service account key rotation', () => {
  it('both keys work during the overlap; the old one stops after it', async () => {
    const old = await call('POST', `${ws}/service-accounts/dev-bot/keys`, { key: f.ownerKey, body: {} });
    const rot = await call('POST', `${ws}/service-accounts/dev-bot/keys/${old.body.id}:rotate`, {
      key: f.ownerKey,
      body: { overlapSeconds: 2 },
    });
    expect(rot.status).toBe(201);
    expect(rot.body.newKey.key).toMatch(/^prk_acme_/);
    expect(Date.parse(rot.body.oldKeyExpiresAt) - Date.now()).toBeLessThanOrEqual(2000);
    expect((await call('GET', ws, { key: old.body.key })).status).toBe(200);
    expect((await call('GET', ws, { key: rot.body.newKey.key })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await call('GET', ws, { key: old.body.key })).status).toBe(401);
    expect((await call('GET', ws, { key: rot.body.newKey.key })).status).toBe(200);
    // A spent key cannot be rotated again.
    const again = await call('POST', `${ws}/service-accounts/dev-bot/keys/${old.body.id}:rotate`, {
      key: f.ownerKey,
      body: { overlapSeconds: 0 },
    });
    expect(again.status).toBe(400);
  });

  it('overlap 0 retires the old key at once; revocation is immediate too', async () => {
    const old = await call('POST', `${ws}/service-accounts/dev-bot/keys`, { key: f.ownerKey, body: {} });
    const rot = await call('POST', `${ws}/service-accounts/dev-bot/keys/${old.body.id}:rotate`, {
      key: f.ownerKey,
      body: { overlapSeconds: 0 },
    });
    expect((await call('GET', ws, { key: old.body.key })).status).toBe(401);
    await call('DELETE', `${ws}/service-accounts/dev-bot/keys/${rot.body.newKey.id}`, { key: f.ownerKey });
    expect((await call('GET', ws, { key: rot.body.newKey.key })).status).toBe(401);
  });
});
