import { createHash, randomUUID } from 'node:crypto';
import { ApiError, invalidArgument } from '../core/errors.js';
import { asBool, asInt, asString, formatDuration, parseDuration, timestamp } from '../core/protoJson.js';
import { type CallInfo, type RestRoute, startRestServer } from '../core/rest.js';
import type { EmulatorContext, RunningService } from '../core/types.js';
import type { IamState, Principal } from '../iam/iamState.js';
import { Execution, type ExecutionState } from './executions.js';
import {
  type ContainerJson,
  checkTimeout,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_S,
  hasOverrides,
  type JobJson,
  notFound,
  type OverridesJson,
  validateJob,
  validateJobId,
  validateOverrides,
} from './jobSpec.js';

const JOB_TYPE = 'type.googleapis.com/google.cloud.run.v2.Job';
const EXECUTION_TYPE = 'type.googleapis.com/google.cloud.run.v2.Execution';

/** Limits of the emulated Cloud Run, per project and region; changeable through the control API. */
export interface RunQuotas {
  jobsPerRegion: number;
  runRequestsPerMinute: number;
  runningExecutionsPerRegion: number;
}

export const DEFAULT_QUOTAS: RunQuotas = {
  jobsPerRegion: 1000,
  runRequestsPerMinute: 1000,
  runningExecutionsPerRegion: 1000,
};

interface JobRecord {
  name: string;
  projectId: string;
  location: string;
  jobId: string;
  uid: string;
  generation: number;
  createTimeMs: number;
  updateTimeMs: number;
  creator: string;
  lastModifier: string;
  spec: JobJson;
  executionCount: number;
  latestExecution?: Execution;
}

interface OperationRecord {
  name: string;
  /** Proto3 JSON of the Operation, computed now. */
  view(): Record<string, unknown>;
  done(): boolean;
  wait(): Promise<void>;
}

export interface PersistedJob {
  name: string;
  uid: string;
  generation: number;
  createTimeMs: number;
  updateTimeMs: number;
  creator: string;
  lastModifier: string;
  spec: JobJson;
  executionCount: number;
}

/** Jobs, executions and operations of the emulated Cloud Run Admin API v2. */
export class RunState {
  readonly jobs = new Map<string, JobRecord>();
  readonly executions = new Map<string, Execution>();
  readonly operations = new Map<string, OperationRecord>();
  /**
   * Every execution ever started, kept after its job and executions are deleted:
   * exactly-once tests count launches here, since pushrun deletes finished jobs.
   */
  readonly startedLog: { name: string; startedAt: string }[] = [];
  /**
   * Images the emulated registry does not have. Images are never pulled, so a test
   * declares an image missing (control API) to see CreateJob refuse it as Cloud Run
   * refuses an image it cannot resolve.
   */
  readonly missingImages = new Set<string>();
  quotas: RunQuotas = { ...DEFAULT_QUOTAS };
  private readonly runRequests = new Map<string, number[]>();

  constructor(private readonly iam: IamState) {}

  /** Canonical parent `projects/{id}/locations/{loc}`; PERMISSION_DENIED unless the caller holds `permission` there. */
  authorizeIn(
    principal: Principal,
    permission: string,
    name: string,
    pattern: RegExp,
    kind: string,
  ): RegExpExecArray {
    const m = pattern.exec(name);
    if (!m) throw invalidArgument(`Invalid resource name '${name}' for ${kind}.`, 'name');
    const projectRef = m[1]!;
    const project = this.iam.findProject(projectRef);
    this.iam.authorize(principal, permission, project?.projectId ?? projectRef, name);
    if (project && project.projectId !== projectRef) {
      // Project numbers are accepted and stored under the id.
      return pattern.exec(name.replace(`projects/${projectRef}/`, `projects/${project.projectId}/`))!;
    }
    return m;
  }

  countJobs(projectId: string, location: string): number {
    let n = 0;
    for (const j of this.jobs.values()) if (j.projectId === projectId && j.location === location) n += 1;
    return n;
  }

