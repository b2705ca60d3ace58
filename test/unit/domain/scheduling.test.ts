import { describe, expect, it } from 'vitest';
import { Schedule } from '../../../shared/contracts/schedule.js';
import {
  chooseSlot,
  earliestExpiry,
  isFree,
  SLOT_WINDOW,
  slotScopes,
  slotWindow,
  waitingOrder,
} from '../../../shared/domain/concurrency.js';
import {
  classifyEdit,
  LATE_AFTER_MS,
  planMaterialization,
  SCHEDULE_HORIZON_MS,
  schedulingAfterEdit,
} from '../../../shared/domain/scheduling.js';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
const everyMinutes = (n: number, id = 's') =>
  Schedule.parse({ id, kind: 'interval', intervalSeconds: n * 60, anchor: T0.toISOString() });

type D = Parameters<typeof planMaterialization>[0];
function deployment(over: Partial<D> = {}): D {
  return {
    paused: false,
    schedules: [everyMinutes(10)],
    scheduleVersion: 1,
    scheduledThrough: T0.toISOString(),
    nextMaterializeAt: T0.toISOString(),
    onTimeFrom: T0.toISOString(),
    catchup: 'skip',
    catchupCap: 10,
    createdAt: T0.toISOString(),
    ...over,
  };
}

describe('planMaterialization', () => {
  it('makes the next hour of runs and points nextMaterializeAt at the next time minus the horizon', () => {
    const plan = planMaterialization(deployment(), T0);
    expect(plan?.runs.map((r) => r.time.getTime())).toEqual(
      [1, 2, 3, 4, 5, 6].map((k) => at(10 * k).getTime()),
    );
    expect(plan?.scheduledThrough).toEqual(at(60));
    expect(plan?.nextMaterializeAt).toEqual(new Date(at(70).getTime() - SCHEDULE_HORIZON_MS));
    expect(plan?.onTimeFrom).toBeNull();
  });

  it('is null when the deployment is not due at the tick (a second tick for the same minute)', () => {
    const first = planMaterialization(deployment(), T0);
    expect(
      planMaterialization(
        deployment({
          scheduledThrough: first?.scheduledThrough.toISOString(),
          nextMaterializeAt: first?.nextMaterializeAt?.toISOString(),
          onTimeFrom: undefined,
        }),
        T0,
      ),
    ).toBeNull();
  });

  it('a paused deployment or one without an active schedule gets nothing and leaves the due index', () => {
    for (const d of [
      deployment({ paused: true }),
      deployment({ schedules: [{ ...everyMinutes(10), active: false }] }),
    ]) {
      const plan = planMaterialization(d, T0);
      expect(plan?.runs).toEqual([]);
      expect(plan?.nextMaterializeAt).toBeNull();
    }
  });

  it.each([
    ['skip', []],
    ['latest', [50]],
    ['all', [30, 40, 50]],
  ] as const)('after a pause, catch-up %s runs %j of the missed times, marked late', (catchup, missed) => {
    // Paused at T0, resumed at +55: the times +10…+50 were missed.
    const d = deployment({
      catchup,
      catchupCap: 3,
      onTimeFrom: at(55).toISOString(),
      nextMaterializeAt: at(55).toISOString(),
    });
    const plan = planMaterialization(d, at(56));
    const late = plan?.runs.filter((r) => r.late).map((r) => (r.time.getTime() - T0.getTime()) / MIN);
    expect(late).toEqual(missed);
    const onTime = plan?.runs.filter((r) => !r.late).map((r) => (r.time.getTime() - T0.getTime()) / MIN);
    expect(onTime?.[0]).toBe(60);
  });

  it('a time between an edit and the next tick is on time, not missed', () => {
    const d = deployment({ onTimeFrom: at(9.5).toISOString(), scheduledThrough: at(9.5).toISOString() });
    const plan = planMaterialization(d, at(10.5));
    expect(plan?.runs[0]?.time).toEqual(at(10));
    expect(plan?.runs[0]?.late).toBe(false);
  });

  it('marks a run late only once it is LATE_AFTER_MS past its time', () => {
    const d = deployment({ onTimeFrom: at(9).toISOString(), scheduledThrough: at(9).toISOString() });
    expect(planMaterialization(d, new Date(at(10).getTime() + LATE_AFTER_MS - 1))?.runs[0]?.late).toBe(false);
    expect(planMaterialization(d, new Date(at(10).getTime() + LATE_AFTER_MS))?.runs[0]?.late).toBe(true);
  });

  it('a dense calendar is capped per tick and the cursor stops at the last run made', () => {
    const schedules = Array.from({ length: 20 }, (_, i) => everyMinutes(1, `s${i}`));
    const plan = planMaterialization(deployment({ schedules }), T0);
    expect(plan?.runs.length).toBeLessThanOrEqual(200);
    expect(plan?.scheduledThrough).toEqual(at(10));
    // The next tick continues right away.
    expect(plan?.nextMaterializeAt?.getTime()).toBe(T0.getTime() + 1);
  });
});

