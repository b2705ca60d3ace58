import type { z } from 'zod';
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
  | { kind: 'permission'; permission: Permission };

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
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string;
  access: RouteAccess;
  summary: string;
  request?: z.ZodType;
  response?: z.ZodType;
  handler(ctx: RouteContext): Promise<HttpResponse>;
}
