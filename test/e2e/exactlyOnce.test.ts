import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE, SILENT, waitFor } from '../../scripts/customerProject.js';
import { type ApiUnderTest, client, startApi } from '../support/apiServer.js';
import { setUpCloudRunWorkspace } from '../support/cloudRunWorkspace.js';

/**
 * Exactly once under the faults that break naive launchers: every dispatch task
 * delivered twice concurrently, and a fifth of Cloud Run create calls taking
 * effect while the caller is told they failed. Then transient errors on every
 * Cloud Run call must never mark a run CRASHED.
 */
const RUNS = Number(process.env.PUSHRUN_EXACTLY_ONCE_RUNS ?? '200');

let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let key: string;
const ws = '/v1/workspaces/acme';

beforeAll(async () => {
  api = await startApi({
    extraEnv: { PUSHRUN_MONITOR_INITIAL_POLL_MS: '500', PUSHRUN_MONITOR_MAX_POLL_MS: '2000' },
  });
  call = client(api.url);
  await api.stack.control.setQuotas({
    runRequestsPerMinute: 100_000,
    jobsPerRegion: 100_000,
    runningExecutionsPerRegion: 100_000,
  });
  key = (await setUpCloudRunWorkspace(api, call)).ownerKey;
  await call('POST', `${ws}/deployments`, {
    key,
    body: { name: 'quick', workPool: 'cr', image: 'x/quick:1', command: [NODE], args: [SILENT, '0'] },
  });
}, 120_000);
afterAll(() => api.close());

async function createRuns(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, n - i) }, () =>
        call('POST', `${ws}/deployments/quick/runs`, { key, body: {} }),
      ),
    );
    for (const r of batch) {
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
  }
  return ids;
}

async function allFinished(ids: string[], timeoutMs: number) {
  return waitFor(
    `${ids.length} runs to finish`,
    async () => {
      const states = new Map<string, string>();
      let token: string | undefined;
      do {
        const page = await call('GET', `${ws}/runs?page_size=500${token ? `&page_token=${token}` : ''}`, {
          key,
        });
        for (const r of page.body.items) states.set(r.id, r.state.type);
        token = page.body.nextPageToken;
      } while (token);
      const mine = ids.map((id) => states.get(id) ?? 'MISSING');
      return mine.every((s) => ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'].includes(s))
        ? mine
        : undefined;
    },
    timeoutMs,
    1000,
  );
}

describe('exactly once under faults', () => {
  it(`${RUNS} runs, every dispatch delivered twice, 20% of launches answered with a dropped response → exactly ${RUNS} executions`, async () => {
    const control = api.stack.control;
    await control.addFault({ service: 'tasks', method: 'CreateTask', duplicateDelivery: true });
    await control.addFault({ service: 'run', method: 'CreateJob', dropResponse: true, code: 14, rate: 0.2 });
    const before = (await control.startedExecutions()).length;
    const ids = await createRuns(RUNS);
    const states = await allFinished(ids, 240_000);
    await control.clearFaults();
    expect(states.filter((s) => s === 'COMPLETED')).toHaveLength(RUNS);
    const executions = (await control.startedExecutions()).slice(before);
    expect(executions).toHaveLength(RUNS);
    const runIds = new Set(executions.map((e) => /pr-([0-9a-z]+)-a1/.exec(e.name)?.[1]));
    expect(runIds.size).toBe(RUNS);
    const stats = await control.stats();
    console.log(
      `exactly-once: ${RUNS} runs, CreateJob calls ${stats.run?.CreateJob}, executions ${executions.length}`,
    );
  }, 300_000);

  it('20% transient errors on Cloud Run calls: every run completes, none CRASHED', async () => {
    const control = api.stack.control;
    await control.addFault({ service: 'run', method: '*', code: 14, rate: 0.2 });
    const ids = await createRuns(Math.min(RUNS, 100));
    const states = await allFinished(ids, 240_000);
    await control.clearFaults();
    expect(states.filter((s) => s !== 'COMPLETED')).toEqual([]);
  }, 300_000);
});
