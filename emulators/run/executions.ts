import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { formatDuration, timestamp } from '../core/protoJson.js';
import type { ContainerJson, TaskTemplateJson } from './jobSpec.js';

/** google.cloud.run.v2.Condition.State */
const CONDITION = { PENDING: 1, RECONCILING: 2, FAILED: 3, SUCCEEDED: 4 } as const;
/** google.cloud.run.v2.Condition.ExecutionReason */
const EXECUTION_REASON = { NON_ZERO_EXIT_CODE: 2, CANCELLED: 3, CANCELLING: 4 } as const;

export type ExecutionState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLING' | 'CANCELLED';
type TaskStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

interface TaskRun {
  index: number;
  /** 0-based attempt number, as CLOUD_RUN_TASK_ATTEMPT. */
  attempt: number;
  status: TaskStatus;
  exitCode?: number | null;
  message?: string;
  child?: ChildProcess;
  timedOut?: boolean;
  output: string;
}

const OUTPUT_LIMIT = 1024 * 1024;
const KILL_GRACE_MS = 1000;
const SECRET_NAME_RE = /TOKEN|KEY|SECRET|PASSWORD|CREDENTIAL|PASSWD/i;

export interface ExecutionSpec {
  name: string;
  jobId: string;
  jobName: string;
  creator: string;
  generation: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taskCount: number;
  parallelism: number;
  maxRetries: number;
  timeoutSeconds: number;
  /** The task template after overrides. */
  template: TaskTemplateJson;
}

/**
 * One execution: its tasks run as local processes (each in its own process
 * group), with the status fields of google.cloud.run.v2.Execution derived from them.
 */
