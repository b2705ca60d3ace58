import { z } from 'zod';
import { AccessList, PermissionList, PrincipalKey } from '../domain/access.js';
import { Slug } from '../domain/ids.js';
import { BuiltInRole, Permission, RoleName } from '../domain/permissions.js';
import { Timestamp } from './common.js';

/** A custom role: a name and permissions drawn from the one permission table. */
export const Role = z.object({
  name: RoleName,
  description: z.string().optional(),
  permissions: z.array(Permission),
  builtIn: z.boolean(),
  createdAt: Timestamp.optional(),
  updatedAt: Timestamp.optional(),
});
export type Role = z.infer<typeof Role>;

export const CreateRoleRequest = z.strictObject({
  name: RoleName.refine((n) => !(BuiltInRole.options as readonly string[]).includes(n), {
    message: 'a built-in role name',
  }),
  description: z.string().max(1000).optional(),
  permissions: PermissionList,
});
export type CreateRoleRequest = z.infer<typeof CreateRoleRequest>;

export const UpdateRoleRequest = z.strictObject({
  description: z.string().max(1000).optional(),
  permissions: PermissionList.optional(),
});
export type UpdateRoleRequest = z.infer<typeof UpdateRoleRequest>;

export const TeamMember = z.strictObject({ principal: PrincipalKey });
export type TeamMember = z.infer<typeof TeamMember>;

export const Team = z.object({
  id: z.string(),
  name: z.string(),
  externalId: z.string().optional(),
  roles: z.array(RoleName),
  /** `member:<id>` / `service_account:<name>`; an array so "teams of X" is one array-contains query. */
  members: z.array(PrincipalKey),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Team = z.infer<typeof Team>;

const TeamName = z.string().trim().min(1).max(200);

export const CreateTeamRequest = z.strictObject({
  name: TeamName,
  roles: z.array(RoleName).max(20).optional(),
  members: z.array(PrincipalKey).max(1000).optional(),
});
export type CreateTeamRequest = z.infer<typeof CreateTeamRequest>;

export const UpdateTeamRequest = z.strictObject({
  name: TeamName.optional(),
  roles: z.array(RoleName).max(20).optional(),
});
export type UpdateTeamRequest = z.infer<typeof UpdateTeamRequest>;

export const TeamMembersRequest = z.strictObject({
  add: z.array(PrincipalKey).max(1000).optional(),
  remove: z.array(PrincipalKey).max(1000).optional(),
});
export type TeamMembersRequest = z.infer<typeof TeamMembersRequest>;

/** Changing a member's role or suspending them; the last active owner is protected. */
export const UpdateMemberRequest = z.strictObject({
  role: RoleName.optional(),
  name: z.string().min(1).max(200).optional(),
  active: z.boolean().optional(),
});
export type UpdateMemberRequest = z.infer<typeof UpdateMemberRequest>;

export const UpdateServiceAccountRequest = z.strictObject({
  role: RoleName.optional(),
  description: z.string().max(1000).optional(),
});
export type UpdateServiceAccountRequest = z.infer<typeof UpdateServiceAccountRequest>;

export const RotateKeyRequest = z.strictObject({
  /** How long the old key keeps working beside the new one: 0 (at once) to 30 days. */
  overlapSeconds: z
    .int()
    .min(0)
    .max(30 * 86400),
  description: z.string().max(500).optional(),
  expiresInSeconds: z
    .int()
    .min(60)
    .max(3 * 366 * 86400)
    .optional(),
});
export type RotateKeyRequest = z.infer<typeof RotateKeyRequest>;

export const ScimTokenResponse = z.object({ token: z.string(), createdAt: Timestamp });
export type ScimTokenResponse = z.infer<typeof ScimTokenResponse>;

export const SessionRequest = z.strictObject({
  idToken: z.string().min(20).max(16_384),
  workspace: Slug,
});
export type SessionRequest = z.infer<typeof SessionRequest>;

export const SessionResponse = z.object({
  sessionToken: z.string(),
  expiresAt: Timestamp,
  member: z.object({ id: z.string(), email: z.string(), role: RoleName }),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

export const AuditActor = z.object({
  kind: z.enum(['member', 'service_account', 'run', 'platform_admin', 'scim', 'anonymous']),
  id: z.string().optional(),
  /** How the actor proved who it is; the key id names a key without revealing it. */
  auth: z.enum(['api_key', 'session', 'scim_token', 'run_token', 'platform_key', 'id_token', 'none']),
  keyId: z.string().optional(),
});
export type AuditActor = z.infer<typeof AuditActor>;

/** One append-only record: never a secret, never a request body. */
export const AuditEvent = z.object({
  id: z.string(),
  time: Timestamp,
  /** `actor.kind:actor.id`, the field the actor filter matches. */
  actorKey: z.string(),
  actor: AuditActor,
  /** The route's `METHOD /path/:template`, or a named action such as `auth.sign_in` or `break_glass`. */
  action: z.string(),
  target: z.string().optional(),
  result: z.object({ status: z.int() }),
  requestId: z.string(),
  sourceIp: z.string().optional(),
  userAgent: z.string().optional(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export const ListAuditEventsQuery = z.strictObject({
  actor: z.string().max(200).optional(),
  action: z.string().max(300).optional(),
  target: z.string().max(500).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  page_size: z.coerce.number().int().min(1).max(500).default(50),
  page_token: z.string().max(500).optional(),
});
export type ListAuditEventsQuery = z.infer<typeof ListAuditEventsQuery>;

export { AccessList };
