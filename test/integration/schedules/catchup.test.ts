import { afterAll, describe, expect, it } from 'vitest';
import { createFirestore } from '../../../shared/adapters/gcp/firestoreClient.js';
import { FirestoreRunStore } from '../../../shared/adapters/gcp/firestoreRunStore.js';
import { FirestoreScheduleStore } from '../../../shared/adapters/gcp/firestoreScheduleStore.js';
import { FirestoreWorkspaceStore } from '../../../shared/adapters/gcp/firestoreWorkspaceStore.js';
import type { CatchupPolicy } from '../../../shared/contracts/schedule.js';
import { createLogger } from '../../../shared/logging.js';
import type { TaskQueue } from '../../../shared/ports/taskQueue.js';
import { createDeployment, updateDeployment } from '../../../shared/services/deployments.js';
import { schedulerTick } from '../../../shared/services/scheduler.js';
import { clearFirestore } from '../../support/firestoreEmulator.js';

/**
 * Pause and resume at chosen instants: the services take `now` and the tick time as
 * inputs, so hours of schedule run in milliseconds against the real Firestore emulator.
 * The pool is hybrid (nothing is pushed), so no task queue is involved.
 */
const projectId = `catchup-${process.pid}`;
const firestore = createFirestore({ projectId });
const workspaces = new FirestoreWorkspaceStore({ firestore });
const runs = new FirestoreRunStore({ firestore });
const schedules = new FirestoreScheduleStore({ firestore });
const noQueue: TaskQueue = {
  enqueue: () => Promise.reject(new Error('a hybrid pool enqueues nothing')),
  delete: () => Promise.resolve(),
};
const logger = createLogger({ level: 'error' });
const tickDeps = { workspaces, schedules, runs, queue: noQueue, logger };
const deploymentDeps = { store: workspaces, schedules };

const T0 = new Date('2031-05-01T08:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const minutesOf = (iso: string) => (Date.parse(iso) - T0.getTime()) / 60_000;

afterAll(async () => {
  await firestore.terminate();
  await clearFirestore(process.env.FIRESTORE_EMULATOR_HOST as string, projectId);
});

async function scheduledMinutes(ws: string, name: string) {
  const page = await runs.listRuns(ws, { deployment: name, pageSize: 500 });
  return page.items
    .map((r) => ({ m: minutesOf(r.scheduledTime), name: r.state.name }))
    .sort((a, b) => a.m - b.m);
}

describe('pause and resume with each catch-up policy', () => {
  it.each([
    ['skip', []],
    ['latest', [50]],
    ['all', [30, 40, 50]],
  ] as const)(
    'catch-up %s runs %j of the times missed while paused',
    async (catchup: CatchupPolicy, missed) => {
      const ws = `ws-${catchup}`;
      await workspaces.createWorkPool(ws, {
        name: 'hy',
        kind: 'hybrid',
        baseJobTemplate: {},
        concurrencyLimit: null,
        paused: false,
        createdAt: T0.toISOString(),
        updatedAt: T0.toISOString(),
      });
      await createDeployment(
        deploymentDeps,
        ws,
        {
          name: 'job',
          workPool: 'hy',
          catchup,
          catchupCap: 3,
          schedules: [
            { id: 'ten', kind: 'interval', intervalSeconds: 600, anchor: T0.toISOString(), active: true },
          ],
        },
        at(-1),
      );
      await schedulerTick(tickDeps, T0);
      expect((await scheduledMinutes(ws, 'job')).map((r) => r.m)).toEqual([0, 10, 20, 30, 40, 50, 60]);

      // Paused at +5: the runs not started yet (+10…+60) go; +0 is due and stays.
      await updateDeployment(deploymentDeps, ws, 'job', { paused: true }, at(5));
      expect((await scheduledMinutes(ws, 'job')).map((r) => r.m)).toEqual([0]);
      const whilePaused = await schedulerTick(tickDeps, at(30));
      expect(whilePaused.created).toBe(0);

      // Resumed at +55; the tick at +56 applies the policy to +10…+50 and goes on from +60.
      await updateDeployment(deploymentDeps, ws, 'job', { paused: false }, at(55));
      await schedulerTick(tickDeps, at(56));
      const after = await scheduledMinutes(ws, 'job');
      expect(after.filter((r) => r.m > 0 && r.m < 55).map((r) => r.m)).toEqual([...missed]);
      // Caught-up times are materialised as Late; the first upcoming one is on time.
      for (const r of after.filter((x) => x.m > 0 && x.m < 55)) expect(r.name).toBe('Late');
      expect(after.find((r) => r.m === 60)?.name).toBe('Scheduled');
      expect(after.at(-1)?.m).toBe(110);
      // A repeat of the same tick changes nothing.
      expect((await schedulerTick(tickDeps, at(56))).created).toBe(0);
    },
  );

  it('the tick marks an overdue SCHEDULED run Late, once', async () => {
    const ws = 'ws-late';
    await workspaces.createWorkPool(ws, {
      name: 'hy',
      kind: 'hybrid',
      baseJobTemplate: {},
      concurrencyLimit: null,
      paused: false,
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    });
    await createDeployment(
      deploymentDeps,
      ws,
      {
        name: 'job',
        workPool: 'hy',
        schedules: [
          { id: 'ten', kind: 'interval', intervalSeconds: 600, anchor: T0.toISOString(), active: true },
        ],
      },
      at(-1),
    );
    await schedulerTick(tickDeps, T0);
    // Nobody launched the +0 run (hybrid, no worker): two minutes later it is Late.
    const later = await schedulerTick(tickDeps, at(2));
    expect(later.late).toBeGreaterThanOrEqual(1);
    const runsNow = await scheduledMinutes(ws, 'job');
    expect(runsNow.find((r) => r.m === 0)?.name).toBe('Late');
    expect(runsNow.find((r) => r.m === 10)?.name).toBe('Scheduled');
    const again = await schedulerTick(tickDeps, at(3));
    const lateNow = (await scheduledMinutes(ws, 'job')).filter((r) => r.name === 'Late').map((r) => r.m);
    expect(lateNow).toEqual([0]);
    expect(again.late).toBe(0);
  });
});