export class Execution {
  readonly uid = randomUUID();
  readonly createTimeMs = Date.now();
  startTimeMs?: number;
  completionTimeMs?: number;
  updateTimeMs = this.createTimeMs;
  state: ExecutionState = 'PENDING';
  retriedCount = 0;
  deleted = false;
  output = '';
  private readonly tasks: TaskRun[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private failureMessage = '';
  private readonly settled: Promise<void>;
  private resolveSettled!: () => void;

  constructor(
    readonly spec: ExecutionSpec,
    private readonly onChange: (e: Execution) => void = () => {},
  ) {
    this.tasks = Array.from({ length: spec.taskCount }, (_, index) => ({
      index,
      attempt: 0,
      status: 'PENDING',
      output: '',
    }));
    this.settled = new Promise((resolve) => {
      this.resolveSettled = resolve;
    });
  }

  get name(): string {
    return this.spec.name;
  }

  get done(): boolean {
    return this.state === 'SUCCEEDED' || this.state === 'FAILED' || this.state === 'CANCELLED';
  }

  get running(): boolean {
    return !this.done;
  }

  /** Resolves once the execution is terminal and every process it started has exited. */
  whenDone(): Promise<void> {
    return this.settled;
  }

  start(): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.state !== 'PENDING') return;
      this.state = 'RUNNING';
      this.startTimeMs = Date.now();
      this.touch();
      this.schedule();
    }, 0);
    this.timers.add(t);
  }

  /** SIGTERM every running task's process group, SIGKILL after a grace period; pending tasks never start. */
  cancel(): void {
    if (this.done || this.state === 'CANCELLING') return;
    this.state = 'CANCELLING';
    for (const task of this.tasks) {
      if (task.status === 'PENDING') task.status = 'CANCELLED';
      else if (task.status === 'RUNNING' && task.child) this.killGroup(task.child, true);
    }
    this.touch();
    this.maybeFinish();
  }

  /** Emulator shutdown: kill at once and wait for the processes to go. */
  async kill(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (!this.done) {
      this.state = 'CANCELLING';
      for (const task of this.tasks) {
        if (task.status === 'PENDING') task.status = 'CANCELLED';
        else if (task.status === 'RUNNING' && task.child) this.killGroup(task.child, false);
      }
      this.maybeFinish();
    }
    await this.settled;
  }

  private schedule(): void {
    if (this.state !== 'RUNNING') return;
    const limit = this.spec.parallelism > 0 ? this.spec.parallelism : this.spec.taskCount;
    let running = this.tasks.filter((t) => t.status === 'RUNNING').length;
    for (const task of this.tasks) {
      if (running >= limit) break;
      if (task.status !== 'PENDING') continue;
      this.launch(task);
      running += 1;
    }
    this.maybeFinish();
  }

  private container(): ContainerJson {
    return this.spec.template.containers?.[0] ?? {};
  }

  /** The environment a task's process sees: the host's PATH/HOME only, then the job's env, then Cloud Run's. */
  env(task: { index: number; attempt: number }): Record<string, string> {
    const env: Record<string, string> = {};
    for (const k of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SYSTEMROOT']) {
      const v = process.env[k];
      if (v !== undefined) env[k] = v;
    }
    for (const e of this.container().env ?? []) {
      if (e.name && typeof e.value === 'string') env[e.name] = e.value;
    }
    env.CLOUD_RUN_JOB = this.spec.jobId;
    env.CLOUD_RUN_EXECUTION = this.spec.name.split('/').pop() ?? '';
    env.CLOUD_RUN_TASK_INDEX = String(task.index);
    env.CLOUD_RUN_TASK_ATTEMPT = String(task.attempt);
    env.CLOUD_RUN_TASK_COUNT = String(this.spec.taskCount);
    return env;
  }

  private launch(task: TaskRun): void {
    task.status = 'RUNNING';
    task.timedOut = false;
    task.exitCode = undefined;
    const c = this.container();
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    if (argv.length === 0) {
      // The emulator cannot run an image's ENTRYPOINT: it pulls nothing.
      this.attemptEnded(task, 127, 'The container has no command; the emulator runs only command + args.');
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), {
        env: this.env(task),
        cwd: c.workingDir || process.cwd(),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      this.attemptEnded(task, 127, `Failed to start the container command: ${(err as Error).message}`);
      return;
    }
    task.child = child;
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      task.output = cap(task.output + text);
      this.output = cap(this.output + text);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let spawnError: string | undefined;
    child.on('error', (err) => {
      spawnError = `Failed to start the container command: ${err.message}`;
    });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task.timedOut = true;
      this.killGroup(child, true);
    }, this.spec.timeoutSeconds * 1000);
    this.timers.add(timer);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      this.timers.delete(timer);
      task.child = undefined;
      let message: string | undefined;
      if (spawnError) message = spawnError;
      else if (task.timedOut) message = 'The configured timeout was reached.';
      else if (code !== 0) {
        message =
          code === null
            ? `The container was terminated by signal ${signal ?? 'unknown'}.`
            : `The container exited with an exit code of ${code}.`;
      }
      this.attemptEnded(task, spawnError ? 127 : code, message);
    });
    this.touch();
  }

  private attemptEnded(task: TaskRun, exitCode: number | null, failure: string | undefined): void {
    task.exitCode = exitCode;
    if (this.state === 'CANCELLING' || this.state === 'CANCELLED') {
      task.status = failure ? 'CANCELLED' : 'SUCCEEDED';
    } else if (!failure) {
      task.status = 'SUCCEEDED';
    } else if (task.attempt < this.spec.maxRetries) {
      task.attempt += 1;
      this.retriedCount += 1;
      task.status = 'PENDING';
    } else {
      task.status = 'FAILED';
      task.message = failure;
      if (!this.failureMessage) {
        const taskId = `${this.spec.name.split('/').pop()}-task${task.index}`;
        this.failureMessage = `Task ${taskId} failed with message: ${failure}`;
      }
    }
    this.touch();
    if (this.state === 'RUNNING') this.schedule();
    else this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.done) return;
    if (
      this.tasks.some((t) => t.status === 'RUNNING' || (t.status === 'PENDING' && this.state === 'RUNNING'))
    )
      return;
    if (this.state === 'PENDING') return;
    if (this.state === 'CANCELLING') this.state = 'CANCELLED';
    else this.state = this.tasks.every((t) => t.status === 'SUCCEEDED') ? 'SUCCEEDED' : 'FAILED';
    this.completionTimeMs = Date.now();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.touch();
    this.resolveSettled();
    for (const w of this.waiters.splice(0)) w();
  }

  private killGroup(child: ChildProcess, graceful: boolean): void {
    const pid = child.pid;
    if (pid === undefined) return;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        // Already gone.
      }
    };
    if (!graceful) {
      signal('SIGKILL');
      return;
    }
    signal('SIGTERM');
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (child.exitCode === null && child.signalCode === null) signal('SIGKILL');
    }, KILL_GRACE_MS);
    // The SIGKILL timer must fire even after the execution is done, so it is not cleared at finish.
    t.unref();
  }

  private touch(): void {
    this.updateTimeMs = Date.now();
    this.onChange(this);
  }

  counts(): { running: number; succeeded: number; failed: number; cancelled: number } {
    const c = { running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const t of this.tasks) {
      if (t.status === 'RUNNING') c.running += 1;
      else if (t.status === 'SUCCEEDED') c.succeeded += 1;
      else if (t.status === 'FAILED') c.failed += 1;
      else if (t.status === 'CANCELLED') c.cancelled += 1;
    }
    if (this.state === 'CANCELLED') {
      c.cancelled += this.tasks.filter((t) => t.status === 'PENDING').length;
    }
    return c;
  }

  /** Proto3 JSON of google.cloud.run.v2.Execution. */
  toJson(): Record<string, unknown> {
    const counts = this.counts();
    const created = timestamp(this.createTimeMs);
    const started = this.startTimeMs ? timestamp(this.startTimeMs) : undefined;
    const completed = this.completionTimeMs ? timestamp(this.completionTimeMs) : undefined;
    const completedCondition: Record<string, unknown> = { type: 'Completed' };
    switch (this.state) {
      case 'PENDING':
        Object.assign(completedCondition, { state: CONDITION.PENDING, lastTransitionTime: created });
        break;
      case 'RUNNING':
        Object.assign(completedCondition, {
          state: CONDITION.RECONCILING,
          message: `${counts.running} task(s) running.`,
          lastTransitionTime: timestamp(this.updateTimeMs),
        });
        break;
      case 'CANCELLING':
        Object.assign(completedCondition, {
          state: CONDITION.RECONCILING,
          executionReason: EXECUTION_REASON.CANCELLING,
          message: 'The execution is being cancelled.',
          lastTransitionTime: timestamp(this.updateTimeMs),
        });
        break;
      case 'SUCCEEDED':
        Object.assign(completedCondition, {
          state: CONDITION.SUCCEEDED,
          message: `Execution completed successfully in ${formatDuration(Math.round(((this.completionTimeMs ?? 0) - (this.startTimeMs ?? this.createTimeMs)) / 1000))}.`,
          lastTransitionTime: completed,
        });
        break;
      case 'FAILED':
        Object.assign(completedCondition, {
          state: CONDITION.FAILED,
          executionReason: EXECUTION_REASON.NON_ZERO_EXIT_CODE,
          message: this.failureMessage,
          severity: 1,
          lastTransitionTime: completed,
        });
        break;
      case 'CANCELLED':
        Object.assign(completedCondition, {
          state: CONDITION.FAILED,
          executionReason: EXECUTION_REASON.CANCELLED,
          message: 'The execution was cancelled.',
          lastTransitionTime: completed,
        });
        break;
    }
    const startedState = this.state === 'PENDING' ? CONDITION.PENDING : CONDITION.SUCCEEDED;
    const conditions = [
      completedCondition,
      { type: 'ResourcesAvailable', state: startedState, lastTransitionTime: started ?? created },
      { type: 'Started', state: startedState, lastTransitionTime: started ?? created },
    ];
    if (this.retriedCount > 0) {
      conditions.push({
        type: 'Retry',
        state: CONDITION.SUCCEEDED,
        lastTransitionTime: timestamp(this.updateTimeMs),
      });
    }
    const [, project, , location] = this.spec.name.split('/');
    return {
      name: this.spec.name,
      uid: this.uid,
      creator: this.spec.creator,
      generation: '1',
      labels: this.spec.labels,
      annotations: this.spec.annotations,
      createTime: created,
      ...(started ? { startTime: started } : {}),
      ...(completed ? { completionTime: completed } : {}),
      updateTime: timestamp(this.updateTimeMs),
      ...(this.deleted ? { deleteTime: timestamp(this.updateTimeMs) } : {}),
      launchStage: 4,
      job: this.spec.jobId,
      parallelism: this.spec.parallelism,
      taskCount: this.spec.taskCount,
      template: this.spec.template,
      reconciling: !this.done,
      conditions,
      observedGeneration: '1',
      runningCount: counts.running,
      succeededCount: counts.succeeded,
      failedCount: counts.failed,
      cancelledCount: counts.cancelled,
      retriedCount: this.retriedCount,
      logUri: `https://console.cloud.google.com/logs/viewer?project=${project}&resource=cloud_run_job%2Flocation%2F${location}`,
      satisfiesPzs: false,
      etag: `"${this.uid}-${this.updateTimeMs}"`,
    };
  }

  /** What the control API shows: env with secret-looking values redacted, state, and the processes' output. */
  describe(withOutput: boolean): Record<string, unknown> {
    const env: Record<string, string> = {};
    for (const e of this.container().env ?? []) {
      if (e.name) env[e.name] = SECRET_NAME_RE.test(e.name) ? '[REDACTED]' : (e.value ?? '');
    }
    const c = this.container();
    return {
      name: this.spec.name,
      job: this.spec.jobName,
      state: this.state,
      image: c.image,
      command: c.command ?? [],
      args: c.args ?? [],
      env,
      taskCount: this.spec.taskCount,
      createTime: timestamp(this.createTimeMs),
      ...(this.completionTimeMs ? { completionTime: timestamp(this.completionTimeMs) } : {}),
      ...this.counts(),
      retried: this.retriedCount,
      tasks: this.tasks.map((t) => ({
        index: t.index,
        attempt: t.attempt,
        status: t.status,
        exitCode: t.exitCode ?? null,
        ...(t.message ? { message: t.message } : {}),
        ...(withOutput ? { output: t.output } : {}),
      })),
      ...(withOutput ? { output: this.output } : {}),
      pids: this.tasks.flatMap((t) => (t.child?.pid ? [t.child.pid] : [])),
    };
  }
}

function cap(text: string): string {
  return text.length > OUTPUT_LIMIT ? text.slice(text.length - OUTPUT_LIMIT) : text;
}
