import type { Deployment } from '../contracts/deployment.js';
import type { ApiKeyMetadata, Member, ServiceAccount } from '../contracts/principal.js';
import type { WorkPool } from '../contracts/workPool.js';
import type { Workspace } from '../contracts/workspace.js';
import type { BuiltInRole } from '../domain/permissions.js';

export type PrincipalKind = 'member' | 'service_account';

/** A stored API key: the hash of the key, never the key. */
export interface ApiKeyRecord extends ApiKeyMetadata {
  principalKind: PrincipalKind;
  hash: string;
}

export interface PrincipalRecord {
  kind: PrincipalKind;
  id: string;
  role: BuiltInRole;
  active: boolean;
  email?: string | undefined;
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string | undefined;
}

/**
 * Everything about a workspace except its runs. Every method is scoped by the
 * workspace name: documents live under workspaces/{ws}/, so no call can reach
 * another tenant's data. Reads return null for what does not exist; writes throw
 * AlreadyExistsError / NotFoundError; all throw RetryableError when Firestore is
 * unreachable.
 */
export interface WorkspaceStore {
  /** Creates the workspace, its owner member and the owner's first API key atomically. */
  createWorkspace(input: { workspace: Workspace; owner: Member; ownerKey: ApiKeyRecord }): Promise<void>;
  getWorkspace(ws: string): Promise<Workspace | null>;
  updateWorkspace(ws: string, patch: (current: Workspace) => Workspace): Promise<Workspace>;
  /** Deletes the workspace document and everything under it. Resolves if it is already gone. */
  deleteWorkspace(ws: string): Promise<void>;

  createMember(ws: string, member: Member): Promise<void>;
  getMember(ws: string, id: string): Promise<Member | null>;
  findMemberByEmail(ws: string, email: string): Promise<Member | null>;
  listMembers(ws: string, page: { pageSize: number; pageToken?: string | undefined }): Promise<Page<Member>>;
  deleteMember(ws: string, id: string): Promise<void>;

  createServiceAccount(ws: string, sa: ServiceAccount): Promise<void>;
  getServiceAccount(ws: string, name: string): Promise<ServiceAccount | null>;
  listServiceAccounts(
    ws: string,
    page: { pageSize: number; pageToken?: string | undefined },
  ): Promise<Page<ServiceAccount>>;
  deleteServiceAccount(ws: string, name: string): Promise<void>;

  createApiKey(ws: string, key: ApiKeyRecord): Promise<void>;
  getApiKey(ws: string, keyId: string): Promise<ApiKeyRecord | null>;
  listApiKeys(ws: string, principalId: string): Promise<ApiKeyRecord[]>;
  revokeApiKey(ws: string, keyId: string, at: string): Promise<ApiKeyRecord>;
  /** Revokes every key of a principal (removal or deactivation). */
  revokeApiKeysOf(ws: string, principalId: string, at: string): Promise<number>;
  touchApiKey(ws: string, keyId: string, at: string): Promise<void>;

  createWorkPool(ws: string, pool: WorkPool): Promise<void>;
  getWorkPool(ws: string, name: string): Promise<WorkPool | null>;
  listWorkPools(
    ws: string,
    page: { pageSize: number; pageToken?: string | undefined },
  ): Promise<Page<WorkPool>>;
  updateWorkPool(ws: string, name: string, patch: (current: WorkPool) => WorkPool): Promise<WorkPool>;
  /** Throws FailedPreconditionError while deployments still use the pool. */
  deleteWorkPool(ws: string, name: string): Promise<void>;

  createDeployment(ws: string, deployment: Deployment): Promise<void>;
  getDeployment(ws: string, name: string): Promise<Deployment | null>;
  listDeployments(
    ws: string,
    page: { pageSize: number; pageToken?: string | undefined },
  ): Promise<Page<Deployment>>;
  updateDeployment(ws: string, name: string, patch: (current: Deployment) => Deployment): Promise<Deployment>;
  deleteDeployment(ws: string, name: string): Promise<void>;
}
