import { z } from 'zod';
import { CreateCredentialRequest, Credential, VerifyCredentialResult } from '../contracts/credential.js';
import { NotFoundError } from '../domain/errors.js';
import { type CredentialDeps, registerCredential, verifyCredential } from '../services/credentials.js';
import { json } from './router.js';
import type { Route } from './types.js';

const WS = '/v1/workspaces/:ws';

/** Credentials: write-only key material; every answer is metadata. */
export function credentialRoutes(deps: CredentialDeps): Route[] {
  return [
    {
      method: 'POST',
      path: `${WS}/credentials`,
      access: { kind: 'permission', permission: 'credential:write' },
      summary: 'Register access to a customer project (verified before it is stored)',
      request: CreateCredentialRequest,
      response: Credential,
      handler: async (c) =>
        json(
          201,
          await registerCredential(deps, c.params.ws as string, c.body(CreateCredentialRequest), c.now),
        ),
    },
    {
      method: 'GET',
      path: `${WS}/credentials`,
      access: { kind: 'permission', permission: 'credential:read' },
      summary: 'List credentials (metadata only)',
      response: z.object({ items: z.array(Credential) }),
      handler: async (c) => json(200, { items: await deps.credentials.list(c.params.ws as string) }),
    },
    {
      method: 'GET',
      path: `${WS}/credentials/:credential`,
      access: { kind: 'permission', permission: 'credential:read' },
      summary: 'Get a credential (metadata only)',
      response: Credential,
      handler: async (c) => {
        const record = await deps.credentials.get(c.params.ws as string, c.params.credential as string);
        if (!record) throw new NotFoundError(`credential ${c.params.credential}`);
        return json(200, record.credential);
      },
    },
    {
      method: 'POST',
      path: `${WS}/credentials/:credential/verify`,
      access: { kind: 'permission', permission: 'credential:write' },
      summary: 'Re-check the permissions of a credential in its project',
      response: VerifyCredentialResult,
      handler: async (c) => {
        c.body(z.strictObject({}));
        return json(
          200,
          await verifyCredential(deps, c.params.ws as string, c.params.credential as string, c.now),
        );
      },
    },
    {
      method: 'DELETE',
      path: `${WS}/credentials/:credential`,
      access: { kind: 'permission', permission: 'credential:write' },
      summary: 'Delete a credential; runs that need it fail with a message saying so',
      handler: async (c) => {
        await deps.credentials.delete(c.params.ws as string, c.params.credential as string);
        return { status: 204 };
      },
    },
  ];
}
