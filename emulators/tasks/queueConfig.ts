import {
  type Duration,
  type RateLimitsMessage,
  type RetryConfigMessage,
  toDuration,
  toMillis,
} from './messages.js';
import { Code, RpcError } from './rpc.js';

/** A queue's dispatch limits in the units the scheduler uses. */
export interface RateConfig {
  maxDispatchesPerSecond: number;
  maxBurstSize: number;
  maxConcurrentDispatches: number;
}

export interface RetryConfig {
  /** -1 = unlimited. */
  maxAttempts: number;
  /** 0 = unlimited task age. */
  maxRetryDurationMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
}

// The defaults Cloud Tasks documents for queues created through the API.
export const DEFAULT_RATE: RateConfig = {
  maxDispatchesPerSecond: 500,
  maxBurstSize: 100,
  maxConcurrentDispatches: 1000,
};
export const DEFAULT_RETRY: RetryConfig = {
  maxAttempts: 100,
  maxRetryDurationMs: 0,
  minBackoffMs: 100,
  maxBackoffMs: 3_600_000,
  maxDoublings: 16,
};

const MAX_RATE = 500;
const MAX_CONCURRENT = 5000;

/**
 * The burst the real service picks is not documented beyond "based on the rate";
 * one second's worth of dispatches, capped at the documented default of 100, keeps
 * a low-rate queue from bursting past its rate.
 */
function burstFor(rate: number): number {
  return Math.max(1, Math.min(100, Math.ceil(rate)));
}

export function rateFromMessage(
  message: RateLimitsMessage | null | undefined,
  base = DEFAULT_RATE,
): RateConfig {
  const rate = message?.maxDispatchesPerSecond || base.maxDispatchesPerSecond;
  const concurrent = message?.maxConcurrentDispatches || base.maxConcurrentDispatches;
  if (!(rate > 0) || rate > MAX_RATE) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `Queue.rate_limits.max_dispatches_per_second must be in (0, ${MAX_RATE}].`,
    );
  }
  if (!Number.isInteger(concurrent) || concurrent < 1 || concurrent > MAX_CONCURRENT) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `Queue.rate_limits.max_concurrent_dispatches must be in [1, ${MAX_CONCURRENT}].`,
    );
  }
  return { maxDispatchesPerSecond: rate, maxBurstSize: burstFor(rate), maxConcurrentDispatches: concurrent };
}

function durationField(value: Duration | null | undefined, fallback: number, field: string): number {
  const ms = toMillis(value);
  if (ms === undefined) return fallback;
  if (ms < 0) throw new RpcError(Code.INVALID_ARGUMENT, `Queue.retry_config.${field} must not be negative.`);
  return ms;
}

export function retryFromMessage(
  message: RetryConfigMessage | null | undefined,
  base = DEFAULT_RETRY,
): RetryConfig {
  const maxAttempts = message?.maxAttempts || base.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < -1) {
    throw new RpcError(Code.INVALID_ARGUMENT, 'Queue.retry_config.max_attempts must be >= -1.');
  }
  const maxDoublings = message?.maxDoublings || base.maxDoublings;
  if (!Number.isInteger(maxDoublings) || maxDoublings < 0) {
    throw new RpcError(Code.INVALID_ARGUMENT, 'Queue.retry_config.max_doublings must not be negative.');
  }
  const config: RetryConfig = {
    maxAttempts,
    maxRetryDurationMs: durationField(
      message?.maxRetryDuration,
      base.maxRetryDurationMs,
      'max_retry_duration',
    ),
    minBackoffMs: durationField(message?.minBackoff, base.minBackoffMs, 'min_backoff'),
    maxBackoffMs: durationField(message?.maxBackoff, base.maxBackoffMs, 'max_backoff'),
    maxDoublings,
  };
  if (config.minBackoffMs > config.maxBackoffMs) {
    throw new RpcError(Code.INVALID_ARGUMENT, 'Queue.retry_config.min_backoff must not exceed max_backoff.');
  }
  return config;
}

export function rateToMessage(rate: RateConfig): RateLimitsMessage {
  return { ...rate };
}

export function retryToMessage(retry: RetryConfig): RetryConfigMessage {
  return {
    maxAttempts: retry.maxAttempts,
    maxRetryDuration: toDuration(retry.maxRetryDurationMs),
    minBackoff: toDuration(retry.minBackoffMs),
    maxBackoff: toDuration(retry.maxBackoffMs),
    maxDoublings: retry.maxDoublings,
  };
}

/**
 * The wait before retry number `retry` (1 = the first retry), as RetryConfig's doc
 * comment defines it: min_backoff doubling max_doublings times, then growing
 * linearly by that last step, never above max_backoff.
 * (min 10 s, max 300 s, doublings 3 → 10, 20, 40, 80, 160, 240, 300, 300 …)
 */
export function backoffMs(retry: number, config: RetryConfig): number {
  const step = retry - 1;
  const interval =
    step <= config.maxDoublings
      ? config.minBackoffMs * 2 ** step
      : config.minBackoffMs * 2 ** config.maxDoublings * (step - config.maxDoublings + 1);
  return Math.min(interval, config.maxBackoffMs);
}

/**
 * Whether a task that has failed after `attempts` dispatches gets another one. Both
 * limits must be reached when both are set ("max_retry_duration has passed *and*
 * the task has been attempted max_attempts times"); an unset limit never stops it.
 */
export function mayRetry(attempts: number, ageMs: number, config: RetryConfig): boolean {
  const attemptsLimited = config.maxAttempts !== -1;
  const ageLimited = config.maxRetryDurationMs > 0;
  const attemptsSpent = attemptsLimited && attempts >= config.maxAttempts;
  const ageSpent = ageLimited && ageMs >= config.maxRetryDurationMs;
  if (attemptsLimited && ageLimited) return !(attemptsSpent && ageSpent);
  if (attemptsLimited) return !attemptsSpent;
  if (ageLimited) return !ageSpent;
  return true;
}

export function queueIdValid(id: string): boolean {
  return /^[A-Za-z0-9-]{1,100}$/.test(id);
}
