import type {
  CreateRunRequest,
  ListRunsQuery,
  OrchestrationResult,
  ProposeStateRequest,
  Run,
} from '../contracts/run.js';
import type {
  ListLogsQuery,
  LogEntry,
  ReportTaskRunRequest,
  TaskRun,
  WriteLogsRequest,
} from '../contracts/runData.js';
import type { SlotKind } from '../domain/concurrency.js';
import { FailedPreconditionError, NotFoundError } from '../domain/errors.js';
import { newSortableId } from '../domain/ids.js';
import type { Decision } from '../domain/orchestration.js';
import { resolveParameters } from '../domain/parameters.js';
import type { RunStore } from '../ports/runStore.js';
import type { Page, WorkspaceStore } from '../ports/workspaceStore.js';
import { describePrincipal, type Principal } from './principal.js';

/**
 * What happens to a run after the API changed it; wired to Cloud Tasks by the
 * push-execution path. Both must be idempotent: they may be called again for
 * the same run and attempt.
 */
export interface RunHooks {
  /** A run was created or rescheduled into SCHEDULED: enqueue its dispatch. */
  scheduled(ws: string, run: Run): Promise<void>;
  /** A launched run went CANCELLING: have its execution cancelled. */
  cancelling(ws: string, run: Run): Promise<void>;
  /** A run's terminal state released its concurrency slots: start the next waiting runs. */
  released?(ws: string, run: Run, kinds?: SlotKind[]): Promise<void>;
}

export interface RunDeps {
  workspaces: WorkspaceStore;
  runs: RunStore;
  hooks?: RunHooks | undefined;
}

export async function createRun(
  deps: RunDeps,
  ws: string,
  deploymentName: string,
  req: CreateRunRequest,
  opts: { idempotencyKey?: string | undefined; principal: Principal; now: Date },
): Promise<{ run: Run; created: boolean }> {
  const deployment = await deps.workspaces.getDeployment(ws, deploymentName);
  if (!deployment) throw new NotFoundError(`deployment ${deploymentName}`);
  const parameters = resolveParameters(deployment.parameterSchema, deployment.parameters, req.parameters);
  const at = opts.now.toISOString();
  const run: Run = {
    id: newSortableId(opts.now.getTime()),
    deployment: deployment.name,
    workPool: deployment.workPool,
    parameters,
    jobVariables: req.jobVariables ?? {},
    tags: [...new Set([...deployment.tags, ...(req.tags ?? [])])],
    state: { type: 'SCHEDULED', name: 'Scheduled', timestamp: at },
    attempt: 1,
    scheduledTime: req.scheduledTime === undefined ? at : new Date(req.scheduledTime).toISOString(),
    createdAt: at,
    updatedAt: at,
    createdBy: describePrincipal(opts.principal),
  };
  const result = await deps.runs.createRun(ws, run, { idempotencyKey: opts.idempotencyKey });
  // Also on a replayed idempotent request: if the first enqueue was lost, this one repairs it.
  if (deps.hooks && result.run.state.type === 'SCHEDULED') await deps.hooks.scheduled(ws, result.run);
  return result;
}

export async function getRun(deps: RunDeps, ws: string, id: string): Promise<Run> {
  const run = await deps.runs.getRun(ws, id);
  if (!run) throw new NotFoundError(`run ${id}`);
  return run;
}

export function listRuns(deps: RunDeps, ws: string, q: ListRunsQuery): Promise<Page<Run>> {
  return deps.runs.listRuns(ws, {
    deployment: q.deployment,
    state: q.state,
    pageSize: q.page_size,
    pageToken: q.page_token,
  });
}

export function toOrchestrationResult(decision: Decision): OrchestrationResult {
  switch (decision.kind) {
    case 'accept':
      return { status: 'ACCEPT', state: decision.state, applied: decision.applied };
    case 'reject':
      return { status: 'REJECT', state: decision.current, reason: decision.reason };
    case 'wait':
      return {
        status: 'WAIT',
        state: decision.current,
        reason: decision.reason,
        retryAfterSeconds: decision.seconds,
      };
    case 'abort':
      return { status: 'ABORT', reason: decision.reason };
  }
}

