import type { ApiKeyMetadata, CreatedApiKey, Member } from '../contracts/principal.js';
import type { CreateWorkspaceRequest, UpdateWorkspaceRequest, Workspace } from '../contracts/workspace.js';
import { generateApiKey } from '../domain/apiKeys.js';
import { NotFoundError } from '../domain/errors.js';
import { newSortableId } from '../domain/ids.js';
import type { ApiKeyRecord, WorkspaceStore } from '../ports/workspaceStore.js';

/** Called after a workspace exists, before it is returned (e.g. to create its KMS key). */
export type WorkspaceProvisioner = (workspace: string) => Promise<void>;

export interface WorkspaceDeps {
  store: WorkspaceStore;
  provision?: WorkspaceProvisioner | undefined;
}

export function toKeyMetadata(record: ApiKeyRecord): ApiKeyMetadata {
  const { hash: _hash, principalKind: _kind, ...meta } = record;
  return meta;
}

export async function createWorkspace(
  deps: WorkspaceDeps,
  req: CreateWorkspaceRequest,
  now: Date,
): Promise<{ workspace: Workspace; owner: Member; apiKey: CreatedApiKey }> {
  const at = now.toISOString();
  const workspace: Workspace = {
    name: req.name,
    displayName: req.displayName ?? req.name,
    settings: { logsEnabled: req.settings?.logsEnabled ?? true },
    createdAt: at,
    updatedAt: at,
  };
  const owner: Member = {
    id: newSortableId(now.getTime()),
    email: req.ownerEmail.toLowerCase(),
    ...(req.ownerName === undefined ? {} : { name: req.ownerName }),
    role: 'owner',
    active: true,
    createdAt: at,
  };
  const { key, keyId, hash } = generateApiKey(req.name);
  const ownerKey: ApiKeyRecord = {
    id: keyId,
    principal: owner.id,
    principalKind: 'member',
    hash,
    description: 'first owner key',
    createdAt: at,
  };
  await deps.store.createWorkspace({ workspace, owner, ownerKey });
  if (deps.provision) await deps.provision(workspace.name);
  return { workspace, owner, apiKey: { ...toKeyMetadata(ownerKey), key } };
}

export async function getWorkspace(deps: WorkspaceDeps, ws: string): Promise<Workspace> {
  const workspace = await deps.store.getWorkspace(ws);
  if (!workspace) throw new NotFoundError(`workspace ${ws}`);
  return workspace;
}

export function updateWorkspace(
  deps: WorkspaceDeps,
  ws: string,
  req: UpdateWorkspaceRequest,
  now: Date,
): Promise<Workspace> {
  return deps.store.updateWorkspace(ws, (current) => ({
    ...current,
    ...(req.displayName === undefined ? {} : { displayName: req.displayName }),
    settings: { ...current.settings, ...req.settings },
    updatedAt: now.toISOString(),
  }));
}
