import { z } from 'zod';

/**
 * The permission table: every permission a route may require. Built-in roles
 * (and, later, custom roles) are sets drawn from this one list.
 */
export const Permission = z.enum([
  'workspace:read',
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
]);
export type Permission = z.infer<typeof Permission>;

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
];

export const ROLE_PERMISSIONS: Record<BuiltInRole, ReadonlySet<Permission>> = {
  owner: new Set(Permission.options),
  // Admins manage everything but cannot touch owners (enforced where members are managed).
  admin: new Set(Permission.options),
  developer: new Set([
    ...READ,
    'work_pool:write',
    'deployment:write',
    'credential:write',
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
