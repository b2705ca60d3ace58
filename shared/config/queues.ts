/**
 * Cloud Tasks queue settings. The queues themselves are created by
 * terraform/platform/queues.tf, which repeats these numbers literally (Terraform
 * cannot import TypeScript); test/terraform/platform.test.ts compares the two so
 * they cannot drift. Names are the defaults of PUSHRUN_DISPATCH_QUEUE and
 * PUSHRUN_MONITOR_QUEUE in env.ts.
 *
 * Retries here cover *transient* failures only (a handler answering 503): a task
 * that can never succeed is acknowledged 2xx and the run recorded FAILED, and the
 * monitor's polling backoff is done by enqueueing new tasks with a schedule time,
 * not by retries.
 */
export const QUEUE_SETTINGS = {
  dispatch: {
    name: 'pushrun-dispatch',
    rateLimits: {
      /** Launches per second across all workspaces; Cloud Run Admin API quotas are per customer project. */
      maxDispatchesPerSecond: 50,
      maxConcurrentDispatches: 100,
    },
    retry: {
      /** About 45 minutes of retrying at the 60 s cap before a launch is given up. */
      maxAttempts: 50,
      minBackoffSeconds: 1,
      maxBackoffSeconds: 60,
      maxDoublings: 5,
    },
  },
  monitor: {
    name: 'pushrun-monitor',
    rateLimits: {
      maxDispatchesPerSecond: 100,
      maxConcurrentDispatches: 200,
    },
    retry: {
      /** Hours of retrying at the 300 s cap; the scheduler's stuck-run sweep is the backstop after that. */
      maxAttempts: 100,
      minBackoffSeconds: 2,
      maxBackoffSeconds: 300,
      maxDoublings: 6,
    },
  },
} as const;
export type QueueSettings = (typeof QUEUE_SETTINGS)[keyof typeof QUEUE_SETTINGS];
