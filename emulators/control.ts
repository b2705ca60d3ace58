import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { ApiError, errorBody } from './core/errors.js';
import type { MemoryFaultInjector } from './core/faults.js';
import type { LocalOidcSigner } from './core/oidc.js';
import { readBody, sendError, sendJson } from './core/rest.js';
import type { EmulatorContext } from './core/types.js';
import type { IamState } from './iam/iamState.js';
import type { RunState } from './run/runEmulator.js';

export const CreateProjectBody = z.strictObject({
  projectId: z.string().min(1),
  projectNumber: z
    .string()
    .regex(/^\d{6,15}$/)
    .optional(),
});
export const CreateServiceAccountBody = z.strictObject({
  accountId: z.string().min(1),
  displayName: z.string().optional(),
  description: z.string().max(256).optional(),
});
export const UpdateServiceAccountBody = z.strictObject({
  description: z.string().max(256),
});
export const GrantBody = z
  .strictObject({
    member: z.string().regex(/^(serviceAccount|user|group|domain):.+|allUsers|allAuthenticatedUsers$/),
    role: z.string().startsWith('roles/').optional(),
    permissions: z
      .array(z.string().regex(/^[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+$/))
      .min(1)
      .optional(),
  })
  .refine((b) => b.role !== undefined || b.permissions !== undefined, {
    message: 'role or permissions is required',
    path: ['role'],
  });
export const FaultBody = z.strictObject({
  service: z.string().min(1),
  method: z.string().min(1),
  code: z.number().int().min(1).max(16).optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  dropResponse: z.boolean().optional(),
  duplicateDelivery: z.boolean().optional(),
  rate: z.number().min(0).max(1).optional(),
  count: z.number().int().min(1).optional(),
});
export const MissingImageBody = z.strictObject({ image: z.string().min(1).max(1000) });

export const QuotasBody = z.strictObject({
  jobsPerRegion: z.number().int().min(0).optional(),
  runRequestsPerMinute: z.number().int().min(0).optional(),
  runningExecutionsPerRegion: z.number().int().min(0).optional(),
});
export const IdTokenBody = z.strictObject({
  email: z.string().min(3),
  audience: z.string().min(1),
  lifetimeSeconds: z.number().int().min(1).max(86_400).optional(),
  claims: z.record(z.string(), z.unknown()).optional(),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => i.path.join('.') || '(body)');
  const message = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  throw new HttpError(400, message, fields);
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, 1024 * 1024);
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The body is not valid JSON.', ['(body)']);
  }
}

export interface ControlDeps {
  ctx: EmulatorContext;
  faults: MemoryFaultInjector;
  oidc: LocalOidcSigner;
  iam: IamState;
  run: RunState;
}

type RouteHandler = (req: IncomingMessage, params: string[]) => Promise<unknown>;

/**
 * The emulators' own HTTP JSON API: seeding IAM (projects, service accounts,
 * keys, grants), faults, statistics, executions and their output, quotas, and
 * the OIDC issuer (ID tokens, JWKS, discovery).
 */
