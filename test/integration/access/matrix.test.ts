import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltInRole, Permission, ROLE_PERMISSIONS } from '../../../shared/domain/permissions.js';
import { type ApiUnderTest, client, startApi } from '../../support/apiServer.js';
import { type Fixture, fillPath, populate, routeTable } from '../api/fixture.js';
import { saKey } from './support.js';

/**
 * The permission matrix, generated from the permission table: every route the
 * API serves × every built-in role and a custom role, through real requests.
 * A role holding the route's permission is never refused (403); one lacking it
 * always is, with the permission named.
 */
let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let f: Fixture;
const keys: Record<string, string> = {};
const CUSTOM = {
  name: 'matrix-custom',
  permissions: ['deployment:read', 'run:read', 'run:create', 'team:read'],
};
const roles = [...BuiltInRole.options, CUSTOM.name];

interface ServedRoute {
  method: string;
  path: string;
  permission: string;
}
let served: ServedRoute[] = [];

beforeAll(async () => {
  api = await startApi();
  call = client(api.url);
  f = await populate(api, call, 'acme');
  expect((await call('POST', '/v1/workspaces/acme/roles', { key: f.ownerKey, body: CUSTOM })).status).toBe(
    201,
  );
  for (const role of roles) keys[role] = await saKey(call, 'acme', f.ownerKey, `m-${role}`, role);
  const spec = (await call('GET', '/v1/openapi.json')).body as {
    paths: Record<string, Record<string, { 'x-pushrun-permission': string }>>;
  };
  served = Object.entries(spec.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([m, op]) => ({
      method: m.toUpperCase(),
      path: p.replace(/\{(\w+)\}/g, ':$1'),
      permission: op['x-pushrun-permission'],
    })),
  );
});
afterAll(() => api.close());

function has(role: string, permission: string): boolean {
  if (role === CUSTOM.name) return CUSTOM.permissions.includes(permission);
  return ROLE_PERMISSIONS[role as BuiltInRole].has(permission as Permission);
}

/** DELETEs point at objects that do not exist: an allowed caller gets 404, and the fixture survives. */
function target(method: string, path: string): string {
  if (method !== 'DELETE') return fillPath(path, f);
  return path.replace(':ws', f.ws).replace(/(?<=\/):\w+/g, 'matrix-none');
}

const tableRoutes = routeTable();

describe('permission matrix', () => {
  it('every served route has an access entry, and every permission entry is in the table', () => {
    expect(served.length).toBeGreaterThan(40);
    for (const r of served) {
      expect([...Permission.options, 'public', 'platform_admin', 'scim'], `${r.method} ${r.path}`).toContain(
        r.permission,
      );
    }
    // The route table the other suites iterate covers what the API serves (openapi.json itself aside).
    const known = new Set(tableRoutes.map((r) => `${r.method} ${r.path}`));
    const missing = served.filter(
      (r) => r.path !== '/v1/openapi.json' && !known.has(`${r.method} ${r.path}`),
    );
    expect(missing).toEqual([]);
  });

  it('every permission of the table is required by some route', () => {
    const used = new Set(served.map((r) => r.permission));
    // secret:* are reserved for the secrets API (object access lists apply to secrets too).
    const unused = Permission.options.filter((p) => !used.has(p) && !p.startsWith('secret:'));
    expect(unused).toEqual([]);
  });

  for (const role of roles) {
    it(`${role}: allowed exactly where the table says`, async () => {
      const wrong: string[] = [];
      for (const r of served) {
        if (!(Permission.options as readonly string[]).includes(r.permission)) continue;
        const res = await call(r.method, target(r.method, r.path), { key: keys[role], body: {} });
        const allowed = has(role, r.permission);
        const ok = allowed
          ? res.status !== 403 && res.status !== 401
          : res.status === 403 && String(res.body?.error?.message).includes(r.permission);
        if (!ok) wrong.push(`${r.method} ${r.path} → ${res.status} (${allowed ? 'allowed' : 'denied'})`);
      }
      expect(wrong).toEqual([]);
    });
  }

  it('SCIM routes refuse API keys of every role, even the owner', async () => {
    for (const role of roles) {
      const r = await call('GET', '/scim/v2/Users', { key: keys[role] });
      expect(r.status).toBe(401);
    }
  });

  it('platform routes refuse workspace keys', async () => {
    const r = await call('POST', '/v1/workspaces', {
      key: keys.owner,
      body: { name: 'x', ownerEmail: 'a@b.test' },
    });
    expect(r.status).toBe(403);
  });
});
