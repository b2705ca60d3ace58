import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SILENT, waitFor } from '../../scripts/customerProject.js';
import { type RunView, type ScheduleStack, startScheduleStack } from '../support/scheduleStack.js';

let s: ScheduleStack;
const LEASE_SECONDS = 5;
const ACTIVE = ['PENDING', 'RUNNING', 'CANCELLING'];
const TERMINAL = ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'];

beforeAll(async () => {
  s = await startScheduleStack({
    workspace: 'conc',
    poolLimit: 3,
    // Short leases for the killed-holder test; polls stay well inside them, so live runs keep theirs.
    extraEnv: {
      PUSHRUN_SLOT_LEASE_SECONDS: String(LEASE_SECONDS),
      PUSHRUN_MONITOR_INITIAL_POLL_MS: '200',
      PUSHRUN_MONITOR_MAX_POLL_MS: '1000',
    },
  });
});
afterAll(() => s.close());

async function create(deployment: string): Promise<string> {
  const r = await s.call('POST', `${s.ws}/deployments/${deployment}/runs`, { key: s.key, body: {} });
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

async function allFinished(deployment: string, count: number, timeoutMs = 60_000): Promise<RunView[]> {
  return waitFor(
    `${count} runs of ${deployment} to finish`,
    async () => {
      const runs = await s.runsOf(deployment);
      return runs.length === count && runs.every((r) => TERMINAL.includes(r.state.type)) ? runs : undefined;
    },
    timeoutMs,
  );
}

describe('concurrency limits', () => {
  it('a pool limit of 3 with 30 runs queued: never more than 3 PENDING+RUNNING, all 30 finish', async () => {
    await s.deploy({ name: 'burst', args: [SILENT, '0', '300'] });
    const ids = await Promise.all(Array.from({ length: 30 }, () => create('burst')));
    expect(new Set(ids).size).toBe(30);
    let maxActive = 0;
    let samples = 0;
    let waited = false;
    const runs = await waitFor(
      'all 30 runs to finish',
      async () => {
        // One query is one consistent snapshot of the runs.
        const list = await s.runsOf('burst');
        samples += 1;
        const active = list.filter((r) => ACTIVE.includes(r.state.type)).length;
        maxActive = Math.max(maxActive, active);
        expect(active).toBeLessThanOrEqual(3);
        if (list.some((r) => r.state.name === 'AwaitingConcurrencySlot')) waited = true;
        return list.length === 30 && list.every((r) => TERMINAL.includes(r.state.type)) ? list : undefined;
      },
      90_000,
      50,
    );
    expect(runs.map((r) => r.state.type)).toEqual(Array(30).fill('COMPLETED'));
    expect(maxActive).toBe(3);
    expect(waited).toBe(true);
    expect(samples).toBeGreaterThan(20);
    // Every slot was released: the pool's slot documents are all gone.
    const slots = await s.stores.firestore.collection(`workspaces/${s.workspace}/workPools/cr/slots`).get();
    expect(slots.docs.map((d) => d.data())).toEqual([]);
  }, 120_000);

  it('waiting runs start by deployment priority, then scheduled time', async () => {
    await s.pool('solo', 1);
    await s.deploy({ name: 'blocker', workPool: 'solo', args: [SILENT, '0', '60000'] });
    await s.deploy({ name: 'low', workPool: 'solo', priority: 1, args: [SILENT, '0', '0'] });
    await s.deploy({ name: 'high', workPool: 'solo', priority: 10, args: [SILENT, '0', '0'] });
    const blocker = await create('blocker');
    await waitFor('the blocker to run', async () => {
      const r = await s.call('GET', `${s.ws}/runs/${blocker}`, { key: s.key });
      return r.body.state.type === 'RUNNING' ? true : undefined;
    });
    const low = [await create('low'), await create('low')];
    const high = [await create('high'), await create('high')];
    await waitFor('all four to wait', async () => {
      const runs = [...(await s.runsOf('low')), ...(await s.runsOf('high'))];
      return runs.filter((r) => r.state.name === 'AwaitingConcurrencySlot').length === 4 ? true : undefined;
    });
    await s.call('POST', `${s.ws}/runs/${blocker}/cancel`, { key: s.key });
    await allFinished('low', 2);
    await allFinished('high', 2);
    const started = async (id: string) => {
      const states = await s.call('GET', `${s.ws}/runs/${id}/states`, { key: s.key });
      return Date.parse(states.body.items.find((h: { type: string }) => h.type === 'PENDING').timestamp);
    };
    const order = await Promise.all([...high, ...low].map(started));
    // Both high-priority runs started before either low-priority one, each pair in creation order.
    expect(order).toEqual([...order].sort((a, b) => a - b));
  }, 60_000);

  it('collision strategy cancel_new cancels a run that does not fit, with the reason', async () => {
    await s.deploy({
      name: 'single',
      concurrencyLimit: 1,
      collisionStrategy: 'cancel_new',
      args: [SILENT, '0', '3000'],
    });
    const first = await create('single');
    await waitFor('the first to run', async () => {
      const r = await s.call('GET', `${s.ws}/runs/${first}`, { key: s.key });
      return r.body.state.type === 'RUNNING' ? true : undefined;
    });
    const second = await create('single');
    const cancelled = await waitFor('the second to be cancelled', async () => {
      const r = await s.call('GET', `${s.ws}/runs/${second}`, { key: s.key });
      return TERMINAL.includes(r.body.state.type) ? r.body : undefined;
    });
    expect(cancelled.state.type).toBe('CANCELLED');
    expect(cancelled.state.message).toMatch(/concurrency limit reached \(.*deployment single: 1\)/);
    const runs = await allFinished('single', 2);
    expect(runs.find((r) => r.id === first)?.state.type).toBe('COMPLETED');
  }, 60_000);

  it('a holder that vanished with a slot blocks it no longer than its lease', async () => {
    await s.pool('leased', 1);
    await s.deploy({ name: 'after-ghost', workPool: 'leased', args: [SILENT, '0', '0'] });
    // A dispatcher "killed" right after claiming: the slot is held and nothing will release it.
    const claimedAt = Date.now();
    await s.stores.firestore.doc(`workspaces/${s.workspace}/workPools/leased/slots/0`).set({
      holder: 'ghost-run',
      attempt: 1,
      workspace: s.workspace,
      leaseUntil: new Date(claimedAt + LEASE_SECONDS * 1000).toISOString(),
    });
    const id = await create('after-ghost');
    const waiting = await waitFor('the run to wait', async () => {
      const r = await s.call('GET', `${s.ws}/runs/${id}`, { key: s.key });
      return r.body.state.name === 'AwaitingConcurrencySlot' ? r.body : undefined;
    });
    expect(waiting.state.message).toMatch(/work pool leased: 1/);
    // Cloud Scheduler ticks every minute; here the test ticks once the lease has run out.
    await new Promise((r) => setTimeout(r, Math.max(0, claimedAt + LEASE_SECONDS * 1000 + 200 - Date.now())));
    expect((await s.api.stack.tick(new Date())).status).toBe(200);
    const [done] = await allFinished('after-ghost', 1, 20_000);
    expect(done?.state.type).toBe('COMPLETED');
    const states = await s.call('GET', `${s.ws}/runs/${id}/states`, { key: s.key });
    const pending = Date.parse(
      states.body.items.find((h: { type: string }) => h.type === 'PENDING').timestamp,
    );
    expect(pending).toBeGreaterThanOrEqual(claimedAt + LEASE_SECONDS * 1000 - 50);
    expect(pending - (claimedAt + LEASE_SECONDS * 1000)).toBeLessThan(10_000);
  }, 60_000);
});

describe('retries', () => {
  it('FAILED → SCHEDULED(AwaitingRetry) attempt 2 → a fresh execution, until the policy is spent', async () => {
    await s.deploy({
      name: 'flaky',
      args: [SILENT, '3', '400'],
      retryPolicy: { maxRetries: 2, delaySeconds: 0, retryCrashed: true },
    });
    const id = await create('flaky');
    const run = await waitFor(
      'the last attempt to end',
      async () => {
        const r = await s.call('GET', `${s.ws}/runs/${id}`, { key: s.key });
        return r.body.attempt === 3 && TERMINAL.includes(r.body.state.type) ? r.body : undefined;
      },
      45_000,
    );
    expect(run.state.type).toBe('CRASHED');
    const states = await s.call('GET', `${s.ws}/runs/${id}/states`, { key: s.key });
    const history = states.body.items.map((h: { type: string; name: string; attempt: number }) => [
      h.attempt,
      h.type,
      h.name,
    ]);
    // Each attempt starts SCHEDULED (a retry as AwaitingRetry), passes PENDING and ends CRASHED;
    // RUNNING appears when a poll caught the process alive.
    for (const attempt of [1, 2, 3]) {
      const mine = history.filter((h: [number, string, string]) => h[0] === attempt);
      expect(mine[0]).toEqual([attempt, 'SCHEDULED', attempt === 1 ? 'Scheduled' : 'AwaitingRetry']);
      expect(mine[1]).toEqual([attempt, 'PENDING', 'Pending']);
      expect(mine.at(-1)).toEqual([attempt, 'CRASHED', 'Crashed']);
    }
    // One execution per attempt, each in its own job.
    const executions = (await s.api.stack.control.startedExecutions()).filter((e) =>
      e.name.includes(id.toLowerCase()),
    );
    expect(executions.map((e) => e.name.match(/jobs\/pr-[^/]+-a(\d+)\//)?.[1]).sort()).toEqual([
      '1',
      '2',
      '3',
    ]);
  }, 60_000);
});
