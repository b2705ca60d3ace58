import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunTokenSigner } from '../../../shared/domain/runTokens.js';
import { type ApiUnderTest, client, startApi } from '../../support/apiServer.js';
import { dumpFirestore } from '../../support/firestoreDump.js';
import { saKey } from '../access/support.js';
import { type Fixture, populate } from '../api/fixture.js';

/**
 * Secrets through the whole stack: CRUD, access lists, rotation, bad input,
 * deployments declaring them, and the run-token-only route that hands the
 * values to a run. Every response is kept and scanned for the values.
 */
let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let f: Fixture;
let devKey: string;
let dev2Key: string;
let tokens: RunTokenSigner;
const transcript: string[] = [];
const ws = '/v1/workspaces/acme';
// High-entropy values, so finding one anywhere cannot be a coincidence.
const value = (label: string) => `${label}-${randomBytes(24).toString('hex')}`;
const DB = value('db');
const DB_ROTATED = value('db2');
const HIDDEN = value('hidden');
const values = () => [DB, DB_ROTATED, HIDDEN];

beforeAll(async () => {
  api = await startApi();
  call = client(api.url, transcript);
  f = await populate(api, call, 'acme');
  devKey = await saKey(call, 'acme', f.ownerKey, 'dev-bot', 'developer');
  dev2Key = await saKey(call, 'acme', f.ownerKey, 'dev2-bot', 'developer');
  tokens = new RunTokenSigner(api.env.PUSHRUN_RUN_TOKEN_SECRET as string);
});
afterAll(() => api.close());

async function runToken(runId: string): Promise<string> {
  const run = await call('GET', `${ws}/runs/${runId}`, { key: f.ownerKey });
  expect(run.status).toBe(200);
  // Minted exactly as the dispatcher mints it for the container (same secret, claims and lifetime).
  return tokens.sign({ workspace: 'acme', runId, attempt: run.body.attempt }, new Date(), 3600);
}

describe('secrets CRUD', () => {
  it('creates, reads, rotates and deletes; answers are metadata only', async () => {
    const created = await call('POST', `${ws}/secrets`, {
      key: devKey,
      body: { name: 'db-password', value: DB, description: 'warehouse' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: 'db-password', version: 1, description: 'warehouse' });
    expect(Object.keys(created.body)).not.toContain('value');

    const got = await call('GET', `${ws}/secrets/db-password`, { key: f.viewerKey });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    const list = await call('GET', `${ws}/secrets`, { key: f.viewerKey });
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(['db-password']);

    const described = await call('PATCH', `${ws}/secrets/db-password`, {
      key: devKey,
      body: { description: 'the warehouse' },
    });
    expect(described.body).toMatchObject({ version: 1, description: 'the warehouse' });

    const rotated = await call('PATCH', `${ws}/secrets/db-password`, {
      key: devKey,
      body: { value: DB_ROTATED },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.version).toBe(2);
    expect(rotated.body.valueUpdatedAt >= created.body.valueUpdatedAt).toBe(true);
    expect(rotated.body.createdAt).toBe(created.body.createdAt);

    const dup = await call('POST', `${ws}/secrets`, {
      key: devKey,
      body: { name: 'db-password', value: 'x' },
    });
    expect(dup.status).toBe(409);

    expect(
      (await call('POST', `${ws}/secrets`, { key: devKey, body: { name: 'tmp', value: 'x' } })).status,
    ).toBe(201);
    expect((await call('DELETE', `${ws}/secrets/tmp`, { key: devKey })).status).toBe(204);
    expect((await call('GET', `${ws}/secrets/tmp`, { key: devKey })).status).toBe(404);
    expect((await call('DELETE', `${ws}/secrets/tmp`, { key: devKey })).status).toBe(404);
    expect((await call('PATCH', `${ws}/secrets/tmp`, { key: devKey, body: { value: 'y' } })).status).toBe(
      404,
    );
  });

  it('viewers and runners read metadata but cannot write; another workspace sees nothing', async () => {
    const viewerWrite = await call('POST', `${ws}/secrets`, {
      key: f.viewerKey,
      body: { name: 'v', value: 'x' },
    });
    expect(viewerWrite.status).toBe(403);
    expect(viewerWrite.body.error.message).toContain('secret:write');
    const runnerPatch = await call('PATCH', `${ws}/secrets/db-password`, {
      key: f.runnerKey,
      body: { value: 'x' },
    });
    expect(runnerPatch.status).toBe(403);
    const foreign = await call('GET', `${ws}/secrets/db-password`, { key: await foreignOwnerKey() });
    expect(foreign.status).toBe(404);
  });

  it('bad input names the field and never echoes the value', async () => {
    const big = `${DB}${'x'.repeat(64 * 1024)}`;
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'ok' }, 'value'],
      [{ name: 'ok', value: '' }, 'value'],
      [{ name: 'ok', value: big }, 'value'],
      [{ name: 'ok', value: 42 }, 'value'],
      [{ name: 'Not_A_Slug', value: DB }, 'name'],
      [{ name: 'ok', value: DB, access: [{ principal: 'nobody', level: 'view' }] }, 'access.0'],
      [{ name: 'ok', value: DB, extra: DB }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', `${ws}/secrets`, { key: devKey, body });
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.error.status).toBe('INVALID_ARGUMENT');
      expect(r.body.error.details.map((d: { field: string }) => d.field).join(' ')).toContain(field);
      expect(r.text).not.toContain(DB);
    }
    const exactly64k = await call('POST', `${ws}/secrets`, {
      key: devKey,
      body: { name: 'big', value: 'é'.repeat(32 * 1024) },
    });
    expect(exactly64k.status).toBe(201);
    const tooBigPatch = await call('PATCH', `${ws}/secrets/big`, { key: devKey, body: { value: `${big}` } });
    expect(tooBigPatch.status).toBe(400);
    expect(tooBigPatch.body.error.details[0].field).toBe('value');
    expect((await call('GET', `${ws}/secrets/big`, { key: devKey })).body.version).toBe(1);
  });
});