export async function proposeState(
  deps: RunDeps,
  ws: string,
  id: string,
  req: ProposeStateRequest,
  now: Date,
): Promise<{ result: OrchestrationResult; run: Run }> {
  const { decision, run, releasedSlots, releasedKinds } = await deps.runs.proposeState(ws, id, req, { now });
  if (decision.kind === 'accept' && decision.applied && deps.hooks) {
    if (run.state.type === 'CANCELLING') await deps.hooks.cancelling(ws, run);
    // A container's own final report frees its slots here, before the monitor notices.
    if (releasedSlots) await deps.hooks.released?.(ws, run, releasedKinds);
  }
  return { result: toOrchestrationResult(decision), run };
}

/**
 * Cancels a run: one not yet launched goes straight to CANCELLED (its dispatch
 * task then finds nothing to do); a launched one goes CANCELLING and the monitor
 * cancels its execution.
 */
export async function cancelRun(deps: RunDeps, ws: string, id: string, now: Date): Promise<Run> {
  const run = await getRun(deps, ws, id);
  const target = run.state.type === 'SCHEDULED' ? 'CANCELLED' : 'CANCELLING';
  const {
    decision,
    run: after,
    releasedSlots,
    releasedKinds,
  } = await deps.runs.proposeState(ws, id, { type: target, message: 'cancelled on request' }, { now });
  if (releasedSlots) await deps.hooks?.released?.(ws, after, releasedKinds);
  if (decision.kind === 'reject' || decision.kind === 'abort') {
    // A run that raced into a launched state since we read it: try CANCELLING once more.
    if (
      target === 'CANCELLED' &&
      decision.kind === 'reject' &&
      ['PENDING', 'RUNNING'].includes(decision.current.type)
    ) {
      return cancelRun(deps, ws, id, now);
    }
    throw new FailedPreconditionError(`run ${id} cannot be cancelled: ${decision.reason}`);
  }
  if (after.state.type === 'CANCELLING' && decision.kind === 'accept' && decision.applied && deps.hooks)
    await deps.hooks.cancelling(ws, after);
  return after;
}

export async function writeLogs(
  deps: RunDeps,
  ws: string,
  id: string,
  req: WriteLogsRequest,
  now: Date,
): Promise<{ stored: number; logsEnabled: boolean }> {
  const [workspace] = await Promise.all([deps.workspaces.getWorkspace(ws), getRun(deps, ws, id)]);
  if (!workspace) throw new NotFoundError(`workspace ${ws}`);
  if (!workspace.settings.logsEnabled) return { stored: 0, logsEnabled: false };
  const entries: LogEntry[] = req.logs.map((line) => ({
    id: newSortableId(now.getTime()),
    level: line.level,
    message: line.message,
    timestamp: line.timestamp === undefined ? now.toISOString() : new Date(line.timestamp).toISOString(),
    ...(line.taskRun === undefined ? {} : { taskRun: line.taskRun }),
  }));
  await deps.runs.appendLogs(ws, id, entries);
  return { stored: entries.length, logsEnabled: true };
}

export async function listLogs(
  deps: RunDeps,
  ws: string,
  id: string,
  q: ListLogsQuery,
): Promise<Page<LogEntry>> {
  await getRun(deps, ws, id);
  return deps.runs.listLogs(ws, id, { level: q.level, pageSize: q.page_size, pageToken: q.page_token });
}

/** Stores a task run report; parameter values are reduced to their names and dropped. */
export async function reportTaskRun(
  deps: RunDeps,
  ws: string,
  id: string,
  req: ReportTaskRunRequest,
  now: Date,
): Promise<TaskRun> {
  await getRun(deps, ws, id);
  const names = new Set([...(req.parameterNames ?? []), ...Object.keys(req.parameters ?? {})]);
  const taskRun: TaskRun = {
    id: req.id ?? newSortableId(now.getTime()),
    name: req.name,
    state: req.state,
    ...(req.startTime === undefined ? {} : { startTime: new Date(req.startTime).toISOString() }),
    ...(req.endTime === undefined ? {} : { endTime: new Date(req.endTime).toISOString() }),
    parameterNames: [...names],
    updatedAt: now.toISOString(),
  };
  return deps.runs.upsertTaskRun(ws, id, taskRun);
}
