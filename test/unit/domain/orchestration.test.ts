import { describe, expect, it } from 'vitest';
import { decide, type OrchestrationContext } from '../../../shared/domain/orchestration.js';
import { defaultName, type RunState, StateType } from '../../../shared/domain/runStates.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const PAST = new Date('2026-06-01T11:00:00Z');
const FUTURE = new Date('2026-06-01T12:05:00Z');

function state(type: StateType): RunState {
  return { type, name: defaultName(type), timestamp: PAST.toISOString() };
}

function ctx(over: Partial<OrchestrationContext> = {}): OrchestrationContext {
  return { now: NOW, attempt: 1, scheduledTime: PAST, appliedTransitionIds: [], ...over };
}

type Kind = 'accept' | 'noop' | 'reject';
const A: Kind = 'accept';
const N: Kind = 'noop';
const R: Kind = 'reject';

// Rows: from; columns in StateType order:
//            SCHEDULED PENDING RUNNING COMPLETED FAILED CRASHED CANCELLING CANCELLED
const MATRIX: Record<StateType, Kind[]> = {
  SCHEDULED: [N, A, A, R, R, R, R, A],
  PENDING: [R, R, A, A, A, A, A, A],
  RUNNING: [R, R, N, A, A, A, A, A],
  COMPLETED: [R, R, R, R, R, R, R, R],
  FAILED: [R, R, R, R, R, R, R, R],
  CRASHED: [R, R, R, R, R, R, R, R],
  CANCELLING: [R, R, R, A, A, A, N, A],
  CANCELLED: [R, R, R, R, R, R, R, R],
};

const pairs = StateType.options.flatMap((from) =>
  StateType.options.map((to, i) => ({ from, to, expected: MATRIX[from][i] as Kind })),
);

describe('orchestration: every (from, to) pair of state types', () => {
  it.each(pairs)('$from → $to is $expected', ({ from, to, expected }) => {
    const d = decide(state(from), { type: to }, ctx());
    if (expected === 'reject') {
      expect(d.kind).toBe('reject');
      if (d.kind === 'reject') expect(d.current.type).toBe(from);
    } else {
      expect(d.kind).toBe('accept');
      if (d.kind === 'accept') {
        expect(d.applied).toBe(expected === 'accept');
        expect(d.state.type).toBe(expected === 'accept' ? to : from);
        expect(d.attempt).toBe(1);
      }
    }
  });
});

describe('orchestration: specific rules', () => {
  it('a second PENDING for the same attempt is rejected, so two dispatchers cannot both launch', () => {
    const first = decide(state('SCHEDULED'), { type: 'PENDING', attempt: 1 }, ctx());
    expect(first.kind).toBe('accept');
    if (first.kind !== 'accept') return;
    const second = decide(first.state, { type: 'PENDING', attempt: 1 }, ctx());
    expect(second).toMatchObject({ kind: 'reject', current: { type: 'PENDING' } });
  });

  it('a repeated proposal with an applied transition id returns the current state without applying', () => {
    const current: RunState = { type: 'RUNNING', name: 'Running', timestamp: PAST.toISOString() };
    const d = decide(
      current,
      { type: 'COMPLETED', transitionId: 't-1' },
      ctx({ appliedTransitionIds: ['t-0', 't-1'] }),
    );
    expect(d).toEqual({ kind: 'accept', state: current, applied: false, attempt: 1 });
  });

  it('a new transition id is applied', () => {
    const d = decide(
      state('RUNNING'),
      { type: 'COMPLETED', transitionId: 't-2' },
      ctx({ appliedTransitionIds: ['t-1'] }),
    );
    expect(d).toMatchObject({
      kind: 'accept',
      applied: true,
      state: { type: 'COMPLETED', name: 'Completed' },
    });
  });

  it.each([
    ['SCHEDULED', FUTURE, 'wait'],
    ['PENDING', FUTURE, 'wait'],
    ['PENDING', PAST, 'accept'],
  ] as const)('%s → RUNNING with scheduled time %s: %s', (from, scheduled, kind) => {
    const d = decide(state(from), { type: 'RUNNING' }, ctx({ scheduledTime: scheduled }));
    expect(d.kind).toBe(kind);
    if (d.kind === 'wait') expect(d.seconds).toBe(300);
  });

  it.each(['FAILED', 'CRASHED'] as const)(
    'an explicit retry moves %s to SCHEDULED(AwaitingRetry) at the next attempt',
    (from) => {
      const d = decide(
        state(from),
        { type: 'SCHEDULED', name: 'AwaitingRetry' },
        ctx({ attempt: 2, explicitRetry: true }),
      );
      expect(d).toMatchObject({
        kind: 'accept',
        applied: true,
        attempt: 3,
        state: { name: 'AwaitingRetry' },
      });
    },
  );

  it.each([
    ['COMPLETED', 'SCHEDULED', 'AwaitingRetry'],
    ['CANCELLED', 'SCHEDULED', 'AwaitingRetry'],
    ['FAILED', 'SCHEDULED', 'Scheduled'],
    ['FAILED', 'RUNNING', 'Running'],
    ['RUNNING', 'SCHEDULED', 'AwaitingRetry'],
  ] as const)('an explicit retry from %s to %s(%s) is rejected', (from, to, name) => {
    const d = decide(state(from), { type: to, name }, ctx({ explicitRetry: true }));
    expect(d.kind).toBe('reject');
  });

  it('a terminal state stays final without an explicit retry', () => {
    const d = decide(state('FAILED'), { type: 'SCHEDULED', name: 'AwaitingRetry' }, ctx());
    expect(d).toMatchObject({ kind: 'reject', current: { type: 'FAILED' } });
  });

  it('a proposal for another attempt is aborted as stale', () => {
    const d = decide(state('SCHEDULED'), { type: 'PENDING', attempt: 1 }, ctx({ attempt: 2 }));
    expect(d.kind).toBe('abort');
  });

  it('a state name that does not refine the type is aborted', () => {
    const d = decide(state('RUNNING'), { type: 'COMPLETED', name: 'Late' }, ctx());
    expect(d.kind).toBe('abort');
  });

  it('SCHEDULED may be renamed (Late, AwaitingConcurrencySlot); the same name again is a no-op', () => {
    const late = decide(state('SCHEDULED'), { type: 'SCHEDULED', name: 'Late' }, ctx());
    expect(late).toMatchObject({ kind: 'accept', applied: true, state: { name: 'Late' } });
    if (late.kind !== 'accept') return;
    const again = decide(late.state, { type: 'SCHEDULED', name: 'Late' }, ctx());
    expect(again).toMatchObject({ kind: 'accept', applied: false });
  });

  it('keeps the message of an accepted state', () => {
    const d = decide(state('RUNNING'), { type: 'CRASHED', message: 'exit code 137' }, ctx());
    expect(d).toMatchObject({
      kind: 'accept',
      state: { message: 'exit code 137', timestamp: NOW.toISOString() },
    });
  });
});
