import type {
  ApiKeyMetadata,
  CreateApiKeyRequest,
  CreatedApiKey,
  CreateMemberRequest,
  CreateServiceAccountRequest,
  Member,
  ServiceAccount,
} from '../contracts/principal.js';
import { generateApiKey } from '../domain/apiKeys.js';
import { FailedPreconditionError, NotFoundError, PermissionDeniedError } from '../domain/errors.js';
import { newSortableId } from '../domain/ids.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { ApiKeyRecord, Page, WorkspaceStore } from '../ports/workspaceStore.js';
import type { Principal } from './principal.js';
import { assertMayGrant, callerIsOwner } from './roles.js';
import { toKeyMetadata } from './workspaces.js';

export interface PrincipalDeps {
  store: WorkspaceStore;
  /** Custom roles and teams; without it only built-in roles can be granted. */
  access?: AccessStore | undefined;
}

/**
 * Nobody may grant, remove or mint keys for a role carrying a permission they
 * lack (no escalation), and only owners may touch the owner role.
 */
async function assertMayTouchRole(
  deps: PrincipalDeps,
  ws: string,
  caller: Principal,
  role: string,
): Promise<void> {
  if (deps.access) {
    await assertMayGrant({ access: deps.access }, ws, caller, role);
    return;
  }
  if (role === 'owner' && !callerIsOwner(caller)) {
    throw new PermissionDeniedError('only an owner may grant or remove the owner role');
  }
}

export async function createMember(
  deps: PrincipalDeps,
  ws: string,
  req: CreateMemberRequest,
  caller: Principal,
  now: Date,
): Promise<Member> {
  await assertMayTouchRole(deps, ws, caller, req.role);
  const email = req.email.toLowerCase();
  if (await deps.store.findMemberByEmail(ws, email)) {
    throw new FailedPreconditionError(`member ${email} already exists`, [
      { field: 'email', issue: 'already a member' },
    ]);
  }
  const member: Member = {
    id: newSortableId(now.getTime()),
    email,
    ...(req.name === undefined ? {} : { name: req.name }),
    role: req.role,
    active: true,
    createdAt: now.toISOString(),
  };
  await deps.store.createMember(ws, member);
  return member;
}

export async function deleteMember(
  deps: PrincipalDeps,
  ws: string,
  id: string,
  caller: Principal,
  now: Date,
): Promise<void> {
  const member = await deps.store.getMember(ws, id);
  if (!member) throw new NotFoundError(`member ${id}`);
  await assertMayTouchRole(deps, ws, caller, member.role);
  if (member.role === 'owner') {
    const owners = await countOwners(deps, ws);
    if (owners <= 1) throw new FailedPreconditionError('the last owner of a workspace cannot be removed');
  }
  // Keys first: if the delete fails halfway, the person has lost access rather than kept it.
  await deps.store.revokeApiKeysOf(ws, id, now.toISOString());
  await deps.access?.removeFromAllTeams(ws, `member:${id}`);
  await deps.store.deleteMember(ws, id);
}

async function countOwners(deps: PrincipalDeps, ws: string): Promise<number> {
  let owners = 0;
  let pageToken: string | undefined;
  do {
    const page: Page<Member> = await deps.store.listMembers(ws, { pageSize: 500, pageToken });
    owners += page.items.filter((m) => m.role === 'owner' && m.active).length;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return owners;
}

export async function createServiceAccount(
  deps: PrincipalDeps,
  ws: string,
  req: CreateServiceAccountRequest,
  caller: Principal,
  now: Date,
): Promise<ServiceAccount> {
  await assertMayTouchRole(deps, ws, caller, req.role);
  const sa: ServiceAccount = {
    name: req.name,
    ...(req.description === undefined ? {} : { description: req.description }),
    role: req.role,
    active: true,
    createdAt: now.toISOString(),
  };
  await deps.store.createServiceAccount(ws, sa);
  return sa;
}

export async function deleteServiceAccount(
  deps: PrincipalDeps,
  ws: string,
  name: string,
  caller: Principal,
  now: Date,
): Promise<void> {
  const sa = await deps.store.getServiceAccount(ws, name);
  if (!sa) throw new NotFoundError(`service account ${name}`);
  await assertMayTouchRole(deps, ws, caller, sa.role);
  await deps.store.revokeApiKeysOf(ws, name, now.toISOString());
  await deps.access?.removeFromAllTeams(ws, `service_account:${name}`);
  await deps.store.deleteServiceAccount(ws, name);
}

export async function createServiceAccountKey(
  deps: PrincipalDeps,
  ws: string,
  saName: string,
  req: CreateApiKeyRequest,
  caller: Principal,
  now: Date,
): Promise<CreatedApiKey> {
  const sa = await deps.store.getServiceAccount(ws, saName);
  if (!sa) throw new NotFoundError(`service account ${saName}`);
  await assertMayTouchRole(deps, ws, caller, sa.role);
  const { key, keyId, hash } = generateApiKey(ws);
  const record: ApiKeyRecord = {
    id: keyId,
    principal: saName,
    principalKind: 'service_account',
    hash,
    createdAt: now.toISOString(),
    ...(req.description === undefined ? {} : { description: req.description }),
    ...(req.expiresInSeconds === undefined
      ? {}
      : { expiresAt: new Date(now.getTime() + req.expiresInSeconds * 1000).toISOString() }),
  };
  await deps.store.createApiKey(ws, record);
  return { ...toKeyMetadata(record), key };
}

export async function listServiceAccountKeys(
  deps: PrincipalDeps,
  ws: string,
  saName: string,
): Promise<ApiKeyMetadata[]> {
  if (!(await deps.store.getServiceAccount(ws, saName))) throw new NotFoundError(`service account ${saName}`);
  return (await deps.store.listApiKeys(ws, saName)).map(toKeyMetadata);
}

export async function revokeServiceAccountKey(
  deps: PrincipalDeps,
  ws: string,
  saName: string,
  keyId: string,
  now: Date,
): Promise<ApiKeyMetadata> {
  const key = await deps.store.getApiKey(ws, keyId);
  if (!key || key.principal !== saName || key.principalKind !== 'service_account') {
    throw new NotFoundError(`key ${keyId}`);
  }
  return toKeyMetadata(await deps.store.revokeApiKey(ws, keyId, now.toISOString()));
}
