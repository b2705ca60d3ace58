import type { CollisionStrategy, Deployment } from '../contracts/deployment.js';
import type { Run } from '../contracts/run.js';
import {
  type DispatchTask,
  dispatchTaskName,
  type MonitorTask,
  monitorTaskName,
} from '../contracts/tasks.js';
import type { WorkPool } from '../contracts/workPool.js';
import { type SlotScope, slotScopes } from '../domain/concurrency.js';
import { LaunchRefusedError, NotFoundError } from '../domain/errors.js';
import { jobIdFor, jobTimeoutSeconds, renderJob } from '../domain/jobRender.js';
import type { ProposedState } from '../domain/orchestration.js';
import { retryDelaySeconds } from '../domain/retries.js';
import { isTerminal } from '../domain/runStates.js';
import type { RunTokenSigner } from '../domain/runTokens.js';
import type { Logger } from '../logging.js';
import type { ExecutionStatus, JobLauncher } from '../ports/jobLauncher.js';
import type { ProposeOptions, ProposeResult, RunStore } from '../ports/runStore.js';
import type { TaskQueue } from '../ports/taskQueue.js';
import type { WorkspaceStore } from '../ports/workspaceStore.js';
import { wakeWaiting } from './concurrency.js';
import { type CredentialDeps, openCredential } from './credentials.js';

export interface ExecutionDeps {
  workspaces: WorkspaceStore;
  runs: RunStore;
  credentials: CredentialDeps;
  launcher: JobLauncher;
  queue: TaskQueue;
  tokens: RunTokenSigner;
  apiUrl: string;
  logger: Logger;
  clock: () => Date;
  random?: () => number;
  /** Monitor polling: first delay and cap (backoff doubles in between). */
  poll: { initialMs: number; maxMs: number };
  /** Lease of a concurrency slot; renewed by every monitor poll, so it must exceed poll.maxMs well. */
  slotLeaseSeconds?: number | undefined;
}

/** Ten minutes: twenty times the longest default poll interval, and the longest a vanished holder blocks a slot. */
export const DEFAULT_SLOT_LEASE_SECONDS = 600;

/** A run token outlives the job's timeout by this much, so late reports still land. */
const TOKEN_MARGIN_SECONDS = 15 * 60;
/** A retried attempt not launched this long after its time is looked at by the sweep. */
const DISPATCH_WATCHDOG_MS = 10 * 60_000;
/** If nothing touched a launched run for this long, the sweep looks at it. */
const WATCHDOG_GRACE_MS = 5 * 60_000;

export type TaskOutcome =
  | { kind: 'done'; detail: string }
  | { kind: 'retry'; detail: string; afterSeconds?: number };

function done(detail: string): TaskOutcome {
  return { kind: 'done', detail };
}

export function pollDelayMs(deps: Pick<ExecutionDeps, 'poll'>, poll: number): number {
  return Math.min(deps.poll.initialMs * 2 ** Math.min(poll, 20), deps.poll.maxMs);
}

export async function enqueueDispatch(
  queue: TaskQueue,
  ws: string,
  run: Run,
  suffix = '',
  notBefore: Date = new Date(run.scheduledTime),
): Promise<void> {
  const task: DispatchTask = { workspace: ws, runId: run.id, attempt: run.attempt };
  await queue.enqueue(
    { queue: 'dispatch', payload: task },
    { name: dispatchTaskName(task, suffix), notBefore },
  );
}

/**
 * Every state change of the execution path goes through here: a terminal transition
 * releases the run's concurrency slots in its transaction, and the next waiting runs
 * are dispatched right away.
 */
async function propose(
  deps: ExecutionDeps,
  ws: string,
  id: string,
  proposed: ProposedState,
  opts: ProposeOptions,
): Promise<ProposeResult> {
  const result = await deps.runs.proposeState(ws, id, proposed, opts);
  if (result.releasedSlots) await wakeWaiting(deps, ws, result.run, result.releasedKinds);
  return result;
}

function leaseUntil(deps: ExecutionDeps, now: Date): Date {
  return new Date(now.getTime() + (deps.slotLeaseSeconds ?? DEFAULT_SLOT_LEASE_SECONDS) * 1000);
}

async function enqueueMonitor(deps: ExecutionDeps, task: MonitorTask, suffix = ''): Promise<void> {
  const delay = task.poll === 0 ? deps.poll.initialMs : pollDelayMs(deps, task.poll);
  await deps.queue.enqueue(
    { queue: 'monitor', payload: task },
    { name: monitorTaskName(task, suffix), notBefore: new Date(deps.clock().getTime() + delay) },
  );
}

