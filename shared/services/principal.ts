import type { AccessSubject } from '../domain/access.js';
import { bypassesAccessLists } from '../domain/access.js';
import type { Permission } from '../domain/permissions.js';

/** A member or service account acting in its workspace, with its effective permissions resolved. */
export interface WorkspacePrincipal {
  kind: 'member' | 'service_account';
  workspace: string;
  id: string;
  /** The principal's own role (built-in or custom). */
  role: string;
  /** How it authenticated: an API key (`keyId` names it) or an SSO session. */
  auth: 'api_key' | 'session';
  keyId?: string | undefined;
  /** Ids of the teams it belongs to. */
  teams: readonly string[];
  /** Its own role and its teams' roles. */
  roles: readonly string[];
  /** Union of the permissions of `roles`, resolved from stored documents on this request. */
  permissions: ReadonlySet<Permission>;
  /** An owner API key used while the workspace restricts sign-in to e-mail domains. */
  breakGlass?: boolean | undefined;
}

/** Who is calling, as resolved by authentication. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'platform_admin' }
  | WorkspacePrincipal
  | { kind: 'run'; workspace: string; runId: string }
  /** An identity provider holding the workspace's SCIM token: may call /scim/v2 only. */
  | { kind: 'scim'; workspace: string };

export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'platform_admin':
      return 'platform-admin';
    case 'run':
      return `run:${p.runId}`;
    case 'scim':
      return 'scim';
    default:
      return `${p.kind}:${p.id}`;
  }
}

/** Run tokens may only report on their own run, and read the secrets its deployment declares. */
const RUN_PERMISSIONS: ReadonlySet<Permission> = new Set(['run:report', 'run:read', 'run:secrets']);

export function principalHas(
  p: Principal,
  workspace: string,
  permission: Permission,
  runId?: string,
): boolean {
  switch (p.kind) {
    case 'anonymous':
    case 'platform_admin':
    case 'scim':
      return false;
    case 'run':
      return p.workspace === workspace && runId === p.runId && RUN_PERMISSIONS.has(permission);
    default:
      return p.workspace === workspace && p.permissions.has(permission);
  }
}

export function isWorkspacePrincipal(p: Principal): p is WorkspacePrincipal {
  return p.kind === 'member' || p.kind === 'service_account';
}

/** The caller as object access lists see it; null for callers lists do not apply to (run tokens). */
export function accessSubject(p: Principal): AccessSubject | null {
  if (!isWorkspacePrincipal(p)) return null;
  return { principal: `${p.kind}:${p.id}`, teams: p.teams, bypass: bypassesAccessLists(p.roles) };
}
