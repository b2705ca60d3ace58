import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { EmulatorControl } from '../emulators/controlClient.js';
import { type StartedEmulators, startEmulators } from '../emulators/server.js';
// The production entry module: registers the functions and patches the body parsers as deployed.
import '../functions/index.js';
import { ensureQueues } from '../shared/adapters/gcp/cloudTasksQueue.js';
import { createCloudTasksClient } from '../shared/adapters/gcp/tasksClient.js';
import { buildApi, buildDispatcher, buildMonitor, buildScheduler } from '../shared/wiring.js';

export const PLATFORM_PROJECT = 'pushrun-local';
export const REGION = 'europe-west1';

export interface LocalStack {
  emulators: StartedEmulators;
  control: EmulatorControl;
  env: Record<string, string>;
  urls: { api: string; dispatcher: string; monitor: string; scheduler: string };
  adminKey: string;
  tasksServiceAccount: string;
  /** Calls the scheduler function once, as Cloud Scheduler would (OIDC token, schedule-time header). */
  tick(at?: Date): Promise<Response>;
  stop(): Promise<void>;
}

let counter = 0;

/**
 * The whole of pushrun on loopback: the project's emulators (Cloud Run, Tasks,
 * KMS, IAM, OIDC issuer), and the four functions served by functions-framework's
 * own Express server around the handlers the production wiring builds. Firestore
 * is the emulator named by FIRESTORE_EMULATOR_HOST; `projectId` isolates data.
 */
export async function startLocalStack(
  opts: { projectId?: string; extraEnv?: Record<string, string> } = {},
): Promise<LocalStack> {
  counter += 1;
  const projectId = opts.projectId ?? `stack-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
  const emulators = await startEmulators();
  const control = new EmulatorControl(emulators.endpoints.control);
  const boundServers: Record<string, Server> = {};
  try {
    await control.createProject(PLATFORM_PROJECT).catch(() => undefined);
    const tasksSa = (await control.createServiceAccount(PLATFORM_PROJECT, 'pushrun-tasks')).email;
    const platformSa = (await control.createServiceAccount(PLATFORM_PROJECT, 'pushrun-platform')).email;
    const platformKey = await control.createKey(PLATFORM_PROJECT, platformSa);
    const dir = join(tmpdir(), `pushrun-${projectId}`);
    mkdirSync(dir, { recursive: true });
    const keyFile = join(dir, 'platform-key.json');
    writeFileSync(keyFile, JSON.stringify(platformKey), { mode: 0o600 });

    // Bind first, then tell each function the others' URLs: picking a free port and binding
    // it later races other processes for it (seen as EADDRINUSE under parallel tests).
    const names = ['api', 'dispatcher', 'monitor', 'scheduler'] as const;
    const servers = boundServers as Record<(typeof names)[number], Server>;
    const ports = {} as Record<(typeof names)[number], number>;
    for (const name of names) {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers[name] = server;
      ports[name] = (server.address() as AddressInfo).port;
    }
    const urls = {
      api: `http://127.0.0.1:${ports.api}`,
      dispatcher: `http://127.0.0.1:${ports.dispatcher}/`,
      monitor: `http://127.0.0.1:${ports.monitor}/`,
      scheduler: `http://127.0.0.1:${ports.scheduler}/`,
    };
    const adminKey = `admin-${randomBytes(24).toString('hex')}`;
    const env: Record<string, string> = {
      GOOGLE_CLOUD_PROJECT: projectId,
      PUSHRUN_REGION: REGION,
      FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST as string,
      PUSHRUN_API_URL: urls.api,
      PUSHRUN_PLATFORM_ADMIN_KEY: adminKey,
      PUSHRUN_RUN_TOKEN_SECRET: randomBytes(32).toString('hex'),
      PUSHRUN_DISPATCHER_URL: urls.dispatcher,
      PUSHRUN_MONITOR_URL: urls.monitor,
      PUSHRUN_SCHEDULER_URL: urls.scheduler,
      PUSHRUN_TASKS_SERVICE_ACCOUNT: tasksSa,
      PUSHRUN_OIDC_ISSUER: emulators.endpoints.oidcIssuer,
      PUSHRUN_OIDC_JWKS_URI: emulators.endpoints.jwksUri,
      PUSHRUN_RUN_ENDPOINT: emulators.endpoints.run,
      PUSHRUN_TASKS_ENDPOINT: emulators.endpoints.tasks,
      PUSHRUN_KMS_ENDPOINT: emulators.endpoints.kms,
      PUSHRUN_IAM_ENDPOINT: emulators.endpoints.iam,
      PUSHRUN_PLATFORM_CREDENTIALS_FILE: keyFile,
      PUSHRUN_MONITOR_INITIAL_POLL_MS: '300',
      PUSHRUN_MONITOR_MAX_POLL_MS: '2000',
      PUSHRUN_LOG_LEVEL: 'warn',
      ...opts.extraEnv,
    };
    await ensureQueues(await createCloudTasksClient({ endpoint: env.PUSHRUN_TASKS_ENDPOINT }), {
      projectId,
      location: REGION,
    });

    const builders = {
      api: buildApi,
      dispatcher: buildDispatcher,
      monitor: buildMonitor,
      scheduler: buildScheduler,
    };
    for (const [name, build] of Object.entries(builders) as [
      keyof typeof builders,
      (e: Record<string, string>) => Promise<ff.HttpFunction>,
    ][]) {
      const registered = `${name}-local-${counter}`;
      ff.http(registered, await build(env));
      // functions-framework's own Express app (body parsing, routing, the handler) serves the
      // already bound socket: the same request path as production.
      for (const listener of getTestServer(registered).listeners('request')) {
        servers[name].on('request', listener as (...args: unknown[]) => void);
      }
    }

    return {
      emulators,
      control,
      env,
      urls,
      adminKey,
      tasksServiceAccount: tasksSa,
      async tick(at = new Date()) {
        const token = await control.idToken(tasksSa, urls.scheduler);
        return fetch(urls.scheduler, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'x-cloudscheduler-scheduletime': at.toISOString() },
        });
      },
      async stop() {
        await closeAll(Object.values(servers));
        await emulators.stop();
      },
    };
  } catch (err) {
    await closeAll(Object.values(boundServers));
    await emulators.stop();
    throw err;
  }
}

async function closeAll(servers: Server[]): Promise<void> {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