  runningExecutions(projectId: string, location: string): number {
    let n = 0;
    const prefix = `projects/${projectId}/locations/${location}/`;
    for (const e of this.executions.values()) if (e.running && e.name.startsWith(prefix)) n += 1;
    return n;
  }

  /** Sliding one-minute window of RunJob requests per project and region. */
  takeRunRequest(projectId: string, location: string): void {
    const key = `${projectId}/${location}`;
    const now = Date.now();
    const window = (this.runRequests.get(key) ?? []).filter((t) => t > now - 60_000);
    if (window.length >= this.quotas.runRequestsPerMinute) {
      this.runRequests.set(key, window);
      throw new ApiError(
        8,
        `Quota exceeded for quota metric 'Job run requests' and limit 'Job run requests per minute per region' of service 'run.googleapis.com' for consumer 'project:${projectId}' (limit ${this.quotas.runRequestsPerMinute}).`,
      );
    }
    window.push(now);
    this.runRequests.set(key, window);
  }

  jobJson(job: JobRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const spec = job.spec;
    const latest = job.latestExecution;
    const project = this.iam.findProject(job.projectId);
    const et = spec.template ?? {};
    const tt = et.template ?? {};
    return {
      ...spec,
      name: job.name,
      uid: job.uid,
      generation: String(job.generation),
      labels: spec.labels ?? {},
      annotations: spec.annotations ?? {},
      createTime: timestamp(job.createTimeMs),
      updateTime: timestamp(job.updateTimeMs),
      creator: job.creator,
      lastModifier: job.lastModifier,
      launchStage: spec.launchStage ?? 4,
      template: {
        ...et,
        labels: et.labels ?? {},
        annotations: et.annotations ?? {},
        taskCount: asInt(et.taskCount, 'taskCount') || 1,
        template: {
          ...tt,
          maxRetries: asInt(tt.maxRetries, 'maxRetries') ?? DEFAULT_MAX_RETRIES,
          timeout: tt.timeout ?? formatDuration(DEFAULT_TIMEOUT_S),
          serviceAccount:
            tt.serviceAccount ||
            (project ? `${project.projectNumber}-compute@developer.gserviceaccount.com` : ''),
        },
      },
      observedGeneration: String(job.generation),
      terminalCondition: { type: 'Ready', state: 4, lastTransitionTime: timestamp(job.updateTimeMs) },
      conditions: [],
      executionCount: job.executionCount,
      ...(latest
        ? {
            latestCreatedExecution: {
              name: latest.name,
              createTime: timestamp(latest.createTimeMs),
              ...(latest.completionTimeMs ? { completionTime: timestamp(latest.completionTimeMs) } : {}),
              completionStatus: completionStatus(latest.state),
            },
          }
        : {}),
      reconciling: false,
      satisfiesPzs: false,
      etag: jobEtag(job),
      ...extra,
    };
  }

  /** RESOURCE_EXHAUSTED once the region holds as many jobs as the quota allows. */
  checkJobQuota(projectId: string, location: string): void {
    if (this.countJobs(projectId, location) >= this.quotas.jobsPerRegion) {
      throw new ApiError(
        8,
        `Quota exceeded: the maximum number of jobs per project and region (${this.quotas.jobsPerRegion}) is reached in ${location}.`,
      );
    }
  }

  /** A job record at generation 1. */
  newJob(
    at: { name: string; projectId: string; location: string; jobId: string },
    creator: string,
    spec: JobRecord['spec'],
    now: number,
  ): JobRecord {
    return {
      ...at,
      uid: randomUUID(),
      generation: 1,
      createTimeMs: now,
      updateTimeMs: now,
      creator,
      lastModifier: creator,
      spec,
      executionCount: 0,
    };
  }

