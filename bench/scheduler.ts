import { NODE, onboardCustomer, SILENT, waitFor } from '../scripts/customerProject.js';
import { REGION } from '../scripts/localStack.js';
import { createFirestore } from '../shared/adapters/gcp/firestoreClient.js';
import { FirestoreRunStore } from '../shared/adapters/gcp/firestoreRunStore.js';
import { FirestoreScheduleStore } from '../shared/adapters/gcp/firestoreScheduleStore.js';
import { FirestoreWorkspaceStore } from '../shared/adapters/gcp/firestoreWorkspaceStore.js';
import { Deployment, RetryPolicy } from '../shared/contracts/deployment.js';
import { createLogger } from '../shared/logging.js';
import type { RunStore } from '../shared/ports/runStore.js';
import type { ScheduleStore } from '../shared/ports/scheduleStore.js';
import type { TaskQueue } from '../shared/ports/taskQueue.js';
import { schedulerTick } from '../shared/services/scheduler.js';
import { client, startApi } from '../test/support/apiServer.js';
import { clearFirestore } from '../test/support/firestoreEmulator.js';
import type { FirestoreCounts } from './firestoreCounter.js';
import { printTable } from './stats.js';

const HOUR = 3_600_000;

/**
 * Documents a tick reads, counted at the ports: every document a query returns, every
 * deployment a transaction reads, every run id it checks for existence. Firestore bills
 * the same (plus one read per query that returns nothing).
 */
