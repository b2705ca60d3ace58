import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, errorBody, HTTP_STATUS } from './errors.js';
import type { EmulatorContext } from './types.js';

/** What a handler knows about the call besides its request message. */
export interface CallInfo {
  service: string;
  method: string;
  /** The Authorization header, if any. */
  authorization: string | undefined;
}

export type Handler = (request: Record<string, unknown>, call: CallInfo) => Promise<unknown>;

/**
 * One RPC bound to its google.api.http rule, copied from the proto: e.g.
 * `{ verb: 'POST', path: '/v2/{parent=projects/* /locations/*}/jobs', body: 'job' }`.
 */
export interface RestRoute {
  method: string;
  verb: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: string;
  handler: Handler;
}

interface CompiledRoute extends RestRoute {
  regex: RegExp;
  fields: string[];
}

function compile(route: RestRoute): CompiledRoute {
  const fields: string[] = [];
  let source = '';
  let rest = route.path;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    if (open < 0) {
      source += escapeRegex(rest);
      break;
    }
    source += escapeRegex(rest.slice(0, open));
    const close = rest.indexOf('}', open);
    const inner = rest.slice(open + 1, close);
    const [field, pattern] = inner.includes('=') ? inner.split('=') : [inner, '*'];
    fields.push(field!);
    const group = pattern!
      .split('/')
      .map((seg) => (seg === '**' ? '.+' : seg === '*' ? '[^/]+' : escapeRegex(seg)))
      .join('/');
    source += `(${group})`;
    rest = rest.slice(close + 1);
  }
  return { ...route, regex: new RegExp(`^${source}$`), fields };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\:]/g, '\\$&');
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = target;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (typeof next === 'object' && next !== null) cur = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      cur[part] = created;
      cur = created;
    }
  }
  cur[parts[parts.length - 1]!] = value;
}

export async function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(3, 'Request payload size exceeds the limit.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof ApiError) {
    sendJson(res, HTTP_STATUS[err.code] ?? 500, errorBody(err.code, err.message, err.details));
  } else {
    // Internals stay out of the answer, as on the real front end.
    sendJson(res, 500, errorBody(13, 'Internal error encountered.'));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Serves RPCs the way Google's REST front end does for the `fallback: true`
 * transport of google-gax: HTTP/JSON transcoding by the proto's http rules,
 * proto3 JSON bodies, errors as `{"error": {code, status, message, details}}`.
 * Every call is counted and passes through the shared fault injector.
 */
export async function startRestServer(
  ctx: EmulatorContext,
  service: string,
  routes: RestRoute[],
): Promise<{ server: Server; address: string; stop(): Promise<void> }> {
  const compiled = routes.map(compile);
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, err));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const verb = req.method ?? 'GET';
    let matched: { route: CompiledRoute; values: string[] } | undefined;
    let pathMatched = false;
    for (const route of compiled) {
      const m = route.regex.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.verb !== verb) continue;
      matched = { route, values: m.slice(1) };
      break;
    }
    if (!matched) {
      throw new ApiError(
        pathMatched ? 12 : 5,
        pathMatched ? 'Method not allowed.' : `No route for ${url.pathname}.`,
      );
    }
    const { route, values } = matched;
    const request: Record<string, unknown> = {};
    for (const [key, value] of url.searchParams) {
      if (key.startsWith('$')) continue;
      setPath(request, key, value);
    }
    const text = verb === 'GET' || verb === 'DELETE' ? '' : await readBody(req);
    if (route.body && text.length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiError(3, 'Invalid JSON payload received.');
      }
      if (route.body === '*') Object.assign(request, parsed);
      else request[route.body] = parsed;
    }
    route.fields.forEach((field, i) => {
      setPath(request, field, decodeURIComponent(values[i]!));
    });
    ctx.stats.record(service, route.method);
    const decision = ctx.faults.decide(service, route.method);
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.failWith !== undefined) {
      throw new ApiError(decision.failWith, `Injected fault on ${service}.${route.method}.`);
    }
    const result = await route.handler(request, {
      service,
      method: route.method,
      authorization: req.headers.authorization,
    });
    if (decision.dropWith !== undefined) {
      throw new ApiError(
        decision.dropWith,
        `Injected fault on ${service}.${route.method} (the call took effect).`,
      );
    }
    sendJson(res, 200, result ?? {});
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ctx.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    address: `${ctx.host}:${port}`,
    stop: () => closeServer(server),
  };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
