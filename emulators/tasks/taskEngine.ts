import type { CallStats, OidcSigner } from '../core/types.js';
import { type AttemptOutcome, HttpDelivery } from './httpDelivery.js';
import type { QueueStateName, StatusMessage } from './messages.js';
import { MinHeap } from './minHeap.js';
import { backoffMs, mayRetry, type RateConfig, type RetryConfig } from './queueConfig.js';
import { Code, RpcError } from './rpc.js';

export interface HttpTarget {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  oidc?: { serviceAccountEmail: string; audience: string };
}

export interface AttemptRecord {
  scheduleTimeMs: number;
  dispatchTimeMs: number;
  responseTimeMs?: number;
  status?: StatusMessage;
}

export interface Task {
  readonly name: string;
  readonly queue: Queue;
  readonly http: HttpTarget;
  readonly createTimeMs: number;
  readonly dispatchDeadlineMs: number;
  scheduleTimeMs: number;
  dispatchCount: number;
  responseCount: number;
  /** Responses other than 503, which is what X-CloudTasks-TaskExecutionCount counts. */
  executionCount: number;
  firstAttempt?: AttemptRecord;
  lastAttempt?: AttemptRecord;
  lastHttpStatus?: number;
  /** Where the task is: waiting for its time, waiting for a dispatch slot, being attempted, or removed. */
  phase: 'scheduled' | 'ready' | 'dispatching' | 'gone';
  /** Bumped whenever the task leaves a heap or ready-list slot, so stale entries are skipped. */
  generation: number;
  /** The duplicateDelivery fault: the next attempt goes out twice, concurrently. */
  duplicateNextAttempt: boolean;
}

export interface Queue {
  readonly name: string;
  state: QueueStateName;
  rate: RateConfig;
  retry: RetryConfig;
  purgeTimeMs?: number;
  loggingSamplingRatio?: number;
  readonly tasks: Map<string, Task>;
  /** Tasks whose time has come, in due order, waiting for a concurrency slot or a rate token. */
  ready: Array<{ task: Task; generation: number }>;
  readyHead: number;
  inFlight: number;
  tokens: number;
  tokensAtMs: number;
  /** A pending rate-limit wake-up in the heap, so at most one exists per queue. */
  wakeAtMs?: number;
  deleted: boolean;
}

type HeapEntry =
  | { atMs: number; seq: number; task: Task; generation: number }
  | { atMs: number; seq: number; queue: Queue };

export interface TaskEngineOptions {
  /** How long a task name stays reserved after the task ran or was deleted. */
  taskNameReservationMs: number;
}

// setTimeout fires at once for delays past 2^31-1 ms (~24.8 days); tasks may be 30 days out.
const MAX_TIMER_MS = 2 ** 31 - 1;
const TOKEN_LIFETIME_S = 3600;
const MIN_RATE_WAKE_MS = 10;
const TOKEN_REUSE_MARGIN_MS = 5 * 60_000;

