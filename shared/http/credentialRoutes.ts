import { z } from 'zod';
import {
  CreateCredentialRequest,
  Credential,
  UpdateCredentialRequest,
  VerifyCredentialResult,
} from '../contracts/credential.js';
import { NotFoundError } from '../domain/errors.js';
import { type CredentialDeps, registerCredential, verifyCredential } from '../services/credentials.js';
import { ObjectAccess } from '../services/objectAccess.js';
import { json } from './router.js';
import type { Route } from './types.js';

const WS = '/v1/workspaces/:ws';

/** Credentials: write-only key material; every answer is metadata. */
export function credentialRoutes(deps: CredentialDeps & { objects?: ObjectAccess | undefined }): Route[] {
  const objects =
    deps.objects ??
    new ObjectAccess({ workspaces: {} as never, runs: {} as never, credentialStore: deps.credentials });
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
      summary: 'List credentials (metadata only, filtered by their access lists)',
      response: z.object({ items: z.array(Credential) }),
      handler: async (c) =>
        json(200, {
          items: objects.visibleCredentials(c.principal, await deps.credentials.list(c.params.ws as string)),
        }),
    },
    {
      method: 'GET',
      path: `${WS}/credentials/:credential`,
      access: { kind: 'permission', permission: 'credential:read' },
      object: { type: 'credential', param: 'credential', level: 'view' },
      summary: 'Get a credential (metadata only)',
      response: Credential,
      handler: async (c) => {
        const record = await deps.credentials.get(c.params.ws as string, c.params.credential as string);
        if (!record) throw new NotFoundError(`credential ${c.params.credential}`);
        return json(200, record.credential);
      },
    },
    {
      method: 'PATCH',
      path: `${WS}/credentials/:credential`,
      access: { kind: 'permission', permission: 'credential:write' },
      object: { type: 'credential', param: 'credential', level: 'manage' },
      summary: "Update a credential's description or access list",
      request: UpdateCredentialRequest,
      response: Credential,
      handler: async (c) => {
        const req = c.body(UpdateCredentialRequest);
        const updated = await deps.credentials.update(
          c.params.ws as string,
          c.params.credential as string,
          (cur) => ({
            ...cur,
            ...(req.description === undefined ? {} : { description: req.description }),
            ...(req.access === undefined ? {} : { access: req.access }),
            updatedAt: c.now.toISOString(),
          }),
        );
        return json(200, updated);
      },
    },
    {
      method: 'POST',
      path: `${WS}/credentials/:credential/verify`,
      access: { kind: 'permission', permission: 'credential:write' },
      object: { type: 'credential', param: 'credential', level: 'manage' },
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
      object: { type: 'credential', param: 'credential', level: 'manage' },
      summary: 'Delete a credential; runs that need it fail with a message saying so',
      handler: async (c) => {
        await deps.credentials.delete(c.params.ws as string, c.params.credential as string);
        return { status: 204 };
      },
    },
  ];
}
