import type { Execution, Run, StateHistoryEntry } from '../contracts/run.js';
import type { LogEntry, LogLevel, TaskRun } from '../contracts/runData.js';
import type { SlotKind, SlotScope } from '../domain/concurrency.js';
import type { Decision, ProposedState } from '../domain/orchestration.js';
import type { StateName, StateType } from '../domain/runStates.js';
import type { Page } from './workspaceStore.js';

/** Claim a slot of each limit with SCHEDULED → PENDING, or apply `whenFull` instead. */
export interface SlotClaim {
  scopes: SlotScope[];
  leaseUntil: Date;
  /** The collision strategy's state when a limit is full: AwaitingConcurrencySlot or CANCELLED. */
  whenFull: ProposedState;
  /** The deployment's priority, recorded on a waiting run for the waiting-runs order. */
  priority: number;
  random?: number | undefined;
}

export interface ProposeResult {
  decision: Decision;
  run: Run;
  /** Slots the transition released (a terminal state of a run that held some). */
  releasedSlots?: number | undefined;
  /** Which limits those slots belonged to, so only their waiters are woken. */
  releasedKinds?: SlotKind[] | undefined;
  /** After a successful claim: every limit still had a free slot (wake the next waiter). */
  moreFree?: boolean | undefined;
  /** Set when a limit was full and `whenFull` was applied. */
  full?: {
    /** When a waiting run should be looked at again: the earliest lease expiry, at most a minute away. */
    recheckAt: Date;
    /** A slot freed while the run was being parked: dispatch it again now. */
    freedMeanwhile: boolean;
  };
}

export interface ProposeOptions {
  now: Date;
  /** Sets (Date) or clears (null) the run's watchdog in the same transaction; undefined leaves it. */
  watchdogAt?: Date | null | undefined;
  explicitRetry?: boolean;
  /** Apply only while the run's current state has this name; otherwise the decision is a reject. */
  ifStateName?: StateName | undefined;
  /**
   * Called inside the transaction when the decision is an applied accept; returns
   * fields to write with the new state (execution, timings, …). Pure.
   */
  onAccept?: (run: Run, decision: Extract<Decision, { kind: 'accept' }>) => Partial<Run>;
  /** Only with a PENDING proposal: the concurrency slots to claim in the same transaction. */
  slots?: SlotClaim | undefined;
}

/**
 * Runs and what hangs off them. State changes happen only through
 * `proposeState`, which applies the orchestration function inside a Firestore
 * transaction and appends to the state history.
 */
export interface RunStore {
  /**
   * Creates the run in SCHEDULED. With an idempotency key, a second call with the
   * same key returns the first run and `created: false`, also when racing.
   */
  createRun(
    ws: string,
    run: Run,
    opts?: { idempotencyKey?: string | undefined },
  ): Promise<{ run: Run; created: boolean }>;
  getRun(ws: string, id: string): Promise<Run | null>;
  listRuns(
    ws: string,
    q: {
      deployment?: string | undefined;
      state?: StateType | undefined;
      pageSize: number;
      pageToken?: string | undefined;
    },
  ): Promise<Page<Run>>;
  /**
   * Applies the orchestration rules in a transaction. A terminal transition also
   * releases the concurrency slots the attempt holds (`releasedSlots`); with
   * `opts.slots`, SCHEDULED → PENDING claims a slot of each limit in the same
   * transaction, or applies `whenFull` when one is full (`full`).
   * Throws NotFoundError if the run does not exist.
   */
  proposeState(ws: string, id: string, proposed: ProposedState, opts: ProposeOptions): Promise<ProposeResult>;
  /** Extends the leases of the slots the attempt holds; returns how many it still held. */
  renewSlots(ws: string, id: string, attempt: number, leaseUntil: Date): Promise<number>;
  /**
   * Runs waiting for a slot (SCHEDULED/AwaitingConcurrencySlot) of a work pool or of a
   * deployment, in start order: priority descending, then scheduled time.
   */
  listWaiting(
    ws: string,
    scope: { workPool: string } | { deployment: string },
    limit: number,
  ): Promise<Run[]>;
  listStates(ws: string, id: string): Promise<StateHistoryEntry[]>;

  /**
   * Records the execution launched for `attempt`, once: returns the run as stored
   * (with whichever execution was recorded first). Throws NotFoundError.
   */
  recordExecution(ws: string, id: string, execution: Execution, watchdogAt: Date): Promise<Run>;
  /** Sets or clears the time after which the scheduler's sweep looks at the run again. */
  setWatchdog(ws: string, id: string, at: Date | null): Promise<void>;
  /** Runs in any workspace whose watchdog is due (ordered by it), for the sweep. */
  listOverdue(now: Date, limit: number): Promise<{ workspace: string; run: Run }[]>;
  /** SCHEDULED(Scheduled) runs in any workspace at least LATE_AFTER_MS past their time, oldest first. */
  listLate(now: Date, limit: number): Promise<{ workspace: string; run: Run }[]>;

  appendLogs(ws: string, id: string, logs: LogEntry[]): Promise<void>;
  listLogs(
    ws: string,
    id: string,
    q: { level?: LogLevel | undefined; pageSize: number; pageToken?: string | undefined },
  ): Promise<Page<LogEntry>>;
  upsertTaskRun(ws: string, id: string, taskRun: TaskRun): Promise<TaskRun>;
  listTaskRuns(ws: string, id: string): Promise<TaskRun[]>;
}