/**
 * Launches one attempt of a run. Safe under duplicate and concurrent delivery:
 * the SCHEDULED → PENDING transition carries a transition id per attempt (a
 * duplicate sees it already applied), and the launch itself is exactly once in
 * Cloud Run (job per attempt, execution named by token), so a second delivery —
 * or a retry after the launch's response was lost — finds the same execution.
 */
export async function dispatchRun(deps: ExecutionDeps, task: DispatchTask): Promise<TaskOutcome> {
  const ws = task.workspace;
  const now = deps.clock();
  const run = await deps.runs.getRun(ws, task.runId);
  if (!run) return done('run does not exist');
  if (run.attempt !== task.attempt) return done(`stale attempt ${task.attempt}; run is at ${run.attempt}`);
  if (isTerminal(run.state.type)) return done(`run is ${run.state.type}`);
  if (run.execution) {
    await enqueueMonitor(deps, { workspace: ws, runId: run.id, attempt: run.attempt, poll: 0 });
    return done('already launched');
  }
  if (run.state.type === 'CANCELLING') {
    await propose(
      deps,
      ws,
      run.id,
      { type: 'CANCELLED', message: 'cancelled before launch' },
      { now, watchdogAt: null },
    );
    return done('cancelled before launch');
  }
  if (run.state.type === 'SCHEDULED') {
    if (Date.parse(run.scheduledTime) > now.getTime() + 1000) {
      return {
        kind: 'retry',
        detail: 'scheduled for later',
        afterSeconds: Math.ceil((Date.parse(run.scheduledTime) - now.getTime()) / 1000),
      };
    }
    const deployment = await deps.workspaces.getDeployment(ws, run.deployment);
    const orphaned = run.scheduleId === undefined ? null : orphanReason(run, deployment);
    if (orphaned !== null) {
      // The backstop behind an edit's removal of future runs: whatever slipped past it
      // (a run over the removal limit, a task enqueued after the removal) ends here.
      const { decision } = await propose(
        deps,
        ws,
        run.id,
        { type: 'CANCELLED', message: orphaned, attempt: run.attempt },
        { now, watchdogAt: null },
      );
      return done(`not launched: ${decision.kind === 'accept' ? orphaned : decision.kind}`);
    }
    const pool = deployment ? await deps.workspaces.getWorkPool(ws, run.workPool) : null;
    const scopes = deployment && pool ? slotScopes(pool, deployment) : [];
    const {
      decision,
      run: after,
      full,
      moreFree,
    } = await propose(
      deps,
      ws,
      run.id,
      { type: 'PENDING', attempt: run.attempt, transitionId: `pending-a${run.attempt}` },
      {
        now,
        watchdogAt: new Date(now.getTime() + WATCHDOG_GRACE_MS),
        ...(scopes.length === 0 || deployment === null
          ? {}
          : {
              slots: {
                scopes,
                leaseUntil: leaseUntil(deps, now),
                priority: deployment.priority,
                whenFull: whenFull(deployment.collisionStrategy, scopes, run.attempt),
              },
            }),
      },
    );
    if (full !== undefined) {
      if (after.state.type !== 'SCHEDULED')
        return done(`not launched: ${after.state.message ?? after.state.type}`);
      if (full.freedMeanwhile) await enqueueDispatch(deps.queue, ws, after, `-w${now.getTime()}`, new Date());
      return done(`waiting for a concurrency slot until ${full.recheckAt.toISOString()} at the latest`);
    }
    if (decision.kind !== 'accept')
      return done(`not launched: ${decision.kind === 'abort' ? decision.reason : decision.kind}`);
    // Slots are left and runs may be waiting: pass the wake on to the next in line.
    if (moreFree) await wakeWaiting(deps, ws, after);
    // The run as the transaction left it, and the deployment and pool just read: no re-read.
    return launch(deps, ws, after, { deployment, pool });
  }
  // PENDING without an execution: the recovery of a launch whose outcome was lost.
  return launch(deps, ws, run, {
    deployment: await deps.workspaces.getDeployment(ws, run.deployment),
    pool: await deps.workspaces.getWorkPool(ws, run.workPool),
  });
}

/** The collision strategy's answer to a full limit. */
function whenFull(strategy: CollisionStrategy, scopes: SlotScope[], attempt: number): ProposedState {
  const limits = scopes
    .map((s) => `${s.kind === 'pool' ? 'work pool' : 'deployment'} ${s.name}: ${s.limit}`)
    .join(', ');
  return strategy === 'cancel_new'
    ? {
        type: 'CANCELLED',
        message: `concurrency limit reached (${limits}); collision strategy cancel_new`,
        attempt,
      }
    : {
        type: 'SCHEDULED',
        name: 'AwaitingConcurrencySlot',
        message: `waiting for a concurrency slot (${limits})`,
        attempt,
      };
}

