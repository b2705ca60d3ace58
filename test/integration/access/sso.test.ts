import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiUnderTest, client, startApi } from '../../support/apiServer.js';
import { dumpFirestore } from '../../support/firestoreDump.js';
import { type Fixture, populate } from '../api/fixture.js';
import { idToken } from './support.js';

const AUDIENCE = 'pushrun-sso-test';
let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let f: Fixture;
const ws = '/v1/workspaces/acme';

beforeAll(async () => {
  api = await startApi({ extraEnv: { PUSHRUN_SSO_AUDIENCE: AUDIENCE } });
  call = client(api.url);
  f = await populate(api, call, 'acme');
  await call('POST', `${ws}/members`, {
    key: f.ownerKey,
    body: { email: 'ada@acme.test', role: 'developer' },
  });
  await call('POST', `${ws}/members`, {
    key: f.ownerKey,
    body: { email: 'eve@elsewhere.test', role: 'viewer' },
  });
});
afterAll(() => api.close());

const signIn = async (token: string, workspace = 'acme') =>
  call('POST', '/v1/auth/session', { body: { idToken: token, workspace } });

describe('SSO sign-in', () => {
  it('a valid ID token of an active member becomes a short-lived session that works', async () => {
    const r = await signIn(await idToken(api, 'Ada@acme.test', AUDIENCE));
    expect(r.status, r.text).toBe(200);
    expect(r.body.sessionToken).toMatch(/^prss_/);
    expect(Date.parse(r.body.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(r.body.member).toMatchObject({ email: 'ada@acme.test', role: 'developer' });
    const session = r.body.sessionToken as string;
    expect((await call('GET', `${ws}/deployments`, { key: session })).status).toBe(200);
    // A developer session carries the developer's permissions, no more.
    expect((await call('GET', `${ws}/audit-events`, { key: session })).status).toBe(403);
    // Not in another workspace.
    expect((await call('GET', '/v1/workspaces/globex', { key: session })).status).toBe(404);
  });

  it.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 60 }, AUDIENCE, /expired/],
    ['for another audience', {}, 'someone-else', /aud/],
    ['from another issuer', { iss: 'https://accounts.example.com' }, AUDIENCE, /iss/],
    ['with an unverified e-mail', { email_verified: false }, AUDIENCE, /not verified/],
  ] as const)('an ID token %s is refused', async (_what, claims, audience, reason) => {
    const r = await signIn(await idToken(api, 'ada@acme.test', audience, claims));
    expect(r.status, r.text).toBe(401);
    expect(r.body.error.message).toMatch(reason);
    expect(r.text).not.toMatch(/prss_/);
  });

  it('a forged signature, a stranger and an unknown workspace are refused alike', async () => {
    const good = await idToken(api, 'ada@acme.test', AUDIENCE);
    const [h, p] = good.split('.');
    expect((await signIn(`${h}.${p}.${'A'.repeat(342)}`)).status).toBe(401);
    const stranger = await signIn(await idToken(api, 'mallory@acme.test', AUDIENCE));
    const nowhere = await signIn(await idToken(api, 'ada@acme.test', AUDIENCE), 'nowhere');
    expect(stranger.status).toBe(403);
    expect(nowhere.status).toBe(403);
  });

  it('a domain restriction refuses an invited member from another domain, and ends their sessions', async () => {
    const before = await signIn(await idToken(api, 'eve@elsewhere.test', AUDIENCE));
    expect(before.status).toBe(200);
    const restrict = await call('PATCH', ws, {
      key: f.ownerKey,
      body: { settings: { allowedEmailDomains: ['acme.test'] } },
    });
    expect(restrict.status, restrict.text).toBe(200);
    const after = await signIn(await idToken(api, 'eve@elsewhere.test', AUDIENCE));
    expect(after.status).toBe(403);
    expect(after.body.error.message).toMatch(/domain/);
    expect((await call('GET', ws, { key: before.body.sessionToken })).status).toBe(401);
    expect((await signIn(await idToken(api, 'ada@acme.test', AUDIENCE))).status).toBe(200);
  });

  it('the owner key keeps working under the restriction as break-glass, and each use is audited', async () => {
    const r = await call('GET', `${ws}/deployments`, { key: f.ownerKey });
    expect(r.status).toBe(200);
    const rid = r.headers.get('x-request-id') as string;
    const events = (await dumpFirestore(api.projectId)).filter(
      (d) => d.name.includes('/auditEvents/') && d.json.includes(rid),
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.json).toContain('"break_glass"');
    const listed = await call('GET', `${ws}/audit-events?action=break_glass`, { key: f.ownerKey });
    expect(listed.body.items.length).toBeGreaterThanOrEqual(1);
    // Sign-ins are audited too, successful or not.
    const signIns = await call('GET', `${ws}/audit-events?action=auth.sign_in`, { key: f.ownerKey });
    const statuses = signIns.body.items.map((e: { result: { status: number } }) => e.result.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(403);
  });

  it('deactivating a member ends their session on the next request', async () => {
    const s = await signIn(await idToken(api, 'ada@acme.test', AUDIENCE));
    const members = await call('GET', `${ws}/members`, { key: f.ownerKey });
    const ada = members.body.items.find((m: { email: string }) => m.email === 'ada@acme.test');
    expect(
      (await call('PATCH', `${ws}/members/${ada.id}`, { key: f.ownerKey, body: { active: false } })).status,
    ).toBe(200);
    expect((await call('GET', ws, { key: s.body.sessionToken })).status).toBe(401);
    expect((await signIn(await idToken(api, 'ada@acme.test', AUDIENCE))).status).toBe(403);
  });
});
