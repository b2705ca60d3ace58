import { expect } from 'vitest';
import { NODE, onboardCustomer, SILENT } from '../../scripts/customerProject.js';
import { REGION } from '../../scripts/localStack.js';
import { createFirestore } from '../../shared/adapters/gcp/firestoreClient.js';
import { FirestoreRunStore } from '../../shared/adapters/gcp/firestoreRunStore.js';
import { FirestoreScheduleStore } from '../../shared/adapters/gcp/firestoreScheduleStore.js';
import { FirestoreWorkspaceStore } from '../../shared/adapters/gcp/firestoreWorkspaceStore.js';
import { createCloudTasksClient } from '../../shared/adapters/gcp/tasksClient.js';
import { type ApiUnderTest, client, startApi } from './apiServer.js';

export type Call = ReturnType<typeof client>;

export interface ScheduleStack {
  api: ApiUnderTest;
  call: Call;
  key: string;
  /** Path prefix of the workspace: /v1/workspaces/{ws}. */
  ws: string;
  workspace: string;
  /** The production Firestore adapters on the stack's project, for direct inspection. */
  stores: {
    workspaces: FirestoreWorkspaceStore;
    runs: FirestoreRunStore;
    schedules: FirestoreScheduleStore;
    firestore: ReturnType<typeof createFirestore>;
  };
  /** Every run of a deployment (all pages). */
  runsOf(deployment: string): Promise<RunView[]>;
  /** Names of the dispatch tasks still pending in the Cloud Tasks emulator. */
  dispatchTasks(): Promise<string[]>;
  deploy(body: Record<string, unknown>): Promise<void>;
  /** Creates another cloud-run pool on the same customer project. */
  pool(name: string, concurrencyLimit: number | null): Promise<void>;
  close(): Promise<void>;
}

export interface RunView {
  id: string;
  deployment: string;
  scheduleId?: string;
  scheduleVersion?: number;
  scheduledTime: string;
  attempt: number;
  state: { type: string; name: string; message?: string };
  execution?: { name: string };
}

/**
 * The local stack with a workspace, an onboarded customer project, a credential and a
 * cloud-run pool `cr` (optionally with a concurrency limit), for schedule and
 * concurrency tests.
 */
export async function startScheduleStack(
  opts: { workspace?: string; poolLimit?: number | null; extraEnv?: Record<string, string> } = {},
): Promise<ScheduleStack> {
  const api = await startApi(opts.extraEnv ? { extraEnv: opts.extraEnv } : {});
  const call = client(api.url);
  const workspace = opts.workspace ?? 'sched';
  const ws = `/v1/workspaces/${workspace}`;
  const customer = await onboardCustomer(api.stack.control, `${workspace}-proj`);
  const w = await call('POST', '/v1/workspaces', {
    key: api.adminKey,
    body: { name: workspace, ownerEmail: `o@${workspace}.test` },
  });
  expect(w.status, w.text).toBe(201);
  const key: string = w.body.apiKey.key;
  const cred = await call('POST', `${ws}/credentials`, {
    key,
    body: {
      name: 'gcp',
      kind: 'service_account_key',
      projectId: customer.projectId,
      serviceAccountKey: customer.key,
    },
  });
  expect(cred.status, cred.text).toBe(201);
  const pool = await call('POST', `${ws}/work-pools`, {
    key,
    body: {
      name: 'cr',
      kind: 'cloud-run',
      credential: 'gcp',
      projectId: customer.projectId,
      region: REGION,
      concurrencyLimit: opts.poolLimit ?? null,
      baseJobTemplate: { serviceAccount: customer.runtimeEmail, timeoutSeconds: 120 },
    },
  });
  expect(pool.status, pool.text).toBe(201);
  const firestore = createFirestore({ projectId: api.projectId });
  const tasks = createCloudTasksClient({ endpoint: api.env.PUSHRUN_TASKS_ENDPOINT });
  const parent = `projects/${api.projectId}/locations/${REGION}/queues/${api.env.PUSHRUN_DISPATCH_QUEUE ?? 'pushrun-dispatch'}`;
  return {
    api,
    call,
    key,
    ws,
    workspace,
    stores: {
      workspaces: new FirestoreWorkspaceStore({ firestore }),
      runs: new FirestoreRunStore({ firestore }),
      schedules: new FirestoreScheduleStore({ firestore }),
      firestore,
    },
    async runsOf(deployment) {
      const out: RunView[] = [];
      let token: string | undefined;
      do {
        const q = `?deployment=${deployment}&page_size=500${token ? `&page_token=${token}` : ''}`;
        const r = await call('GET', `${ws}/runs${q}`, { key });
        expect(r.status, r.text).toBe(200);
        out.push(...r.body.items);
        token = r.body.nextPageToken;
      } while (token);
      return out;
    },
    async dispatchTasks() {
      const [list] = await (await tasks).listTasks({ parent });
      return list.map((t) => String(t.name).split('/').at(-1) as string);
    },
    async deploy(body) {
      const d = await call('POST', `${ws}/deployments`, {
        key,
        body: { workPool: 'cr', image: 'x/flow:1', command: [NODE], args: [SILENT, '0'], ...body },
      });
      expect(d.status, d.text).toBe(201);
    },
    async pool(name, concurrencyLimit) {
      const p = await call('POST', `${ws}/work-pools`, {
        key,
        body: {
          name,
          kind: 'cloud-run',
          credential: 'gcp',
          projectId: customer.projectId,
          region: REGION,
          concurrencyLimit,
          baseJobTemplate: { serviceAccount: customer.runtimeEmail, timeoutSeconds: 120 },
        },
      });
      expect(p.status, p.text).toBe(201);
    },
    async close() {
      await firestore.terminate();
      await (await tasks).close();
      await api.close();
    },
  };
}
