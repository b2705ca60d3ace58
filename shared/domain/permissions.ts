import { z } from 'zod';

/**
 * The permission table: every permission a route may require. Built-in roles
 * (and, later, custom roles) are sets drawn from this one list.
 */
export const Permission = z.enum([
  'workspace:read',
  'workspace:delete',
  'settings:write',
  'member:read',
  'member:manage',
  'service_account:read',
  'service_account:manage',
  'work_pool:read',
  'work_pool:write',
  'deployment:read',
  'deployment:write',
  'credential:read',
  'credential:write',
  'run:read',
  'run:create',
  'run:cancel',
  'run:report',
  'log:read',
  // Access control (issue 7): custom roles, teams, audit log, SCIM provisioning, secrets.
  'role:read',
  'role:manage',
  'team:read',
  'team:manage',
  'audit:read',
  'scim:manage',
  'secret:read',
  'secret:write',
  // Reading secret values: held by run tokens alone (for their own run), never by a role.
  'run:secrets',
]);
export type Permission = z.infer<typeof Permission>;

/**
 * Permissions no role may hold, built-in or custom: only a run token carries
 * them (shared/services/principal.ts). People never read secret values.
 */
export const RUN_TOKEN_ONLY_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>(['run:secrets']);

/** Every permission a role may be given. */
export const ROLE_GRANTABLE_PERMISSIONS: readonly Permission[] = Permission.options.filter(
  (p) => !RUN_TOKEN_ONLY_PERMISSIONS.has(p),
);

export const BuiltInRole = z.enum(['owner', 'admin', 'developer', 'runner', 'viewer', 'worker']);
export type BuiltInRole = z.infer<typeof BuiltInRole>;

const READ: Permission[] = [
  'workspace:read',
  'member:read',
  'service_account:read',
  'work_pool:read',
  'deployment:read',
  'credential:read',
  'run:read',
  'log:read',
  'role:read',
  'team:read',
  'secret:read',
];

/**
 * A role as members, service accounts and teams name it: a built-in role or a
 * custom role of the workspace (stored under workspaces/{ws}/roles/{name}).
 */
export const RoleName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'a role name: lowercase letters, digits and -, starting with a letter');
export type RoleName = z.infer<typeof RoleName>;

export function isBuiltInRole(name: string): name is BuiltInRole {
  return (BuiltInRole.options as readonly string[]).includes(name);
}

/** Owners and admins see every object whatever its access list says. */
export const ACL_BYPASS_ROLES: ReadonlySet<string> = new Set<BuiltInRole>(['owner', 'admin']);

export const ROLE_PERMISSIONS: Record<BuiltInRole, ReadonlySet<Permission>> = {
  owner: new Set(ROLE_GRANTABLE_PERMISSIONS),
  // Admins manage everything but cannot touch owners (enforced where members are managed); the
  // SCIM token, which provisions people, and deleting the workspace stay with owners.
  admin: new Set(ROLE_GRANTABLE_PERMISSIONS.filter((p) => p !== 'scim:manage' && p !== 'workspace:delete')),
  developer: new Set([
    ...READ,
    'work_pool:write',
    'deployment:write',
    'credential:write',
    'secret:write',
    'run:create',
    'run:cancel',
    'run:report',
  ]),
  runner: new Set([...READ, 'run:create', 'run:cancel']),
  viewer: new Set(READ),
  // Hybrid workers poll for runs and report on them; they see no people or credentials.
  worker: new Set([
    'workspace:read',
    'work_pool:read',
    'deployment:read',
    'run:read',
    'run:report',
    'log:read',
  ]),
};

export function roleHas(role: BuiltInRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
