import type { CreateRoleRequest, Role, Team, UpdateRoleRequest } from '../contracts/access.js';
import { effectivePermissions, escalation } from '../domain/access.js';
import { InvalidArgumentError, PermissionDeniedError } from '../domain/errors.js';
import { BuiltInRole, isBuiltInRole, type Permission, ROLE_PERMISSIONS } from '../domain/permissions.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { Principal, WorkspacePrincipal } from './principal.js';

export interface RoleDeps {
  access: AccessStore;
}

/**
 * A principal's teams, roles and effective permissions, read fresh from the
 * store: nothing is cached across requests, so removing someone from a team or
 * a permission from a role applies to their very next request.
 */
export async function resolveGrants(
  access: AccessStore | undefined,
  ws: string,
  kind: 'member' | 'service_account',
  id: string,
  role: string,
  /** The principal's teams when the caller already read them (in parallel with other reads). */
  knownTeams?: Team[],
): Promise<Pick<WorkspacePrincipal, 'teams' | 'roles' | 'permissions'>> {
  const teams = knownTeams ?? (access ? await access.teamsOf(ws, `${kind}:${id}`) : []);
  const roles = [...new Set([role, ...teams.flatMap((t) => t.roles)])];
  const customNames = roles.filter((r) => !isBuiltInRole(r));
  const custom = new Map<string, Permission[]>();
  if (access && customNames.length > 0) {
    for (const r of await access.getRoles(ws, customNames)) custom.set(r.name, r.permissions);
  }
  return { teams: teams.map((t) => t.id), roles, permissions: effectivePermissions(roles, custom) };
}

function heldBy(caller: Principal): ReadonlySet<Permission> {
  return caller.kind === 'member' || caller.kind === 'service_account' ? caller.permissions : new Set();
}

export function callerIsOwner(caller: Principal): boolean {
  return (caller.kind === 'member' || caller.kind === 'service_account') && caller.roles.includes('owner');
}

/** The permissions a role name stands for in this workspace; throws 400 for an unknown name. */
export async function permissionsOf(
  deps: RoleDeps,
  ws: string,
  role: string,
  field = 'role',
): Promise<Permission[]> {
  if (isBuiltInRole(role)) return [...ROLE_PERMISSIONS[role]];
  const stored = await deps.access.getRole(ws, role);
  if (!stored)
    throw new InvalidArgumentError(`role ${role} does not exist`, [{ field, issue: 'no such role' }]);
  return stored.permissions;
}

/**
 * Refuses to hand out a role carrying a permission the caller lacks, and the
 * owner role to anyone but an owner (owner is more than its permissions: it
 * is the last word on the workspace).
 */
export async function assertMayGrant(
  deps: RoleDeps,
  ws: string,
  caller: Principal,
  role: string,
  field = 'role',
): Promise<void> {
  if (role === 'owner' && !callerIsOwner(caller)) {
    throw new PermissionDeniedError('only an owner may grant or remove the owner role');
  }
  const missing = escalation(heldBy(caller), await permissionsOf(deps, ws, role, field));
  if (missing.length > 0) {
    throw new PermissionDeniedError(
      `role ${role} carries permissions you do not hold: ${missing.join(', ')}`,
    );
  }
}

export function builtInRoles(): Role[] {
  return BuiltInRole.options.map((name) => ({
    name,
    permissions: [...ROLE_PERMISSIONS[name]].sort(),
    builtIn: true,
  }));
}

export async function createRole(
  deps: RoleDeps,
  ws: string,
  req: CreateRoleRequest,
  caller: Principal,
  now: Date,
): Promise<Role> {
  const missing = escalation(heldBy(caller), req.permissions);
  if (missing.length > 0) {
    throw new PermissionDeniedError(`a role cannot carry permissions you do not hold: ${missing.join(', ')}`);
  }
  const at = now.toISOString();
  const role: Role = {
    name: req.name,
    ...(req.description === undefined ? {} : { description: req.description }),
    permissions: [...new Set(req.permissions)].sort(),
    builtIn: false,
    createdAt: at,
    updatedAt: at,
  };
  await deps.access.createRole(ws, role);
  return role;
}

export async function updateRole(
  deps: RoleDeps,
  ws: string,
  name: string,
  req: UpdateRoleRequest,
  caller: Principal,
  now: Date,
): Promise<Role> {
  if (isBuiltInRole(name))
    throw new InvalidArgumentError('built-in roles cannot be changed', [
      { field: 'name', issue: 'built-in' },
    ]);
  // Editing a role re-grants it to every holder: the caller must hold what it carries before and after.
  return deps.access.updateRole(ws, name, (current) => {
    const next = req.permissions ?? current.permissions;
    const missing = escalation(heldBy(caller), [...current.permissions, ...next]);
    if (missing.length > 0) {
      throw new PermissionDeniedError(
        `role ${name} would carry permissions you do not hold: ${missing.join(', ')}`,
      );
    }
    return {
      ...current,
      ...(req.description === undefined ? {} : { description: req.description }),
      permissions: [...new Set(next)].sort(),
      updatedAt: now.toISOString(),
    };
  });
}

export async function deleteRole(deps: RoleDeps, ws: string, name: string, caller: Principal): Promise<void> {
  if (isBuiltInRole(name))
    throw new InvalidArgumentError('built-in roles cannot be deleted', [
      { field: 'name', issue: 'built-in' },
    ]);
  const role = await deps.access.getRole(ws, name);
  if (role) {
    const missing = escalation(heldBy(caller), role.permissions);
    if (missing.length > 0) {
      throw new PermissionDeniedError(
        `role ${name} carries permissions you do not hold: ${missing.join(', ')}`,
      );
    }
  }
  await deps.access.deleteRole(ws, name);
}
