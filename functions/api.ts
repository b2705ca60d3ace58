import type { HttpFunction } from '@google-cloud/functions-framework';
import { accessRoutes } from '../shared/http/accessRoutes.js';
import { type ApiDeps, apiRoutes } from '../shared/http/apiRoutes.js';
import { buildOpenApi } from '../shared/http/openapi.js';
import { createRouter } from '../shared/http/router.js';
import { scimRoutes } from '../shared/http/scimRoutes.js';
import type { Route } from '../shared/http/types.js';
import type { Logger } from '../shared/logging.js';
import { auditHook } from '../shared/services/audit.js';
import type { RunTokenVerifier } from '../shared/services/authenticate.js';
import { createAuthenticator } from '../shared/services/authenticate.js';
import { ObjectAccess } from '../shared/services/objectAccess.js';
import { IdTokenVerifier, SessionTokens } from '../shared/services/sso.js';
import { fromExpress, sendResponse } from './httpAdapter.js';

export interface ApiHandlerDeps extends ApiDeps {
  platformAdminKey: string;
  runTokens?: RunTokenVerifier | undefined;
  logger: Logger;
  clock?: () => Date;
  /** Extra routes contributed by later features (credentials, audit, …). */
  extraRoutes?: Route[];
  /** SSO: session tokens are signed with a key derived from `sessionSecret`; no audience = SSO off. */
  sso?: { sessionSecret: string; issuer: string; jwksUri: string; audience?: string | undefined };
}

/** The public REST API: one router over the route table, behind functions-framework. */
export function createApiHandler(deps: ApiHandlerDeps): HttpFunction {
  const access = deps.access;
  const sessions = deps.sso ? new SessionTokens(deps.sso.sessionSecret) : undefined;
  const idTokens =
    deps.sso?.audience === undefined
      ? undefined
      : new IdTokenVerifier({
          issuer: deps.sso.issuer,
          jwksUri: deps.sso.jwksUri,
          audience: deps.sso.audience,
        });
  const objects = new ObjectAccess(deps);
  // Access control (roles, teams, SCIM, SSO, audit) needs its store; without it the API runs on built-in roles.
  const accessControl =
    access && sessions
      ? [
          ...accessRoutes({ workspaces: deps.workspaces, access, sessions, idTokens, logger: deps.logger }),
          ...scimRoutes({ workspaces: deps.workspaces, access }),
        ]
      : [];
  const routes = [...apiRoutes(deps), ...accessControl, ...(deps.extraRoutes ?? [])];
  const openapi = buildOpenApi(routes);
  routes.push({
    method: 'GET',
    path: '/v1/openapi.json',
    access: { kind: 'public' },
    summary: 'This API description',
    handler: async () => ({ status: 200, body: openapi }),
  });
  const route = createRouter({
    routes,
    authenticate: createAuthenticator({
      store: deps.workspaces,
      platformAdminKey: deps.platformAdminKey,
      runTokens: deps.runTokens,
      access,
      sessions,
      logger: deps.logger,
      ...(deps.clock ? { clock: deps.clock } : {}),
    }),
    logger: deps.logger,
    checkObject: (principal, ws, requirement, params) => objects.check(principal, ws, requirement, params),
    ...(access
      ? {
          onFinished: auditHook({
            access,
            logger: deps.logger,
            ...(deps.clock ? { clock: deps.clock } : {}),
          }),
        }
      : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  return async (req, res) => {
    sendResponse(res, await route(fromExpress(req)));
  };
}
