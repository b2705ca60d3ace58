import { z } from 'zod';
import {
  ACL_BYPASS_ROLES,
  isBuiltInRole,
  type Permission,
  Permission as PermissionSchema,
  ROLE_PERMISSIONS,
  RUN_TOKEN_ONLY_PERMISSIONS,
} from './permissions.js';

/**
 * Object-level access (pure). An object (deployment, work pool, credential,
 * secret) may carry an access list; without one, the workspace role alone
 * decides. With one, only listed principals and teams — and owners/admins —
 * may see it at all, and each entry's level bounds what they may do. A list
 * only ever narrows: the route's permission is still required, so an entry
 * can never grant more than the caller's role already allows.
 */
export const AccessLevel = z.enum(['view', 'run', 'manage']);
export type AccessLevel = z.infer<typeof AccessLevel>;

const LEVEL_ORDER: Record<AccessLevel, number> = { view: 0, run: 1, manage: 2 };

/** `member:<id>` or `service_account:<name>`: the same key teams store for their members. */
export const PrincipalKey = z
  .string()
  .regex(
    /^(member:[0-9a-z]{1,64}|service_account:[a-z][a-z0-9-]{0,62})$/,
    'member:<id> or service_account:<name>',
  );
export type PrincipalKey = z.infer<typeof PrincipalKey>;

export const AccessEntry = z.union([
  z.strictObject({ principal: PrincipalKey, level: AccessLevel }),
  z.strictObject({ team: z.string().regex(/^[0-9a-z]{1,64}$/, 'a team id'), level: AccessLevel }),
]);
export type AccessEntry = z.infer<typeof AccessEntry>;

export const AccessList = z.array(AccessEntry).max(200);
export type AccessList = z.infer<typeof AccessList>;

/** What object checks need to know about the caller, computed once per request. */
export interface AccessSubject {
  principal: PrincipalKey;
  teams: readonly string[];
  /** Owners and admins (directly or through a team) pass every list. */
  bypass: boolean;
}

/** The highest level the list gives the subject, or null when it names neither them nor their teams. */
export function grantedLevel(subject: AccessSubject, acl: AccessList): AccessLevel | null {
  let best: AccessLevel | null = null;
  for (const e of acl) {
    const matches = 'principal' in e ? e.principal === subject.principal : subject.teams.includes(e.team);
    if (matches && (best === null || LEVEL_ORDER[e.level] > LEVEL_ORDER[best])) best = e.level;
  }
  return best;
}

/** True when the subject may act on an object with this list at this level. No list = no restriction. */
export function canAccess(
  subject: AccessSubject,
  acl: AccessList | null | undefined,
  level: AccessLevel,
): boolean {
  if (acl === null || acl === undefined || subject.bypass) return true;
  const granted = grantedLevel(subject, acl);
  return granted !== null && LEVEL_ORDER[granted] >= LEVEL_ORDER[level];
}

/**
 * A deployment inherits its work pool's restriction: both lists must allow the
 * level, except that managing a deployment needs only `run` on its pool (placing
 * work in a pool is using it, not administering it).
 */
export function canAccessDeployment(
  subject: AccessSubject,
  deploymentAcl: AccessList | null | undefined,
  poolAcl: AccessList | null | undefined,
  level: AccessLevel,
): boolean {
  const poolLevel: AccessLevel = level === 'manage' ? 'run' : level;
  return canAccess(subject, deploymentAcl, level) && canAccess(subject, poolAcl, poolLevel);
}

/** Permissions of one role; custom roles are looked up in `custom` (unknown names grant nothing). */
export function permissionsOfRole(
  role: string,
  custom: ReadonlyMap<string, readonly Permission[]>,
): ReadonlySet<Permission> {
  if (isBuiltInRole(role)) return ROLE_PERMISSIONS[role];
  return new Set(custom.get(role) ?? []);
}

/**
 * Effective permissions = the principal's own role ∪ the roles of its teams.
 * Computed per request from stored documents, so a revoked role or team
 * membership takes effect on the next request.
 */
export function effectivePermissions(
  roles: readonly string[],
  custom: ReadonlyMap<string, readonly Permission[]>,
): Set<Permission> {
  const out = new Set<Permission>();
  for (const r of roles) for (const p of permissionsOfRole(r, custom)) out.add(p);
  return out;
}

export function bypassesAccessLists(roles: readonly string[]): boolean {
  return roles.some((r) => ACL_BYPASS_ROLES.has(r));
}

/**
 * The permissions a caller would hand out but does not hold. Creating, editing
 * or granting a role is allowed only when this is empty: nobody can give more
 * than they have.
 */
export function escalation(held: ReadonlySet<Permission>, granted: Iterable<Permission>): Permission[] {
  return [...new Set(granted)].filter((p) => !held.has(p)).sort();
}

export const PermissionList = z
  .array(
    PermissionSchema.refine(
      (p) => !RUN_TOKEN_ONLY_PERMISSIONS.has(p),
      'only run tokens hold this permission',
    ),
  )
  .min(1)
  .max(PermissionSchema.options.length);