describe('schedulingAfterEdit', () => {
  const active = { paused: false, schedules: [everyMinutes(10)] };
  const before = deployment({
    scheduledThrough: at(60).toISOString(),
    nextMaterializeAt: at(10).toISOString(),
    onTimeFrom: undefined,
  });

  it.each([
    [null, active, 'create'],
    [{ paused: false }, { paused: true }, 'pause'],
    [{ paused: true }, { paused: false }, 'resume'],
    [{ paused: false }, { paused: false }, 'edit'],
    [{ paused: true }, { paused: true }, 'edit-paused'],
  ] as const)('%j → %j is a %s', (from, to, kind) => {
    expect(classifyEdit(from, to)).toBe(kind);
  });

  it('an edit restarts materialisation from now under a new version', () => {
    expect(schedulingAfterEdit(before, active, at(5))).toEqual({
      scheduleVersion: 2,
      scheduledThrough: at(5).toISOString(),
      onTimeFrom: at(5).toISOString(),
      nextMaterializeAt: at(5).toISOString(),
    });
  });

  it('a pause keeps the cursor at the pause point and leaves the due index; resume catches up from there', () => {
    const paused = schedulingAfterEdit(before, { ...active, paused: true }, at(5));
    expect(paused).toEqual({ scheduleVersion: 2, scheduledThrough: at(5).toISOString() });
    const resumed = schedulingAfterEdit(
      { ...before, ...paused, paused: true, nextMaterializeAt: undefined },
      active,
      at(100),
    );
    expect(resumed).toEqual({
      scheduleVersion: 3,
      scheduledThrough: at(5).toISOString(),
      onTimeFrom: at(100).toISOString(),
      nextMaterializeAt: at(100).toISOString(),
    });
  });
});

describe('concurrency slots', () => {
  const now = new Date('2026-03-01T10:00:00.000Z');
  const later = '2026-03-01T10:05:00.000Z';
  const earlier = '2026-03-01T09:59:00.000Z';

  it('a slot is free when absent or when its lease ran out', () => {
    expect(isFree(undefined, now)).toBe(true);
    expect(isFree({ leaseUntil: earlier }, now)).toBe(true);
    expect(isFree({ leaseUntil: now.toISOString() }, now)).toBe(true);
    expect(isFree({ leaseUntil: later }, now)).toBe(false);
  });

  it('chooses among the free slots at random, and none when all are leased', () => {
    const slots = [{ index: 0, leaseUntil: later }, { index: 1 }, { index: 2, leaseUntil: earlier }];
    expect(chooseSlot(slots, now, 0)).toBe(1);
    expect(chooseSlot(slots, now, 0.99)).toBe(2);
    expect(chooseSlot([{ index: 0, leaseUntil: later }], now, 0.5)).toBeNull();
    expect(chooseSlot([], now, 0.5)).toBeNull();
  });

  it('reads every slot of a small limit and a wrapping window of a large one', () => {
    expect(slotWindow(0, 0.3)).toEqual([]);
    expect(slotWindow(3, 0.3)).toEqual([0, 1, 2]);
    const big = slotWindow(1000, 0.99);
    expect(big).toHaveLength(SLOT_WINDOW);
    expect(big[0]).toBe(990);
    expect(big.at(-1)).toBe((990 + SLOT_WINDOW - 1) % 1000);
  });

  it('a full limit frees up at its earliest lease expiry', () => {
    expect(
      earliestExpiry([
        { index: 0, leaseUntil: later },
        { index: 1, leaseUntil: earlier },
      ]),
    ).toEqual(new Date(earlier));
    expect(earliestExpiry([{ index: 0 }])).toBeNull();
  });

  it('limits come from the pool and the deployment; null is unlimited', () => {
    expect(slotScopes({ name: 'p', concurrencyLimit: 3 }, { name: 'd', concurrencyLimit: null })).toEqual([
      { kind: 'pool', name: 'p', limit: 3 },
    ]);
    expect(slotScopes({ name: 'p', concurrencyLimit: null }, { name: 'd', concurrencyLimit: 0 })).toEqual([
      { kind: 'deployment', name: 'd', limit: 0 },
    ]);
  });

  it('waiting runs start by priority (desc), then scheduled time (asc)', () => {
    const runs = [
      { id: 'a', priority: 0, scheduledTime: '2026-01-01T00:00:02Z' },
      { id: 'b', priority: 5, scheduledTime: '2026-01-01T00:00:03Z' },
      { id: 'c', priority: 0, scheduledTime: '2026-01-01T00:00:01Z' },
      { id: 'd', priority: 5, scheduledTime: '2026-01-01T00:00:00Z' },
    ];
    expect([...runs].sort(waitingOrder).map((r) => r.id)).toEqual(['d', 'b', 'c', 'a']);
  });
});