/** Why a run its schedule made must not start any more, or null. */
function orphanReason(run: Run, deployment: Deployment | null): string | null {
  if (deployment === null)
    return `deployment ${run.deployment} was deleted before this scheduled run started`;
  if (deployment.paused) return `deployment ${run.deployment} is paused`;
  const schedule = deployment.schedules.find((s) => s.id === run.scheduleId);
  if (schedule === undefined) return `schedule ${run.scheduleId} no longer exists`;
  if (!schedule.active) return `schedule ${run.scheduleId} is not active`;
  return null;
}

async function failRun(deps: ExecutionDeps, ws: string, run: Run, message: string): Promise<TaskOutcome> {
  const now = deps.clock();
  await propose(
    deps,
    ws,
    run.id,
    { type: 'FAILED', message, attempt: run.attempt },
    { now, watchdogAt: null },
  );
  deps.logger.warn('run failed to launch', { workspace: ws, runId: run.id, reason: message });
  return done(`failed: ${message}`);
}

/** Launches a PENDING run without an execution, with the deployment and pool its dispatch read. */
async function launch(
  deps: ExecutionDeps,
  ws: string,
  run: Run,
  loaded: { deployment: Deployment | null; pool: WorkPool | null },
): Promise<TaskOutcome> {
  if (run.state.type !== 'PENDING' || run.execution) return done('nothing to launch');
  const { deployment, pool } = loaded;
  if (!deployment) return failRun(deps, ws, run, `deployment ${run.deployment} was deleted`);
  if (!pool) return failRun(deps, ws, run, `work pool ${run.workPool} was deleted`);
  if (pool.kind !== 'cloud-run' || pool.credential === undefined) {
    return failRun(deps, ws, run, `work pool ${pool.name} is not a cloud-run pool with a credential`);
  }
  let cred: Awaited<ReturnType<typeof openCredential>>;
  try {
    cred = await openCredential(deps.credentials, ws, pool.credential);
  } catch (err) {
    if (err instanceof NotFoundError)
      return failRun(deps, ws, run, `credential ${pool.credential} was deleted`);
    throw err;
  }
  const now = deps.clock();
  const token = await deps.tokens.sign(
    { workspace: ws, runId: run.id, attempt: run.attempt },
    now,
    jobTimeoutSeconds(pool, deployment, run) + TOKEN_MARGIN_SECONDS,
  );
  let job: ReturnType<typeof renderJob>;
  try {
    job = renderJob({ pool, deployment, run, workspace: ws, apiUrl: deps.apiUrl, runToken: token });
  } catch (err) {
    if (err instanceof LaunchRefusedError) return failRun(deps, ws, run, err.message);
    throw err;
  }
  let executionName: string;
  try {
    ({ executionName } = await deps.launcher.launch(cred, job));
  } catch (err) {
    if (err instanceof LaunchRefusedError)
      return failRun(deps, ws, run, `Cloud Run refused the launch: ${err.message}`);
    throw err;
  }
  const recorded = await deps.runs.recordExecution(
    ws,
    run.id,
    { name: executionName, job: job.jobId, attempt: run.attempt, launchedAt: deps.clock().toISOString() },
    new Date(deps.clock().getTime() + WATCHDOG_GRACE_MS),
  );
  await enqueueMonitor(deps, { workspace: ws, runId: run.id, attempt: recorded.attempt, poll: 0 });
  return done(`launched ${executionName}`);
}

/** A run that lost its execution or its access ends CRASHED, unless it already finished. */
async function crashUnlessFinished(
  deps: ExecutionDeps,
  ws: string,
  run: Run,
  message: string,
): Promise<void> {
  if (isTerminal(run.state.type)) return;
  await propose(deps, ws, run.id, { type: 'CRASHED', message }, { now: deps.clock(), watchdogAt: null });
}

/**
 * Follows one attempt's execution: maps Cloud Run's view onto the run (a
 * container's own final report wins), cancels on request, retries by policy,
 * cleans the job up once it has finished, and enqueues its next poll with
 * backoff until then. Transient errors surface as 'retry' (the queue retries
 * the same poll), never as a state change.
 */