export function shortId(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** Google's HTTP status → google.rpc.Code mapping for the statuses it names. */
const GRPC_CODE_BY_HTTP_STATUS: Record<number, number> = {
  400: Code.INVALID_ARGUMENT,
  401: Code.UNAUTHENTICATED,
  403: Code.PERMISSION_DENIED,
  404: Code.NOT_FOUND,
  409: Code.ABORTED,
  429: Code.RESOURCE_EXHAUSTED,
  499: Code.CANCELLED,
  501: Code.UNIMPLEMENTED,
  503: Code.UNAVAILABLE,
  504: Code.DEADLINE_EXCEEDED,
};

/** Maps an HTTP answer to the google.rpc.Status Cloud Tasks records on the attempt. */
function statusOf(outcome: AttemptOutcome): StatusMessage {
  switch (outcome.kind) {
    case 'deadline':
      return { code: Code.DEADLINE_EXCEEDED, message: 'The request deadline was exceeded.' };
    case 'error':
      return { code: Code.UNAVAILABLE, message: 'The target could not be reached.' };
    case 'aborted':
      return { code: Code.CANCELLED, message: 'The attempt was cancelled.' };
    case 'response': {
      const s = outcome.status;
      const code =
        s >= 200 && s < 300
          ? Code.OK
          : (GRPC_CODE_BY_HTTP_STATUS[s] ?? (s >= 500 ? Code.INTERNAL : Code.FAILED_PRECONDITION));
      return { code, message: `HTTP status code ${s}` };
    }
  }
}

function succeeded(outcome: AttemptOutcome): boolean {
  return outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300;
}

// Headers a task may not set: the transport owns them, and the X-CloudTasks ones are the service's word.
function droppedHeader(lower: string): boolean {
  return (
    lower === 'host' ||
    lower === 'content-length' ||
    lower === 'connection' ||
    lower === 'transfer-encoding' ||
    lower === 'user-agent' ||
    lower.startsWith('x-google-') ||
    lower.startsWith('x-appengine-') ||
    lower.startsWith('x-cloudtasks-')
  );
}

/**
 * The queues and tasks of one emulator, and their dispatch. Time is driven by one
 * min-heap of due times and a single timer armed for the earliest entry; a queue's
 * concurrency and rate limits are applied when due tasks are pumped from its ready list.
 */
export class TaskEngine {
  private readonly queues = new Map<string, Queue>();
  /** Task names that may not be reused until the time given; Map order is expiry order. */
  private readonly reservedNames = new Map<string, number>();
  private readonly heap = new MinHeap<HeapEntry>(
    (a, b) => a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq),
  );
  private readonly delivery = new HttpDelivery();
  private readonly tokenCache = new Map<string, { token: string; expiresAtMs: number }>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private stopped = false;
  private delivered = 0;

  constructor(
    private readonly options: TaskEngineOptions,
    private readonly oidc: OidcSigner,
    private readonly stats: CallStats,
  ) {}

  /** Tasks completed by a 2xx answer since start. */
  get tasksDelivered(): number {
    return this.delivered;
  }

  // ---- queues ----

  createQueue(init: Pick<Queue, 'name' | 'rate' | 'retry' | 'loggingSamplingRatio'>): Queue {
    if (this.queues.has(init.name))
      throw new RpcError(Code.ALREADY_EXISTS, 'Requested entity already exists');
    const queue: Queue = {
      ...init,
      state: 'RUNNING',
      tasks: new Map(),
      ready: [],
      readyHead: 0,
      inFlight: 0,
      tokens: init.rate.maxBurstSize,
      tokensAtMs: Date.now(),
      deleted: false,
    };
    this.queues.set(queue.name, queue);
    return queue;
  }

  findQueue(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  getQueue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new RpcError(Code.NOT_FOUND, 'Requested entity was not found.');
    return queue;
  }

  listQueues(parent: string): Queue[] {
    const prefix = `${parent}/queues/`;
    return [...this.queues.values()]
      .filter((q) => q.name.startsWith(prefix))
      .sort((a, b) => cmp(a.name, b.name));
  }

  /** Applies new limits; the bucket keeps its tokens but never above the new burst. */
  reconfigureQueue(queue: Queue, rate: RateConfig, retry: RetryConfig, loggingSamplingRatio?: number): void {
    this.refill(queue, Date.now());
    queue.rate = rate;
    queue.retry = retry;
    queue.tokens = Math.min(queue.tokens, rate.maxBurstSize);
    if (loggingSamplingRatio === undefined) delete queue.loggingSamplingRatio;
    else queue.loggingSamplingRatio = loggingSamplingRatio;
    this.pump(queue);
  }

  deleteQueue(name: string): void {
    const queue = this.getQueue(name);
    for (const task of queue.tasks.values()) this.retire(task);
    queue.deleted = true;
    this.queues.delete(name);
  }

  purgeQueue(name: string): Queue {
    const queue = this.getQueue(name);
    for (const task of [...queue.tasks.values()]) this.retire(task);
    queue.purgeTimeMs = Date.now();
    return queue;
  }

  setQueueState(name: string, state: 'RUNNING' | 'PAUSED'): Queue {
    const queue = this.getQueue(name);
    queue.state = state;
    if (state === 'RUNNING') this.pump(queue);
    return queue;
  }

  // ---- tasks ----

  nameTaken(name: string): boolean {
    const queueName = name.slice(0, name.lastIndexOf('/tasks/'));
    if (this.queues.get(queueName)?.tasks.has(name)) return true;
    this.pruneReservations();
    return (this.reservedNames.get(name) ?? 0) > Date.now();
  }

  addTask(
    queue: Queue,
    init: Pick<Task, 'name' | 'http' | 'dispatchDeadlineMs' | 'scheduleTimeMs' | 'duplicateNextAttempt'>,
  ): Task {
    if (this.nameTaken(init.name)) throw new RpcError(Code.ALREADY_EXISTS, 'Requested entity already exists');
    const task: Task = {
      ...init,
      queue,
      createTimeMs: Date.now(),
      dispatchCount: 0,
      responseCount: 0,
      executionCount: 0,
      phase: 'scheduled',
      generation: 0,
    };
    queue.tasks.set(task.name, task);
    this.schedule(task);
    return task;
  }

  getTask(name: string): Task {
    const queueName = name.slice(0, name.lastIndexOf('/tasks/'));
    const task = this.queues.get(queueName)?.tasks.get(name);
    if (!task) throw new RpcError(Code.NOT_FOUND, 'Requested entity was not found.');
    return task;
  }

  deleteTask(name: string): void {
    this.retire(this.getTask(name));
  }

  /** RunTask: dispatch now, regardless of schedule time, rate limits or a paused queue. */
  runTask(name: string): Task {
    const task = this.getTask(name);
    if (task.phase !== 'dispatching') {
      task.scheduleTimeMs = Date.now();
      this.dispatch(task);
    }
    return task;
  }

  // ---- scheduling ----

  private schedule(task: Task): void {
    task.phase = 'scheduled';
    task.generation += 1;
    this.heap.push({ atMs: task.scheduleTimeMs, seq: this.seq++, task, generation: task.generation });
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.heap.peek();
    if (!next) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.timer && this.timerAtMs <= next.atMs) return;
    clearTimeout(this.timer);
    const delay = Math.min(Math.max(0, next.atMs - Date.now()), MAX_TIMER_MS);
    this.timerAtMs = Date.now() + delay;
    this.timer = setTimeout(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const touched = new Set<Queue>();
    for (let entry = this.heap.peek(); entry && entry.atMs <= now; entry = this.heap.peek()) {
      this.heap.pop();
      if ('task' in entry) {
        const { task } = entry;
        if (task.phase !== 'scheduled' || task.generation !== entry.generation) continue;
        task.phase = 'ready';
        task.queue.ready.push({ task, generation: task.generation });
        touched.add(task.queue);
      } else {
        delete entry.queue.wakeAtMs;
        touched.add(entry.queue);
      }
    }
    for (const queue of touched) this.pump(queue);
    this.arm();
  }

  private refill(queue: Queue, now: number): void {
    const earned = ((now - queue.tokensAtMs) / 1000) * queue.rate.maxDispatchesPerSecond;
    queue.tokens = Math.min(queue.rate.maxBurstSize, queue.tokens + earned);
    queue.tokensAtMs = now;
  }

  /** Dispatches ready tasks while the queue runs and has a free slot and a rate token. */
  private pump(queue: Queue): void {
    if (this.stopped || queue.deleted || queue.state !== 'RUNNING') return;
    while (queue.readyHead < queue.ready.length) {
      const entry = queue.ready[queue.readyHead] as { task: Task; generation: number };
      if (entry.task.phase !== 'ready' || entry.task.generation !== entry.generation) {
        queue.readyHead += 1;
        continue;
      }
      if (queue.inFlight >= queue.rate.maxConcurrentDispatches) break;
      const now = Date.now();
      this.refill(queue, now);
      if (queue.tokens < 1) {
        // Waking for every single token costs a timer per dispatch at high rates; a short floor
        // lets a few tokens accumulate and go out together without lowering the rate.
        const waitMs = Math.max(
          MIN_RATE_WAKE_MS,
          Math.ceil(((1 - queue.tokens) / queue.rate.maxDispatchesPerSecond) * 1000),
        );
        if (queue.wakeAtMs === undefined) {
          queue.wakeAtMs = now + waitMs;
          this.heap.push({ atMs: queue.wakeAtMs, seq: this.seq++, queue });
          this.arm();
        }
        break;
      }
      queue.tokens -= 1;
      queue.readyHead += 1;
      this.dispatch(entry.task);
    }
    // Drop the consumed prefix once it dominates, so the ready list does not grow without bound.
    if (queue.readyHead > 1024 && queue.readyHead * 2 > queue.ready.length) {
      queue.ready = queue.ready.slice(queue.readyHead);
      queue.readyHead = 0;
    }
  }

  private dispatch(task: Task): void {
    const queue = task.queue;
    task.phase = 'dispatching';
    task.generation += 1;
    queue.inFlight += 1;
    const attempt: AttemptRecord = { scheduleTimeMs: task.scheduleTimeMs, dispatchTimeMs: Date.now() };
    // Per the proto, only the dispatch time of the first attempt is retained.
    task.firstAttempt ??= { scheduleTimeMs: attempt.scheduleTimeMs, dispatchTimeMs: attempt.dispatchTimeMs };
    const retryCount = task.dispatchCount;
    task.dispatchCount += 1;
    task.lastAttempt = attempt;
    const copies = task.duplicateNextAttempt ? 2 : 1;
    task.duplicateNextAttempt = false;
    this.stats.record('tasks', 'TaskAttempt');
    void this.attempt(task, retryCount, copies).then((outcome) => this.settle(task, attempt, outcome));
  }

  private async attempt(task: Task, retryCount: number, copies: number): Promise<AttemptOutcome> {
    try {
      const headers = await this.headersFor(task, retryCount);
      const request = {
        url: new URL(task.http.url),
        method: task.http.method,
        headers,
        body: task.http.body,
        deadlineMs: task.dispatchDeadlineMs,
      };
      const outcomes = await Promise.all(Array.from({ length: copies }, () => this.delivery.send(request)));
      // At-least-once: the task is done if any copy was answered with 2xx.
      return outcomes.find(succeeded) ?? (outcomes[0] as AttemptOutcome);
    } catch (error) {
      return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    }
  }

  private settle(task: Task, attempt: AttemptRecord, outcome: AttemptOutcome): void {
    const queue = task.queue;
    queue.inFlight -= 1;
    if (this.stopped) return;
    if (task.phase === 'gone') {
      // Deleted (or its queue purged) while in flight: nothing to record, but a slot is free.
      this.pump(queue);
      return;
    }
    const now = Date.now();
    if (outcome.kind === 'response') {
      task.responseCount += 1;
      if (outcome.status !== 503) task.executionCount += 1;
      task.lastHttpStatus = outcome.status;
      attempt.responseTimeMs = now;
    }
    attempt.status = statusOf(outcome);
    if (succeeded(outcome)) {
      this.delivered += 1;
      this.stats.record('tasks', 'TaskDelivered');
      this.retire(task);
    } else if (mayRetry(task.dispatchCount, now - (task.firstAttempt?.dispatchTimeMs ?? now), queue.retry)) {
      task.scheduleTimeMs = now + backoffMs(task.dispatchCount, queue.retry);
      this.schedule(task);
    } else {
      this.retire(task);
    }
    this.pump(queue);
  }

  private async headersFor(task: Task, retryCount: number): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    let hasContentType = false;
    for (const [key, value] of Object.entries(task.http.headers)) {
      const lower = key.toLowerCase();
      if (droppedHeader(lower)) continue;
      if (lower === 'content-type') hasContentType = true;
      headers[key] = value;
    }
    if (!hasContentType && task.http.body.length > 0) headers['Content-Type'] = 'application/octet-stream';
    headers['User-Agent'] = 'Google-Cloud-Tasks';
    headers['X-CloudTasks-QueueName'] = shortId(task.queue.name);
    headers['X-CloudTasks-TaskName'] = shortId(task.name);
    headers['X-CloudTasks-TaskRetryCount'] = String(retryCount);
    headers['X-CloudTasks-TaskExecutionCount'] = String(task.executionCount);
    headers['X-CloudTasks-TaskETA'] = (task.scheduleTimeMs / 1000).toFixed(6);
    if (task.lastHttpStatus !== undefined)
      headers['X-CloudTasks-TaskPreviousResponse'] = String(task.lastHttpStatus);
    if (task.http.oidc) {
      for (const key of Object.keys(headers)) if (key.toLowerCase() === 'authorization') delete headers[key];
      headers.Authorization = `Bearer ${await this.idToken(task.http.oidc)}`;
    }
    return headers;
  }

  /** ID tokens are reused while comfortably valid, as Google's own token sources do. */
  private async idToken(oidc: { serviceAccountEmail: string; audience: string }): Promise<string> {
    const key = `${oidc.serviceAccountEmail}\n${oidc.audience}`;
    const cached = this.tokenCache.get(key);
    if (cached && cached.expiresAtMs - Date.now() > TOKEN_REUSE_MARGIN_MS) return cached.token;
    const token = await this.oidc.signIdToken({
      audience: oidc.audience,
      email: oidc.serviceAccountEmail,
      lifetimeSeconds: TOKEN_LIFETIME_S,
    });
    if (this.tokenCache.size > 1000) this.tokenCache.clear();
    this.tokenCache.set(key, { token, expiresAtMs: Date.now() + TOKEN_LIFETIME_S * 1000 });
    return token;
  }

  /** Removes a task for good and reserves its name. */
  private retire(task: Task): void {
    task.phase = 'gone';
    task.generation += 1;
    task.queue.tasks.delete(task.name);
    this.reservedNames.delete(task.name);
    if (this.options.taskNameReservationMs > 0) {
      this.reservedNames.set(task.name, Date.now() + this.options.taskNameReservationMs);
    }
  }

  private pruneReservations(): void {
    const now = Date.now();
    for (const [name, until] of this.reservedNames) {
      if (until > now) break;
      this.reservedNames.delete(name);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.clear();
    this.delivery.stop();
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
