import type { AuditEvent, Role, Team } from '../contracts/access.js';
import type { Member, ServiceAccount } from '../contracts/principal.js';
import type { ApiKeyRecord, Page } from './workspaceStore.js';

/** The stored SCIM bearer token of a workspace: its hash only. */
export interface ScimTokenRecord {
  hash: string;
  createdAt: string;
  createdBy: string;
}

export interface AuditQuery {
  actorKey?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  pageSize: number;
  pageToken?: string | undefined;
}

/**
 * Roles, teams, the audit log, the SCIM token and the principal updates that
 * access control needs. Scoped by workspace like WorkspaceStore (documents under
 * workspaces/{ws}/roles, teams, auditEvents, scim). Reads return null for what
 * does not exist; updates throw NotFoundError; creates throw AlreadyExistsError;
 * all throw RetryableError when Firestore is unreachable.
 */
export interface AccessStore {
  createRole(ws: string, role: Role): Promise<void>;
  getRole(ws: string, name: string): Promise<Role | null>;
  /** Roles by name, for resolving a principal's effective permissions; missing names are absent. */
  getRoles(ws: string, names: string[]): Promise<Role[]>;
  listRoles(ws: string): Promise<Role[]>;
  updateRole(ws: string, name: string, patch: (current: Role) => Role): Promise<Role>;
  /** Throws FailedPreconditionError while a member, service account or team still holds it. */
  deleteRole(ws: string, name: string): Promise<void>;

  createTeam(ws: string, team: Team): Promise<void>;
  getTeam(ws: string, id: string): Promise<Team | null>;
  findTeamByName(ws: string, name: string): Promise<Team | null>;
  findTeamByExternalId(ws: string, externalId: string): Promise<Team | null>;
  listTeams(ws: string, page: { offset: number; limit: number }): Promise<{ items: Team[]; total: number }>;
  /** Teams that list the principal key (`member:<id>` / `service_account:<name>`). */
  teamsOf(ws: string, principalKey: string): Promise<Team[]>;
  updateTeam(ws: string, id: string, patch: (current: Team) => Team): Promise<Team>;
  deleteTeam(ws: string, id: string): Promise<void>;
  /** Drops a principal from every team (member deleted through SCIM or the API). */
  removeFromAllTeams(ws: string, principalKey: string): Promise<void>;

  updateMember(ws: string, id: string, patch: (current: Member) => Member): Promise<Member>;
  findMemberByExternalId(ws: string, externalId: string): Promise<Member | null>;
  findMemberByUserName(ws: string, userName: string): Promise<Member | null>;
  listMembersPage(
    ws: string,
    page: { offset: number; limit: number },
  ): Promise<{ items: Member[]; total: number }>;
  countActiveOwners(ws: string): Promise<number>;
  updateServiceAccount(
    ws: string,
    name: string,
    patch: (current: ServiceAccount) => ServiceAccount,
  ): Promise<ServiceAccount>;
  updateApiKey(
    ws: string,
    keyId: string,
    patch: (current: ApiKeyRecord) => ApiKeyRecord,
  ): Promise<ApiKeyRecord>;

  getScimToken(ws: string): Promise<ScimTokenRecord | null>;
  /** Replaces the workspace's SCIM token: the previous one stops working at once. */
  setScimToken(ws: string, token: ScimTokenRecord): Promise<void>;

  /** Appends one event; `expireAt` drives the TTL policy. Events are never updated. */
  appendAuditEvent(ws: string, event: AuditEvent, expireAt: Date): Promise<void>;
  listAuditEvents(ws: string, q: AuditQuery): Promise<Page<AuditEvent>>;
}