function counting(schedules: ScheduleStore, runs: RunStore, counter: { reads: number }) {
  const s: ScheduleStore = {
    listDue: async (at, limit) => {
      const due = await schedules.listDue(at, limit);
      counter.reads += Math.max(1, due.length);
      return due;
    },
    materialize: (ws, name, plan) =>
      schedules.materialize(ws, name, (d) => {
        const planned = plan(d);
        counter.reads += 1 + (planned?.runs.length ?? 0);
        return planned;
      }),
    editDeployment: (ws, name, edit) => schedules.editDeployment(ws, name, edit),
  };
  const r = new Proxy(runs, {
    get(target, prop, receiver) {
      if (prop === 'listLate') {
        return async (now: Date, limit: number) => {
          const late = await target.listLate(now, limit);
          counter.reads += Math.max(1, late.length);
          return late;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { schedules: s, runs: r };
}

async function tickCost(
  total: number,
  due: number,
  counter?: { snapshot(): FirestoreCounts },
): Promise<{ ms: number; reads: number; firestoreReads: number | null; created: number }> {
  const projectId = `bench-sched-${total}-${process.pid}`;
  const firestore = createFirestore({ projectId });
  const workspaces = new FirestoreWorkspaceStore({ firestore });
  const tick = new Date('2031-01-01T12:00:00.000Z');
  try {
    const at = tick.toISOString();
    await workspaces.createWorkPool('bench', {
      name: 'hy',
      kind: 'hybrid',
      baseJobTemplate: {},
      concurrencyLimit: null,
      paused: false,
      createdAt: at,
      updatedAt: at,
    });
    // Seeded with batched writes: every deployment has an hourly schedule; `due` of them
    // need the tick now, the others were materialised and are due in half an hour.
    const col = firestore.collection('workspaces').doc('bench').collection('deployments');
    for (let start = 0; start < total; start += 500) {
      const batch = firestore.batch();
      for (let i = start; i < Math.min(total, start + 500); i += 1) {
        const isDue = i % Math.floor(total / due) === 0 && i / Math.floor(total / due) < due;
        const d = Deployment.parse({
          name: `d${i}`,
          workPool: 'hy',
          env: {},
          jobVariables: {},
          parameters: {},
          concurrencyLimit: null,
          collisionStrategy: 'enqueue',
          retryPolicy: RetryPolicy.parse({}),
          priority: 0,
          tags: [],
          paused: false,
          schedules: [
            {
              id: 'hourly',
              kind: 'interval',
              intervalSeconds: 3600,
              anchor: new Date(tick.getTime() + 30 * 60_000).toISOString(),
              active: true,
            },
          ],
          scheduleVersion: 1,
          scheduledThrough: isDue ? at : new Date(tick.getTime() + HOUR).toISOString(),
          nextMaterializeAt: isDue ? at : new Date(tick.getTime() + 30 * 60_000).toISOString(),
          createdAt: at,
          updatedAt: at,
        });
        batch.set(col.doc(d.name), JSON.parse(JSON.stringify(d)));
      }
      await batch.commit();
    }
    const docs = { reads: 0 };
    const counted = counting(
      new FirestoreScheduleStore({ firestore }),
      new FirestoreRunStore({ firestore }),
      docs,
    );
    const noQueue: TaskQueue = {
      enqueue: () => Promise.reject(new Error('hybrid pools enqueue nothing')),
      delete: () => Promise.resolve(),
    };
    const before = counter?.snapshot().reads;
    const started = performance.now();
    const result = await schedulerTick(
      { workspaces, ...counted, queue: noQueue, logger: createLogger({ level: 'error' }) },
      tick,
    );
    const ms = performance.now() - started;
    const after = counter?.snapshot().reads;
    return {
      ms,
      reads: docs.reads,
      firestoreReads: before === undefined || after === undefined ? null : after - before,
      created: result.created,
    };
  } finally {
    await firestore.terminate();
    await clearFirestore(process.env.FIRESTORE_EMULATOR_HOST as string, projectId);
  }
}

async function poolThroughput(runs: number, limit: number): Promise<{ seconds: number; maxActive: number }> {
  const api = await startApi({
    extraEnv: { PUSHRUN_MONITOR_INITIAL_POLL_MS: '200', PUSHRUN_MONITOR_MAX_POLL_MS: '1000' },
  });
  const call = client(api.url);
  try {
    const customer = await onboardCustomer(api.stack.control, 'bench-proj');
    const w = await call('POST', '/v1/workspaces', {
      key: api.adminKey,
      body: { name: 'bench', ownerEmail: 'b@b.test' },
    });
    const key = w.body.apiKey.key as string;
    const ws = '/v1/workspaces/bench';
    await call('POST', `${ws}/credentials`, {
      key,
      body: {
        name: 'gcp',
        kind: 'service_account_key',
        projectId: customer.projectId,
        serviceAccountKey: customer.key,
      },
    });
    await call('POST', `${ws}/work-pools`, {
      key,
      body: {
        name: 'cr',
        kind: 'cloud-run',
        credential: 'gcp',
        projectId: customer.projectId,
        region: REGION,
        concurrencyLimit: limit,
        baseJobTemplate: { serviceAccount: customer.runtimeEmail },
      },
    });
    await call('POST', `${ws}/deployments`, {
      key,
      body: { name: 'quick', workPool: 'cr', image: 'x/y:1', command: [NODE], args: [SILENT, '0', '0'] },
    });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: runs }, () => call('POST', `${ws}/deployments/quick/runs`, { key, body: {} })),
    );
    let maxActive = 0;
    await waitFor(
      'all runs to finish',
      async () => {
        const r = await call('GET', `${ws}/runs?deployment=quick&page_size=500`, { key });
        const items = r.body.items as { state: { type: string } }[];
        maxActive = Math.max(
          maxActive,
          items.filter((i) => ['PENDING', 'RUNNING'].includes(i.state.type)).length,
        );
        return items.length === runs &&
          items.every((i) => ['COMPLETED', 'FAILED', 'CRASHED'].includes(i.state.type))
          ? true
          : undefined;
      },
      180_000,
      100,
    );
    return { seconds: (performance.now() - started) / 1000, maxActive };
  } finally {
    await api.close();
  }
}

/**
 * Scheduler tick cost against the number of deployments (the same 100 due each time),
 * and runs per second through a concurrency-limited pool (whole stack, emulators).
 */
export async function benchScheduler(opts: {
  scale: number;
  counter?: { snapshot(): FirestoreCounts };
}): Promise<void> {
  const due = 100;
  const sizes = [1000, 10_000].map((n) => Math.max(due, Math.round(n * opts.scale)));
  const rows: Record<string, string | number>[] = [];
  const results: { total: number; ms: number; reads: number }[] = [];
  // Warm-up (connections, JIT), not reported: otherwise the first size pays for it.
  await tickCost(200, 20);
  for (const total of sizes) {
    const r = await tickCost(total, due, opts.counter);
    results.push({ total, ...r });
    rows.push({
      deployments: total,
      due,
      'runs made': r.created,
      'tick ms': Math.round(r.ms),
      'docs read (ports)': r.reads,
      'Firestore reads (counted)': r.firestoreReads ?? 'n/a',
    });
  }
  printTable('scheduler tick: the same 100 due deployments among N (Firestore emulator)', rows);
  const [small, large] = results;
  if (small && large) {
    console.log(
      `  ${large.total / small.total}× the deployments → ${(large.reads / small.reads).toFixed(2)}× the reads, ${(large.ms / small.ms).toFixed(2)}× the time`,
    );
  }
  const runs = Math.max(10, Math.round(60 * opts.scale));
  const limit = 5;
  const t = await poolThroughput(runs, limit);
  printTable(`runs through a pool limited to ${limit} (whole stack, Cloud Run emulator, instant flows)`, [
    {
      runs,
      seconds: t.seconds.toFixed(1),
      'runs/s': (runs / t.seconds).toFixed(2),
      'max PENDING+RUNNING seen': t.maxActive,
    },
  ]);
}
