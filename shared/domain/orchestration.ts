import { isTerminal, NAMES_BY_TYPE, type RunState, type StateName, type StateType } from './runStates.js';

/** A state someone wants the run to enter. */
export interface ProposedState {
  type: StateType;
  name?: StateName | undefined;
  message?: string | undefined;
  /**
   * Unique per intended transition, chosen by the proposer. Proposing the same id
   * again (a retried request, a redelivered task) returns the current state
   * instead of applying the change twice.
   */
  transitionId?: string | undefined;
  /** The attempt the proposer acts for; a proposal for another attempt is stale. */
  attempt?: number | undefined;
}

export interface OrchestrationContext {
  now: Date;
  /** The run's current attempt (1-based). */
  attempt: number;
  scheduledTime: Date;
  /** Transition ids already applied to this run (most recent last). */
  appliedTransitionIds: readonly string[];
  /** Set only by the retry path: allows leaving FAILED/CRASHED for SCHEDULED(AwaitingRetry). */
  explicitRetry?: boolean;
}

export type Decision =
  | { kind: 'accept'; state: RunState; applied: boolean; attempt: number }
  | { kind: 'reject'; current: RunState; reason: string }
  | { kind: 'wait'; current: RunState; seconds: number; reason: string }
  | { kind: 'abort'; reason: string };

/** Which (from, to) type pairs are allowed at all; finer rules are in `decide`. */
const ALLOWED: Record<StateType, ReadonlySet<StateType>> = {
  SCHEDULED: new Set(['SCHEDULED', 'PENDING', 'RUNNING', 'CANCELLED']),
  // Never back to SCHEDULED or PENDING: one PENDING per attempt is what stops a second launch.
  PENDING: new Set(['RUNNING', 'COMPLETED', 'FAILED', 'CRASHED', 'CANCELLING', 'CANCELLED']),
  RUNNING: new Set(['RUNNING', 'COMPLETED', 'FAILED', 'CRASHED', 'CANCELLING', 'CANCELLED']),
  // An execution may finish on its own before the cancellation reaches it.
  CANCELLING: new Set(['CANCELLING', 'COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED']),
  COMPLETED: new Set(),
  FAILED: new Set(),
  CRASHED: new Set(),
  CANCELLED: new Set(),
};

/**
 * The orchestration rules: the one place that decides whether a run may move
 * from `current` to `proposed`. Pure; the store applies an `accept` inside the
 * same transaction that read `current`, so two proposers cannot both win.
 */
export function decide(current: RunState, proposed: ProposedState, ctx: OrchestrationContext): Decision {
  const name = proposed.name ?? (NAMES_BY_TYPE[proposed.type][0] as StateName);
  if (!NAMES_BY_TYPE[proposed.type].includes(name)) {
    return { kind: 'abort', reason: `state name ${name} does not refine ${proposed.type}` };
  }
  if (proposed.transitionId !== undefined && ctx.appliedTransitionIds.includes(proposed.transitionId)) {
    return { kind: 'accept', state: current, applied: false, attempt: ctx.attempt };
  }

  // Explicit retry: the only way out of a terminal state, and only into the next attempt.
  if (ctx.explicitRetry) {
    if (
      (current.type === 'FAILED' || current.type === 'CRASHED') &&
      proposed.type === 'SCHEDULED' &&
      name === 'AwaitingRetry'
    ) {
      return accept(proposed, name, ctx, ctx.attempt + 1);
    }
    return {
      kind: 'reject',
      current,
      reason: `a ${current.type} run cannot be retried into ${proposed.type}`,
    };
  }

  if (proposed.attempt !== undefined && proposed.attempt !== ctx.attempt) {
    return {
      kind: 'abort',
      reason: `proposal for attempt ${proposed.attempt} but the run is at attempt ${ctx.attempt}`,
    };
  }

  if (isTerminal(current.type)) {
    return { kind: 'reject', current, reason: `run is already ${current.type}` };
  }
  if (!ALLOWED[current.type].has(proposed.type)) {
    return { kind: 'reject', current, reason: `cannot go from ${current.type} to ${proposed.type}` };
  }

  switch (proposed.type) {
    case 'SCHEDULED':
      if (current.type === 'SCHEDULED' && current.name === name) {
        return { kind: 'accept', state: current, applied: false, attempt: ctx.attempt };
      }
      break;
    case 'RUNNING': {
      const early = ctx.scheduledTime.getTime() - ctx.now.getTime();
      if (early > 0) {
        return {
          kind: 'wait',
          current,
          seconds: Math.ceil(early / 1000),
          reason: 'run is scheduled for later',
        };
      }
      if (current.type === 'RUNNING') {
        // Repeated RUNNING reports (a container and the monitor both saying so) are no-ops.
        return { kind: 'accept', state: current, applied: false, attempt: ctx.attempt };
      }
      break;
    }
    case 'CANCELLING':
      if (current.type === 'CANCELLING') {
        return { kind: 'accept', state: current, applied: false, attempt: ctx.attempt };
      }
      break;
    default:
      break;
  }
  return accept(proposed, name, ctx, ctx.attempt);
}

function accept(
  proposed: ProposedState,
  name: StateName,
  ctx: OrchestrationContext,
  attempt: number,
): Decision {
  const state: RunState = {
    type: proposed.type,
    name,
    timestamp: ctx.now.toISOString(),
    ...(proposed.message === undefined ? {} : { message: proposed.message }),
  };
  return { kind: 'accept', state, applied: true, attempt };
}