  /**
   * Stores a created or updated job (unless only validating) and starts the execution
   * its execution token asks for; answers the done operation CreateJob/UpdateJob return.
   */
  commitJob(job: JobRecord, spec: JobJson, principal: string, validateOnly: boolean) {
    if (!validateOnly) {
      this.jobs.set(job.name, job);
      const token = spec.startExecutionToken ?? spec.runExecutionToken;
      if (token) this.startExecution(job, principal, undefined, token);
    }
    return this.doneOperation(job.projectId, job.location, JOB_TYPE, this.jobJson(job));
  }

  /** Starts an execution of the job; overrides as RunJobRequest.Overrides. */
  startExecution(
    job: JobRecord,
    creator: string,
    overrides: OverridesJson | undefined,
    suffix?: string,
  ): Execution {
    const et = job.spec.template ?? {};
    const tt = et.template ?? {};
    const containers: ContainerJson[] = (tt.containers ?? []).map((c) => ({ ...c }));
    for (const o of overrides?.containerOverrides ?? []) {
      const target = o.name ? containers.find((c) => c.name === o.name) : containers[0];
      if (!target) continue;
      if (o.clearArgs) target.args = [];
      else if (o.args && o.args.length > 0) target.args = [...o.args];
      if (o.env && o.env.length > 0) {
        const env = [...(target.env ?? [])];
        for (const e of o.env) {
          const i = env.findIndex((x) => x.name === e.name);
          if (i >= 0) env[i] = e;
          else env.push(e);
        }
        target.env = env;
      }
    }
    const taskCount = asInt(overrides?.taskCount, 'taskCount') || asInt(et.taskCount, 'taskCount') || 1;
    const timeoutSeconds =
      checkTimeout(overrides?.timeout, 'overrides.timeout') ??
      parseDuration(tt.timeout, 'timeout') ??
      DEFAULT_TIMEOUT_S;
    const id = `${job.jobId}-${suffix ?? randomSuffix()}`;
    const name = `${job.name}/executions/${id}`;
    if (this.executions.has(name)) throw new ApiError(6, `Execution '${id}' already exists.`);
    this.startedLog.push({ name, startedAt: new Date().toISOString() });
    const project = this.iam.findProject(job.projectId);
    const execution = new Execution({
      name,
      jobId: job.jobId,
      jobName: job.name,
      creator,
      generation: job.generation,
      labels: { ...(et.labels ?? {}), 'run.googleapis.com/job': job.jobId },
      annotations: et.annotations ?? {},
      taskCount,
      parallelism: asInt(et.parallelism, 'parallelism') ?? 0,
      maxRetries: asInt(tt.maxRetries, 'maxRetries') ?? DEFAULT_MAX_RETRIES,
      timeoutSeconds,
      template: {
        ...tt,
        containers,
        maxRetries: asInt(tt.maxRetries, 'maxRetries') ?? DEFAULT_MAX_RETRIES,
        timeout: formatDuration(timeoutSeconds),
        serviceAccount:
          tt.serviceAccount ||
          (project ? `${project.projectNumber}-compute@developer.gserviceaccount.com` : ''),
      },
    });
    this.executions.set(name, execution);
    job.executionCount += 1;
    job.latestExecution = execution;
    execution.start();
    return execution;
  }

  addOperation(projectId: string, location: string, op: Omit<OperationRecord, 'name'>): string {
    const name = `projects/${projectId}/locations/${location}/operations/${randomUUID()}`;
    this.operations.set(name, { name, ...op });
    return name;
  }

  /** An operation already done, answering `value` of `type` as both metadata and response. */
  doneOperation(
    projectId: string,
    location: string,
    type: string,
    value: Record<string, unknown>,
  ): Record<string, unknown> {
    let name = '';
    const view = () => ({
      name,
      metadata: { '@type': type, ...value },
      done: true,
      response: { '@type': type, ...value },
    });
    name = this.addOperation(projectId, location, { view, done: () => true, wait: async () => {} });
    return view();
  }