let foreignOwner: string | undefined;
/** The owner of another workspace. */
async function foreignOwnerKey(): Promise<string> {
  if (foreignOwner) return foreignOwner;
  const other = await call('POST', '/v1/workspaces', {
    key: api.adminKey,
    body: { name: 'initech', ownerEmail: 'o@initech.test' },
  });
  foreignOwner = other.body.apiKey.key as string;
  return foreignOwner;
}

describe('secret access lists', () => {
  it('a restricted secret is invisible (404) to the unlisted, filtered from lists, and bounded by level', async () => {
    const r = await call('POST', `${ws}/secrets`, {
      key: f.ownerKey,
      body: {
        name: 'hidden',
        value: HIDDEN,
        access: [{ principal: 'service_account:dev-bot', level: 'view' }],
      },
    });
    expect(r.status).toBe(201);
    for (const [m, body] of [
      ['GET', undefined],
      ['PATCH', { description: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await call(m, `${ws}/secrets/hidden`, { key: dev2Key, body });
      expect(res.status, `${m} by an unlisted developer`).toBe(404);
      expect(res.body.error.status).toBe('NOT_FOUND');
    }
    const names = async (key: string) =>
      (await call('GET', `${ws}/secrets`, { key })).body.items.map((s: { name: string }) => s.name);
    expect(await names(dev2Key)).not.toContain('hidden');
    expect(await names(devKey)).toContain('hidden');
    expect(await names(f.ownerKey)).toContain('hidden');
    // Listed with view only: visible, but not to be changed.
    expect((await call('GET', `${ws}/secrets/hidden`, { key: devKey })).status).toBe(200);
    const patch = await call('PATCH', `${ws}/secrets/hidden`, { key: devKey, body: { value: 'x' } });
    expect(patch.status).toBe(403);
    expect(patch.body.error.message).toContain('manage');
    // Clearing the list opens it to the role again.
    const open = await call('PATCH', `${ws}/secrets/hidden`, { key: f.ownerKey, body: { access: null } });
    expect(open.status).toBe(200);
    expect(open.body.access).toBeUndefined();
    expect((await call('GET', `${ws}/secrets/hidden`, { key: dev2Key })).status).toBe(200);
    const close = await call('PATCH', `${ws}/secrets/hidden`, {
      key: f.ownerKey,
      body: { access: [{ principal: 'service_account:dev-bot', level: 'view' }] },
    });
    expect(close.body.access).toHaveLength(1);
  });

  it('a deployment may declare only existing secrets its author may run', async () => {
    const dep = (name: string, secretEnv: Record<string, string>) => ({
      name,
      workPool: 'pool-a',
      image: 'x/etl:1',
      secretEnv,
    });
    const missing = await call('POST', `${ws}/deployments`, {
      key: devKey,
      body: dep('d-missing', { DB_PASSWORD: 'no-such', TOKEN: 'db-password' }),
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([
      { field: 'secretEnv.DB_PASSWORD', issue: 'no such secret no-such' },
    ]);
    // Invisible looks exactly like missing.
    const invisible = await call('POST', `${ws}/deployments`, {
      key: dev2Key,
      body: dep('d-invisible', { H: 'hidden' }),
    });
    expect(invisible.status).toBe(400);
    expect(invisible.body.error.details[0]).toEqual({ field: 'secretEnv.H', issue: 'no such secret hidden' });
    // Visible with view only: may not hand it to runs.
    const viewOnly = await call('POST', `${ws}/deployments`, {
      key: devKey,
      body: dep('d-view', { H: 'hidden' }),
    });
    expect(viewOnly.status).toBe(403);
    expect(viewOnly.body.error.message).toContain('hidden');
    const reserved = await call('POST', `${ws}/deployments`, {
      key: devKey,
      body: dep('d-reserved', { PUSHRUN_X: 'db-password' }),
    });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.details[0].field).toBe('secretEnv.PUSHRUN_X');
    const ok = await call('POST', `${ws}/deployments`, {
      key: devKey,
      body: dep('d-ok', { DB_PASSWORD: 'db-password' }),
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.secretEnv).toEqual({ DB_PASSWORD: 'db-password' });
    // Edits are checked the same way.
    const edit = await call('PATCH', `${ws}/deployments/d-ok`, {
      key: devKey,
      body: { secretEnv: { H: 'hidden' } },
    });
    expect(edit.status).toBe(403);
    expect((await call('GET', `${ws}/deployments/d-ok`, { key: devKey })).body.secretEnv).toEqual({
      DB_PASSWORD: 'db-password',
    });
    // Owners pass every list.
    const owner = await call('POST', `${ws}/deployments`, {
      key: f.ownerKey,
      body: dep('d-both', { DB_PASSWORD: 'db-password', HIDDEN_VALUE: 'hidden' }),
    });
    expect(owner.status).toBe(201);
  });
});

describe('run secrets', () => {
  it('a run token reads its deployment’s secrets; other runs, people and finished runs do not', async () => {
    const run = await call('POST', `${ws}/deployments/d-both/runs`, { key: f.ownerKey, body: {} });
    expect(run.status).toBe(201);
    const other = await call('POST', `${ws}/deployments/d-ok/runs`, { key: f.ownerKey, body: {} });
    const token = await runToken(run.body.id);
    const otherToken = await runToken(other.body.id);
    const path = `${ws}/runs/${run.body.id}/secrets`;

    const own = await call('GET', path, { key: token });
    expect(own.status, own.text).toBe(200);
    expect(own.body).toEqual({
      values: { DB_PASSWORD: DB_ROTATED, HIDDEN_VALUE: HIDDEN },
      versions: { DB_PASSWORD: 2, HIDDEN_VALUE: 1 },
    });
    expect(own.headers.get('cache-control')).toBe('no-store');
    // The other run sees only what its own deployment declares.
    const theirs = await call('GET', `${ws}/runs/${other.body.id}/secrets`, { key: otherToken });
    expect(theirs.body.values).toEqual({ DB_PASSWORD: DB_ROTATED });

    const crossRun = await call('GET', path, { key: otherToken });
    expect(crossRun.status).toBe(404);
    expect(crossRun.text).not.toContain(HIDDEN);
    for (const key of [f.ownerKey, devKey, f.viewerKey]) {
      const human = await call('GET', path, { key });
      expect(human.status).toBe(403);
      expect(human.body.error.message).toContain('run:secrets');
    }
    expect((await call('GET', path, {})).status).toBe(401);
    const foreign = await call('GET', path, { key: await foreignOwnerKey() });
    expect(foreign.status).toBe(404);

    // A rotation is seen by the next read.
    const fresh = value('db3');
    await call('PATCH', `${ws}/secrets/db-password`, { key: devKey, body: { value: fresh } });
    const reread = await call('GET', path, { key: token });
    expect(reread.body.values.DB_PASSWORD).toBe(fresh);
    expect(reread.body.versions.DB_PASSWORD).toBe(3);

    // A deleted secret fails the read, naming the secret only.
    expect(
      (await call('POST', `${ws}/secrets`, { key: f.ownerKey, body: { name: 'gone-soon', value: fresh } }))
        .status,
    ).toBe(201);
    expect(
      (
        await call('POST', `${ws}/deployments`, {
          key: f.ownerKey,
          body: { name: 'd-gone', workPool: 'pool-a', image: 'x/etl:1', secretEnv: { G: 'gone-soon' } },
        })
      ).status,
    ).toBe(201);
    const goneRun = await call('POST', `${ws}/deployments/d-gone/runs`, { key: f.ownerKey, body: {} });
    expect((await call('DELETE', `${ws}/secrets/gone-soon`, { key: f.ownerKey })).status).toBe(204);
    const gone = await call('GET', `${ws}/runs/${goneRun.body.id}/secrets`, {
      key: await runToken(goneRun.body.id),
    });
    expect(gone.status).toBe(400);
    expect(gone.body.error.status).toBe('FAILED_PRECONDITION');
    expect(gone.body.error.details).toEqual([
      { field: 'secretEnv.G', issue: 'secret gone-soon does not exist' },
    ]);

    // Once the run is over its token opens nothing.
    expect(
      (await call('POST', `${ws}/runs/${run.body.id}/cancel`, { key: f.ownerKey, body: {} })).status,
    ).toBe(200);
    const after = await call('GET', path, { key: token });
    expect(after.status).toBe(401);
    transcriptValues.push(fresh);
  });

  it('reads, creations, rotations and deletions are audited, without any value', async () => {
    const events = await call('GET', `${ws}/audit-events?page_size=500`, { key: f.ownerKey });
    expect(events.status).toBe(200);
    const actions = events.body.items.map((e: { action: string }) => e.action);
    expect(actions).toContain('secret.read');
    expect(actions).toContain('POST /v1/workspaces/:ws/secrets');
    expect(actions).toContain('PATCH /v1/workspaces/:ws/secrets/:secret');
    expect(actions).toContain('DELETE /v1/workspaces/:ws/secrets/:secret');
    const read = events.body.items.find(
      (e: { action: string; result: { status: number } }) =>
        e.action === 'secret.read' && e.result.status === 200,
    );
    expect(read.actor.kind).toBe('run');
    expect(read.details.env).toMatch(/DB_PASSWORD/);
    const rotation = events.body.items.find(
      (e: { action: string; details?: { rotated?: boolean } }) =>
        e.action === 'PATCH /v1/workspaces/:ws/secrets/:secret' && e.details?.rotated,
    );
    expect(rotation.details.version).toBeGreaterThanOrEqual(2);
    // Refused reads by people are audited too.
    expect(
      events.body.items.some(
        (e: { action: string; details?: { denied?: boolean } }) =>
          e.action === 'GET /v1/workspaces/:ws/runs/:run/secrets' && e.details?.denied,
      ),
    ).toBe(true);
  });
});

const transcriptValues: string[] = [];

describe('no value outside its own run’s answer', () => {
  it('no response but the run-secrets answers, and no Firestore document, holds a value', async () => {
    const all = [...values(), ...transcriptValues];
    const docs = (await dumpFirestore(api.projectId)).map((d) => d.json).join('\n');
    for (const v of all) {
      expect(docs).not.toContain(v);
      expect(docs).not.toContain(Buffer.from(v).toString('base64').slice(0, 40));
      const holders = transcript.filter((t) => t.includes(v));
      for (const t of holders) expect(Object.keys(JSON.parse(t))).toEqual(['values', 'versions']);
    }
    // Every sealed value is stored with its wrapped data key and nothing else of it.
    const stored = (await dumpFirestore(api.projectId)).filter((d) => d.name.includes('/secrets/'));
    expect(stored.length).toBeGreaterThan(0);
    for (const d of stored) expect(d.json).toContain('wrappedKey');
  });
});
