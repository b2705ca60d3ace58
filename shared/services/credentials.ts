import { createHash } from 'node:crypto';
import type { CreateCredentialRequest, Credential, VerifyCredentialResult } from '../contracts/credential.js';
import {
  CUSTOMER_PROJECT_LEVEL_PERMISSIONS,
  CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
} from '../domain/customerPermissions.js';
import type { DataKeyCache } from '../domain/envelope.js';
import { openSecret, sealSecret } from '../domain/envelope.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../domain/errors.js';
import { descriptionBindsWorkspace, workspaceBindingToken } from '../domain/workspaceBinding.js';
import type { CredentialStore } from '../ports/credentialStore.js';
import {
  type CustomerCredential,
  type PermissionChecker,
  ServiceAccountKey,
} from '../ports/customerAccess.js';
import type { KeyService } from '../ports/keyService.js';

export interface CredentialDeps {
  credentials: CredentialStore;
  keys: KeyService;
  permissions: PermissionChecker;
  dataKeys?: DataKeyCache | undefined;
}

/** The AAD object id: binds a sealed key to this workspace's credential of this name. */
function objectId(name: string): string {
  return `credential/${name}`;
}

function fingerprint(email: string, keyId: string | undefined): string {
  return createHash('sha256')
    .update(`${email}\0${keyId ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

function parseKey(raw: Record<string, unknown>): ServiceAccountKey {
  const parsed = ServiceAccountKey.safeParse(raw);
  if (!parsed.success) {
    // Name the fields only: a message must never echo key material.
    throw new InvalidArgumentError(
      'serviceAccountKey is not a Google service account key',
      parsed.error.issues.map((i) => ({
        field: ['serviceAccountKey', ...i.path.map(String)].join('.'),
        issue: i.path[0] === 'type' ? i.message : 'missing or malformed',
      })),
    );
  }
  return parsed.data;
}

async function missingOnProject(
  deps: CredentialDeps,
  cred: CustomerCredential,
  projectId: string,
): Promise<string[]> {
  const granted = new Set(
    await deps.permissions.grantedOnProject(cred, projectId, CUSTOMER_PROJECT_LEVEL_PERMISSIONS),
  );
  return CUSTOMER_PROJECT_LEVEL_PERMISSIONS.filter((p) => !granted.has(p));
}

/**
 * Proves that the customer owning an impersonated account meant it for workspace `ws`:
 * pushrun, acting as the account, reads its description, which must name the workspace
 * (shared/domain/workspaceBinding.ts). pushrun has one platform identity that every keyless
 * customer trusts, so without this any workspace could name another customer's account.
 *
 * Key credentials need no such proof: holding the private key is itself the owner's
 * consent, and a key reaches pushrun only from whoever registers it.
 *
 * The message never echoes the description: it may name another customer's workspace.
 */
async function checkWorkspaceBinding(
  deps: CredentialDeps,
  ws: string,
  cred: CustomerCredential & { kind: 'impersonation' },
): Promise<void> {
  const email = cred.serviceAccountEmail;
  const token = workspaceBindingToken(ws);
  const account = await deps.permissions.readServiceAccount(cred, email);
  if (!account) {
    throw new InvalidArgumentError(
      `pushrun cannot read service account ${email} as itself: grant it iam.serviceAccounts.get on itself (the customer-onboarding module does), and set its description to contain ${token}`,
      [
        {
          field: 'serviceAccountEmail',
          issue: `cannot read the account to find ${token} in its description`,
        },
      ],
    );
  }
  if (!descriptionBindsWorkspace(account.description, ws)) {
    throw new InvalidArgumentError(
      `service account ${email} is not bound to workspace ${ws}: its description must contain ${token} as a separate word (the customer-onboarding module sets it)`,
      [{ field: 'serviceAccountEmail', issue: `description does not contain ${token}` }],
    );
  }
}

/**
 * Registers a credential: checks its shape, for impersonation that the account's owner
 * bound it to this workspace, proves in the customer project that
 * it holds every permission pushrun needs (400 naming each missing one, nothing
 * stored), then seals the key under the workspace's KMS key and stores it.
 */
export async function registerCredential(
  deps: CredentialDeps,
  ws: string,
  req: CreateCredentialRequest,
  now: Date,
): Promise<Credential> {
  let cred: CustomerCredential;
  let clientEmail: string;
  let keyId: string | undefined;
  if (req.kind === 'service_account_key') {
    const key = parseKey(req.serviceAccountKey ?? {});
    cred = { kind: 'service_account_key', key };
    clientEmail = key.client_email;
    keyId = key.private_key_id;
  } else {
    clientEmail = req.serviceAccountEmail as string;
    cred = { kind: 'impersonation', serviceAccountEmail: clientEmail };
  }
  if (await deps.credentials.get(ws, req.name))
    throw new FailedPreconditionError(`credential ${req.name} already exists`);

  // Before the permission check: a workspace that names someone else's account learns
  // nothing about what that account may do.
  if (cred.kind === 'impersonation') await checkWorkspaceBinding(deps, ws, cred);
  const missing = await missingOnProject(deps, cred, req.projectId);
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      `${clientEmail} lacks ${missing.length} permission(s) pushrun needs in project ${req.projectId}: ${missing.join(', ')}`,
      missing.map((p) => ({ field: 'permissions', issue: `missing ${p}` })),
    );
  }

  const at = now.toISOString();
  const credential: Credential = {
    name: req.name,
    kind: req.kind,
    projectId: req.projectId,
    ...(req.description === undefined ? {} : { description: req.description }),
    ...(req.access === undefined ? {} : { access: req.access }),
    clientEmail,
    ...(keyId === undefined ? {} : { keyId }),
    fingerprint: fingerprint(clientEmail, keyId),
    verifiedAt: at,
    missingPermissions: [],
    createdAt: at,
    updatedAt: at,
  };
  const sealed =
    cred.kind === 'service_account_key'
      ? await sealSecret(deps.keys, ws, objectId(req.name), Buffer.from(JSON.stringify(cred.key), 'utf8'))
      : undefined;
  await deps.credentials.create(ws, { credential, sealed });
  return credential;
}

/** Decrypts a stored credential for use. Throws NotFoundError when it was deleted. */
export async function openCredential(
  deps: CredentialDeps,
  ws: string,
  name: string,
): Promise<CustomerCredential> {
  const record = await deps.credentials.get(ws, name);
  if (!record) throw new NotFoundError(`credential ${name}`);
  const c = record.credential;
  if (c.kind === 'impersonation') return { kind: 'impersonation', serviceAccountEmail: c.clientEmail };
  if (!record.sealed) throw new FailedPreconditionError(`credential ${name} has no stored key`);
  const plain = await openSecret(deps.keys, ws, objectId(name), record.sealed, deps.dataKeys);
  try {
    return { kind: 'service_account_key', key: ServiceAccountKey.parse(JSON.parse(plain.toString('utf8'))) };
  } finally {
    plain.fill(0);
  }
}

/**
 * Re-checks a stored credential and records the result. An impersonated account whose
 * description no longer names this workspace is refused (400 naming serviceAccountEmail),
 * as at registration, and nothing is recorded.
 */
export async function verifyCredential(
  deps: CredentialDeps,
  ws: string,
  name: string,
  now: Date,
): Promise<VerifyCredentialResult> {
  const record = await deps.credentials.get(ws, name);
  if (!record) throw new NotFoundError(`credential ${name}`);
  const cred = await openCredential(deps, ws, name);
  if (cred.kind === 'impersonation') await checkWorkspaceBinding(deps, ws, cred);
  const missing = await missingOnProject(deps, cred, record.credential.projectId);
  const credential = await deps.credentials.update(ws, name, (c) => ({
    ...c,
    verifiedAt: now.toISOString(),
    missingPermissions: missing,
    updatedAt: now.toISOString(),
  }));
  return { credential, ok: missing.length === 0, missingPermissions: missing };
}

/**
 * A work pool may only name a credential that exists, for the same project, and
 * — when it sets a runtime service account — one the credential may act as.
 */
export async function checkPoolCredential(
  deps: CredentialDeps,
  ws: string,
  name: string,
  pool: { projectId?: string | undefined; serviceAccount?: string | undefined },
): Promise<void> {
  const record = await deps.credentials.get(ws, name);
  if (!record) {
    throw new InvalidArgumentError(`credential ${name} does not exist`, [
      { field: 'credential', issue: 'no such credential' },
    ]);
  }
  if (pool.projectId !== undefined && pool.projectId !== record.credential.projectId) {
    throw new InvalidArgumentError(`credential ${name} is for project ${record.credential.projectId}`, [
      { field: 'projectId', issue: `does not match the credential's project ${record.credential.projectId}` },
    ]);
  }
  if (pool.serviceAccount !== undefined) {
    const cred = await openCredential(deps, ws, name);
    const granted = new Set(
      await deps.permissions.grantedOnServiceAccount(
        cred,
        pool.serviceAccount,
        CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS,
      ),
    );
    const missing = CUSTOMER_RUNTIME_SERVICE_ACCOUNT_PERMISSIONS.filter((p) => !granted.has(p));
    if (missing.length > 0) {
      throw new InvalidArgumentError(
        `${record.credential.clientEmail} may not run jobs as ${pool.serviceAccount}: missing ${missing.join(', ')}`,
        [
          {
            field: 'baseJobTemplate.serviceAccount',
            issue: `credential lacks ${missing.join(', ')} on this account`,
          },
        ],
      );
    }
  }
}
