import { randomBytes } from 'node:crypto';
import type { grpc } from 'google-gax';
import type { EmulatorContext, RunningService } from '../core/types.js';
import {
  type AttemptMessage,
  type CreateQueueRequest,
  type CreateTaskRequest,
  type Empty,
  type GetTaskRequest,
  type HttpMethodName,
  type ListQueuesRequest,
  type ListQueuesResponse,
  type ListTasksRequest,
  type ListTasksResponse,
  type NameRequest,
  type QueueMessage,
  type RateLimitsMessage,
  type RetryConfigMessage,
  type TaskMessage,
  type TaskView,
  toDuration,
  toMillis,
  toTimestamp,
  type UpdateQueueRequest,
} from './messages.js';
import { loadService } from './protos.js';
import {
  queueIdValid,
  rateFromMessage,
  rateToMessage,
  retryFromMessage,
  retryToMessage,
} from './queueConfig.js';
import { Code, listen, paginate, RpcError, RpcKit } from './rpc.js';
import { type AttemptRecord, type HttpTarget, type Queue, type Task, TaskEngine } from './taskEngine.js';

export interface TasksEmulatorOptions {
  /** How long a task name stays reserved after the task ran or was deleted (real: ~1 h, up to 9 days). Default 1 h. */
  taskNameReservationMs?: number;
  /** Lowest accepted `dispatch_deadline` (real: 15 s). Tests lower it to exercise deadline retries quickly. */
  minDispatchDeadlineMs?: number;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
}

export interface RunningTasksEmulator extends RunningService {
  /** Tasks completed by a 2xx answer since start (also counted as stats tasks/TaskDelivered). */
  tasksDelivered(): number;
}

const DAY_MS = 86_400_000;
const MAX_SCHEDULE_AHEAD_MS = 30 * DAY_MS;
const DEFAULT_DISPATCH_DEADLINE_MS = 10 * 60_000;
const MAX_DISPATCH_DEADLINE_MS = 30 * 60_000;
const MAX_TASK_BYTES = 1024 * 1024;
const MAX_URL_LENGTH = 2083;

const LOCATION_RE = /^projects\/[A-Za-z0-9:.-]+\/locations\/[A-Za-z0-9-]+$/;
const TASK_ID_RE = /^[A-Za-z0-9_-]{1,500}$/;

function requireLocation(parent: string | undefined): string {
  if (!parent || !LOCATION_RE.test(parent)) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `Invalid resource field value in the request: parent "${parent ?? ''}".`,
    );
  }
  return parent;
}

function isQueueName(name: string): boolean {
  const at = name.lastIndexOf('/queues/');
  return at >= 0 && LOCATION_RE.test(name.slice(0, at)) && queueIdValid(name.slice(at + 8));
}

function requireQueueName(name: string | undefined): string {
  if (!name || !isQueueName(name)) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `Queue name "${name ?? ''}" is invalid; it must be projects/PROJECT_ID/locations/LOCATION_ID/queues/QUEUE_ID with QUEUE_ID of letters, digits and hyphens (at most 100).`,
    );
  }
  return name;
}

/** A task name, optionally required to be under a given queue. */
function requireTaskName(name: string | undefined, queueName?: string): string {
  const at = name?.lastIndexOf('/tasks/') ?? -1;
  const queuePart = name && at >= 0 ? name.slice(0, at) : '';
  const idPart = name && at >= 0 ? name.slice(at + 7) : '';
  const queueOk = queueName ? queuePart === queueName : isQueueName(queuePart);
  if (!name || !queueOk || !TASK_ID_RE.test(idPart)) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `Task name "${name ?? ''}" is invalid; it must be ${queueName ?? 'QUEUE_NAME'}/tasks/TASK_ID with TASK_ID of letters, digits, hyphens and underscores (at most 500).`,
    );
  }
  return name;
}

function queueToMessage(queue: Queue): QueueMessage {
  const message: QueueMessage = {
    name: queue.name,
    rateLimits: rateToMessage(queue.rate),
    retryConfig: retryToMessage(queue.retry),
    state: queue.state,
  };
  if (queue.purgeTimeMs !== undefined) message.purgeTime = toTimestamp(queue.purgeTimeMs);
  if (queue.loggingSamplingRatio !== undefined) {
    message.stackdriverLoggingConfig = { samplingRatio: queue.loggingSamplingRatio };
  }
  return message;
}

