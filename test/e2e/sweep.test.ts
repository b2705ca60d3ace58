import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE, SILENT } from '../../scripts/customerProject.js';
import { type ApiUnderTest, client, startApi } from '../support/apiServer.js';
import {
  type CloudRunWorkspace,
  setUpCloudRunWorkspace,
  waitForTerminal,
} from '../support/cloudRunWorkspace.js';

/**
 * Nothing lost: a run whose dispatch task never made it into Cloud Tasks is
 * found by the scheduler's sweep (its watchdog is due) and launched then.
 */
let api: ApiUnderTest;
let call: ReturnType<typeof client>;
let w: CloudRunWorkspace;

beforeAll(async () => {
  api = await startApi();
  call = client(api.url);
  w = await setUpCloudRunWorkspace(api, call);
  const d = await call('POST', `${w.base}/deployments`, {
    key: w.ownerKey,
    body: { name: 'quick', workPool: 'cr', image: 'x/q:1', command: [NODE], args: [SILENT, '0'] },
  });
  expect(d.status, d.text).toBe(201);
});
afterAll(() => api.close());

describe('the sweep', () => {
  it('launches a run whose dispatch task was lost, and an idempotent retry repairs it at once', async () => {
    // Every CreateTask fails: the run is stored, its task is not.
    await api.stack.control.addFault({ service: 'tasks', method: 'CreateTask', code: 14, count: 100 });
    const first = await call('POST', `${w.base}/deployments/quick/runs`, {
      key: w.ownerKey,
      body: {},
      headers: { 'idempotency-key': 'lost-1' },
    });
    const second = await call('POST', `${w.base}/deployments/quick/runs`, { key: w.ownerKey, body: {} });
    await api.stack.control.clearFaults();
    expect(first.status).toBe(503);
    expect(second.status).toBe(503);
    const listed = await call('GET', `${w.base}/runs?deployment=quick`, { key: w.ownerKey });
    expect(listed.body.items).toHaveLength(2);
    expect(listed.body.items.every((r: { state: { type: string } }) => r.state.type === 'SCHEDULED')).toBe(
      true,
    );

    // The client retries with its key: same run (200), and this time the task is enqueued.
    const retried = await call('POST', `${w.base}/deployments/quick/runs`, {
      key: w.ownerKey,
      body: {},
      headers: { 'idempotency-key': 'lost-1' },
    });
    expect(retried.status).toBe(200);
    const done = await waitForTerminal(call, w.base, w.ownerKey, retried.body.id);
    expect(done.state.type).toBe('COMPLETED');

    // The other run has no task at all; a scheduler tick after its watchdog finds it.
    const lostId = listed.body.items.find((r: { id: string }) => r.id !== retried.body.id).id;
    const tick = await api.stack.tick(new Date(Date.now() + 11 * 60_000));
    expect(tick.status).toBe(200);
    const tickBody = (await tick.json()) as { sweep: { dispatched: number } };
    expect(tickBody.sweep.dispatched).toBeGreaterThanOrEqual(1);
    const swept = await waitForTerminal(call, w.base, w.ownerKey, lostId);
    expect(swept.state.type).toBe('COMPLETED');
  }, 90_000);

  it('the scheduler refuses callers without the tasks identity’s OIDC token', async () => {
    const none = await fetch(api.stack.urls.scheduler, { method: 'POST' });
    expect(none.status).toBe(401);
    const wrongAudience = await api.stack.control.idToken(
      api.stack.tasksServiceAccount,
      'https://elsewhere.example',
    );
    const r = await fetch(api.stack.urls.scheduler, {
      method: 'POST',
      headers: { authorization: `Bearer ${wrongAudience}` },
    });
    expect(r.status).toBe(401);
    const stranger = await api.stack.control.idToken(
      'someone@else.iam.gserviceaccount.com',
      api.stack.urls.scheduler,
    );
    const s = await fetch(api.stack.urls.scheduler, {
      method: 'POST',
      headers: { authorization: `Bearer ${stranger}` },
    });
    expect(s.status).toBe(403);
  });

  it('the dispatcher and monitor refuse forged task deliveries', async () => {
    for (const url of [
      api.stack.env.PUSHRUN_DISPATCHER_URL as string,
      api.stack.env.PUSHRUN_MONITOR_URL as string,
    ]) {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ workspace: 'acme', runId: 'x', attempt: 1, poll: 0 }),
      });
      expect(r.status).toBe(401);
      const forged = await api.stack.control.idToken('attacker@evil.iam.gserviceaccount.com', url);
      const f = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${forged}` },
        body: JSON.stringify({ workspace: 'acme', runId: 'x', attempt: 1, poll: 0 }),
      });
      expect(f.status).toBe(403);
    }
  });
});
