import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  DEFAULT_RETRY,
  mayRetry,
  type RetryConfig,
} from '../../../emulators/tasks/queueConfig.js';

// Pure rules of the Tasks emulator's retry schedule, checked against RetryConfig's doc comment.
describe('Cloud Tasks emulator retry schedule', () => {
  it('follows the documented example: 10, 20, 40, 80, 160, 240, 300, 300 s', () => {
    const config: RetryConfig = {
      ...DEFAULT_RETRY,
      minBackoffMs: 10_000,
      maxBackoffMs: 300_000,
      maxDoublings: 3,
    };
    const waits = Array.from({ length: 8 }, (_, i) => backoffMs(i + 1, config) / 1000);
    expect(waits).toEqual([10, 20, 40, 80, 160, 240, 300, 300]);
  });

  it.each([
    // attempts, age ms, maxAttempts, maxRetryDurationMs, retry?
    [2, 0, 3, 0, true],
    [3, 0, 3, 0, false],
    [3, 1_000, 3, 5_000, true], // both limits set: both must be spent
    [3, 5_000, 3, 5_000, false],
    [50, 4_000, -1, 5_000, true], // only the age limits
    [50, 5_000, -1, 5_000, false],
    [10_000, 1e9, -1, 0, true], // no limit at all
  ])(
    'after %i attempts at age %i ms with max_attempts %i and max_retry_duration %i ms → retry %s',
    (attempts, age, max, duration, expected) => {
      expect(
        mayRetry(attempts, age, { ...DEFAULT_RETRY, maxAttempts: max, maxRetryDurationMs: duration }),
      ).toBe(expected);
    },
  );
});