  /** An operation that follows an execution until it is terminal (RunJob, CancelExecution). */
  executionOperation(projectId: string, location: string, execution: Execution): Record<string, unknown> {
    let name = '';
    const view = () => {
      const json = { '@type': EXECUTION_TYPE, ...execution.toJson() };
      return execution.done
        ? { name, metadata: json, done: true, response: json }
        : { name, metadata: json, done: false };
    };
    name = this.addOperation(projectId, location, {
      view,
      done: () => execution.done,
      wait: () => execution.whenDone(),
    });
    return view();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.kill()));
  }

  persist(): PersistedJob[] {
    return [...this.jobs.values()].map(
      ({
        name,
        uid,
        generation,
        createTimeMs,
        updateTimeMs,
        creator,
        lastModifier,
        spec,
        executionCount,
      }) => ({
        name,
        uid,
        generation,
        createTimeMs,
        updateTimeMs,
        creator,
        lastModifier,
        spec,
        executionCount,
      }),
    );
  }

  restore(jobs: PersistedJob[]): void {
    for (const j of jobs) {
      const m = JOB_NAME.exec(j.name);
      if (!m) continue;
      this.jobs.set(j.name, { ...j, projectId: m[1]!, location: m[2]!, jobId: m[3]! });
    }
  }
}

const PARENT = /^projects\/([^/]+)\/locations\/([a-z]+-[a-z]+\d+)$/;
const JOB_NAME = /^projects\/([^/]+)\/locations\/([a-z]+-[a-z]+\d+)\/jobs\/([^/]+)$/;
const EXECUTIONS_PARENT = /^projects\/([^/]+)\/locations\/([a-z]+-[a-z]+\d+)\/jobs\/([^/]+)$/;
const EXECUTION_NAME =
  /^projects\/([^/]+)\/locations\/([a-z]+-[a-z]+\d+)\/jobs\/([^/]+)\/executions\/([^/]+)$/;
const OPERATION_NAME = /^projects\/([^/]+)\/locations\/([a-z]+-[a-z]+\d+)\/operations\/([^/]+)$/;

function randomSuffix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 5; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

function jobEtag(job: JobRecord): string {
  return `"${createHash('sha256').update(`${job.uid}:${job.generation}:${job.updateTimeMs}`).digest('base64url').slice(0, 22)}"`;
}

function completionStatus(state: ExecutionState): number {
  switch (state) {
    case 'SUCCEEDED':
      return 1;
    case 'FAILED':
      return 2;
    case 'RUNNING':
    case 'CANCELLING':
      return 3;
    case 'PENDING':
      return 4;
    case 'CANCELLED':
      return 5;
  }
}

function page<T>(items: T[], req: Record<string, unknown>): { items: T[]; nextPageToken: string } {
  const size = Math.min(asInt(req.pageSize, 'page_size') || 100, 1000);
  const token = asString(req.pageToken);
  const start = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalidArgument('Invalid page token.', 'page_token');
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : '';
  return { items: slice, nextPageToken: next };
}

