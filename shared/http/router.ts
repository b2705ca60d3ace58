import type { ZodError, z } from 'zod';
import {
  InvalidArgumentError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  type PushrunError,
  UnauthenticatedError,
} from '../domain/errors.js';
import { newSortableId } from '../domain/ids.js';
import type { Logger } from '../logging.js';
import { describePrincipal, type Principal, principalHas } from '../services/principal.js';
import { errorResponse, toHttpError, zodDetails } from './errors.js';
import type {
  AuditNote,
  HttpRequest,
  HttpResponse,
  ObjectRequirement,
  Route,
  RouteContext,
} from './types.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/** Resolves the caller from the request's credentials; null when none were presented. */
export type Authenticate = (req: HttpRequest, workspace: string | undefined) => Promise<Principal | null>;

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  keys: string[];
}

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  // A parameter starts right after a slash, so custom verbs (`/keys/:key:rotate`, AIP-136) stay literal.
  const pattern = route.path
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/(?<=\/):(\w+)/g, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
  return { route, regex: new RegExp(`^${pattern}$`), keys };
}

export interface RouterOptions {
  routes: Route[];
  authenticate: Authenticate;
  logger: Logger;
  clock?: () => Date;
  /** Called once per finished request (audit, metrics). Never throws into the response. */
  onFinished?: (info: RequestInfo) => Promise<void> | void;
  /**
   * Object-level access for routes that declare `object`: throws NotFoundError when
   * the object is invisible to the principal, PermissionDeniedError when visible
   * but the level is not granted.
   */
  checkObject?: (
    principal: Principal,
    ws: string,
    requirement: ObjectRequirement,
    params: Record<string, string>,
  ) => Promise<void>;
}

export interface RequestInfo {
  requestId: string;
  route: Route | undefined;
  params: Record<string, string>;
  principal: Principal | null;
  status: number;
  req: HttpRequest;
  /** What the handler recorded for the audit event. */
  audit: AuditNote;
  /** The response body, for the ids of created objects (hooks must never copy anything else). */
  responseBody: unknown;
  /** The authorization failure, when the request was refused by permission or object access. */
  denied: boolean;
}

/**
 * The one request pipeline: match → authenticate → authorize → parse → handle →
 * map errors. A principal not in the route's workspace gets 404, never 403, so
 * the API is no oracle for other tenants' names.
 */
export function createRouter(opts: RouterOptions): (req: HttpRequest) => Promise<HttpResponse> {
  const compiled = opts.routes.map(compile);
  const clock = opts.clock ?? (() => new Date());

  return async (req) => {
    const requestId = newSortableId();
    let principal: Principal | null = null;
    let matched: CompiledRoute | undefined;
    let params: Record<string, string> = {};
    let res: HttpResponse;
    const audit: AuditNote = {};
    const caller: { principal: Principal | null } = { principal: null };
    let denied = false;
    try {
      const candidates = compiled.filter((c) => c.regex.test(req.path));
      matched = candidates.find((c) => c.route.method === req.method);
      if (!matched) {
        if (candidates.length > 0) {
          res = errorResponse(405, 'METHOD_NOT_ALLOWED', `method ${req.method} not allowed here`, []);
          res.headers = { allow: [...new Set(candidates.map((c) => c.route.method))].join(', ') };
        } else {
          res = errorResponse(404, 'NOT_FOUND', 'no such route', []);
        }
      } else {
        const m = matched.regex.exec(req.path) as RegExpExecArray;
        params = Object.fromEntries(matched.keys.map((k, i) => [k, decodeURIComponent(m[i + 1] as string)]));
        principal = await authorize(matched.route, params, req, opts, caller);
        const ctx = makeContext(req, params, principal, clock(), audit);
        res = await matched.route.handler(ctx);
      }
    } catch (err) {
      // Keep who was refused, so the audit log can name the actor of a failed authorization.
      principal ??= caller.principal;
      denied = err instanceof PermissionDeniedError;
      res = matched?.route.mapError ? matched.route.mapError(err) : toHttpError(err, opts.logger);
    }
    res.headers = { 'x-request-id': requestId, ...res.headers };
    if (opts.onFinished) {
      try {
        await opts.onFinished({
          requestId,
          route: matched?.route,
          params,
          principal,
          status: res.status,
          req,
          audit,
          denied,
          responseBody: res.body,
        });
      } catch (err) {
        opts.logger.error('request hook failed', { error: err, requestId });
      }
    }
    return res;
  };
}

