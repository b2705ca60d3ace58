import type { ApiKeyMetadata, CreatedApiKey, Member } from '../contracts/principal.js';
import type { CreateWorkspaceRequest, UpdateWorkspaceRequest, Workspace } from '../contracts/workspace.js';
import { generateApiKey } from '../domain/apiKeys.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../domain/errors.js';
import { newSortableId } from '../domain/ids.js';
import type { ApiKeyRecord, WorkspaceStore } from '../ports/workspaceStore.js';

/** Called after a workspace exists, before it is returned (e.g. to create its KMS key). */
export type WorkspaceProvisioner = (workspace: string) => Promise<void>;

export interface WorkspaceDeps {
  store: WorkspaceStore;
  provision?: WorkspaceProvisioner | undefined;
  /** Destroys the workspace's key material (crypto-shredding) before its data is deleted. */
  deprovision?: WorkspaceProvisioner | undefined;
  /** Whether the workspace has runs that are launched and not yet finished. */
  hasActiveRuns?: ((ws: string) => Promise<boolean>) | undefined;
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

/**
 * Deletes a workspace for good. The caller confirms by naming it (a guard
 * against a stray DELETE). Refused while runs are in flight: their jobs live in
 * customer projects that pushrun could no longer reach to cancel or clean up.
 * The workspace's KMS key versions are destroyed first, so every sealed
 * credential and secret is unreadable even before (or if) the data deletion
 * completes; then every document under the workspace is deleted.
 */
export async function deleteWorkspace(
  deps: WorkspaceDeps,
  ws: string,
  confirm: string | null,
): Promise<void> {
  if (confirm !== ws) {
    throw new InvalidArgumentError('confirm the deletion by naming the workspace', [
      { field: 'confirm', issue: `must be ${ws}` },
    ]);
  }
  await getWorkspace(deps, ws);
  if (deps.hasActiveRuns && (await deps.hasActiveRuns(ws))) {
    throw new FailedPreconditionError(`workspace ${ws} has runs in flight: cancel them first`);
  }
  if (deps.deprovision) await deps.deprovision(ws);
  await deps.store.deleteWorkspace(ws);
}
