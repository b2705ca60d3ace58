import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiUnderTest, client, startApi } from '../../support/apiServer.js';
import { type Fixture, populate } from '../api/fixture.js';
import { expectScimError, idToken } from './support.js';

/**
 * SCIM request shapes as RFC 7644's examples, Okta's and Microsoft Entra ID's
 * provisioning flows send them (field names per the protocol; values invented).
 */
const AUDIENCE = 'pushrun-scim-test';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let f: Fixture;
let token: string;

const scim = (method: string, path: string, body?: unknown) =>
  call(method, `/scim/v2${path}`, {
    key: token,
    ...(body === undefined ? {} : { raw: JSON.stringify(body) }),
    headers: { 'content-type': 'application/scim+json' },
  });

beforeAll(async () => {
  api = await startApi({ extraEnv: { PUSHRUN_SSO_AUDIENCE: AUDIENCE } });
  call = client(api.url);
  f = await populate(api, call, 'acme');
  const t = await call('POST', '/v1/workspaces/acme/scim-token', { key: f.ownerKey, body: {} });
  expect(t.status).toBe(201);
  token = t.body.token;
});
afterAll(() => api.close());

describe('SCIM token', () => {
  it('is shown once with the prs_ prefix; only owners may create it; rotating retires the old one', async () => {
    expect(token).toMatch(/^prs_acme_/);
    const admin = await call('POST', '/v1/workspaces/acme/service-accounts', {
      key: f.ownerKey,
      body: { name: 'adm', role: 'admin' },
    });
    expect(admin.status).toBe(201);
    const k = await call('POST', '/v1/workspaces/acme/service-accounts/adm/keys', {
      key: f.ownerKey,
      body: {},
    });
    expect((await call('POST', '/v1/workspaces/acme/scim-token', { key: k.body.key, body: {} })).status).toBe(
      403,
    );
    const rotated = await call('POST', '/v1/workspaces/acme/scim-token', { key: f.ownerKey, body: {} });
    expect((await scim('GET', '/ServiceProviderConfig')).status).toBe(401);
    token = rotated.body.token;
    expect((await scim('GET', '/ServiceProviderConfig')).status).toBe(200);
  });

  it('no or a bad token is a 401 in SCIM shape', async () => {
    const r = await call('GET', '/scim/v2/Users');
    expectScimError(r, 401);
    expectScimError(await call('GET', '/scim/v2/Users', { key: `prs_acme_${'0'.repeat(48)}` }), 401);
  });
});

describe('discovery (RFC 7644 §4)', () => {
  it('ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const cfg = await scim('GET', '/ServiceProviderConfig');
    expect(cfg.headers.get('content-type')).toMatch(/application\/scim\+json/);
    expect(cfg.body).toMatchObject({
      patch: { supported: true },
      filter: { supported: true },
      bulk: { supported: false },
    });
    const rt = await scim('GET', '/ResourceTypes');
    expect(rt.body.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
    const schemas = await scim('GET', '/Schemas');
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual([USER, GROUP]);
    expect((await scim('GET', `/Schemas/${USER}`)).status).toBe(200);
  });
});

