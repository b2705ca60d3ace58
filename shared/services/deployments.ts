import type {
  CreateDeploymentRequest,
  Deployment,
  UpdateDeploymentRequest,
} from '../contracts/deployment.js';
import { RetryPolicy } from '../contracts/deployment.js';
import { DEFAULT_CATCHUP_CAP, DEFAULT_CATCHUP_POLICY } from '../contracts/schedule.js';
import { dispatchTaskName, scheduledTaskSuffix } from '../contracts/tasks.js';
import { InvalidArgumentError, NotFoundError } from '../domain/errors.js';
import { checkParameterSchema, resolveParameters } from '../domain/parameters.js';
import { classifyEdit, schedulingAfterEdit } from '../domain/scheduling.js';
import type { Logger } from '../logging.js';
import type { ScheduleStore } from '../ports/scheduleStore.js';
import type { TaskQueue } from '../ports/taskQueue.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';

export interface DeploymentDeps {
  store: WorkspaceStore;
  /** With both, edits drop future scheduled runs and their dispatch tasks (the scheduler's side). */
  schedules?: ScheduleStore | undefined;
  queue?: TaskQueue | undefined;
  logger?: Logger | undefined;
}

/** Fields whose change makes already-materialised runs stale (they snapshot them, or are timed by them). */
const SCHEDULE_FIELDS = new Set([
  'schedules',
  'paused',
  'catchup',
  'catchupCap',
  'workPool',
  'parameters',
  'parameterSchema',
  'tags',
]);

async function assertPoolExists(deps: DeploymentDeps, ws: string, pool: string): Promise<void> {
  if (!(await deps.store.getWorkPool(ws, pool))) {
    throw new InvalidArgumentError(`work pool ${pool} does not exist`, [
      { field: 'workPool', issue: 'no such work pool' },
    ]);
  }
}

/** Schema and defaults must agree, or every run of the deployment would be refused. */
function checkSchemaAndDefaults(d: Pick<Deployment, 'parameterSchema' | 'parameters'>): void {
  if (d.parameterSchema === undefined) return;
  checkParameterSchema(d.parameterSchema);
  try {
    resolveParameters(d.parameterSchema, {}, d.parameters);
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      // Only type errors of given defaults matter here; missing required values come with each run.
      const bad = err.details.filter((v) => {
        const key = v.field.split('.')[1];
        return key !== undefined && key in d.parameters;
      });
      if (bad.length > 0) {
        throw new InvalidArgumentError(
          'default parameters do not match the parameter schema',
          bad.map((v) => ({ field: v.field, issue: v.issue })),
        );
      }
      return;
    }
    throw err;
  }
}

export async function createDeployment(
  deps: DeploymentDeps,
  ws: string,
  req: CreateDeploymentRequest,
  now: Date,
): Promise<Deployment> {
  await assertPoolExists(deps, ws, req.workPool);
  const at = now.toISOString();
  const deployment: Deployment = {
    name: req.name,
    workPool: req.workPool,
    ...(req.description === undefined ? {} : { description: req.description }),
    ...(req.image === undefined ? {} : { image: req.image }),
    ...(req.command === undefined ? {} : { command: req.command }),
    ...(req.args === undefined ? {} : { args: req.args }),
    env: req.env ?? {},
    jobVariables: req.jobVariables ?? {},
    ...(req.parameterSchema === undefined ? {} : { parameterSchema: req.parameterSchema }),
    parameters: req.parameters ?? {},
    concurrencyLimit: req.concurrencyLimit ?? null,
    collisionStrategy: req.collisionStrategy ?? 'enqueue',
    retryPolicy: req.retryPolicy ?? RetryPolicy.parse({}),
    priority: req.priority ?? 0,
    tags: req.tags ?? [],
    paused: req.paused ?? false,
    ...(req.access == null ? {} : { access: req.access }),
    schedules: req.schedules ?? [],
    catchup: req.catchup ?? DEFAULT_CATCHUP_POLICY,
    catchupCap: req.catchupCap ?? DEFAULT_CATCHUP_CAP,
    ...(req.secretEnv === undefined ? {} : { secretEnv: req.secretEnv }),
    scheduleVersion: 0,
    createdAt: at,
    updatedAt: at,
  };
  Object.assign(deployment, schedulingAfterEdit(null, deployment, now));
  checkSchemaAndDefaults(deployment);
  await deps.store.createDeployment(ws, deployment);
  return deployment;
}

export async function getDeployment(deps: DeploymentDeps, ws: string, name: string): Promise<Deployment> {
  const d = await deps.store.getDeployment(ws, name);
  if (!d) throw new NotFoundError(`deployment ${name}`);
  return d;
}

export async function updateDeployment(
  deps: DeploymentDeps,
  ws: string,
  name: string,
  req: UpdateDeploymentRequest,
  now: Date,
): Promise<Deployment> {
  if (req.workPool !== undefined) await assertPoolExists(deps, ws, req.workPool);
  const apply = (current: Deployment): Deployment => {
    const next: Deployment = { ...current, updatedAt: now.toISOString() };
    for (const [k, v] of Object.entries(req)) {
      if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    }
    checkSchemaAndDefaults(next);
    return next;
  };
  const { schedules } = deps;
  if (schedules === undefined) return deps.store.updateDeployment(ws, name, apply);
  const touches = Object.entries(req).some(([k, v]) => v !== undefined && SCHEDULE_FIELDS.has(k));
  const { deployment, removed } = await schedules.editDeployment(ws, name, (current) => {
    const next = apply(current);
    if (!touches) return { next };
    const kind = classifyEdit(current, next);
    return {
      next: { ...stripScheduling(next), ...schedulingAfterEdit(current, next, now) },
      // Pausing or editing an active deployment drops what it has not started yet.
      ...(kind === 'pause' || kind === 'edit' ? { removeScheduledAfter: now } : {}),
    };
  });
  await deleteDispatchTasks(deps, ws, removed);
  return deployment as Deployment;
}

/**
 * Deletes a deployment with its future scheduled runs and their dispatch tasks (runs
 * already started or finished stay readable).
 */
export async function deleteDeployment(
  deps: DeploymentDeps,
  ws: string,
  name: string,
  now: Date,
): Promise<void> {
  if (deps.schedules === undefined) return deps.store.deleteDeployment(ws, name);
  const { removed } = await deps.schedules.editDeployment(ws, name, () => ({
    next: null,
    removeScheduledAfter: now,
  }));
  await deleteDispatchTasks(deps, ws, removed);
}

function stripScheduling(d: Deployment): Deployment {
  const { nextMaterializeAt: _n, onTimeFrom: _o, ...rest } = d;
  return rest;
}

/**
 * After the runs are gone: a task that fires first finds no run and does nothing, so a
 * failed delete only costs one empty delivery (logged, not thrown).
 */
async function deleteDispatchTasks(
  deps: DeploymentDeps,
  ws: string,
  removed: readonly { id: string; attempt: number; scheduleVersion?: number | undefined }[],
): Promise<void> {
  const { queue } = deps;
  if (queue === undefined || removed.length === 0) return;
  const results = await Promise.allSettled(
    removed.map((run) =>
      queue.delete(
        'dispatch',
        dispatchTaskName({ runId: run.id, attempt: run.attempt }, scheduledTaskSuffix(run.scheduleVersion)),
      ),
    ),
  );
  const failed = results.filter((r) => r.status === 'rejected').length;
  if (failed > 0)
    deps.logger?.warn('could not delete dispatch tasks of removed runs', { workspace: ws, failed });
}