export function createControlServer(): { server: Server; setDeps(deps: ControlDeps): void } {
  let deps: ControlDeps | undefined;
  const routes: [string, RegExp, RouteHandler][] = [];
  const on = (verb: string, pattern: RegExp, handler: RouteHandler) => routes.push([verb, pattern, handler]);
  const d = () => {
    if (!deps) throw new HttpError(503, 'The emulators are starting.');
    return deps;
  };

  on('GET', /^\/$/, async () => ({ ok: true }));
  on('GET', /^\/certs$/, async () => d().oidc.jwks());
  on('GET', /^\/\.well-known\/openid-configuration$/, async () => d().oidc.discovery());

  on('POST', /^\/v1\/projects$/, async (req) => {
    const body = parse(CreateProjectBody, await jsonBody(req));
    const p = d().iam.createProject(body.projectId, body.projectNumber);
    return { projectId: p.projectId, projectNumber: p.projectNumber };
  });
  on('POST', /^\/v1\/projects\/([^/]+)\/serviceAccounts$/, async (req, [project]) => {
    const body = parse(CreateServiceAccountBody, await jsonBody(req));
    const sa = d().iam.createServiceAccount(project!, body.accountId, body.displayName, body.description);
    return { email: sa.email, uniqueId: sa.uniqueId, projectId: sa.projectId };
  });
  on('PATCH', /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+)$/, async (req, [project, email]) => {
    const body = parse(UpdateServiceAccountBody, await jsonBody(req));
    const sa = d().iam.setDescription(project!, email!, body.description);
    return { email: sa.email, uniqueId: sa.uniqueId, projectId: sa.projectId, description: sa.description };
  });
  on('POST', /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys$/, async (_req, [project, email]) =>
    d().iam.createKey(project!, email!),
  );
  on('GET', /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys$/, async (_req, [project, email]) => ({
    keys: d().iam.listKeys(project!, email!),
  }));
  on(
    'DELETE',
    /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys\/([^/:]+)$/,
    async (_req, [p, e, k]) => {
      d().iam.deleteKey(p!, e!, k!);
      return {};
    },
  );
  on(
    'POST',
    /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys\/([^/:]+):(disable|enable)$/,
    async (_req, [p, e, k, verb]) => {
      d().iam.setKeyDisabled(p!, e!, k!, verb === 'disable');
      return {};
    },
  );
  on('POST', /^\/v1\/projects\/([^/]+)\/iam:(grant|revoke)$/, async (req, [project, verb]) => {
    const body = parse(GrantBody, await jsonBody(req));
    const grant = {
      ...(body.role ? { role: body.role } : {}),
      ...(body.permissions ? { permissions: body.permissions } : {}),
    };
    if (verb === 'grant') d().iam.grant({ projectId: project! }, body.member, grant);
    else d().iam.revoke({ projectId: project! }, body.member, grant);
    return {};
  });
  on(
    'POST',
    /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+)\/iam:(grant|revoke)$/,
    async (req, [project, email, verb]) => {
      const body = parse(GrantBody, await jsonBody(req));
      const grant = {
        ...(body.role ? { role: body.role } : {}),
        ...(body.permissions ? { permissions: body.permissions } : {}),
      };
      const target = { projectId: project!, serviceAccount: email! };
      if (verb === 'grant') d().iam.grant(target, body.member, grant);
      else d().iam.revoke(target, body.member, grant);
      return {};
    },
  );

  on('POST', /^\/v1\/faults$/, async (req) => {
    const body = parse(FaultBody, await jsonBody(req));
    d().faults.add(stripUndefined(body));
    return { faults: d().faults.list() };
  });
  on('GET', /^\/v1\/faults$/, async () => ({ faults: d().faults.list() }));
  on('DELETE', /^\/v1\/faults$/, async () => {
    d().faults.clear();
    return {};
  });
  on('GET', /^\/v1\/stats$/, async () => d().ctx.stats.snapshot());
  on('DELETE', /^\/v1\/stats$/, async () => {
    d().ctx.stats.reset();
    return {};
  });
  on('GET', /^\/v1\/quotas$/, async () => d().run.quotas);
  on('POST', /^\/v1\/quotas$/, async (req) => {
    const body = parse(QuotasBody, await jsonBody(req));
    Object.assign(d().run.quotas, stripUndefined(body));
    return d().run.quotas;
  });
  on('POST', /^\/v1\/images:missing$/, async (req) => {
    const body = parse(MissingImageBody, await jsonBody(req));
    d().run.missingImages.add(body.image);
    return { missing: [...d().run.missingImages] };
  });
  on('GET', /^\/v1\/executions:started$/, async () => ({ started: d().run.startedLog }));
  on('GET', /^\/v1\/executions$/, async () => ({
    executions: [...d().run.executions.values()].map((e) => e.describe(true)),
  }));
  on('GET', /^\/v1\/executions\/(.+)$/, async (_req, [name]) => {
    const e = d().run.executions.get(name!);
    if (!e) throw new HttpError(404, `Execution '${name}' not found.`);
    return e.describe(true);
  });
  on('POST', /^\/v1\/idTokens$/, async (req) => {
    const body = parse(IdTokenBody, await jsonBody(req));
    const idToken = await d().oidc.signIdToken({
      audience: body.audience,
      email: body.email,
      ...(body.lifetimeSeconds ? { lifetimeSeconds: body.lifetimeSeconds } : {}),
      ...(body.claims ? { extra: body.claims } : {}),
    });
    return { idToken };
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let pathMatched = false;
    for (const [verb, pattern, handler] of routes) {
      const m = pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (verb !== req.method) continue;
      const params = m.slice(1).map((v) => decodeURIComponent(v));
      sendJson(res, 200, (await handler(req, params)) ?? {});
      return;
    }
    throw new HttpError(
      pathMatched ? 405 : 404,
      pathMatched ? 'Method not allowed.' : `No route for ${path}.`,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        const status =
          err.status === 400 ? 'INVALID_ARGUMENT' : err.status === 404 ? 'NOT_FOUND' : 'FAILED_PRECONDITION';
        sendJson(res, err.status, {
          error: {
            code: err.status,
            status,
            message: err.message,
            details: err.fields.length
              ? [
                  {
                    '@type': 'type.googleapis.com/google.rpc.BadRequest',
                    fieldViolations: err.fields.map((field) => ({ field })),
                  },
                ]
              : [],
          },
        });
      } else if (err instanceof ApiError) {
        sendError(res, err);
      } else {
        sendJson(res, 500, errorBody(13, 'Internal error encountered.'));
      }
    });
  });
  return {
    server,
    setDeps: (value) => {
      deps = value;
    },
  };
}

export async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
