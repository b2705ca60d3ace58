import type { AuditActor, AuditEvent, ListAuditEventsQuery } from '../contracts/access.js';
import { newSortableId } from '../domain/ids.js';
import type { RequestInfo } from '../http/router.js';
import { type Logger, redact } from '../logging.js';
import type { AccessStore } from '../ports/accessStore.js';
import type { Page } from '../ports/workspaceStore.js';
import type { Principal } from './principal.js';

/**
 * Audit events are kept 400 days (a TTL policy on `expireAt` deletes them
 * after): more than a year, so an annual review (SOC 2, ISO 27001) always finds
 * the full previous year, with a month's margin for late reviews.
 */
export const AUDIT_RETENTION_DAYS = 400;

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function actorOf(p: Principal | null): AuditActor {
  if (p === null) return { kind: 'anonymous', auth: 'none' };
  switch (p.kind) {
    case 'anonymous':
      return { kind: 'anonymous', auth: 'none' };
    case 'platform_admin':
      return { kind: 'platform_admin', auth: 'platform_key' };
    case 'run':
      return { kind: 'run', id: p.runId, auth: 'run_token' };
    case 'scim':
      return { kind: 'scim', auth: 'scim_token' };
    default:
      return {
        kind: p.kind,
        id: p.id,
        auth: p.auth,
        ...(p.keyId === undefined ? {} : { keyId: p.keyId }),
      };
  }
}

export function actorKey(a: AuditActor): string {
  return a.id === undefined ? a.kind : `${a.kind}:${a.id}`;
}

function principalWorkspace(p: Principal | null): string | undefined {
  return p !== null && 'workspace' in p ? p.workspace : undefined;
}

/** Only ids and names of created objects reach the log: a response may carry a key, never copied. */
function createdName(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  for (const k of ['name', 'id']) if (typeof b[k] === 'string') return b[k] as string;
  return undefined;
}

function clip(value: string | undefined, max: number): string | undefined {
  return value === undefined ? undefined : redact(value).slice(0, max);
}

export interface AuditDeps {
  access: AccessStore;
  logger: Logger;
  clock?: () => Date;
}

export async function record(
  deps: AuditDeps,
  ws: string,
  event: Omit<AuditEvent, 'id' | 'time' | 'actorKey'>,
): Promise<AuditEvent> {
  const now = (deps.clock ?? (() => new Date()))();
  const full: AuditEvent = {
    id: newSortableId(now.getTime()),
    time: now.toISOString(),
    actorKey: actorKey(event.actor),
    ...event,
  };
  await deps.access.appendAuditEvent(ws, full, new Date(now.getTime() + AUDIT_RETENTION_DAYS * 86_400_000));
  return full;
}

/**
 * The router's onFinished hook: one event per mutating request whose caller is
 * identified in the workspace (or that a handler attributed to a workspace:
 * creation, sign-in), one per refused authorization, one per read a handler
 * marks `record` (a run reading its secret values), and a `break_glass` event
 * for every use of an owner key under a domain restriction. Unauthenticated
 * and cross-tenant requests are not written into a workspace's log: anyone
 * could fill a stranger's log with them.
 */
export function auditHook(deps: AuditDeps): (info: RequestInfo) => Promise<void> {
  return async (info) => {
    const route = info.route;
    if (!route) return;
    const p = info.principal;
    const own = principalWorkspace(p);
    // A path naming another workspace than the caller's is a cross-tenant attempt: not logged there.
    const ws =
      info.audit.workspace ?? (info.params.ws === undefined || info.params.ws === own ? own : undefined);
    if (ws === undefined) return;
    const breakGlass =
      p !== null && (p.kind === 'member' || p.kind === 'service_account') && p.breakGlass === true;
    const routeAction = `${route.method} ${route.path}`;
    const base = {
      actor: actorOf(p),
      result: { status: info.status },
      requestId: info.requestId,
      ...(info.req.ip === undefined ? {} : { sourceIp: info.req.ip }),
      ...(info.req.headers['user-agent'] === undefined
        ? {}
        : { userAgent: clip(info.req.headers['user-agent'], 300) as string }),
    };
    if (route.method === 'DELETE' && route.path === '/v1/workspaces/:ws' && info.status === 204) {
      // The workspace and its audit log are gone: the deletion is recorded in the platform's
      // own logs instead of recreating a document under the deleted workspace.
      deps.logger.info('workspace deleted', { ...base, workspace: ws, action: routeAction });
      return;
    }
    if (MUTATING.has(route.method) || info.denied || info.audit.record === true) {
      const created = info.status === 201 ? createdName(info.responseBody) : undefined;
      const target =
        info.audit.target ?? (created === undefined ? info.req.path : `${info.req.path}/${created}`);
      const details = { ...info.audit.details, ...(info.denied ? { denied: true } : {}) };
      await record(deps, ws, {
        ...base,
        action: info.audit.action ?? routeAction,
        target: clip(target, 500) as string,
        ...(Object.keys(details).length > 0 ? { details } : {}),
      });
    }
    if (breakGlass) {
      await record(deps, ws, {
        ...base,
        action: 'break_glass',
        target: clip(info.req.path, 500) as string,
        details: { route: routeAction },
      });
    }
  };
}

export function listAuditEvents(
  deps: AuditDeps,
  ws: string,
  q: ListAuditEventsQuery,
): Promise<Page<AuditEvent>> {
  return deps.access.listAuditEvents(ws, {
    actorKey: q.actor,
    action: q.action,
    target: q.target,
    from: q.from === undefined ? undefined : new Date(q.from).toISOString(),
    to: q.to === undefined ? undefined : new Date(q.to).toISOString(),
    pageSize: q.page_size,
    pageToken: q.page_token,
  });
}
