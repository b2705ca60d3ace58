import { z } from 'zod';
import { CreateSecretRequest, RunSecrets, Secret, UpdateSecretRequest } from '../contracts/secret.js';
import { NotFoundError } from '../domain/errors.js';
import { ObjectAccess } from '../services/objectAccess.js';
import { createSecret, type RunSecretDeps, readRunSecrets, updateSecret } from '../services/secrets.js';
import { json } from './router.js';
import type { Route } from './types.js';

const WS = '/v1/workspaces/:ws';

/**
 * Secrets: write-only values. Every answer to a person or service account is
 * metadata; the one route that returns values answers only a run token, for
 * the secrets its own deployment declares.
 */
export function secretRoutes(deps: RunSecretDeps & { objects?: ObjectAccess | undefined }): Route[] {
  const objects =
    deps.objects ??
    new ObjectAccess({ workspaces: deps.workspaces, runs: deps.runs, secretStore: deps.secrets });
  return [
    {
      method: 'POST',
      path: `${WS}/secrets`,
      access: { kind: 'permission', permission: 'secret:write' },
      summary: 'Create a secret (the value is sealed under the workspace key and never returned)',
      request: CreateSecretRequest,
      response: Secret,
      handler: async (c) =>
        json(201, await createSecret(deps, c.params.ws as string, c.body(CreateSecretRequest), c.now)),
    },
    {
      method: 'GET',
      path: `${WS}/secrets`,
      access: { kind: 'permission', permission: 'secret:read' },
      summary: 'List secrets (metadata only, filtered by their access lists)',
      response: z.object({ items: z.array(Secret) }),
      handler: async (c) =>
        json(200, {
          items: objects.visibleSecrets(c.principal, await deps.secrets.list(c.params.ws as string)),
        }),
    },
    {
      method: 'GET',
      path: `${WS}/secrets/:secret`,
      access: { kind: 'permission', permission: 'secret:read' },
      object: { type: 'secret', param: 'secret', level: 'view' },
      summary: 'Get a secret (metadata only)',
      response: Secret,
      handler: async (c) => {
        const record = await deps.secrets.get(c.params.ws as string, c.params.secret as string);
        if (!record) throw new NotFoundError(`secret ${c.params.secret}`);
        return json(200, record.secret);
      },
    },
    {
      method: 'PATCH',
      path: `${WS}/secrets/:secret`,
      access: { kind: 'permission', permission: 'secret:write' },
      object: { type: 'secret', param: 'secret', level: 'manage' },
      summary: "Rotate a secret's value (version + 1) and/or change its description or access list",
      request: UpdateSecretRequest,
      response: Secret,
      handler: async (c) => {
        const req = c.body(UpdateSecretRequest);
        const updated = await updateSecret(
          deps,
          c.params.ws as string,
          c.params.secret as string,
          req,
          c.now,
        );
        // The audit event says a rotation happened and to which version; never what the value is.
        if (req.value !== undefined) c.audit.details = { rotated: true, version: updated.version };
        return json(200, updated);
      },
    },
    {
      method: 'DELETE',
      path: `${WS}/secrets/:secret`,
      access: { kind: 'permission', permission: 'secret:write' },
      object: { type: 'secret', param: 'secret', level: 'manage' },
      summary: 'Delete a secret; runs of deployments that declare it fail to read their secrets',
      handler: async (c) => {
        await deps.secrets.delete(c.params.ws as string, c.params.secret as string);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: `${WS}/runs/:run/secrets`,
      // Held by run tokens alone (for their own run, while it is active): no role has it.
      access: { kind: 'permission', permission: 'run:secrets' },
      summary: "The values of the secrets the run's deployment declares, by env name (run token only)",
      response: RunSecrets,
      handler: async (c) => {
        const ws = c.params.ws as string;
        const runId = c.params.run as string;
        // The router already refused every other principal; this keeps it so if a role ever gained it.
        if (c.principal.kind !== 'run' || c.principal.runId !== runId)
          throw new NotFoundError(`run ${runId}`);
        c.audit.record = true;
        c.audit.action = 'secret.read';
        c.audit.target = `run:${runId}`;
        const out = await readRunSecrets(deps, ws, runId);
        c.audit.details = { env: Object.keys(out.values).sort().join(',') };
        return json(200, out, { 'cache-control': 'no-store' });
      },
    },
  ];
}
