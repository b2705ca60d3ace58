import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiUnderTest, client, startApi } from '../../support/apiServer.js';
import { type Fixture, populate } from '../api/fixture.js';
import { saKey } from './support.js';

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let f: Fixture;
const ws = '/v1/workspaces/acme';

beforeAll(async () => {
  api = await startApi();
  call = client(api.url);
  f = await populate(api, call, 'acme');
});
afterAll(() => api.close());

async function role(name: string, permissions: string[]) {
  const r = await call('POST', `${ws}/roles`, { key: f.ownerKey, body: { name, permissions } });
  expect(r.status, r.text).toBe(201);
}

describe('no privilege escalation', () => {
  it('a custom role cannot carry a permission its creator lacks', async () => {
    await role('role-admin', ['role:manage', 'role:read', 'run:read']);
    const key = await saKey(call, 'acme', f.ownerKey, 'role-admin-bot', 'role-admin');
    const beyond = await call('POST', `${ws}/roles`, {
      key,
      body: { name: 'sneaky', permissions: ['run:read', 'run:create'] },
    });
    expect(beyond.status).toBe(403);
    expect(beyond.body.error.message).toContain('run:create');
    const within = await call('POST', `${ws}/roles`, {
      key,
      body: { name: 'reader', permissions: ['run:read'] },
    });
    expect(within.status).toBe(201);
    const widen = await call('PATCH', `${ws}/roles/reader`, {
      key,
      body: { permissions: ['run:read', 'log:read'] },
    });
    expect(widen.status).toBe(403);
  });

  it('admins cannot create a role carrying scim:manage, which only owners hold', async () => {
    const key = await saKey(call, 'acme', f.ownerKey, 'admin-bot', 'admin');
    const r = await call('POST', `${ws}/roles`, {
      key,
      body: { name: 'scimmer', permissions: ['scim:manage'] },
    });
    expect(r.status).toBe(403);
  });

  it('a service account cannot promote itself', async () => {
    await role('sa-admin', ['service_account:manage', 'service_account:read']);
    const key = await saKey(call, 'acme', f.ownerKey, 'self-bot', 'sa-admin');
    const r = await call('PATCH', `${ws}/service-accounts/self-bot`, { key, body: { role: 'admin' } });
    expect(r.status).toBe(403);
    const k = await call('POST', `${ws}/service-accounts`, {
      key,
      body: { name: 'twin', role: 'developer' },
    });
    expect(k.status).toBe(403);
  });

  it('an admin cannot make anyone (itself included) an owner', async () => {
    const key = await saKey(call, 'acme', f.ownerKey, 'admin-bot2', 'admin');
    expect(
      (await call('PATCH', `${ws}/service-accounts/admin-bot2`, { key, body: { role: 'owner' } })).status,
    ).toBe(403);
    expect(
      (await call('PATCH', `${ws}/members/${f.memberId}`, { key, body: { role: 'owner' } })).status,
    ).toBe(403);
  });

  it('a member manager cannot hand out a role above their own', async () => {
    await role('people', ['member:manage', 'member:read']);
    const key = await saKey(call, 'acme', f.ownerKey, 'people-bot', 'people');
    const r = await call('PATCH', `${ws}/members/${f.memberId}`, { key, body: { role: 'admin' } });
    expect(r.status).toBe(403);
    const add = await call('POST', `${ws}/members`, {
      key,
      body: { email: 'x@acme.test', role: 'developer' },
    });
    expect(add.status).toBe(403);
  });

  it('team managers cannot give a team roles they lack, nor join a powerful team', async () => {
    await role('team-lead', ['team:manage', 'team:read']);
    const key = await saKey(call, 'acme', f.ownerKey, 'lead-bot', 'team-lead');
    const mk = await call('POST', `${ws}/teams`, { key, body: { name: 'admins', roles: ['admin'] } });
    expect(mk.status).toBe(403);
    const strong = await call('POST', `${ws}/teams`, {
      key: f.ownerKey,
      body: { name: 'ops', roles: ['admin'] },
    });
    expect(strong.status).toBe(201);
    const join = await call('POST', `${ws}/teams/${strong.body.id}/members`, {
      key,
      body: { add: ['service_account:lead-bot'] },
    });
    expect(join.status).toBe(403);
    // Nothing changed: the bot still cannot read members.
    expect((await call('GET', `${ws}/members`, { key })).status).toBe(403);
  });

  it('the last owner can be neither demoted, deactivated nor removed', async () => {
    const members = await call('GET', `${ws}/members`, { key: f.ownerKey });
    const owner = members.body.items.find((m: { role: string }) => m.role === 'owner');
    for (const body of [{ role: 'admin' }, { active: false }]) {
      const r = await call('PATCH', `${ws}/members/${owner.id}`, { key: f.ownerKey, body });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/last owner/);
    }
    expect((await call('DELETE', `${ws}/members/${owner.id}`, { key: f.ownerKey })).status).toBe(400);
    // With a second owner, demotion is fine.
    const second = await call('POST', `${ws}/members`, {
      key: f.ownerKey,
      body: { email: 'owner2@acme.test', role: 'owner' },
    });
    expect(second.status).toBe(201);
    const demote = await call('PATCH', `${ws}/members/${second.body.id}`, {
      key: f.ownerKey,
      body: { role: 'developer' },
    });
    expect(demote.status).toBe(200);
    expect(demote.body.role).toBe('developer');
  });

  it('a role still assigned cannot be deleted; an unknown role cannot be granted', async () => {
    const r = await call('DELETE', `${ws}/roles/deployer`, { key: f.ownerKey });
    expect(r.status).toBe(204); // fixture role held by nobody
    await role('held', ['run:read']);
    await saKey(call, 'acme', f.ownerKey, 'holder-bot', 'held');
    expect((await call('DELETE', `${ws}/roles/held`, { key: f.ownerKey })).status).toBe(400);
    const ghost = await call('POST', `${ws}/service-accounts`, {
      key: f.ownerKey,
      body: { name: 'ghost-bot', role: 'no-such-role' },
    });
    expect(ghost.status).toBe(400);
    expect(ghost.body.error.details[0].field).toBe('role');
  });
});
