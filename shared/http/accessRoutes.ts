import { z } from 'zod';
import {
  AuditEvent,
  CreateRoleRequest,
  CreateTeamRequest,
  ListAuditEventsQuery,
  Role,
  RotateKeyRequest,
  ScimTokenResponse,
  SessionRequest,
  SessionResponse,
  Team,
  TeamMembersRequest,
  UpdateMemberRequest,
  UpdateRoleRequest,
  UpdateServiceAccountRequest,
  UpdateTeamRequest,
} from '../contracts/access.js';
import { CreatedApiKey, Member, ServiceAccount } from '../contracts/principal.js';
import { NotFoundError } from '../domain/errors.js';
import type { Logger } from '../logging.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';
import * as audit from '../services/audit.js';
import * as memberAccess from '../services/memberAccess.js';
import * as roles from '../services/roles.js';
import { type IdTokenVerifier, type SessionTokens, signIn } from '../services/sso.js';
import * as teams from '../services/teams.js';
import { json } from './router.js';
import type { Route } from './types.js';

export interface AccessRouteDeps {
  workspaces: WorkspaceStore;
  access: AccessStore;
  sessions: SessionTokens;
  idTokens: IdTokenVerifier | undefined;
  logger: Logger;
}

const WS = '/v1/workspaces/:ws';

/**
 * Roles, teams, member and service-account changes, key rotation, the SCIM
 * token, the audit log and SSO sign-in. Like apiRoutes, each route declares the
 * permission the router enforces; escalation checks live in the services.
 */