function attemptToMessage(attempt: AttemptRecord, full: boolean): AttemptMessage {
  const message: AttemptMessage = { dispatchTime: toTimestamp(attempt.dispatchTimeMs) };
  if (!full) return message;
  message.scheduleTime = toTimestamp(attempt.scheduleTimeMs);
  if (attempt.responseTimeMs !== undefined) message.responseTime = toTimestamp(attempt.responseTimeMs);
  if (attempt.status) message.responseStatus = attempt.status;
  return message;
}

function taskToMessage(task: Task, view: TaskView | undefined): TaskMessage {
  const full = view === 'FULL';
  const http: NonNullable<TaskMessage['httpRequest']> = {
    url: task.http.url,
    httpMethod: task.http.method as HttpMethodName,
    headers: task.http.headers,
  };
  // BASIC omits the body: it may be large or sensitive (Task.View).
  if (full) http.body = task.http.body;
  if (task.http.oidc) http.oidcToken = task.http.oidc;
  const message: TaskMessage = {
    name: task.name,
    httpRequest: http,
    scheduleTime: toTimestamp(task.scheduleTimeMs),
    createTime: toTimestamp(Math.floor(task.createTimeMs / 1000) * 1000),
    dispatchDeadline: toDuration(task.dispatchDeadlineMs),
    dispatchCount: task.dispatchCount,
    responseCount: task.responseCount,
    view: full ? 'FULL' : 'BASIC',
  };
  // first_attempt keeps only its dispatch time, as the proto says.
  if (task.firstAttempt) message.firstAttempt = attemptToMessage(task.firstAttempt, false);
  if (task.lastAttempt) message.lastAttempt = attemptToMessage(task.lastAttempt, true);
  return message;
}