describe('RFC 7644 example shapes', () => {
  let id: string;
  it('creates the RFC 7644 §3.3 user and returns 201 with Location and meta', async () => {
    const r = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'bjensen',
      externalId: 'bjensen',
      name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
      emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
    });
    expect(r.status, r.text).toBe(201);
    id = r.body.id;
    expect(r.headers.get('location')).toBe(`/scim/v2/Users/${id}`);
    expect(r.body).toMatchObject({
      schemas: [USER],
      userName: 'bjensen',
      externalId: 'bjensen',
      active: true,
      emails: [{ value: 'bjensen@example.com', primary: true }],
      meta: { resourceType: 'User' },
    });
  });

  it('filters by userName (§3.4.2.2) case-insensitively and by externalId', async () => {
    const r = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "BJensen"')}`);
    expect(r.body).toMatchObject({ schemas: [LIST], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(r.body.Resources[0].id).toBe(id);
    const e = await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "bjensen"')}`);
    expect(e.body.totalResults).toBe(1);
    const none = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody"')}`);
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('pages with startIndex and count (§3.4.2.4)', async () => {
    const all = await scim('GET', '/Users?startIndex=1&count=100');
    const total = all.body.totalResults as number;
    expect(total).toBeGreaterThanOrEqual(3);
    const p2 = await scim('GET', '/Users?startIndex=2&count=1');
    expect(p2.body).toMatchObject({ totalResults: total, startIndex: 2, itemsPerPage: 1 });
    expect(p2.body.Resources[0].id).toBe(all.body.Resources[1].id);
    const zero = await scim('GET', '/Users?count=0');
    expect(zero.body).toMatchObject({ totalResults: total, itemsPerPage: 0 });
  });

  it('replaces with PUT (§3.5.1) and refuses a duplicate userName with uniqueness', async () => {
    const put = await scim('PUT', `/Users/${id}`, {
      schemas: [USER],
      userName: 'bjensen',
      externalId: 'bjensen',
      name: { familyName: 'Jensen', givenName: 'Babs' },
      emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
      active: true,
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body.name.givenName).toBe('Babs');
    const dup = await scim('POST', '/Users', { schemas: [USER], userName: 'bjensen@example.com' });
    expectScimError(dup, 409, 'uniqueness');
  });

  it('answers unsupported filters, bad PATCH and unknown ids with SCIM errors', async () => {
    expectScimError(
      await scim('GET', `/Users?filter=${encodeURIComponent('title pr')}`),
      400,
      'invalidFilter',
    );
    expectScimError(
      await scim('GET', `/Users?filter=${encodeURIComponent('userName co "j"')}`),
      400,
      'invalidFilter',
    );
    expectScimError(await scim('GET', '/Users/nope'), 404);
    expectScimError(
      await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'move' }] }),
      400,
    );
    expectScimError(await scim('POST', '/Users', { schemas: [USER] }), 400, 'invalidValue');
    const bad = await call('POST', '/scim/v2/Users', {
      key: token,
      raw: '{"userName": ',
      headers: { 'content-type': 'application/scim+json' },
    });
    expectScimError(bad, 400, 'invalidSyntax');
  });
});

describe('Okta provisioning flow', () => {
  let userId: string;
  let groupId: string;
  it('looks the user up, creates, reads, and updates profile', async () => {
    const lookup = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "grace@acme.test"')}&startIndex=1&count=100`,
    );
    expect(lookup.body.totalResults).toBe(0);
    const created = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'grace@acme.test',
      name: { givenName: 'Grace', familyName: 'Hopper' },
      emails: [{ primary: true, value: 'grace@acme.test', type: 'work' }],
      displayName: 'Grace Hopper',
      locale: 'en-US',
      externalId: '00u1abcd',
      groups: [],
      password: 'never-stored',
      active: true,
    });
    expect(created.status, created.text).toBe(201);
    expect(created.text).not.toContain('never-stored');
    userId = created.body.id;
    expect((await scim('GET', `/Users/${userId}`)).body.userName).toBe('grace@acme.test');
    const renamed = await scim('PATCH', `/Users/${userId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { name: { givenName: 'Rear Admiral Grace' } } }],
    });
    expect(renamed.body.name.givenName).toBe('Rear Admiral Grace');
  });

  it('pushes a group, adds, renames, removes a member by value path', async () => {
    const g = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Engineering', members: [] });
    expect(g.status, g.text).toBe(201);
    groupId = g.body.id;
    const add = await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'members', value: [{ value: userId, display: 'grace@acme.test' }] }],
    });
    expect(add.body.members).toEqual([expect.objectContaining({ value: userId })]);
    // The team is a pushrun team: visible through the REST API with the member.
    const team = await call('GET', `/v1/workspaces/acme/teams/${groupId}`, { key: f.ownerKey });
    expect(team.body).toMatchObject({ name: 'Engineering', members: [`member:${userId}`] });
    const rename = await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Eng' } }],
    });
    expect(rename.body.displayName).toBe('Eng');
    const remove = await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }],
    });
    expect(remove.body.members).toEqual([]);
  });

  it('deactivation (active false) revokes access at once: the next request fails', async () => {
    const session = await call('POST', '/v1/auth/session', {
      body: { idToken: await idToken(api, 'grace@acme.test', AUDIENCE), workspace: 'acme' },
    });
    expect(session.status, session.text).toBe(200);
    const key = session.body.sessionToken as string;
    expect((await call('GET', '/v1/workspaces/acme', { key })).status).toBe(200);
    const off = await scim('PATCH', `/Users/${userId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(off.body.active).toBe(false);
    expect((await call('GET', '/v1/workspaces/acme', { key })).status).toBe(401);
  });
});

