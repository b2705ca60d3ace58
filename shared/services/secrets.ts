import type { SealedSecret } from '../contracts/sealedSecret.js';
import type { CreateSecretRequest, RunSecrets, Secret, UpdateSecretRequest } from '../contracts/secret.js';
import type { DataKeyCache } from '../domain/envelope.js';
import { openSecret, sealSecret } from '../domain/envelope.js';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../domain/errors.js';
import type { KeyService } from '../ports/keyService.js';
import type { RunStore } from '../ports/runStore.js';
import type { SecretStore } from '../ports/secretStore.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';

export interface SecretDeps {
  secrets: SecretStore;
  keys: KeyService;
  dataKeys?: DataKeyCache | undefined;
}

/**
 * The AAD object id: binds a sealed value to this workspace's secret of this
 * name, so a ciphertext copied onto another secret (or credential) does not open.
 */
export function secretObjectId(name: string): string {
  return `secret/${name}`;
}

async function seal(deps: SecretDeps, ws: string, name: string, value: string): Promise<SealedSecret> {
  const plain = Buffer.from(value, 'utf8');
  try {
    return await sealSecret(deps.keys, ws, secretObjectId(name), plain);
  } finally {
    plain.fill(0);
  }
}

/** Seals the value under the workspace key and stores it; returns metadata only. */
export async function createSecret(
  deps: SecretDeps,
  ws: string,
  req: CreateSecretRequest,
  now: Date,
): Promise<Secret> {
  // Checked first so a taken name costs no KMS call; the create below still refuses a race.
  if (await deps.secrets.get(ws, req.name)) throw new AlreadyExistsError(`secret ${req.name}`);
  const at = now.toISOString();
  const secret: Secret = {
    name: req.name,
    ...(req.description === undefined ? {} : { description: req.description }),
    version: 1,
    ...(req.access == null ? {} : { access: req.access }),
    valueUpdatedAt: at,
    createdAt: at,
    updatedAt: at,
  };
  await deps.secrets.create(ws, { secret, sealed: await seal(deps, ws, req.name, req.value) });
  return secret;
}

/**
 * Changes metadata and/or rotates the value. A rotation seals the new value
 * with a fresh data key and bumps `version`; the old ciphertext is overwritten
 * in the same transaction. Throws NotFoundError.
 */
export async function updateSecret(
  deps: SecretDeps,
  ws: string,
  name: string,
  req: UpdateSecretRequest,
  now: Date,
): Promise<Secret> {
  if (req.value !== undefined && !(await deps.secrets.get(ws, name)))
    throw new NotFoundError(`secret ${name}`);
  const sealed = req.value === undefined ? undefined : await seal(deps, ws, name, req.value);
  const at = now.toISOString();
  return deps.secrets.update(ws, name, (cur) => {
    const next: Secret = {
      ...cur,
      ...(req.description === undefined ? {} : { description: req.description }),
      ...(sealed === undefined ? {} : { version: cur.version + 1, valueUpdatedAt: at }),
      updatedAt: at,
    };
    if (req.access !== undefined) {
      // null clears the list (everyone the role allows), as for the other objects.
      if (req.access === null) delete next.access;
      else next.access = req.access;
    }
    return { secret: next, sealed };
  });
}

export interface RunSecretDeps extends SecretDeps {
  runs: RunStore;
  workspaces: WorkspaceStore;
}

/**
 * The values a run's deployment declares in `secretEnv`, keyed by env name,
 * decrypted for the run's container. The caller has already proved it holds
 * this run's token, which the verifier refuses once the run is terminal.
 * Access lists were checked against the deployment's author when it declared
 * the secrets; the run acts on that grant. Errors name secrets, never values.
 */
export async function readRunSecrets(deps: RunSecretDeps, ws: string, runId: string): Promise<RunSecrets> {
  const run = await deps.runs.getRun(ws, runId);
  if (!run) throw new NotFoundError(`run ${runId}`);
  const deployment = await deps.workspaces.getDeployment(ws, run.deployment);
  if (!deployment) {
    throw new FailedPreconditionError(`deployment ${run.deployment} no longer exists; its secrets are gone`);
  }
  const entries = Object.entries(deployment.secretEnv ?? {});
  const records = await Promise.all(entries.map(([, name]) => deps.secrets.get(ws, name)));
  const missing = entries.filter((_e, i) => records[i] === null);
  if (missing.length > 0) {
    throw new FailedPreconditionError(
      `secret(s) declared by deployment ${deployment.name} no longer exist: ${missing.map(([, n]) => n).join(', ')}`,
      missing.map(([env, n]) => ({ field: `secretEnv.${env}`, issue: `secret ${n} does not exist` })),
    );
  }
  const values: Record<string, string> = {};
  const versions: Record<string, number> = {};
  for (const [i, [env, name]] of entries.entries()) {
    const record = records[i];
    if (!record) continue;
    const plain = await openSecret(deps.keys, ws, secretObjectId(name), record.sealed, deps.dataKeys);
    try {
      values[env] = plain.toString('utf8');
    } finally {
      plain.fill(0);
    }
    versions[env] = record.secret.version;
  }
  return { values, versions };
}
