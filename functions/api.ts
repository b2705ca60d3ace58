import type { HttpFunction } from '@google-cloud/functions-framework';
import { type ApiDeps, apiRoutes } from '../shared/http/apiRoutes.js';
import { buildOpenApi } from '../shared/http/openapi.js';
import { createRouter } from '../shared/http/router.js';
import type { Route } from '../shared/http/types.js';
import type { Logger } from '../shared/logging.js';
import type { RunTokenVerifier } from '../shared/services/authenticate.js';
import { createAuthenticator } from '../shared/services/authenticate.js';
import { fromExpress, sendResponse } from './httpAdapter.js';

export interface ApiHandlerDeps extends ApiDeps {
  platformAdminKey: string;
  runTokens?: RunTokenVerifier | undefined;
  logger: Logger;
  clock?: () => Date;
  /** Extra routes contributed by later features (credentials, audit, …). */
  extraRoutes?: Route[];
}

/** The public REST API: one router over the route table, behind functions-framework. */
export function createApiHandler(deps: ApiHandlerDeps): HttpFunction {
  const routes = [...apiRoutes(deps), ...(deps.extraRoutes ?? [])];
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
      logger: deps.logger,
      ...(deps.clock ? { clock: deps.clock } : {}),
    }),
    logger: deps.logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  return async (req, res) => {
    sendResponse(res, await route(fromExpress(req)));
  };
}
