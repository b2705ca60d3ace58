import type { Deployment } from '../contracts/deployment.js';
import type { Run } from '../contracts/run.js';
import { dispatchTaskName, scheduledTaskSuffix } from '../contracts/tasks.js';
import { InvalidArgumentError } from '../domain/errors.js';
import { resolveParameters } from '../domain/parameters.js';
import { deterministicRunId } from '../domain/schedules.js';
import { planMaterialization } from '../domain/scheduling.js';
import type { Logger } from '../logging.js';
import type { RunStore } from '../ports/runStore.js';
import type { ScheduleStore } from '../ports/scheduleStore.js';
import type { TaskQueue } from '../ports/taskQueue.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';
import { enqueueDispatch } from './execution.js';

export interface SchedulerDeps {
  workspaces: WorkspaceStore;
  schedules: ScheduleStore;
  runs: RunStore;
  queue: TaskQueue;
  logger: Logger;
}

/** Due deployments handled per tick; the rest (still due) are found by the next tick. */
const DUE_BATCH = 1000;
/** Deployments materialised at once: separate documents, so their transactions do not contend. */
const PARALLEL = 16;
const LATE_BATCH = 500;

export interface TickResult {
  deployments: number;
  created: number;
  enqueued: number;
  late: number;
}

/** The runs a plan asks for, built from the deployment as it is inside the transaction. */
function runsFor(
  d: Deployment,
  planned: { scheduleId: string; time: Date; late: boolean }[],
  tick: Date,
): Run[] {
  let parameters: Record<string, unknown>;
  try {
    parameters = resolveParameters(d.parameterSchema, d.parameters, {});
  } catch (err) {
    // Defaults that miss a required value still make the run (it fails visibly at launch)
    // rather than silently skipping a scheduled time.
    if (!(err instanceof InvalidArgumentError)) throw err;
    parameters = d.parameters;
  }
  const at = tick.toISOString();
  return planned.map(({ scheduleId, time, late }) => ({
    id: deterministicRunId(d.name, scheduleId, time),
    deployment: d.name,
    workPool: d.workPool,
    parameters,
    jobVariables: {},
    tags: d.tags,
    state: {
      type: 'SCHEDULED',
      name: late ? 'Late' : 'Scheduled',
      timestamp: at,
      ...(late ? { message: 'materialised after its time (catch-up or a late tick)' } : {}),
    },
    attempt: 1,
    scheduledTime: time.toISOString(),
    createdAt: at,
    updatedAt: at,
    scheduleId,
    scheduleVersion: d.scheduleVersion,
    createdBy: `schedule:${scheduleId}`,
  }));
}

/**
 * One scheduler tick's schedule work: materialise the runs of every due deployment (one
 * indexed collection-group query, so cost follows due deployments, not all of them),
 * enqueue their dispatch tasks at their scheduled time, and mark overdue SCHEDULED
 * runs Late. Idempotent per tick time: a deployment's transaction re-checks that it is
 * still due, and runs have deterministic ids, so a repeated or concurrent tick for the
 * same minute creates nothing twice.
 */
export async function schedulerTick(deps: SchedulerDeps, tick: Date): Promise<TickResult> {
  const due = await deps.schedules.listDue(tick, DUE_BATCH);
  const result: TickResult = { deployments: due.length, created: 0, enqueued: 0, late: 0 };
  const pools = new Map<string, Promise<boolean>>();
  const pushed = (ws: string, pool: string): Promise<boolean> => {
    const key = `${ws}/${pool}`;
    let p = pools.get(key);
    if (p === undefined) {
      // Only cloud-run pools are pushed; hybrid workers poll for their runs.
      p = deps.workspaces.getWorkPool(ws, pool).then((wp) => wp?.kind === 'cloud-run');
      pools.set(key, p);
    }
    return p;
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const item = due[next];
      next += 1;
      if (item === undefined) return;
      const done = await deps.schedules.materialize(item.workspace, item.name, (d) => {
        const plan = planMaterialization(d, tick);
        if (plan === null) return null;
        const { nextMaterializeAt: _n, onTimeFrom: _o, ...rest } = d;
        return {
          runs: runsFor(d, plan.runs, tick),
          deployment: {
            ...rest,
            scheduledThrough: plan.scheduledThrough.toISOString(),
            ...(plan.nextMaterializeAt ? { nextMaterializeAt: plan.nextMaterializeAt.toISOString() } : {}),
            ...(plan.onTimeFrom ? { onTimeFrom: plan.onTimeFrom.toISOString() } : {}),
          },
        };
      });
      if (done === null || done.created.length === 0) continue;
      result.created += done.created.length;
      if (!(await pushed(item.workspace, done.deployment.workPool))) continue;
      // After the commit; a lost enqueue is repaired by the sweep (every run has a watchdog at
      // its time + 10 min).
      for (const run of done.created) {
        await enqueueDispatch(deps.queue, item.workspace, run, scheduledTaskSuffix(run.scheduleVersion));
        result.enqueued += 1;
      }
      // An edit that committed after our transaction deleted these runs, and deleted their
      // tasks only if they already existed. Re-reading the version after enqueueing closes
      // that gap: either the edit's delete saw our tasks, or we see its new version here.
      const now = await deps.workspaces.getDeployment(item.workspace, item.name);
      if (now === null || now.scheduleVersion !== done.deployment.scheduleVersion) {
        for (const run of done.created) {
          await deps.queue.delete(
            'dispatch',
            dispatchTaskName(
              { runId: run.id, attempt: run.attempt },
              scheduledTaskSuffix(run.scheduleVersion),
            ),
          );
          result.enqueued -= 1;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, due.length) }, worker));
  result.late = await markLateRuns(deps, tick);
  if (result.created > 0 || result.late > 0) deps.logger.info('scheduler tick', { ...result });
  return result;
}

/**
 * Marks SCHEDULED(Scheduled) runs more than LATE_AFTER_MS past their time as Late: a
 * state name only, they still run. Runs waiting for a concurrency slot keep their
 * AwaitingConcurrencySlot name (the collision strategy explains their wait), and the
 * transition is refused for a run that has moved on meanwhile.
 */
export async function markLateRuns(deps: Pick<SchedulerDeps, 'runs'>, now: Date): Promise<number> {
  const late = await deps.runs.listLate(now, LATE_BATCH);
  let marked = 0;
  for (const { workspace, run } of late) {
    const { decision } = await deps.runs.proposeState(
      workspace,
      run.id,
      {
        type: 'SCHEDULED',
        name: 'Late',
        attempt: run.attempt,
        message: `not started ${Math.round((now.getTime() - Date.parse(run.scheduledTime)) / 1000)}s after its scheduled time`,
      },
      { now, ifStateName: 'Scheduled' },
    );
    if (decision.kind === 'accept' && decision.applied) marked += 1;
  }
  return marked;
}