export async function monitorRun(deps: ExecutionDeps, task: MonitorTask): Promise<TaskOutcome> {
  const ws = task.workspace;
  const run = await deps.runs.getRun(ws, task.runId);
  if (!run) return done('run does not exist');
  if (run.attempt !== task.attempt || !run.execution) return done('nothing to monitor for this attempt');
  const pool = await deps.workspaces.getWorkPool(ws, run.workPool);
  if (!pool?.credential) return done('work pool or credential gone');
  let cred: Awaited<ReturnType<typeof openCredential>>;
  try {
    cred = await openCredential(deps.credentials, ws, pool.credential);
  } catch (err) {
    if (err instanceof NotFoundError) {
      await crashUnlessFinished(
        deps,
        ws,
        run,
        `credential ${pool.credential} was deleted while the run was active`,
      );
      return done('credential deleted');
    }
    throw err;
  }

  if (run.state.type === 'CANCELLING') {
    await deps.launcher.cancelExecution(cred, run.execution.name);
  }
  let exec: ExecutionStatus;
  try {
    exec = await deps.launcher.getExecution(cred, run.execution.name);
  } catch (err) {
    if (err instanceof NotFoundError) {
      await crashUnlessFinished(deps, ws, run, 'the Cloud Run execution disappeared');
      return done('execution not found');
    }
    if (err instanceof LaunchRefusedError) {
      await crashUnlessFinished(deps, ws, run, `lost access to the execution: ${err.message}`);
      return done('lost access');
    }
    throw err;
  }

  const now = deps.clock();
  const finished = exec.phase === 'SUCCEEDED' || exec.phase === 'FAILED' || exec.phase === 'CANCELLED';
  let current = run;
  if (!isTerminal(run.state.type)) {
    const proposal = proposalFor(run, exec);
    if (proposal) {
      const { run: after } = await propose(deps, ws, run.id, { ...proposal, attempt: run.attempt }, { now });
      current = after;
    }
  }

  if (!finished) {
    const next: MonitorTask = { ...task, poll: task.poll + 1 };
    // The run is alive and followed: keep its concurrency slots.
    await deps.runs.renewSlots(ws, run.id, run.attempt, leaseUntil(deps, now));
    await deps.runs.setWatchdog(
      ws,
      run.id,
      new Date(now.getTime() + pollDelayMs(deps, next.poll) + WATCHDOG_GRACE_MS),
    );
    await enqueueMonitor(deps, next);
    return done(`execution ${exec.phase.toLowerCase()}`);
  }

  // The execution has ended: the job is no longer needed (deleting it earlier would kill a finishing execution).
  await deps.launcher.deleteJob(
    cred,
    pool.projectId as string,
    pool.region as string,
    jobIdFor(run.id, run.attempt),
  );
  if (isTerminal(current.state.type)) {
    await maybeRetry(deps, ws, current);
  }
  const latest = await deps.runs.getRun(ws, run.id);
  if (latest && latest.attempt === run.attempt) await deps.runs.setWatchdog(ws, run.id, null);
  return done(`execution ${exec.phase.toLowerCase()}; run ${current.state.type}`);
}

function proposalFor(
  run: Run,
  exec: ExecutionStatus,
): { type: 'RUNNING' | 'COMPLETED' | 'CRASHED' | 'CANCELLED'; message?: string } | null {
  switch (exec.phase) {
    case 'PENDING':
      return null;
    case 'RUNNING':
      return run.state.type === 'PENDING' ? { type: 'RUNNING' } : null;
    case 'SUCCEEDED':
      return run.state.type === 'CANCELLING'
        ? { type: 'COMPLETED', message: 'the execution finished before the cancellation reached it' }
        : { type: 'COMPLETED', message: 'the execution succeeded (no final report from the container)' };
    case 'FAILED':
      return run.state.type === 'CANCELLING'
        ? { type: 'CANCELLED', message: exec.message ?? 'cancelled' }
        : { type: 'CRASHED', message: exec.message ?? 'the execution failed without a final report' };
    case 'CANCELLED':
      return { type: 'CANCELLED', message: exec.message ?? 'the execution was cancelled' };
  }
}

async function maybeRetry(deps: ExecutionDeps, ws: string, run: Run): Promise<void> {
  const deployment = await deps.workspaces.getDeployment(ws, run.deployment);
  if (!deployment) return;
  const delay = retryDelaySeconds(
    deployment.retryPolicy,
    run.attempt,
    run.state.type,
    (deps.random ?? Math.random)(),
  );
  if (delay === null) return;
  const now = deps.clock();
  const scheduledTime = new Date(now.getTime() + delay * 1000).toISOString();
  const { decision, run: next } = await deps.runs.proposeState(
    ws,
    run.id,
    {
      type: 'SCHEDULED',
      name: 'AwaitingRetry',
      message: `retry ${run.attempt} of ${deployment.retryPolicy.maxRetries} in ${delay}s`,
      transitionId: `retry-a${run.attempt}`,
    },
    {
      now,
      explicitRetry: true,
      watchdogAt: new Date(Date.parse(scheduledTime) + DISPATCH_WATCHDOG_MS),
      onAccept: () => ({ scheduledTime, execution: undefined, startTime: undefined, endTime: undefined }),
    },
  );
  if (decision.kind === 'accept') await enqueueDispatch(deps.queue, ws, next);
}
