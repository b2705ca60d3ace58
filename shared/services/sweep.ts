import {
  type DispatchTask,
  dispatchTaskName,
  type MonitorTask,
  monitorTaskName,
} from '../contracts/tasks.js';
import { isTerminal } from '../domain/runStates.js';
import type { Logger } from '../logging.js';
import type { RunStore } from '../ports/runStore.js';
import type { TaskQueue } from '../ports/taskQueue.js';

export interface SweepDeps {
  runs: RunStore;
  queue: TaskQueue;
  logger: Logger;
}

/** How long the sweep leaves a run alone after re-enqueueing its task. */
const SWEEP_BACKOFF_MS = 5 * 60_000;
const SWEEP_BATCH = 500;

/**
 * The backstop for lost tasks: every run whose watchdog is due gets its task
 * again — dispatch for a run not yet launched, monitor for one launched (or
 * finished but not cleaned up). Task names carry the sweep's minute, so
 * concurrent or repeated ticks enqueue each at most once per minute, and the
 * handlers are idempotent anyway. Cost follows the number of overdue runs only.
 */
export async function sweepOverdueRuns(
  deps: SweepDeps,
  now: Date,
): Promise<{ dispatched: number; monitored: number; cleared: number }> {
  const overdue = await deps.runs.listOverdue(now, SWEEP_BATCH);
  const minute = `-s${Math.floor(now.getTime() / 60_000)}`;
  let dispatched = 0;
  let monitored = 0;
  let cleared = 0;
  for (const { workspace, run } of overdue) {
    if (run.execution) {
      const task: MonitorTask = { workspace, runId: run.id, attempt: run.attempt, poll: 0 };
      await deps.queue.enqueue({ queue: 'monitor', payload: task }, { name: monitorTaskName(task, minute) });
      monitored += 1;
    } else if (isTerminal(run.state.type)) {
      await deps.runs.setWatchdog(workspace, run.id, null);
      cleared += 1;
      continue;
    } else {
      const task: DispatchTask = { workspace, runId: run.id, attempt: run.attempt };
      await deps.queue.enqueue(
        { queue: 'dispatch', payload: task },
        { name: dispatchTaskName(task, minute) },
      );
      dispatched += 1;
    }
    await deps.runs.setWatchdog(workspace, run.id, new Date(now.getTime() + SWEEP_BACKOFF_MS));
  }
  if (overdue.length > 0)
    deps.logger.info('sweep re-enqueued overdue runs', { dispatched, monitored, cleared });
  return { dispatched, monitored, cleared };
}
