import type { z } from 'zod';
import type { AccessLevel } from '../domain/access.js';
import type { Permission } from '../domain/permissions.js';
import type { Principal } from '../services/principal.js';

export interface HttpRequest {
  method: string;
  /** Path without query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  /** The raw request body, if any. */
  body: Buffer | undefined;
  ip?: string | undefined;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * Who may call a route: `public` (no credentials), `platform_admin`, or a
 * workspace permission (the route's path has `:ws`).
 */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'platform_admin' }
  | { kind: 'permission'; permission: Permission }
  /** SCIM provisioning: the workspace comes from the SCIM bearer token, not the path. */
  | { kind: 'scim' };

/**
 * The object a route acts on and the access-list level it needs (checked after
 * the permission): `param` names the path parameter holding the object's name.
 */
export interface ObjectRequirement {
  type: 'work_pool' | 'deployment' | 'run' | 'credential' | 'secret';
  param: string;
  level: AccessLevel;
}

/** What a handler adds to the request's audit event (never a secret or a body). */
export interface AuditNote {
  /** A named action replacing the route's `METHOD /template` (e.g. `auth.sign_in`). */
  action?: string;
  target?: string;
  /** The workspace the event belongs to when the path has none (workspace creation, sign-in). */
  workspace?: string;
  details?: Record<string, string | number | boolean>;
  /** Record this request even though it is a read (reads of secret values are audited). */
  record?: boolean;
}

export interface RouteContext {
  req: HttpRequest;
  params: Record<string, string>;
  /** Resolved for every route that is not public. */
  principal: Principal;
  now: Date;
  /** Parses the JSON body with the route's schema (400 naming the fields on failure). */
  body<T>(schema: z.ZodType<T>): T;
  /** Parses the query string with a schema (400 naming the fields on failure). */
  query<T>(schema: z.ZodType<T>): T;
  /** Filled in by handlers for the audit event of this request. */
  audit: AuditNote;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string;
  access: RouteAccess;
  /** Object-level access (deployments, work pools and the runs under them). */
  object?: ObjectRequirement;
  summary: string;
  request?: z.ZodType;
  response?: z.ZodType;
  handler(ctx: RouteContext): Promise<HttpResponse>;
  /** Maps errors for routes whose protocol has its own error shape (SCIM); default AIP-193. */
  mapError?: (err: unknown) => HttpResponse;
}
