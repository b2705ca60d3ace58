import { createHash } from 'node:crypto';
import type { CloudTasksClient, protos } from '@google-cloud/tasks';
import { type CallOptions, createMaxRetriesBackoffSettings, createRetryOptions } from 'google-gax';
import { QUEUE_SETTINGS } from '../../config/queues.js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  PushrunError,
  RetryableError,
} from '../../domain/errors.js';
import type { QueuedTask, QueueName, TaskQueue } from '../../ports/taskQueue.js';

export interface CloudTasksQueueOptions {
  client: CloudTasksClient;
  projectId: string;
  location: string;
  /** Queue ids (not full names) per logical queue. */
  queues: Record<QueueName, string>;
  /** The URL each queue's tasks are POSTed to (the target function's URL). */
  targets: Record<QueueName, string>;
  /** The identity Cloud Tasks signs the OIDC token as; the target functions accept only it. */
  serviceAccountEmail: string;
  /** OIDC audience per queue; defaults to the queue's target URL. */
  audience?: Partial<Record<QueueName, string>> | undefined;
  /**
   * Extra attempts of CreateTask/DeleteTask after UNAVAILABLE or DEADLINE_EXCEEDED
   * (default 2). Safe because every task is named: a repeat of a create that did
   * take effect answers ALREADY_EXISTS, which resolves as 'exists'.
   */
  retries?: number | undefined;
}

/** Cloud Tasks refuses a schedule_time more than 30 days ahead. */
const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 60 * 60 * 1000;
const VALID_TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;
/** Readable part kept after the hash of a name that had to be rewritten. */
const HASHED_PREFIX_MAX = 100;