describe('Microsoft Entra ID provisioning flow', () => {
  let userId: string;
  let groupId: string;
  it('creates with the enterprise extension and applies value-path and string-boolean PATCHes', async () => {
    const lookup = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "alan@acme.test"')}`);
    expect(lookup.body.totalResults).toBe(0);
    const created = await scim('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      externalId: 'alan',
      userName: 'alan@acme.test',
      active: true,
      displayName: 'Alan Turing',
      emails: [{ primary: true, type: 'work', value: 'alan@acme.test' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Alan Turing', familyName: 'Turing', givenName: 'Alan' },
      roles: [],
      [ENTERPRISE]: { department: 'Research', employeeNumber: '42' },
    });
    expect(created.status, created.text).toBe(201);
    userId = created.body.id;
    expect(created.text).not.toContain('Research'); // not kept
    const patched = await scim('PATCH', `/Users/${userId}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Replace', path: 'displayName', value: 'A. M. Turing' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'turing@acme.test' },
        { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Codebreaking' },
        { op: 'Replace', path: 'name.familyName', value: 'Turing OBE' },
        { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+44 1234' },
      ],
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      displayName: 'A. M. Turing',
      emails: [{ value: 'turing@acme.test' }],
      name: { familyName: 'Turing OBE' },
    });
    expect(patched.text).not.toContain('Codebreaking');
  });

  it('groups: filter excluding members, add and remove members with value lists', async () => {
    const g = await scim('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'Research',
      externalId: 'grp-1',
    });
    groupId = g.body.id;
    const found = await scim(
      'GET',
      `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Research"')}`,
    );
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].members).toBeUndefined();
    await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Add', path: 'members', value: [{ value: userId }] }],
    });
    expect((await scim('GET', `/Groups/${groupId}`)).body.members).toHaveLength(1);
    await scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Remove', path: 'members', value: [{ value: userId }] }],
    });
    expect((await scim('GET', `/Groups/${groupId}`)).body.members).toEqual([]);
    const byExt = await scim('GET', `/Groups?filter=${encodeURIComponent('externalId eq "grp-1"')}`);
    expect(byExt.body.totalResults).toBe(1);
    expect((await scim('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expectScimError(await scim('GET', `/Groups/${groupId}`), 404);
  });

  it('"active": "False" soft-deletes, DELETE deprovisions: the next request of that user fails', async () => {
    const session = await call('POST', '/v1/auth/session', {
      body: { idToken: await idToken(api, 'turing@acme.test', AUDIENCE), workspace: 'acme' },
    });
    expect(session.status, session.text).toBe(200);
    const key = session.body.sessionToken as string;
    const off = await scim('PATCH', `/Users/${userId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(off.body.active).toBe(false);
    expect((await call('GET', '/v1/workspaces/acme', { key })).status).toBe(401);
    const on = await scim('PATCH', `/Users/${userId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'True' }],
    });
    expect(on.body.active).toBe(true);
    const again = await call('POST', '/v1/auth/session', {
      body: { idToken: await idToken(api, 'turing@acme.test', AUDIENCE), workspace: 'acme' },
    });
    expect((await call('GET', '/v1/workspaces/acme', { key: again.body.sessionToken })).status).toBe(200);
    expect((await scim('DELETE', `/Users/${userId}`)).status).toBe(204);
    expect((await call('GET', '/v1/workspaces/acme', { key: again.body.sessionToken })).status).toBe(401);
    expectScimError(await scim('GET', `/Users/${userId}`), 404);
  });

  it('the last owner cannot be deprovisioned through SCIM either', async () => {
    const members = await call('GET', '/v1/workspaces/acme/members', { key: f.ownerKey });
    const owner = members.body.items.find((m: { role: string }) => m.role === 'owner');
    expectScimError(await scim('DELETE', `/Users/${owner.id}`), 400);
    expectScimError(
      await scim('PATCH', `/Users/${owner.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      }),
      400,
    );
    expect((await call('GET', '/v1/workspaces/acme', { key: f.ownerKey })).status).toBe(200);
  });

  it('every SCIM write is audited with the scim actor and no token', async () => {
    const events = await call('GET', '/v1/workspaces/acme/audit-events?actor=scim&page_size=200', {
      key: f.ownerKey,
    });
    expect(events.body.items.length).toBeGreaterThan(10);
    expect(events.text).not.toContain('prs_');
    expect(events.body.items.map((e: { action: string }) => e.action)).toContain('DELETE /scim/v2/Users/:id');
  });
});