export function accessRoutes(deps: AccessRouteDeps): Route[] {
  const d = { access: deps.access, workspaces: deps.workspaces };
  const ws = (c: { params: Record<string, string> }) => c.params.ws as string;
  return [
    // Roles
    {
      method: 'GET',
      path: `${WS}/roles`,
      access: { kind: 'permission', permission: 'role:read' },
      summary: 'List built-in and custom roles with their permissions',
      response: z.object({ items: z.array(Role) }),
      handler: async (c) =>
        json(200, { items: [...roles.builtInRoles(), ...(await deps.access.listRoles(ws(c)))] }),
    },
    {
      method: 'POST',
      path: `${WS}/roles`,
      access: { kind: 'permission', permission: 'role:manage' },
      summary: 'Create a custom role (only from permissions you hold)',
      request: CreateRoleRequest,
      response: Role,
      handler: async (c) =>
        json(201, await roles.createRole(d, ws(c), c.body(CreateRoleRequest), c.principal, c.now)),
    },
    {
      method: 'GET',
      path: `${WS}/roles/:role`,
      access: { kind: 'permission', permission: 'role:read' },
      summary: 'Get a role',
      response: Role,
      handler: async (c) => {
        const name = c.params.role as string;
        const role =
          roles.builtInRoles().find((r) => r.name === name) ?? (await deps.access.getRole(ws(c), name));
        if (!role) throw new NotFoundError(`role ${name}`);
        return json(200, role);
      },
    },
    {
      method: 'PATCH',
      path: `${WS}/roles/:role`,
      access: { kind: 'permission', permission: 'role:manage' },
      summary: 'Change a custom role (only within permissions you hold)',
      request: UpdateRoleRequest,
      response: Role,
      handler: async (c) =>
        json(
          200,
          await roles.updateRole(
            d,
            ws(c),
            c.params.role as string,
            c.body(UpdateRoleRequest),
            c.principal,
            c.now,
          ),
        ),
    },
    {
      method: 'DELETE',
      path: `${WS}/roles/:role`,
      access: { kind: 'permission', permission: 'role:manage' },
      summary: 'Delete a custom role nobody holds',
      handler: async (c) => {
        await roles.deleteRole(d, ws(c), c.params.role as string, c.principal);
        return { status: 204 };
      },
    },

    // Teams
    {
      method: 'GET',
      path: `${WS}/teams`,
      access: { kind: 'permission', permission: 'team:read' },
      summary: 'List teams',
      response: z.object({ items: z.array(Team), totalSize: z.int() }),
      handler: async (c) => {
        const q = c.query(z.strictObject({ offset: z.coerce.number().int().min(0).max(100_000).default(0) }));
        const page = await deps.access.listTeams(ws(c), { offset: q.offset, limit: 500 });
        return json(200, { items: page.items, totalSize: page.total });
      },
    },
    {
      method: 'POST',
      path: `${WS}/teams`,
      access: { kind: 'permission', permission: 'team:manage' },
      summary: 'Create a team',
      request: CreateTeamRequest,
      response: Team,
      handler: async (c) =>
        json(201, await teams.createTeam(d, ws(c), c.body(CreateTeamRequest), c.principal, c.now)),
    },
    {
      method: 'GET',
      path: `${WS}/teams/:team`,
      access: { kind: 'permission', permission: 'team:read' },
      summary: 'Get a team',
      response: Team,
      handler: async (c) => json(200, await teams.getTeam(d, ws(c), c.params.team as string)),
    },
    {
      method: 'PATCH',
      path: `${WS}/teams/:team`,
      access: { kind: 'permission', permission: 'team:manage' },
      summary: 'Rename a team or change its roles',
      request: UpdateTeamRequest,
      response: Team,
      handler: async (c) =>
        json(
          200,
          await teams.updateTeam(
            d,
            ws(c),
            c.params.team as string,
            c.body(UpdateTeamRequest),
            c.principal,
            c.now,
          ),
        ),
    },
    {
      method: 'POST',
      path: `${WS}/teams/:team/members`,
      access: { kind: 'permission', permission: 'team:manage' },
      summary: 'Add and remove team members (users and service accounts)',
      request: TeamMembersRequest,
      response: Team,
      handler: async (c) =>
        json(
          200,
          await teams.changeTeamMembers(
            d,
            ws(c),
            c.params.team as string,
            c.body(TeamMembersRequest),
            c.principal,
            c.now,
          ),
        ),
    },
    {
      method: 'DELETE',
      path: `${WS}/teams/:team`,
      access: { kind: 'permission', permission: 'team:manage' },
      summary: 'Delete a team (its members lose its roles at once)',
      handler: async (c) => {
        await teams.deleteTeam(d, ws(c), c.params.team as string, c.principal);
        return { status: 204 };
      },
    },

    // Members and service accounts: role changes
    {
      method: 'PATCH',
      path: `${WS}/members/:member`,
      access: { kind: 'permission', permission: 'member:manage' },
      summary: 'Change a member’s role, name or active flag (the last owner stays an active owner)',
      request: UpdateMemberRequest,
      response: Member,
      handler: async (c) =>
        json(
          200,
          await memberAccess.updateMember(
            d,
            ws(c),
            c.params.member as string,
            c.body(UpdateMemberRequest),
            c.principal,
            c.now,
          ),
        ),
    },
    {
      method: 'PATCH',
      path: `${WS}/service-accounts/:sa`,
      access: { kind: 'permission', permission: 'service_account:manage' },
      summary: 'Change a service account’s role or description',
      request: UpdateServiceAccountRequest,
      response: ServiceAccount,
      handler: async (c) =>
        json(
          200,
          await memberAccess.updateServiceAccount(
            d,
            ws(c),
            c.params.sa as string,
            c.body(UpdateServiceAccountRequest),
            c.principal,
          ),
        ),
    },
    {
      method: 'POST',
      path: `${WS}/service-accounts/:sa/keys/:key:rotate`,
      access: { kind: 'permission', permission: 'service_account:manage' },
      summary: 'Rotate a key: a new key now (shown once), the old one expires after overlapSeconds',
      request: RotateKeyRequest,
      response: z.object({ newKey: CreatedApiKey, oldKeyExpiresAt: z.string() }),
      handler: async (c) => {
        const out = await memberAccess.rotateServiceAccountKey(
          d,
          ws(c),
          c.params.sa as string,
          c.params.key as string,
          c.body(RotateKeyRequest),
          c.principal,
          c.now,
        );
        c.audit.details = { newKeyId: out.newKey.id, oldKeyExpiresAt: out.oldKeyExpiresAt };
        return json(201, out);
      },
    },

    // SCIM token
    {
      method: 'POST',
      path: `${WS}/scim-token`,
      access: { kind: 'permission', permission: 'scim:manage' },
      summary: 'Create or rotate the SCIM bearer token (shown once; the previous token stops working)',
      response: ScimTokenResponse,
      handler: async (c) => {
        c.body(z.strictObject({}));
        c.audit.action = 'scim_token.rotate';
        return json(201, await memberAccess.rotateScimToken(d, ws(c), c.principal, c.now));
      },
    },

    // Audit log
    {
      method: 'GET',
      path: `${WS}/audit-events`,
      access: { kind: 'permission', permission: 'audit:read' },
      summary:
        'Audit events, newest first, filtered by actor, action, target and time (from inclusive, to exclusive)',
      response: z.object({ items: z.array(AuditEvent), nextPageToken: z.string().optional() }),
      handler: async (c) =>
        json(
          200,
          await audit.listAuditEvents(
            { access: deps.access, logger: deps.logger },
            ws(c),
            c.query(ListAuditEventsQuery),
          ),
        ),
    },

    // SSO
    {
      method: 'POST',
      path: '/v1/auth/session',
      access: { kind: 'public' },
      summary: 'Exchange an OpenID Connect ID token for a short-lived pushrun session token',
      request: SessionRequest,
      response: SessionResponse,
      handler: async (c) => {
        const req = c.body(SessionRequest);
        c.audit.action = 'auth.sign_in';
        // Only an existing workspace gets the attempt in its log (no log filling for strangers).
        if (await deps.workspaces.getWorkspace(req.workspace)) c.audit.workspace = req.workspace;
        const { response } = await signIn(
          {
            workspaces: deps.workspaces,
            access: deps.access,
            sessions: deps.sessions,
            idTokens: deps.idTokens,
          },
          req,
          c.now,
        );
        c.audit.target = `member:${response.member.id}`;
        c.audit.details = { method: 'oidc' };
        return json(200, response);
      },
    },
  ];
}
