import type { HttpFunction } from '@google-cloud/functions-framework';
import { type Env, loadEnv } from './config/env.js';
import { createLogger, type Logger } from './logging.js';

/**
 * Builds each function's dependencies from the environment. Adapters are
 * imported dynamically so that a function loads only the Google clients it
 * uses (cold start: each client costs ~250 ms to import). This is the one
 * place the production adapters are chosen; tests and `npm start` reach the
 * emulators through the endpoint variables in Env, not through other adapters.
 */
export interface Wiring {
  env: Env;
  logger: Logger;
}

type Source = Record<string, string | undefined>;

export function baseWiring(source: Source = process.env, function_?: string): Wiring {
  const env = loadEnv(source);
  const logger = createLogger({
    level: env.PUSHRUN_LOG_LEVEL,
    base: function_ ? { function: function_ } : {},
  });
  return { env, logger };
}

async function stores(env: Env) {
  const [
    { createFirestore },
    { FirestoreWorkspaceStore },
    { FirestoreRunStore },
    { FirestoreCredentialStore },
  ] = await Promise.all([
    import('./adapters/gcp/firestoreClient.js'),
    import('./adapters/gcp/firestoreWorkspaceStore.js'),
    import('./adapters/gcp/firestoreRunStore.js'),
    import('./adapters/gcp/firestoreCredentialStore.js'),
  ]);
  const { FirestoreAccessStore } = await import('./adapters/gcp/firestoreAccessStore.js');
  const { FirestoreScheduleStore } = await import('./adapters/gcp/firestoreScheduleStore.js');
  const { FirestoreSecretStore } = await import('./adapters/gcp/firestoreSecretStore.js');
  const firestore = createFirestore({ projectId: env.GOOGLE_CLOUD_PROJECT });
  return {
    schedules: new FirestoreScheduleStore({ firestore }),
    access: new FirestoreAccessStore({ firestore }),
    workspaces: new FirestoreWorkspaceStore({ firestore }),
    runs: new FirestoreRunStore({ firestore }),
    credentialStore: new FirestoreCredentialStore({ firestore }),
    secretStore: new FirestoreSecretStore({ firestore }),
  };
}

async function taskQueue(env: Env) {
  const [{ createCloudTasksClient }, { CloudTasksQueue }] = await Promise.all([
    import('./adapters/gcp/tasksClient.js'),
    import('./adapters/gcp/cloudTasksQueue.js'),
  ]);
  return new CloudTasksQueue({
    client: await createCloudTasksClient({ endpoint: env.PUSHRUN_TASKS_ENDPOINT }),
    projectId: env.GOOGLE_CLOUD_PROJECT,
    location: env.PUSHRUN_REGION,
    queues: { dispatch: env.PUSHRUN_DISPATCH_QUEUE, monitor: env.PUSHRUN_MONITOR_QUEUE },
    targets: { dispatch: env.PUSHRUN_DISPATCHER_URL, monitor: env.PUSHRUN_MONITOR_URL },
    serviceAccountEmail: env.PUSHRUN_TASKS_SERVICE_ACCOUNT,
  });
}

async function customerAccess(
  env: Env,
  credentialStore: import('./ports/credentialStore.js').CredentialStore,
) {
  const [
    { createKmsClient },
    { CloudKmsKeyService },
    { createPlatformAuth },
    { createCustomerAuth },
    { IamPermissionChecker },
    { DataKeyCache },
  ] = await Promise.all([
    import('./adapters/gcp/kmsClient.js'),
    import('./adapters/gcp/cloudKmsKeyService.js'),
    import('./adapters/gcp/platformAuth.js'),
    import('./adapters/gcp/customerAuth.js'),
    import('./adapters/gcp/iamPermissionChecker.js'),
    import('./domain/envelope.js'),
  ]);
  const keys = new CloudKmsKeyService({
    client: await createKmsClient({ endpoint: env.PUSHRUN_KMS_ENDPOINT }),
    projectId: env.GOOGLE_CLOUD_PROJECT,
    location: env.PUSHRUN_KMS_LOCATION,
    keyRing: env.PUSHRUN_KMS_KEY_RING,
  });
  const auth = createCustomerAuth({
    iamEndpoint: env.PUSHRUN_IAM_ENDPOINT,
    platformAuth: createPlatformAuth({ keyFile: env.PUSHRUN_PLATFORM_CREDENTIALS_FILE }),
  });
  const credentials = {
    credentials: credentialStore,
    keys,
    permissions: new IamPermissionChecker({ auth, endpoint: env.PUSHRUN_IAM_ENDPOINT }),
    dataKeys: new DataKeyCache(),
  };
  return { keys, auth, credentials };
}