/** Cloud Run Admin API v2: Jobs, Executions and Operations over Google's REST transcoding. */
export async function startRunEmulator(
  ctx: EmulatorContext,
  iam: IamState,
  state: RunState,
): Promise<RunningService> {
  const auth = (call: CallInfo) => iam.authenticate(call.authorization);

  const requireJob = (name: string): JobRecord => {
    const job = state.jobs.get(name);
    if (!job) throw notFound('Job', name);
    return job;
  };
  const requireExecution = (name: string): Execution => {
    const e = state.executions.get(name);
    if (!e || e.deleted) throw notFound('Execution', name);
    return e;
  };
  const checkEtag = (given: unknown, actual: string) => {
    const etag = asString(given);
    if (etag && etag !== actual)
      throw new ApiError(10, `The etag '${etag}' does not match the current etag of the resource.`);
  };
  const checkRuntimeAccount = (principal: Principal, job: JobJson) => {
    const sa = job.template?.template?.serviceAccount;
    if (sa) iam.authorizeActAs(principal, sa);
  };

  const routes: RestRoute[] = [
    {
      method: 'CreateJob',
      verb: 'POST',
      path: '/v2/{parent=projects/*/locations/*}/jobs',
      body: 'job',
      handler: async (req, call) => {
        const principal = auth(call);
        const m = state.authorizeIn(principal, 'run.jobs.create', asString(req.parent), PARENT, 'parent');
        const [projectId, location] = [m[1]!, m[2]!];
        const jobId = asString(req.jobId);
        validateJobId(jobId);
        const name = `projects/${projectId}/locations/${location}/jobs/${jobId}`;
        const spec = req.job as JobJson | undefined;
        validateJob(spec, name);
        checkRuntimeAccount(principal, spec);
        if (state.jobs.has(name)) throw new ApiError(6, `Resource '${jobId}' already exists.`);
        for (const c of spec.template?.template?.containers ?? []) {
          if (c.image && state.missingImages.has(c.image)) {
            throw new ApiError(3, `Image '${c.image}' not found.`);
          }
        }
        state.checkJobQuota(projectId, location);
        const { name: _ignored, etag: _etag, ...given } = spec;
        const job = state.newJob({ name, projectId, location, jobId }, principal.email, given, Date.now());
        return state.commitJob(job, spec, principal.email, asBool(req.validateOnly));
      },
    },
    {
      method: 'GetJob',
      verb: 'GET',
      path: '/v2/{name=projects/*/locations/*/jobs/*}',
      handler: async (req, call) => {
        const m = state.authorizeIn(auth(call), 'run.jobs.get', asString(req.name), JOB_NAME, 'job');
        return state.jobJson(requireJob(m[0]));
      },
    },
    {
      method: 'ListJobs',
      verb: 'GET',
      path: '/v2/{parent=projects/*/locations/*}/jobs',
      handler: async (req, call) => {
        const m = state.authorizeIn(auth(call), 'run.jobs.list', asString(req.parent), PARENT, 'parent');
        const prefix = `${m[0]}/jobs/`;
        const all = [...state.jobs.values()]
          .filter((j) => j.name.startsWith(prefix))
          .sort((a, b) => a.createTimeMs - b.createTimeMs);
        const { items, nextPageToken } = page(all, req);
        return { jobs: items.map((j) => state.jobJson(j)), nextPageToken };
      },
    },
    {
      method: 'UpdateJob',
      verb: 'PATCH',
      path: '/v2/{job.name=projects/*/locations/*/jobs/*}',
      body: 'job',
      handler: async (req, call) => {
        const principal = auth(call);
        const spec = req.job as JobJson | undefined;
        const m = state.authorizeIn(principal, 'run.jobs.update', asString(spec?.name), JOB_NAME, 'job');
        const [name, projectId, location, jobId] = [m[0], m[1]!, m[2]!, m[3]!];
        validateJob(spec, name);
        checkRuntimeAccount(principal, spec);
        const job = state.jobs.get(name);
        if (!job) {
          if (!asBool(req.allowMissing)) throw notFound('Job', name);
          if (!iam.hasPermission(principal.member, 'run.jobs.create', { projectId })) {
            iam.authorize(principal, 'run.jobs.create', projectId, name);
          }
          state.checkJobQuota(projectId, location);
        } else {
          checkEtag(spec.etag, jobEtag(job));
        }
        const now = Date.now();
        const { name: _ignored, etag: _etag, ...given } = spec;
        const next: JobRecord = job
          ? {
              ...job,
              spec: given,
              generation: job.generation + 1,
              updateTimeMs: now,
              lastModifier: principal.email,
            }
          : state.newJob({ name, projectId, location, jobId }, principal.email, given, now);
        return state.commitJob(next, spec, principal.email, asBool(req.validateOnly));
      },
    },
    {
      method: 'DeleteJob',
      verb: 'DELETE',
      path: '/v2/{name=projects/*/locations/*/jobs/*}',
      handler: async (req, call) => {
        const m = state.authorizeIn(auth(call), 'run.jobs.delete', asString(req.name), JOB_NAME, 'job');
        const job = requireJob(m[0]);
        checkEtag(req.etag, jobEtag(job));
        const running = [...state.executions.values()].filter(
          (e) => e.spec.jobName === job.name && e.running,
        );
        if (running.length > 0) {
          throw new ApiError(
            9,
            `Job '${job.jobId}' has ${running.length} running execution(s); cancel them before deleting the job.`,
          );
        }
        const json = state.jobJson(job, { deleteTime: timestamp(Date.now()) });
        if (!asBool(req.validateOnly)) {
          state.jobs.delete(job.name);
          for (const [n, e] of state.executions) if (e.spec.jobName === job.name) state.executions.delete(n);
        }
        return state.doneOperation(m[1]!, m[2]!, JOB_TYPE, json);
      },
    },
    {
      method: 'RunJob',
      verb: 'POST',
      path: '/v2/{name=projects/*/locations/*/jobs/*}:run',
      body: '*',
      handler: async (req, call) => {
        const principal = auth(call);
        const overrides = req.overrides as OverridesJson | undefined;
        const withOverrides = hasOverrides(overrides);
        const m = state.authorizeIn(
          principal,
          withOverrides ? 'run.jobs.runWithOverrides' : 'run.jobs.run',
          asString(req.name),
          JOB_NAME,
          'job',
        );
        const [projectId, location] = [m[1]!, m[2]!];
        const job = requireJob(m[0]);
        checkEtag(req.etag, jobEtag(job));
        validateOverrides(overrides, job.spec.template?.template?.containers ?? []);
        state.takeRunRequest(projectId, location);
        if (state.runningExecutions(projectId, location) >= state.quotas.runningExecutionsPerRegion) {
          throw new ApiError(
            8,
            `Quota exceeded: at most ${state.quotas.runningExecutionsPerRegion} running job executions per project and region.`,
          );
        }
        if (asBool(req.validateOnly))
          return state.doneOperation(projectId, location, JOB_TYPE, state.jobJson(job));
        const execution = state.startExecution(job, principal.email, overrides);
        return state.executionOperation(projectId, location, execution);
      },
    },
    {
      method: 'TestIamPermissions',
      verb: 'POST',
      path: '/v2/{resource=projects/*/locations/*/jobs/*}:testIamPermissions',
      body: '*',
      handler: async (req, call) => {
        const principal = auth(call);
        const m = JOB_NAME.exec(asString(req.resource));
        if (!m) throw invalidArgument('Invalid resource name.', 'resource');
        const asked = Array.isArray(req.permissions) ? (req.permissions as unknown[]).map(String) : [];
        const project = iam.findProject(m[1]!);
        return {
          permissions: project
            ? asked.filter((p) => iam.hasPermission(principal.member, p, { projectId: project.projectId }))
            : [],
        };
      },
    },
    {
      method: 'GetExecution',
      verb: 'GET',
      path: '/v2/{name=projects/*/locations/*/jobs/*/executions/*}',
      handler: async (req, call) => {
        const m = state.authorizeIn(
          auth(call),
          'run.executions.get',
          asString(req.name),
          EXECUTION_NAME,
          'execution',
        );
        return requireExecution(m[0]).toJson();
      },
    },
    {
      method: 'ListExecutions',
      verb: 'GET',
      path: '/v2/{parent=projects/*/locations/*/jobs/*}/executions',
      handler: async (req, call) => {
        const m = state.authorizeIn(
          auth(call),
          'run.executions.list',
          asString(req.parent),
          EXECUTIONS_PARENT,
          'job',
        );
        const prefix = m[3] === '-' ? `projects/${m[1]}/locations/${m[2]}/jobs/` : `${m[0]}/executions/`;
        if (m[3] !== '-') requireJob(m[0]);
        const all = [...state.executions.values()]
          .filter((e) => e.name.startsWith(prefix) && !e.deleted)
          .sort((a, b) => b.createTimeMs - a.createTimeMs);
        const { items, nextPageToken } = page(all, req);
        return { executions: items.map((e) => e.toJson()), nextPageToken };
      },
    },
    {
      method: 'CancelExecution',
      verb: 'POST',
      path: '/v2/{name=projects/*/locations/*/jobs/*/executions/*}:cancel',
      body: '*',
      handler: async (req, call) => {
        const m = state.authorizeIn(
          auth(call),
          'run.executions.cancel',
          asString(req.name),
          EXECUTION_NAME,
          'execution',
        );
        const execution = requireExecution(m[0]);
        checkEtag(req.etag, asString(execution.toJson().etag));
        if (execution.done) {
          throw new ApiError(
            9,
            `Execution '${m[4]}' is already finished (${execution.state}) and cannot be cancelled.`,
          );
        }
        if (!asBool(req.validateOnly)) execution.cancel();
        return state.executionOperation(m[1]!, m[2]!, execution);
      },
    },
    {
      method: 'DeleteExecution',
      verb: 'DELETE',
      path: '/v2/{name=projects/*/locations/*/jobs/*/executions/*}',
      handler: async (req, call) => {
        const m = state.authorizeIn(
          auth(call),
          'run.executions.delete',
          asString(req.name),
          EXECUTION_NAME,
          'execution',
        );
        const execution = requireExecution(m[0]);
        checkEtag(req.etag, asString(execution.toJson().etag));
        if (asBool(req.validateOnly))
          return state.doneOperation(m[1]!, m[2]!, EXECUTION_TYPE, execution.toJson());
        // A running execution is stopped first, then removed.
        execution.cancel();
        execution.deleted = true;
        state.executions.delete(execution.name);
        return state.doneOperation(m[1]!, m[2]!, EXECUTION_TYPE, execution.toJson());
      },
    },
    {
      method: 'GetOperation',
      verb: 'GET',
      path: '/v2/{name=projects/*/locations/*/operations/*}',
      handler: async (req, call) => {
        const m = state.authorizeIn(
          auth(call),
          'run.operations.get',
          asString(req.name),
          OPERATION_NAME,
          'operation',
        );
        const op = state.operations.get(m[0]);
        if (!op) throw new ApiError(5, `Operation '${m[0]}' not found.`);
        return op.view();
      },
    },
    {
      method: 'ListOperations',
      verb: 'GET',
      path: '/v2/{name=projects/*/locations/*}/operations',
      handler: async (req, call) => {
        const m = state.authorizeIn(
          auth(call),
          'run.operations.list',
          asString(req.name),
          PARENT,
          'location',
        );
        const prefix = `${m[0]}/operations/`;
        const all = [...state.operations.values()].filter((o) => o.name.startsWith(prefix));
        const { items, nextPageToken } = page(all, req);
        return { operations: items.map((o) => o.view()), nextPageToken };
      },
    },
    {
      method: 'DeleteOperation',
      verb: 'DELETE',
      path: '/v2/{name=projects/*/locations/*/operations/*}',
      handler: async (req, call) => {
        const m = state.authorizeIn(
          auth(call),
          'run.operations.delete',
          asString(req.name),
          OPERATION_NAME,
          'operation',
        );
        if (!state.operations.delete(m[0])) throw new ApiError(5, `Operation '${m[0]}' not found.`);
        return {};
      },
    },
    {
      method: 'WaitOperation',
      verb: 'POST',
      path: '/v2/{name=projects/*/locations/*/operations/*}:wait',
      body: '*',
      handler: async (req, call) => {
        const m = state.authorizeIn(
          auth(call),
          'run.operations.get',
          asString(req.name),
          OPERATION_NAME,
          'operation',
        );
        const op = state.operations.get(m[0]);
        if (!op) throw new ApiError(5, `Operation '${m[0]}' not found.`);
        const timeoutS = Math.min(parseDuration(req.timeout, 'timeout') ?? 60, 600);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          op.wait(),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, timeoutS * 1000);
            timer.unref();
          }),
        ]);
        clearTimeout(timer);
        return op.view();
      },
    },
  ];
  const server = await startRestServer(ctx, 'run', routes);
  return {
    address: server.address,
    stop: async () => {
      await server.stop();
      await state.stop();
    },
  };
}
