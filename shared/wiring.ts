import type { HttpFunction } from '@google-cloud/functions-framework';
import { type Env, loadEnv } from './config/env.js';
import { createLogger, type Logger } from './logging.js';

/**
 * Builds each function's dependencies from the environment. Adapters are
 * imported dynamically so that a function loads only the Google clients it
 * uses (cold start: each client costs ~250 ms to import).
 */
export interface Wiring {
  env: Env;
  logger: Logger;
}

export function baseWiring(
  source: Record<string, string | undefined> = process.env,
  function_?: string,
): Wiring {
  const env = loadEnv(source);
  const logger = createLogger({
    level: env.PUSHRUN_LOG_LEVEL,
    base: function_ ? { function: function_ } : {},
  });
  return { env, logger };
}

export async function buildApi(
  source: Record<string, string | undefined> = process.env,
): Promise<HttpFunction> {
  const { env, logger } = baseWiring(source, 'api');
  const [{ createFirestore }, { FirestoreWorkspaceStore }, { FirestoreRunStore }, { createApiHandler }] =
    await Promise.all([
      import('./adapters/gcp/firestoreClient.js'),
      import('./adapters/gcp/firestoreWorkspaceStore.js'),
      import('./adapters/gcp/firestoreRunStore.js'),
      import('../functions/api.js'),
    ]);
  const firestore = createFirestore({ projectId: env.GOOGLE_CLOUD_PROJECT });
  return createApiHandler({
    workspaces: new FirestoreWorkspaceStore({ firestore }),
    runs: new FirestoreRunStore({ firestore }),
    platformAdminKey: env.PUSHRUN_PLATFORM_ADMIN_KEY,
    logger,
  });
}
