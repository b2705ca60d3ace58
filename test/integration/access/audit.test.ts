import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiUnderTest, type CallResult, client, startApi } from '../../support/apiServer.js';
import { dumpFirestore } from '../../support/firestoreDump.js';
import { type Fixture, fillPath, populate, routeTable } from '../api/fixture.js';
import { saKey } from './support.js';

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let f: Fixture;
const ws = '/v1/workspaces/acme';
const secrets: string[] = [];

beforeAll(async () => {
  api = await startApi();
  call = client(api.url);
  f = await populate(api, call, 'acme');
  secrets.push(f.ownerKey, f.viewerKey, f.runnerKey);
});
afterAll(() => api.close());

async function auditDocs(): Promise<{ name: string; json: string }[]> {
  return (await dumpFirestore(api.projectId)).filter((d) => d.name.includes('/auditEvents/'));
}

function requestId(r: CallResult): string {
  return r.headers.get('x-request-id') as string;
}

/** Valid-ish bodies so each mutating route does its work (or fails cleanly) once. */
const BODIES: Record<string, unknown> = {
  'POST /v1/workspaces/:ws/members': { email: 'audit@acme.test', role: 'viewer' },
  'POST /v1/workspaces/:ws/service-accounts': { name: 'audit-bot', role: 'viewer' },
  'POST /v1/workspaces/:ws/roles': { name: 'audit-role', permissions: ['run:read'] },
  'POST /v1/workspaces/:ws/teams': { name: 'audit-team' },
  'POST /v1/workspaces/:ws/work-pools': { name: 'audit-pool', kind: 'hybrid' },
  'POST /v1/workspaces/:ws/deployments': { name: 'audit-dep', workPool: 'pool-a' },
  'POST /v1/workspaces/:ws/deployments/:deployment/runs': { parameters: { n: 2 } },
  'POST /v1/workspaces/:ws/service-accounts/:sa/keys/:key:rotate': { overlapSeconds: 60 },
};

