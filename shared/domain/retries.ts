import type { RetryPolicy } from '../contracts/deployment.js';
import type { StateType } from './runStates.js';

/**
 * Whether a finished attempt is retried and after how long: exponential backoff
 * from `delaySeconds` by `backoffFactor` per attempt, capped, plus up to
 * `jitter` × delay at random so many failing runs do not retry in lockstep.
 * Pure: `random` is injected (0 ≤ random < 1).
 */
export function retryDelaySeconds(
  policy: RetryPolicy,
  finishedAttempt: number,
  outcome: StateType,
  random: number,
): number | null {
  if (outcome !== 'FAILED' && !(outcome === 'CRASHED' && policy.retryCrashed)) return null;
  if (finishedAttempt > policy.maxRetries) return null;
  const base = Math.min(
    policy.delaySeconds * policy.backoffFactor ** (finishedAttempt - 1),
    policy.maxDelaySeconds,
  );
  return Math.round(base + base * policy.jitter * random);
}