function snakeCase(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Google's numeric-looking generated task ids. */
function generatedTaskId(): string {
  return randomBytes(8).readBigUInt64BE().toString();
}

/** Starts the Cloud Tasks v2 emulator (gRPC, insecure, no auth) on ctx.host. */
export async function startTasksEmulator(
  ctx: EmulatorContext,
  options: TasksEmulatorOptions = {},
): Promise<RunningTasksEmulator> {
  const engine = new TaskEngine(
    { taskNameReservationMs: options.taskNameReservationMs ?? 3_600_000 },
    ctx.oidc,
    ctx.stats,
  );
  const minDeadlineMs = options.minDispatchDeadlineMs ?? 15_000;
  const rpc = new RpcKit(ctx, 'tasks');

  const buildTarget = (http: TaskMessage['httpRequest']): HttpTarget => {
    if (!http) throw new RpcError(Code.INVALID_ARGUMENT, 'Task.http_request is required.');
    const url = http.url ?? '';
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (
      !parsed ||
      (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
      url.length > MAX_URL_LENGTH
    ) {
      throw new RpcError(
        Code.INVALID_ARGUMENT,
        'HttpRequest.url must be an absolute http:// or https:// URL of at most 2083 characters.',
      );
    }
    const method =
      !http.httpMethod || http.httpMethod === 'HTTP_METHOD_UNSPECIFIED' ? 'POST' : http.httpMethod;
    const body = http.body ?? Buffer.alloc(0);
    if (body.length > 0 && method !== 'POST' && method !== 'PUT' && method !== 'PATCH') {
      throw new RpcError(
        Code.INVALID_ARGUMENT,
        'HttpRequest.body is only allowed for POST, PUT and PATCH requests.',
      );
    }
    if (http.oauthToken) {
      throw new RpcError(
        Code.UNIMPLEMENTED,
        'HttpRequest.oauth_token is not supported by the emulator: OAuth access tokens are only for Google APIs; use oidc_token.',
      );
    }
    const target: HttpTarget = { url, method, headers: { ...(http.headers ?? {}) }, body };
    if (http.oidcToken) {
      const email = http.oidcToken.serviceAccountEmail ?? '';
      if (!email) throw new RpcError(Code.INVALID_ARGUMENT, 'OidcToken.service_account_email is required.');
      // An empty audience means the target URL, as on the real service.
      target.oidc = { serviceAccountEmail: email, audience: http.oidcToken.audience || url };
    }
    return target;
  };

  const implementation: grpc.UntypedServiceImplementation = {
    ListQueues: rpc.unary<ListQueuesRequest, ListQueuesResponse>('ListQueues', (req) => {
      const all = engine.listQueues(requireLocation(req.parent));
      const { page, nextPageToken } = paginate(all, req.pageSize, req.pageToken, 9800);
      return { queues: page.map(queueToMessage), nextPageToken };
    }),

    GetQueue: rpc.unary<NameRequest, QueueMessage>('GetQueue', (req) =>
      queueToMessage(engine.getQueue(requireQueueName(req.name))),
    ),

    CreateQueue: rpc.unary<CreateQueueRequest, QueueMessage>('CreateQueue', (req) => {
      const parent = requireLocation(req.parent);
      const input = req.queue;
      if (!input) throw new RpcError(Code.INVALID_ARGUMENT, 'Queue is required.');
      const name = requireQueueName(input.name);
      if (!name.startsWith(`${parent}/queues/`)) {
        throw new RpcError(Code.INVALID_ARGUMENT, `Queue name "${name}" is not under parent "${parent}".`);
      }
      const queue = engine.createQueue({
        name,
        rate: rateFromMessage(input.rateLimits),
        retry: retryFromMessage(input.retryConfig),
        ...(input.stackdriverLoggingConfig
          ? { loggingSamplingRatio: input.stackdriverLoggingConfig.samplingRatio ?? 0 }
          : {}),
      });
      return queueToMessage(queue);
    }),

    UpdateQueue: rpc.unary<UpdateQueueRequest, QueueMessage>('UpdateQueue', (req) => {
      const input = req.queue;
      if (!input) throw new RpcError(Code.INVALID_ARGUMENT, 'Queue is required.');
      const name = requireQueueName(input.name);
      const existing = engine.findQueue(name);
      const paths = (req.updateMask?.paths ?? []).map(snakeCase);
      // Like the real API, updating a queue that does not exist creates it.
      if (!existing) {
        const queue = engine.createQueue({
          name,
          rate: rateFromMessage(input.rateLimits),
          retry: retryFromMessage(input.retryConfig),
          ...(input.stackdriverLoggingConfig
            ? { loggingSamplingRatio: input.stackdriverLoggingConfig.samplingRatio ?? 0 }
            : {}),
        });
        return queueToMessage(queue);
      }
      const rate: RateLimitsMessage = { ...rateToMessage(existing.rate) };
      const retry: RetryConfigMessage = { ...retryToMessage(existing.retry) };
      let sampling = existing.loggingSamplingRatio;
      const all = paths.length === 0;
      const set = (path: string) => all || paths.includes(path);
      for (const path of paths) {
        if (
          !/^(rate_limits|retry_config|stackdriver_logging_config|app_engine_routing_override)(\.|$)/.test(
            path,
          )
        ) {
          throw new RpcError(Code.INVALID_ARGUMENT, `Field "${path}" cannot be updated.`);
        }
      }
      const rateFields = ['max_dispatches_per_second', 'max_concurrent_dispatches'] as const;
      const rateKeys = {
        max_dispatches_per_second: 'maxDispatchesPerSecond',
        max_concurrent_dispatches: 'maxConcurrentDispatches',
      } as const;
      for (const field of rateFields) {
        if (set('rate_limits') || set(`rate_limits.${field}`)) {
          const key = rateKeys[field];
          const value = input.rateLimits?.[key];
          if (value === undefined) delete rate[key];
          else rate[key] = value;
        }
      }
      const retryKeys = {
        max_attempts: 'maxAttempts',
        max_retry_duration: 'maxRetryDuration',
        min_backoff: 'minBackoff',
        max_backoff: 'maxBackoff',
        max_doublings: 'maxDoublings',
      } as const;
      for (const [field, key] of Object.entries(retryKeys)) {
        if (set('retry_config') || set(`retry_config.${field}`)) {
          const value = input.retryConfig?.[key];
          if (value === undefined || value === null) delete retry[key];
          else (retry as Record<string, unknown>)[key] = value;
        }
      }
      if (set('stackdriver_logging_config') || set('stackdriver_logging_config.sampling_ratio')) {
        sampling = input.stackdriverLoggingConfig
          ? (input.stackdriverLoggingConfig.samplingRatio ?? 0)
          : undefined;
      }
      engine.reconfigureQueue(existing, rateFromMessage(rate), retryFromMessage(retry), sampling);
      return queueToMessage(existing);
    }),

    DeleteQueue: rpc.unary<NameRequest, Empty>('DeleteQueue', (req) => {
      engine.deleteQueue(requireQueueName(req.name));
      return {};
    }),

    PurgeQueue: rpc.unary<NameRequest, QueueMessage>('PurgeQueue', (req) =>
      queueToMessage(engine.purgeQueue(requireQueueName(req.name))),
    ),

    PauseQueue: rpc.unary<NameRequest, QueueMessage>('PauseQueue', (req) =>
      queueToMessage(engine.setQueueState(requireQueueName(req.name), 'PAUSED')),
    ),

    ResumeQueue: rpc.unary<NameRequest, QueueMessage>('ResumeQueue', (req) =>
      queueToMessage(engine.setQueueState(requireQueueName(req.name), 'RUNNING')),
    ),

    ListTasks: rpc.unary<ListTasksRequest, ListTasksResponse>('ListTasks', (req) => {
      const queue = engine.getQueue(requireQueueName(req.parent));
      const { page, nextPageToken } = paginate([...queue.tasks.values()], req.pageSize, req.pageToken, 1000);
      return { tasks: page.map((task) => taskToMessage(task, req.responseView)), nextPageToken };
    }),

    GetTask: rpc.unary<GetTaskRequest, TaskMessage>('GetTask', (req) =>
      taskToMessage(engine.getTask(requireTaskName(req.name)), req.responseView),
    ),

    CreateTask: rpc.unary<CreateTaskRequest, TaskMessage>('CreateTask', (req, decision) => {
      const queueName = requireQueueName(req.parent);
      const queue = engine.findQueue(queueName);
      if (!queue) {
        throw new RpcError(
          Code.NOT_FOUND,
          'Queue does not exist. If you just created the queue, wait at least a minute for the queue to initialize.',
        );
      }
      const input = req.task;
      if (!input) throw new RpcError(Code.INVALID_ARGUMENT, 'Task is required.');
      if (input.appEngineHttpRequest) {
        throw new RpcError(
          Code.UNIMPLEMENTED,
          'App Engine tasks are not supported by the emulator; use http_request.',
        );
      }
      const http = buildTarget(input.httpRequest);
      const headerBytes = Object.entries(http.headers).reduce((n, [k, v]) => n + k.length + v.length, 0);
      if (http.body.length + headerBytes + http.url.length > MAX_TASK_BYTES) {
        throw new RpcError(Code.INVALID_ARGUMENT, 'Task size too large: the maximum task size is 1 MB.');
      }
      const now = Date.now();
      const scheduleTimeMs = toMillis(input.scheduleTime) ?? now;
      if (scheduleTimeMs > now + MAX_SCHEDULE_AHEAD_MS) {
        throw new RpcError(
          Code.INVALID_ARGUMENT,
          'Task.schedule_time is too far in the future: it must be at most 30 days from the current time.',
        );
      }
      const dispatchDeadlineMs = toMillis(input.dispatchDeadline) ?? DEFAULT_DISPATCH_DEADLINE_MS;
      if (dispatchDeadlineMs < minDeadlineMs || dispatchDeadlineMs > MAX_DISPATCH_DEADLINE_MS) {
        throw new RpcError(
          Code.INVALID_ARGUMENT,
          `Task.dispatch_deadline must be between ${minDeadlineMs / 1000} seconds and 30 minutes.`,
        );
      }
      const name = input.name
        ? requireTaskName(input.name, queueName)
        : `${queueName}/tasks/${generatedTaskId()}`;
      const task = engine.addTask(queue, {
        name,
        http,
        dispatchDeadlineMs,
        scheduleTimeMs,
        duplicateNextAttempt: decision.duplicateDelivery,
      });
      return taskToMessage(task, req.responseView);
    }),

    DeleteTask: rpc.unary<NameRequest, Empty>('DeleteTask', (req) => {
      engine.deleteTask(requireTaskName(req.name));
      return {};
    }),

    RunTask: rpc.unary<GetTaskRequest, TaskMessage>('RunTask', (req) =>
      taskToMessage(engine.runTask(requireTaskName(req.name)), req.responseView),
    ),
  };

  const definition = loadService(
    '@google-cloud/tasks',
    'google/cloud/tasks/v2/cloudtasks.proto',
    'google.cloud.tasks.v2.CloudTasks',
  );
  const { server, port } = await listen(ctx.host, options.port ?? 0, [[definition, implementation]]);

  return {
    address: `${ctx.host}:${port}`,
    tasksDelivered: () => engine.tasksDelivered,
    async stop() {
      engine.stop();
      rpc.stop();
      server.forceShutdown();
    },
  };
}
