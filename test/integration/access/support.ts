import { expect } from 'vitest';
import type { ApiUnderTest, CallResult, client } from '../../support/apiServer.js';

export type Call = ReturnType<typeof client>;

/** A service account of the given role with a fresh key; returns the key. */
export async function saKey(
  call: Call,
  ws: string,
  ownerKey: string,
  name: string,
  role: string,
): Promise<string> {
  const sa = await call('POST', `/v1/workspaces/${ws}/service-accounts`, {
    key: ownerKey,
    body: { name, role },
  });
  expect(sa.status, sa.text).toBe(201);
  const k = await call('POST', `/v1/workspaces/${ws}/service-accounts/${name}/keys`, {
    key: ownerKey,
    body: {},
  });
  expect(k.status, k.text).toBe(201);
  return k.body.key as string;
}

/** Mints an ID token at the emulators' OIDC issuer; `claims` override the defaults (exp, iss, email_verified). */
export async function idToken(
  api: ApiUnderTest,
  email: string,
  audience: string,
  claims?: Record<string, unknown>,
): Promise<string> {
  const res = await fetch(`${api.stack.emulators.endpoints.control}/v1/idTokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, audience, ...(claims ? { claims } : {}) }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { idToken: string }).idToken;
}

export function expectScimError(r: CallResult, status: number, scimType?: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  expect(r.body.status).toBe(String(status));
  if (scimType) expect(r.body.scimType).toBe(scimType);
}
