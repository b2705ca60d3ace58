import type { BuiltInRole, Permission } from '../domain/permissions.js';
import { roleHas } from '../domain/permissions.js';

/** Who is calling, as resolved by authentication. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'platform_admin' }
  | {
      kind: 'member' | 'service_account';
      workspace: string;
      id: string;
      role: BuiltInRole;
      keyId: string;
    }
  | { kind: 'run'; workspace: string; runId: string };

export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'platform_admin':
      return 'platform-admin';
    case 'run':
      return `run:${p.runId}`;
    default:
      return `${p.kind}:${p.id}`;
  }
}

/** Run tokens may only report on their own run. */
const RUN_PERMISSIONS: ReadonlySet<Permission> = new Set(['run:report', 'run:read']);

export function principalHas(
  p: Principal,
  workspace: string,
  permission: Permission,
  runId?: string,
): boolean {
  switch (p.kind) {
    case 'anonymous':
    case 'platform_admin':
      return false;
    case 'run':
      return p.workspace === workspace && runId === p.runId && RUN_PERMISSIONS.has(permission);
    default:
      return p.workspace === workspace && roleHas(p.role, permission);
  }
}