// gRPC status codes (google.rpc.Code).
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const RETRYABLE_CODES = new Set([4, 8, 10, 13, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE

/**
 * The Cloud Tasks id for a caller's task name: `{8 hex of SHA-256}-{name}`.
 * Cloud Tasks documents higher latency for sequential or timestamp-prefixed
 * names (run ids are time-sortable), so a hash goes first; the name stays
 * readable after it. Names that do not fit or hold other characters become
 * `{64 hex of SHA-256}-{readable part}`. Both are deterministic, so
 * de-duplication by name still works, and the two forms cannot meet: index 8 is
 * '-' in the first and a hex digit in the second.
 */
export function toTaskId(name: string): string {
  if (name.length === 0) {
    throw new InvalidArgumentError('a task name is required', [{ field: 'name', issue: 'empty' }]);
  }
  const hash = createHash('sha256').update(name).digest('hex');
  const plain = `${hash.slice(0, 8)}-${name}`;
  if (VALID_TASK_ID.test(plain)) return plain;
  return `${hash}-${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, HASHED_PREFIX_MAX)}`;
}

/**
 * TaskQueue over Cloud Tasks HTTP-target tasks with OIDC tokens.
 *
 * Transient faults: the client library does not retry CreateTask (non-idempotent
 * in its config) and retries DeleteTask for up to 10 minutes. This adapter
 * replaces both with a short bounded retry (`retries`, ~0.3 s of backoff): a
 * blip is absorbed, an outage surfaces quickly as RetryableError so the caller's
 * own retry (usually its Cloud Tasks delivery) takes over.
 * A create that took effect but whose answer was lost resolves 'exists' on the
 * retry: either way exactly one task carries the name.
 */
export class CloudTasksQueue implements TaskQueue {
  private readonly callOptions: CallOptions;

  constructor(private readonly opts: CloudTasksQueueOptions) {
    const retries = opts.retries ?? 2;
    // gax's `maxRetries` counts attempts, not retries (2 means one retry), and reads 0
    // as "no limit", so no retries must be said as `retry: null`. A spent budget is
    // reported as DEADLINE_EXCEEDED whatever the last error was: still retryable.
    this.callOptions =
      retries > 0
        ? {
            retry: createRetryOptions(
              [4, 14],
              // 100 ms then 200 ms between attempts; each attempt may take up to 10 s.
              createMaxRetriesBackoffSettings(100, 2, 1000, 10_000, 1, 10_000, retries + 1),
            ),
          }
        : { retry: null };
  }

  async enqueue(
    task: QueuedTask,
    opts: { name: string; notBefore?: Date | undefined },
  ): Promise<'created' | 'exists'> {
    const name = this.taskName(task.queue, opts.name);
    const request: protos.google.cloud.tasks.v2.ICreateTaskRequest = {
      parent: this.queuePath(task.queue),
      task: {
        name,
        httpRequest: {
          url: this.opts.targets[task.queue],
          httpMethod: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: Buffer.from(JSON.stringify(task.payload)),
          oidcToken: {
            serviceAccountEmail: this.opts.serviceAccountEmail,
            audience: this.opts.audience?.[task.queue] ?? this.opts.targets[task.queue],
          },
        },
        ...(opts.notBefore ? { scheduleTime: toTimestamp(opts.notBefore) } : {}),
      },
    };
    try {
      await this.opts.client.createTask(request, this.callOptions);
      return 'created';
    } catch (err) {
      if (codeOf(err) === ALREADY_EXISTS) return 'exists';
      throw translateTasksError(err, `enqueue on ${task.queue}`);
    }
  }

  async delete(queue: QueueName, name: string): Promise<void> {
    try {
      await this.opts.client.deleteTask({ name: this.taskName(queue, name) }, this.callOptions);
    } catch (err) {
      if (codeOf(err) === NOT_FOUND) return;
      throw translateTasksError(err, `delete on ${queue}`);
    }
  }

  private queuePath(queue: QueueName): string {
    return this.opts.client.queuePath(this.opts.projectId, this.opts.location, this.opts.queues[queue]);
  }

  private taskName(queue: QueueName, name: string): string {
    return `${this.queuePath(queue)}/tasks/${toTaskId(name)}`;
  }
}

function toTimestamp(at: Date): { seconds: number; nanos: number } {
  const ms = at.getTime();
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError('notBefore is not a valid time', [
      { field: 'notBefore', issue: 'invalid' },
    ]);
  }
  if (ms - Date.now() > MAX_SCHEDULE_AHEAD_MS) {
    throw new InvalidArgumentError('a task cannot be scheduled more than 30 days ahead', [
      { field: 'notBefore', issue: 'more than 30 days ahead' },
    ]);
  }
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

function codeOf(err: unknown): number | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Cloud Tasks errors as domain errors. Messages name the operation and the gRPC
 * status only: the service's own message can quote the request (the payload).
 */
function translateTasksError(err: unknown, operation: string): Error {
  if (err instanceof PushrunError) return err;
  const code = codeOf(err);
  if (code !== undefined && RETRYABLE_CODES.has(code)) {
    return new RetryableError(`Cloud Tasks is unavailable (${operation}, code ${code})`, { cause: err });
  }
  switch (code) {
    case 3: // INVALID_ARGUMENT: a task over 1 MB, a bad URL or schedule time
    case 11: // OUT_OF_RANGE
      return new InvalidArgumentError(`Cloud Tasks refused the task (${operation})`, [], err);
    case 9: // FAILED_PRECONDITION
      return new FailedPreconditionError(`Cloud Tasks refused the call (${operation})`);
    default:
      // NOT_FOUND (queue missing), PERMISSION_DENIED, UNAUTHENTICATED: pushrun's own
      // deployment is wrong, which no caller can fix and no retry cures.
      return new PushrunError(
        'INTERNAL',
        `Cloud Tasks call failed (${operation}, code ${code ?? 'unknown'})`,
        {
          cause: err,
        },
      );
  }
}

/** Seconds → google.protobuf.Duration. */
function duration(seconds: number): { seconds: number } {
  return { seconds };
}

/**
 * Creates (or brings up to date) the dispatch and monitor queues with the
 * settings in QUEUE_SETTINGS. Used by `npm start` and tests; in production
 * Terraform owns the queues and this is never called.
 */
export async function ensureQueues(
  client: CloudTasksClient,
  opts: { projectId: string; location: string; queues?: Partial<Record<QueueName, string>> | undefined },
): Promise<Record<QueueName, string>> {
  const parent = client.locationPath(opts.projectId, opts.location);
  const ids: Record<QueueName, string> = {
    dispatch: opts.queues?.dispatch ?? QUEUE_SETTINGS.dispatch.name,
    monitor: opts.queues?.monitor ?? QUEUE_SETTINGS.monitor.name,
  };
  for (const queue of ['dispatch', 'monitor'] as const) {
    const settings = QUEUE_SETTINGS[queue];
    const body: protos.google.cloud.tasks.v2.IQueue = {
      name: client.queuePath(opts.projectId, opts.location, ids[queue]),
      rateLimits: {
        maxDispatchesPerSecond: settings.rateLimits.maxDispatchesPerSecond,
        maxConcurrentDispatches: settings.rateLimits.maxConcurrentDispatches,
      },
      retryConfig: {
        maxAttempts: settings.retry.maxAttempts,
        minBackoff: duration(settings.retry.minBackoffSeconds),
        maxBackoff: duration(settings.retry.maxBackoffSeconds),
        maxDoublings: settings.retry.maxDoublings,
      },
    };
    try {
      await client.createQueue({ parent, queue: body });
    } catch (err) {
      if (codeOf(err) !== ALREADY_EXISTS) throw translateTasksError(err, `create queue ${queue}`);
      try {
        await client.updateQueue({ queue: body, updateMask: { paths: ['rate_limits', 'retry_config'] } });
      } catch (updateErr) {
        throw translateTasksError(updateErr, `update queue ${queue}`);
      }
    }
  }
  return ids;
}
