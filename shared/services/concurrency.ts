import type { Run } from '../contracts/run.js';
import type { SlotKind } from '../domain/concurrency.js';
import type { Logger } from '../logging.js';
import type { RunStore } from '../ports/runStore.js';
import type { TaskQueue } from '../ports/taskQueue.js';
import { enqueueDispatch } from './execution.js';

export interface WakeDeps {
  runs: RunStore;
  queue: TaskQueue;
  clock: () => Date;
  logger?: Logger | undefined;
}

/** Waiters dispatched per release of a limit. */
const WAKE_BATCH = 1;

/**
 * A run holding slots ended: dispatch the next waiting runs of its pool (priority, then
 * scheduled time) and of its deployment at once, so a freed slot is taken within a task
 * delivery instead of a polling period. The dispatcher re-checks the limits, so waking
 * too many is harmless; each wake gets a fresh task name (the run's own was used).
 * Errors are logged, not thrown: the waiting runs' watchdogs are the backstop.
 */
export async function wakeWaiting(
  deps: WakeDeps,
  ws: string,
  ended: Pick<Run, 'id' | 'workPool' | 'deployment'>,
  kinds: readonly SlotKind[] = ['pool', 'deployment'],
): Promise<number> {
  try {
    // The head of the line only, so runs start in priority order. Releases that happen
    // together all wake the same head; the head, once it has its slot, wakes the next one
    // while slots are left (see dispatchRun), so the free slots fill one after another.
    const [inPool, inDeployment] = await Promise.all([
      kinds.includes('pool') ? deps.runs.listWaiting(ws, { workPool: ended.workPool }, WAKE_BATCH) : [],
      kinds.includes('deployment')
        ? deps.runs.listWaiting(ws, { deployment: ended.deployment }, WAKE_BATCH)
        : [],
    ]);
    const woken = new Map<string, Run>();
    for (const run of [...inPool, ...inDeployment]) if (run.id !== ended.id) woken.set(run.id, run);
    const suffix = `-w${deps.clock().getTime()}`;
    await Promise.all(
      [...woken.values()].map((run) => enqueueDispatch(deps.queue, ws, run, suffix, new Date())),
    );
    return woken.size;
  } catch (err) {
    deps.logger?.warn('could not wake waiting runs', { workspace: ws, runId: ended.id, error: String(err) });
    return 0;
  }
}
