import { FLOW, NODE, onboardCustomer, SILENT } from '../scripts/customerProject.js';
import { startLocalStack } from '../scripts/localStack.js';
import type { FirestoreCounts } from './firestoreCounter.js';
import { percentile, printTable } from './stats.js';

type Counter = { snapshot(): FirestoreCounts };

/**
 * Per run, from trigger to COMPLETED, through the whole local stack: Cloud Run
 * API calls, KMS calls and Firestore document reads/writes (counted, not
 * timed), and the delay from a run's scheduled time to its execution starting
 * (p50/p99), for a container that reports nothing and for the example flow that
 * reports state, logs and task runs through the API.
 */
export async function benchPushExecution(opts: { runs: number; counter: Counter }): Promise<void> {
  const stack = await startLocalStack({
    extraEnv: { PUSHRUN_MONITOR_INITIAL_POLL_MS: '1000', PUSHRUN_MONITOR_MAX_POLL_MS: '5000' },
  });
  try {
    const control = stack.control;
    await control.setQuotas({
      runRequestsPerMinute: 1_000_000,
      jobsPerRegion: 100_000,
      runningExecutionsPerRegion: 100_000,
    });
    const customer = await onboardCustomer(control, 'bench-customer');
    const api = stack.urls.api;
    const req = async (method: string, path: string, key: string, body?: unknown) => {
      const res = await fetch(api + path, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown> & { id?: string };
    };
    const ws = '/v1/workspaces/bench';
    const created = (await req('POST', '/v1/workspaces', stack.adminKey, {
      name: 'bench',
      ownerEmail: 'b@b.test',
    })) as {
      apiKey: { key: string };
    };
    const key = created.apiKey.key;
    await req('POST', `${ws}/credentials`, key, {
      name: 'gcp',
      kind: 'service_account_key',
      projectId: customer.projectId,
      serviceAccountKey: customer.key,
    });
    await req('POST', `${ws}/work-pools`, key, {
      name: 'cr',
      kind: 'cloud-run',
      credential: 'gcp',
      projectId: customer.projectId,
      region: 'europe-west1',
      baseJobTemplate: { serviceAccount: customer.runtimeEmail },
    });
    await req('POST', `${ws}/deployments`, key, {
      name: 'silent',
      workPool: 'cr',
      image: 'x/s:1',
      command: [NODE],
      args: [SILENT, '0'],
    });
    await req('POST', `${ws}/deployments`, key, {
      name: 'flow',
      workPool: 'cr',
      image: 'x/f:1',
      command: [NODE],
      args: [FLOW],
    });

    const rows: Record<string, string | number>[] = [];
    for (const [deployment, n] of [
      ['silent', opts.runs],
      ['flow', Math.max(10, Math.round(opts.runs / 4))],
    ] as const) {
      await control.clearFaults();
      const statsBefore = await control.stats();
      const fsBefore = opts.counter.snapshot();
      const startedBefore = (await control.startedExecutions()).length;
      const ids: string[] = [];
      for (let i = 0; i < n; i += 20) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(20, n - i) }, () =>
            req('POST', `${ws}/deployments/${deployment}/runs`, key, {}),
          ),
        );
        ids.push(...batch.map((r) => r.id as string));
      }
      const scheduled = new Map<string, number>();
      const done = new Set<string>();
      const deadline = Date.now() + 600_000;
      while (done.size < ids.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        for (const id of ids) {
          if (done.has(id)) continue;
          const run = (await req('GET', `${ws}/runs/${id}`, key)) as {
            state: { type: string };
            scheduledTime: string;
          };
          if (['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'].includes(run.state.type)) {
            done.add(id);
            scheduled.set(id, Date.parse(run.scheduledTime));
          }
        }
      }
      // Wait for the monitors to clean the jobs up so their calls are counted.
      await new Promise((r) => setTimeout(r, 6000));
      const statsAfter = await control.stats();
      const fsAfter = opts.counter.snapshot();
      const started = (await control.startedExecutions()).slice(startedBefore);
      const delays = started
        .map((e) => {
          const id = /jobs\/pr-([0-9a-z]+)-a\d+\//.exec(e.name)?.[1];
          const t = id ? scheduled.get(id) : undefined;
          return t === undefined ? undefined : Date.parse(e.startedAt) - t;
        })
        .filter((d): d is number => d !== undefined)
        .sort((a, b) => a - b);
      const calls = (svc: string) =>
        Object.entries(statsAfter[svc] ?? {}).reduce(
          (sum, [m, c]) => sum + c - (statsBefore[svc]?.[m] ?? 0),
          0,
        );
      const per = (x: number) => x / n;
      rows.push({
        container: deployment === 'silent' ? 'reports nothing' : 'example flow (reports)',
        runs: n,
        completed: done.size,
        executions: started.length,
        'Cloud Run calls/run': per(calls('run')),
        'KMS calls/run': per(calls('kms')),
        'Firestore reads/run': per(fsAfter.reads - fsBefore.reads),
        'Firestore writes/run': per(fsAfter.writes - fsBefore.writes),
        'sched→start p50 ms': percentile(delays, 50),
        'sched→start p99 ms': percentile(delays, 99),
      });
      const runCalls = Object.entries(statsAfter.run ?? {})
        .map(([m, c]) => `${m} ${((c - (statsBefore.run?.[m] ?? 0)) / n).toFixed(2)}`)
        .join(', ');
      console.log(`  ${deployment}: Cloud Run calls per run by method: ${runCalls}`);
    }
    printTable('push execution, per run from trigger to COMPLETED (local stack, emulators)', rows);
  } finally {
    await stack.stop();
  }
}
