import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FLOW, NODE, onboardCustomer } from './customerProject.js';
import { startFirestoreEmulator } from './firestoreEmulator.js';
import { startLocalStack } from './localStack.js';

/**
 * `npm start`: the whole of pushrun on loopback — Google's Firestore emulator,
 * the project's emulators, the four functions behind functions-framework, a
 * scheduler tick every minute — seeded with a demo workspace whose cloud-run
 * work pool launches the example flow in an emulated customer project.
 * Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const firestore = await startFirestoreEmulator();
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const stack = await startLocalStack({
    projectId: 'pushrun-local',
    extraEnv: {
      PUSHRUN_LOG_LEVEL: 'info',
      PUSHRUN_MONITOR_INITIAL_POLL_MS: '1000',
      PUSHRUN_MONITOR_MAX_POLL_MS: '10000',
    },
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(ticker);
    await stack.stop().catch(() => undefined);
    await firestore.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const ticker = setInterval(() => {
    stack.tick().catch((err: unknown) => console.error('scheduler tick failed:', err));
  }, 60_000);

  try {
    const api = stack.urls.api;
    const post = async (path: string, key: string, body: unknown) => {
      const res = await fetch(api + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`seeding ${path} failed: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const customer = await onboardCustomer(stack.control, 'demo-customer');
    const created = (await post('/v1/workspaces', stack.adminKey, {
      name: 'demo',
      ownerEmail: 'owner@demo.test',
    })) as {
      apiKey: { key: string };
    };
    const key = created.apiKey.key;
    const ws = '/v1/workspaces/demo';
    await post(`${ws}/credentials`, key, {
      name: 'demo-gcp',
      kind: 'service_account_key',
      projectId: customer.projectId,
      serviceAccountKey: customer.key,
    });
    await post(`${ws}/work-pools`, key, {
      name: 'demo-pool',
      kind: 'cloud-run',
      credential: 'demo-gcp',
      projectId: customer.projectId,
      region: 'europe-west1',
      baseJobTemplate: { serviceAccount: customer.runtimeEmail, memory: '512Mi', timeoutSeconds: 600 },
    });
    await post(`${ws}/deployments`, key, {
      name: 'etl',
      workPool: 'demo-pool',
      image: 'europe-docker.pkg.dev/demo-customer/flows/etl:1',
      command: [NODE],
      args: [FLOW],
      parameterSchema: {
        type: 'object',
        properties: { rows: { type: 'integer', minimum: 0 }, fail: { type: 'boolean' } },
      },
      parameters: { rows: 3 },
    });

    const local = {
      apiUrl: api,
      platformAdminKey: stack.adminKey,
      workspace: 'demo',
      apiKey: key,
      emulators: stack.emulators.endpoints,
      functions: stack.urls,
      firestore: firestore.host,
    };
    // PUSHRUN_LOCAL_FILE lets a test run a second stack without touching a developer's file.
    const localFile = resolve(process.env.PUSHRUN_LOCAL_FILE ?? '.pushrun/local.json');
    mkdirSync(dirname(localFile), { recursive: true });
    writeFileSync(localFile, `${JSON.stringify(local, null, 2)}\n`, { mode: 0o600 });

    console.log(`
pushrun is running on loopback.

  API            ${api}
  functions      dispatcher ${stack.urls.dispatcher}  monitor ${stack.urls.monitor}  scheduler ${stack.urls.scheduler}
  emulators      control ${stack.emulators.endpoints.control}  (Cloud Run, Tasks, KMS, IAM, OIDC)
  Firestore      ${firestore.host}
  demo           workspace "demo", credential "demo-gcp", work pool "demo-pool", deployment "etl"
  secrets        .pushrun/local.json (API key, platform admin key)

Try:
  KEY=$(node -p "require('./.pushrun/local.json').apiKey")
  curl -s -X POST ${api}${ws}/deployments/etl/runs -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"parameters":{"rows":7}}'
  curl -s ${api}${ws}/runs -H "authorization: Bearer $KEY"
  curl -s ${api}${ws}/runs/RUN_ID/logs -H "authorization: Bearer $KEY"
  curl -s ${api}${ws}/runs/RUN_ID/task-runs -H "authorization: Bearer $KEY"
  curl -s -X POST ${api}${ws}/deployments/etl/runs -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"parameters":{"fail":true}}'
  curl -s ${stack.emulators.endpoints.control}/v1/executions        # what ran in the emulated customer project
  curl -s ${api}/v1/openapi.json

Ctrl-C stops everything.
`);
  } catch (err) {
    console.error(err);
    await stop(1);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
