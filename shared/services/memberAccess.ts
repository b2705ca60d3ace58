import type {
  RotateKeyRequest,
  ScimTokenResponse,
  UpdateMemberRequest,
  UpdateServiceAccountRequest,
} from '../contracts/access.js';
import type { CreatedApiKey, Member, ServiceAccount } from '../contracts/principal.js';
import { generateApiKey } from '../domain/apiKeys.js';
import { FailedPreconditionError, NotFoundError } from '../domain/errors.js';
import { generateScimToken } from '../domain/scimTokens.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { ApiKeyRecord, WorkspaceStore } from '../ports/workspaceStore.js';
import { describePrincipal, type Principal } from './principal.js';
import { assertMayGrant } from './roles.js';
import { toKeyMetadata } from './workspaces.js';

export interface MemberAccessDeps {
  access: AccessStore;
  workspaces: WorkspaceStore;
}

/**
 * The last active owner can be neither demoted nor deactivated: a workspace
 * must always have someone who can manage it (removal is guarded in principals.ts).
 */
export async function assertNotLastOwner(deps: MemberAccessDeps, ws: string, member: Member, what: string) {
  if (member.role === 'owner' && member.active && (await deps.access.countActiveOwners(ws)) <= 1) {
    throw new FailedPreconditionError(`the last owner of a workspace cannot be ${what}`);
  }
}

export async function updateMember(
  deps: MemberAccessDeps,
  ws: string,
  id: string,
  req: UpdateMemberRequest,
  caller: Principal,
  now: Date,
): Promise<Member> {
  const member = await deps.workspaces.getMember(ws, id);
  if (!member) throw new NotFoundError(`member ${id}`);
  const changesRole = req.role !== undefined && req.role !== member.role;
  const deactivates = req.active === false && member.active;
  if (changesRole || req.active !== undefined) {
    // Both the old role (taking it away) and the new one (handing it out) must be within the caller's reach.
    await assertMayGrant(deps, ws, caller, member.role);
  }
  if (changesRole) await assertMayGrant(deps, ws, caller, req.role as string);
  if (changesRole && member.role === 'owner') await assertNotLastOwner(deps, ws, member, 'demoted');
  if (deactivates) await assertNotLastOwner(deps, ws, member, 'deactivated');
  const updated = await deps.access.updateMember(ws, id, (m) => ({
    ...m,
    ...(req.role === undefined ? {} : { role: req.role }),
    ...(req.name === undefined ? {} : { name: req.name }),
    ...(req.active === undefined ? {} : { active: req.active }),
    updatedAt: now.toISOString(),
  }));
  if (deactivates) await deps.workspaces.revokeApiKeysOf(ws, id, now.toISOString());
  return updated;
}

export async function updateServiceAccount(
  deps: MemberAccessDeps,
  ws: string,
  name: string,
  req: UpdateServiceAccountRequest,
  caller: Principal,
): Promise<ServiceAccount> {
  const sa = await deps.workspaces.getServiceAccount(ws, name);
  if (!sa) throw new NotFoundError(`service account ${name}`);
  if (req.role !== undefined && req.role !== sa.role) {
    await assertMayGrant(deps, ws, caller, sa.role);
    await assertMayGrant(deps, ws, caller, req.role);
  }
  return deps.access.updateServiceAccount(ws, name, (s) => ({
    ...s,
    ...(req.role === undefined ? {} : { role: req.role }),
    ...(req.description === undefined ? {} : { description: req.description }),
  }));
}

/**
 * Rotation: a new key now, and the old one expires after the overlap, so a
 * deployment can roll the new key out while both work. An old key that already
 * expires sooner keeps its earlier expiry.
 */
export async function rotateServiceAccountKey(
  deps: MemberAccessDeps,
  ws: string,
  saName: string,
  keyId: string,
  req: RotateKeyRequest,
  caller: Principal,
  now: Date,
): Promise<{ newKey: CreatedApiKey; oldKeyExpiresAt: string }> {
  const sa = await deps.workspaces.getServiceAccount(ws, saName);
  const old = await deps.workspaces.getApiKey(ws, keyId);
  if (!sa || !old || old.principal !== saName || old.principalKind !== 'service_account') {
    throw new NotFoundError(`key ${keyId}`);
  }
  await assertMayGrant(deps, ws, caller, sa.role);
  if (
    old.revokedAt !== undefined ||
    (old.expiresAt !== undefined && Date.parse(old.expiresAt) <= now.getTime())
  ) {
    throw new FailedPreconditionError(`key ${keyId} is no longer valid; create a new key instead`);
  }
  const { key, keyId: newId, hash } = generateApiKey(ws);
  const record: ApiKeyRecord = {
    id: newId,
    principal: saName,
    principalKind: 'service_account',
    hash,
    createdAt: now.toISOString(),
    description: req.description ?? old.description ?? `rotated from ${keyId}`,
    ...(req.expiresInSeconds === undefined
      ? {}
      : { expiresAt: new Date(now.getTime() + req.expiresInSeconds * 1000).toISOString() }),
  };
  await deps.workspaces.createApiKey(ws, record);
  const overlapEnd = now.getTime() + req.overlapSeconds * 1000;
  const updated = await deps.access.updateApiKey(ws, keyId, (k) => {
    const current = k.expiresAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(k.expiresAt);
    return { ...k, expiresAt: new Date(Math.min(current, overlapEnd)).toISOString() };
  });
  return { newKey: { ...toKeyMetadata(record), key }, oldKeyExpiresAt: updated.expiresAt as string };
}

/** Creates or replaces the workspace's SCIM token (shown once); the previous one stops working at once. */
export async function rotateScimToken(
  deps: MemberAccessDeps,
  ws: string,
  caller: Principal,
  now: Date,
): Promise<ScimTokenResponse> {
  const { token, hash } = generateScimToken(ws);
  const createdAt = now.toISOString();
  await deps.access.setScimToken(ws, { hash, createdAt, createdBy: describePrincipal(caller) });
  return { token, createdAt };
}