describe('audit log', () => {
  it('every mutating route produces exactly one event, with actor, action, target, result and request data', async () => {
    const mutating = routeTable().filter(
      (r) => r.method !== 'GET' && (r.access.kind === 'permission' || r.path === '/v1/workspaces'),
    );
    expect(mutating.length).toBeGreaterThan(25);
    const ids: [string, string][] = [];
    for (const r of mutating) {
      const id = `${r.method} ${r.path}`;
      // DELETEs aim at nothing so the fixture survives; the attempt is still a mutating request.
      const path =
        r.method === 'DELETE'
          ? r.path.replace(':ws', 'acme').replace(/(?<=\/):\w+/g, 'gone')
          : fillPath(r.path, f);
      const body =
        r.path === '/v1/workspaces' ? { name: 'audited', ownerEmail: 'o@audited.test' } : (BODIES[id] ?? {});
      const res = await call(r.method, path, {
        key: r.path === '/v1/workspaces' ? api.adminKey : f.ownerKey,
        body,
        headers: { 'user-agent': 'audit-test/1.0' },
      });
      if (typeof res.body?.key === 'string') secrets.push(res.body.key);
      if (typeof res.body?.apiKey?.key === 'string') secrets.push(res.body.apiKey.key);
      if (typeof res.body?.newKey?.key === 'string') secrets.push(res.body.newKey.key);
      if (typeof res.body?.token === 'string') secrets.push(res.body.token);
      ids.push([id, requestId(res)]);
    }
    const docs = await auditDocs();
    for (const [id, rid] of ids) {
      const events = docs.filter((d) => d.json.includes(`"stringValue":"${rid}"`));
      expect(events.length, id).toBe(1);
    }
    const listed = await call(
      'GET',
      `${ws}/audit-events?action=${encodeURIComponent('POST /v1/workspaces/:ws/members')}`,
      {
        key: f.ownerKey,
      },
    );
    const ev = listed.body.items.find(
      (e: { requestId: string }) =>
        e.requestId === ids.find(([i]) => i === 'POST /v1/workspaces/:ws/members')?.[1],
    );
    expect(ev).toMatchObject({
      actor: { kind: 'member', auth: 'api_key' },
      action: 'POST /v1/workspaces/:ws/members',
      result: { status: 201 },
      userAgent: 'audit-test/1.0',
    });
    expect(ev.target).toMatch(/^\/v1\/workspaces\/acme\/members\/\w+/);
    expect(ev.sourceIp).toBeDefined();
    // Workspace creation lands in the new workspace's own log.
    const created = docs.filter((d) => d.name.includes('/workspaces/audited/auditEvents/'));
    expect(created).toHaveLength(1);
  });

  it('no event carries key material, a token, or a request body', async () => {
    const docs = await auditDocs();
    expect(docs.length).toBeGreaterThan(25);
    for (const d of docs) {
      expect(d.json).not.toMatch(
        /prk_[a-z0-9-]+_[0-9a-z]{12}_[0-9a-f]{40}|prs_|prss_|eyJ[A-Za-z0-9_-]{8,}\./,
      );
      for (const s of secrets) expect(d.json).not.toContain(s.slice(-40));
      expect(d.json).not.toContain('audit@acme.test'); // a body field, never copied
    }
  });

  it('a refused authorization is one event, also for a read', async () => {
    const r = await call('GET', `${ws}/audit-events`, { key: f.viewerKey });
    expect(r.status).toBe(403);
    const events = (await auditDocs()).filter((d) => d.json.includes(requestId(r)));
    expect(events).toHaveLength(1);
    expect(events[0]?.json).toContain('"denied"');
  });

  it('filters by actor, action, target and time, and pages newest first', async () => {
    const bot = await saKey(call, 'acme', f.ownerKey, 'filter-bot', 'developer');
    for (const name of ['fa', 'fb', 'fc']) {
      await call('POST', `${ws}/work-pools`, { key: bot, body: { name, kind: 'hybrid' } });
    }
    const q = (s: string) => call('GET', `${ws}/audit-events?${s}`, { key: f.ownerKey });
    const byActor = await q('actor=service_account:filter-bot');
    expect(byActor.body.items.map((e: { target: string }) => e.target)).toEqual([
      '/v1/workspaces/acme/work-pools/fc',
      '/v1/workspaces/acme/work-pools/fb',
      '/v1/workspaces/acme/work-pools/fa',
    ]);
    const page1 = await q('actor=service_account:filter-bot&page_size=2');
    expect(page1.body.items).toHaveLength(2);
    const page2 = await q(
      `actor=service_account:filter-bot&page_size=2&page_token=${page1.body.nextPageToken}`,
    );
    expect(page2.body.items.map((e: { target: string }) => e.target)).toEqual([
      '/v1/workspaces/acme/work-pools/fa',
    ]);
    const byTarget = await q(
      `target=${encodeURIComponent('/v1/workspaces/acme/work-pools/fb')}&action=${encodeURIComponent('POST /v1/workspaces/:ws/work-pools')}`,
    );
    expect(byTarget.body.items).toHaveLength(1);
    const future = await q(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.body.items).toHaveLength(0);
    const past = await q(
      `actor=service_account:filter-bot&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&from=2020-01-01T00:00:00Z`,
    );
    expect(past.body.items).toHaveLength(3);
  });

  it('events expire by TTL after the retention period, and no route changes or deletes them', async () => {
    const doc = (await auditDocs())[0] as { json: string };
    const expireAt = /"expireAt":\{"timestampValue":"([^"]+)"/.exec(doc.json)?.[1] as string;
    const days = (Date.parse(expireAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(399);
    expect(days).toBeLessThan(401);
    const auditRoutes = routeTable().filter((r) => r.path.includes('audit-events'));
    expect(auditRoutes.map((r) => r.method)).toEqual(['GET']);
  });
});
