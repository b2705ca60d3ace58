/** The two queues pushrun uses; their settings are in shared/config/queues.ts and Terraform. */
export type QueueName = 'dispatch' | 'monitor';

export interface QueuedTask {
  queue: QueueName;
  /** JSON body delivered to the queue's target function. */
  payload: Record<string, unknown>;
}

/**
 * Delivers a task to its function at least once (Cloud Tasks in production),
 * POSTing the JSON payload with an OIDC token for the configured service account
 * and audience.
 *
 * Enqueueing a name that exists (or existed recently) resolves with 'exists' and
 * creates nothing: names are how callers de-duplicate. Throws RetryableError
 * when the queue is unreachable or throttling, InvalidArgumentError for a bad
 * name or a time more than 30 days ahead.
 */
export interface TaskQueue {
  enqueue(
    task: QueuedTask,
    opts: { name: string; notBefore?: Date | undefined },
  ): Promise<'created' | 'exists'>;
  /** Deletes a pending task; resolves also when it does not exist (already ran or never made). */
  delete(queue: QueueName, name: string): Promise<void>;
}
