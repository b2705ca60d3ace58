import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicRunId } from '../../../shared/domain/schedules.js';
import { type ScheduleStack, startScheduleStack } from '../../support/scheduleStack.js';

let s: ScheduleStack;
const MINUTE = 60_000;

/** A round minute `minutes` from now: schedule times that will not fire during the test. */
function minuteFromNow(minutes: number): Date {
  return new Date(Math.ceil(Date.now() / MINUTE) * MINUTE + minutes * MINUTE);
}

function every(seconds: number, anchor: Date, id = 'every') {
  return { id, kind: 'interval', intervalSeconds: seconds, anchor: anchor.toISOString() };
}

beforeAll(async () => {
  s = await startScheduleStack({ workspace: 'ticks' });
});
afterAll(() => s.close());

describe('scheduler tick', () => {
  it('materialises the next hour of runs with deterministic ids, visible through the API, with their tasks', async () => {
    const anchor = minuteFromNow(10);
    await s.deploy({ name: 'hourly-view', schedules: [every(300, anchor)] });
    const tick = new Date();
    const res = await s.api.stack.tick(tick);
    expect(res.status).toBe(200);
    const runs = await s.runsOf('hourly-view');
    const horizon = tick.getTime() + 3_600_000;
    const expected: string[] = [];
    for (let t = anchor.getTime(); t <= horizon; t += 300_000) expected.push(new Date(t).toISOString());
    expect(runs.map((r) => r.scheduledTime).sort()).toEqual(expected);
    for (const r of runs) {
      expect(r.id).toBe(deterministicRunId('hourly-view', 'every', new Date(r.scheduledTime)));
      expect(r).toMatchObject({ scheduleId: 'every', state: { type: 'SCHEDULED', name: 'Scheduled' } });
    }
    const tasks = await s.dispatchTasks();
    for (const r of runs)
      expect(tasks.some((t) => t.endsWith(`d-${r.id}-a1-v${r.scheduleVersion}`))).toBe(true);
    const d = await s.call('GET', `${s.ws}/deployments/hourly-view`, { key: s.key });
    expect(Date.parse(d.body.scheduledThrough)).toBeGreaterThanOrEqual(horizon - 1);
    expect(Date.parse(d.body.nextMaterializeAt)).toBeGreaterThan(tick.getTime());
  });

  it('two concurrent ticks for the same minute create each run once', async () => {
    const anchor = minuteFromNow(5);
    for (const name of ['race-a', 'race-b', 'race-c'])
      await s.deploy({ name, schedules: [every(120, anchor)] });
    const tick = new Date();
    const [a, b] = await Promise.all([s.api.stack.tick(tick), s.api.stack.tick(tick)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const bodies = [await a.json(), await b.json()];
    for (const name of ['race-a', 'race-b', 'race-c']) {
      const runs = await s.runsOf(name);
      const ids = runs.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      const expected = Math.floor((tick.getTime() + 3_600_000 - anchor.getTime()) / 120_000) + 1;
      expect(runs).toHaveLength(expected);
    }
    // Each run was created by exactly one of the two ticks.
    const created = bodies.reduce((n, body) => n + body.schedules.created, 0);
    expect(created).toBe(
      (await Promise.all(['race-a', 'race-b', 'race-c'].map((n) => s.runsOf(n)))).flat().length,
    );
    // A third tick for the same minute does nothing.
    const again = await (await s.api.stack.tick(tick)).json();
    expect(again.schedules.created).toBe(0);
  });

  it('editing a schedule during a tick leaves no duplicate and no orphan', async () => {
    const anchor = minuteFromNow(5);
    const names = Array.from({ length: 6 }, (_, i) => `edit-${i}`);
    for (const name of names) await s.deploy({ name, schedules: [every(120, anchor, 'old')] });
    const tick = new Date();
    // The tick and the edits race; each edit replaces the schedule with a new one.
    const [tickRes, ...edits] = await Promise.all([
      s.api.stack.tick(tick),
      ...names.map((name) =>
        s.call('PATCH', `${s.ws}/deployments/${name}`, {
          key: s.key,
          body: { schedules: [every(180, anchor, 'new')] },
        }),
      ),
    ]);
    expect(tickRes.status).toBe(200);
    for (const e of edits) expect(e.status, e.text).toBe(200);
    // The next tick materialises whatever the edit left to do.
    await s.api.stack.tick(new Date(tick.getTime() + MINUTE));
    const tasks = await s.dispatchTasks();
    for (const name of names) {
      const runs = await s.runsOf(name);
      const ids = runs.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      // No run of the old schedule survives (all were in the future), and the new one is complete.
      expect(runs.filter((r) => r.scheduleId === 'old')).toEqual([]);
      const expected = Math.floor((tick.getTime() + MINUTE + 3_600_000 - anchor.getTime()) / 180_000) + 1;
      const detail = `${name}: tick ${tick.toISOString()}, anchor ${anchor.toISOString()}, runs ${JSON.stringify(
        runs.map((r) => [r.scheduledTime, r.scheduleId, r.scheduleVersion]).sort(),
      )}`;
      expect(runs, detail).toHaveLength(expected);
      for (const r of runs)
        expect(tasks.some((t) => t.endsWith(`d-${r.id}-a1-v${r.scheduleVersion}`))).toBe(true);
    }
    // No pending dispatch task points at a run of the old schedule (every id it could have made).
    const oldIds: string[] = [];
    for (const name of names) {
      for (let t = anchor.getTime(); t <= tick.getTime() + 2 * 3_600_000; t += 120_000)
        oldIds.push(deterministicRunId(name, 'old', new Date(t)));
    }
    expect(tasks.filter((t) => oldIds.some((id) => t.includes(id)))).toEqual([]);
  });

  it('pausing removes future scheduled runs and their tasks; deleting does too', async () => {
    const anchor = minuteFromNow(5);
    await s.deploy({ name: 'pausable', schedules: [every(600, anchor)] });
    await s.deploy({ name: 'deletable', schedules: [every(600, anchor)] });
    await s.api.stack.tick(new Date());
    const before = [...(await s.runsOf('pausable')), ...(await s.runsOf('deletable'))];
    expect(before.length).toBeGreaterThan(4);
    const p = await s.call('PATCH', `${s.ws}/deployments/pausable`, { key: s.key, body: { paused: true } });
    expect(p.status, p.text).toBe(200);
    expect(p.body.nextMaterializeAt).toBeUndefined();
    expect((await s.call('DELETE', `${s.ws}/deployments/deletable`, { key: s.key })).status).toBe(204);
    expect(await s.runsOf('pausable')).toEqual([]);
    expect(await s.runsOf('deletable')).toEqual([]);
    const tasks = await s.dispatchTasks();
    for (const r of before) expect(tasks.some((t) => t.includes(r.id))).toBe(false);
    // A paused deployment is not due: the next tick makes nothing for it.
    await s.api.stack.tick(new Date(Date.now() + MINUTE));
    expect(await s.runsOf('pausable')).toEqual([]);
  });
});