export async function buildApi(source: Source = process.env): Promise<HttpFunction> {
  const { env, logger } = baseWiring(source, 'api');
  const [
    s,
    queue,
    { createApiHandler },
    { credentialRoutes },
    { checkPoolCredential },
    execution,
    { RunTokenSigner },
    { createRunTokenVerifier },
  ] = await Promise.all([
    stores(env),
    taskQueue(env),
    import('../functions/api.js'),
    import('./http/credentialRoutes.js'),
    import('./services/credentials.js'),
    import('./services/execution.js'),
    import('./domain/runTokens.js'),
    import('./services/runTokenAuth.js'),
  ]);
  const { keys, credentials } = await customerAccess(env, s.credentialStore);
  const tokens = new RunTokenSigner(env.PUSHRUN_RUN_TOKEN_SECRET);
  const { secretRoutes } = await import('./http/secretRoutes.js');
  return createApiHandler({
    workspaces: s.workspaces,
    runs: s.runs,
    schedules: s.schedules,
    queue,
    platformAdminKey: env.PUSHRUN_PLATFORM_ADMIN_KEY,
    logger,
    provisionWorkspace: async (ws) => {
      await keys.ensureWorkspaceKey(ws);
    },
    deprovisionWorkspace: async (ws) => {
      await keys.destroyWorkspaceKey(ws);
      credentials.dataKeys.invalidate(ws);
    },
    checkCredential: (ws, name, pool) => checkPoolCredential(credentials, ws, name, pool),
    hooks: {
      // Only cloud-run pools are pushed; hybrid workers poll for their runs.
      scheduled: async (ws, run) => {
        const pool = await s.workspaces.getWorkPool(ws, run.workPool);
        if (pool?.kind === 'cloud-run') await execution.enqueueDispatch(queue, ws, run);
      },
      released: async (ws, run, kinds) => {
        const { wakeWaiting } = await import('./services/concurrency.js');
        await wakeWaiting({ runs: s.runs, queue, clock: () => new Date(), logger }, ws, run, kinds);
      },
      cancelling: async (ws, run) => {
        const { monitorTaskName } = await import('./contracts/tasks.js');
        const task = { workspace: ws, runId: run.id, attempt: run.attempt, poll: 0 };
        await queue.enqueue({ queue: 'monitor', payload: task }, { name: monitorTaskName(task, '-cancel') });
      },
    },
    runTokens: createRunTokenVerifier({ tokens, runs: s.runs }),
    credentialStore: s.credentialStore,
    secretStore: s.secretStore,
    extraRoutes: [
      ...credentialRoutes(credentials),
      ...secretRoutes({
        secrets: s.secretStore,
        keys,
        dataKeys: credentials.dataKeys,
        runs: s.runs,
        workspaces: s.workspaces,
      }),
    ],
    access: s.access,
    sso: {
      sessionSecret: env.PUSHRUN_RUN_TOKEN_SECRET,
      issuer: env.PUSHRUN_OIDC_ISSUER,
      jwksUri: env.PUSHRUN_OIDC_JWKS_URI,
      audience: env.PUSHRUN_SSO_AUDIENCE,
    },
  });
}

async function executionDeps(env: Env, logger: Logger) {
  const [s, queue, { CloudRunJobLauncher }, { RunTokenSigner }] = await Promise.all([
    stores(env),
    taskQueue(env),
    import('./adapters/gcp/cloudRunJobLauncher.js'),
    import('./domain/runTokens.js'),
  ]);
  const { auth, credentials } = await customerAccess(env, s.credentialStore);
  return {
    workspaces: s.workspaces,
    runs: s.runs,
    credentials,
    launcher: new CloudRunJobLauncher({ auth, endpoint: env.PUSHRUN_RUN_ENDPOINT }),
    queue,
    tokens: new RunTokenSigner(env.PUSHRUN_RUN_TOKEN_SECRET),
    apiUrl: env.PUSHRUN_API_URL,
    logger,
    clock: () => new Date(),
    poll: { initialMs: env.PUSHRUN_MONITOR_INITIAL_POLL_MS, maxMs: env.PUSHRUN_MONITOR_MAX_POLL_MS },
    slotLeaseSeconds: env.PUSHRUN_SLOT_LEASE_SECONDS,
  };
}

async function internalAuth(env: Env, audience: string) {
  const { createInternalAuth } = await import('./services/internalAuth.js');
  return createInternalAuth({
    issuer: env.PUSHRUN_OIDC_ISSUER,
    jwksUri: env.PUSHRUN_OIDC_JWKS_URI,
    audience,
    serviceAccountEmail: env.PUSHRUN_TASKS_SERVICE_ACCOUNT,
  });
}

export async function buildDispatcher(source: Source = process.env): Promise<HttpFunction> {
  const { env, logger } = baseWiring(source, 'dispatcher');
  const [deps, verify, { createDispatcherHandler }] = await Promise.all([
    executionDeps(env, logger),
    internalAuth(env, env.PUSHRUN_DISPATCHER_URL),
    import('../functions/dispatcher.js'),
  ]);
  return createDispatcherHandler({ ...deps, verify });
}

export async function buildMonitor(source: Source = process.env): Promise<HttpFunction> {
  const { env, logger } = baseWiring(source, 'monitor');
  const [deps, verify, { createMonitorHandler }] = await Promise.all([
    executionDeps(env, logger),
    internalAuth(env, env.PUSHRUN_MONITOR_URL),
    import('../functions/monitor.js'),
  ]);
  return createMonitorHandler({ ...deps, verify });
}

export async function buildScheduler(source: Source = process.env): Promise<HttpFunction> {
  const { env, logger } = baseWiring(source, 'scheduler');
  const audience = env.PUSHRUN_SCHEDULER_URL ?? `${env.PUSHRUN_API_URL.replace(/\/$/, '')}/scheduler`;
  const [s, queue, verify, { createSchedulerHandler }, { sweepOverdueRuns }, { schedulerTick }] =
    await Promise.all([
      stores(env),
      taskQueue(env),
      internalAuth(env, audience),
      import('../functions/scheduler.js'),
      import('./services/sweep.js'),
      import('./services/scheduler.js'),
    ]);
  return createSchedulerHandler({
    verify,
    logger,
    clock: () => new Date(),
    tick: async (tickTime) => ({
      schedules: await schedulerTick(
        { workspaces: s.workspaces, schedules: s.schedules, runs: s.runs, queue, logger },
        tickTime,
      ),
      sweep: await sweepOverdueRuns({ runs: s.runs, queue, logger }, tickTime),
    }),
  });
}