async function authorize(
  route: Route,
  params: Record<string, string>,
  req: HttpRequest,
  opts: RouterOptions,
  caller: { principal: Principal | null },
): Promise<Principal> {
  if (route.access.kind === 'public') return { kind: 'anonymous' };
  const ws = params.ws;
  const principal = await opts.authenticate(req, ws);
  if (principal === null) throw new UnauthenticatedError();
  if (route.access.kind === 'scim') {
    if (principal.kind !== 'scim') throw new UnauthenticatedError('a SCIM bearer token is required');
    caller.principal = principal;
    return principal;
  }
  if (route.access.kind === 'platform_admin') {
    caller.principal = principal;
    if (principal.kind !== 'platform_admin')
      throw new PermissionDeniedError('only the platform admin may do this');
    return principal;
  }
  if (ws === undefined) throw new Error(`route ${route.path} needs a :ws parameter`);
  if (
    principal.kind === 'platform_admin' ||
    principal.kind === 'anonymous' ||
    principal.kind === 'scim' ||
    principal.workspace !== ws
  ) {
    throw new NotFoundError(`workspace ${ws}`);
  }
  caller.principal = principal;
  if (principal.kind === 'run' && params.run !== principal.runId) {
    // A run token sees nothing but its own run.
    throw new NotFoundError(params.run === undefined ? 'resource' : `run ${params.run}`);
  }
  if (!principalHas(principal, ws, route.access.permission, params.run)) {
    throw new PermissionDeniedError(
      `${describePrincipal(principal)} lacks permission ${route.access.permission} in workspace ${ws}`,
    );
  }
  if (route.object && opts.checkObject) await opts.checkObject(principal, ws, route.object, params);
  return principal;
}

function makeContext(
  req: HttpRequest,
  params: Record<string, string>,
  principal: Principal,
  now: Date,
  audit: AuditNote,
): RouteContext {
  let parsedBody: { value: unknown } | undefined;
  const readJson = (): unknown => {
    if (parsedBody) return parsedBody.value;
    const raw = req.body;
    if (raw === undefined || raw.length === 0) {
      parsedBody = { value: {} };
      return parsedBody.value;
    }
    if (raw.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
    try {
      parsedBody = { value: JSON.parse(raw.toString('utf8')) };
    } catch {
      throw new InvalidArgumentError('request body is not valid JSON', [
        { field: '(body)', issue: 'malformed JSON' },
      ]);
    }
    return parsedBody.value;
  };
  return {
    req,
    params,
    principal,
    now,
    audit,
    body<T>(schema: z.ZodType<T>): T {
      const value = readJson();
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw invalid(parsed.error, '');
      return parsed.data;
    },
    query<T>(schema: z.ZodType<T>): T {
      const obj: Record<string, string> = {};
      for (const [k, v] of req.query) obj[k] = v;
      const parsed = schema.safeParse(obj);
      if (!parsed.success) throw invalid(parsed.error, '');
      return parsed.data;
    },
  };
}

function invalid(err: ZodError, prefix: string): PushrunError {
  const details = zodDetails(err, prefix);
  return new InvalidArgumentError(`invalid request: ${details.map((d) => d.field).join(', ')}`, details);
}

export function json(status: number, body: unknown, headers?: Record<string, string>): HttpResponse {
  return headers ? { status, body, headers } : { status, body };
}
