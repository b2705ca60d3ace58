import { type ExecutionsClient, type JobsClient, protos } from '@google-cloud/run';
import type { AuthClient } from 'google-auth-library';
import { InvalidArgumentError, LaunchRefusedError, RetryableError } from '../../domain/errors.js';
import type { CustomerCredential } from '../../ports/customerAccess.js';
import type { ExecutionPhase, ExecutionStatus, JobLauncher, RenderedJob } from '../../ports/jobLauncher.js';
import { BoundedCache, credentialIdentity } from './customerAuth.js';
import { createRunClients } from './googleClients.js';
import { googleStatusOf, translateCustomerCallError } from './googleErrors.js';

type IJob = protos.google.cloud.run.v2.IJob;
type IExecution = protos.google.cloud.run.v2.IExecution;
type ICondition = protos.google.cloud.run.v2.ICondition;
const ConditionState = protos.google.cloud.run.v2.Condition.State;
const ExecutionReason = protos.google.cloud.run.v2.Condition.ExecutionReason;
const VpcEgress = protos.google.cloud.run.v2.VpcAccess.VpcEgress;

/** Cloud Run's rule for job and execution ids (and the execution id is `{jobId}-{token}`). */
const RESOURCE_ID = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_ID_LENGTH = 63;
const EXECUTION_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/jobs\/([^/]+)\/executions\/([^/]+)$/;
/** SDK client pairs kept per credential: each costs a proto load and a few ms to build. */
const MAX_CACHED_CLIENTS = 64;
/** Cloud Run refuses to delete a job with a running execution; try again after a while. */
const DELETE_RUNNING_RETRY_AFTER_S = 60;

interface RunClients {
  jobs: JobsClient;
  executions: ExecutionsClient;
}

export interface CloudRunJobLauncherOptions {
  /** Builds the auth client of a customer credential (createCustomerAuth). */
  auth: { authClientFor(cred: CustomerCredential): Promise<AuthClient> };
  /** `host:port` of the Cloud Run emulator; Google's endpoint when absent. */
  endpoint?: string | undefined;
}

/**
 * JobLauncher on the Cloud Run Admin API v2, one job per run attempt.
 *
 * `launch` is a single CreateJob whose job carries `start_execution_token`: creating the
 * job starts its execution, named `{jobId}-{token}`, so the execution name is known
 * before the call and needs no answer. Exactly once: the job id is deterministic per run
 * attempt, so any repeat (a redelivered task, a retry after a lost response, a second
 * dispatcher racing the first) is refused ALREADY_EXISTS by Cloud Run itself, and
 * resolves with the same execution name and `alreadyExisted: true` after a GetExecution
 * confirms it exists. The CreateJob operation is not awaited: its result adds nothing the
 * monitor's GetExecution does not tell, and polling it would cost calls per run
 * (and `run.operations.get`). So a launch is 1 Cloud Run call (2 on a repeat), a monitor
 * poll 1, a cancel 1, a cleanup 1.
 *
 * `start_execution_token`, not `run_execution_token`: both name the execution the same way,
 * but with the latter the job (and its CreateJob operation) only becomes ready when the
 * execution *completes*, which serves nothing here.
 *
 * Throws what JobLauncher documents: RetryableError (network, UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL, a job still running on delete),
 * LaunchRefusedError (PERMISSION_DENIED naming the permission as Google words it,
 * INVALID_ARGUMENT naming the field or image, UNAUTHENTICATED, FAILED_PRECONDITION),
 * NotFoundError for a missing execution.
 */
export class CloudRunJobLauncher implements JobLauncher {
  private readonly clients = new BoundedCache<Promise<RunClients>>(MAX_CACHED_CLIENTS, (evicted) => {
    evicted.then(
      (c) => Promise.all([c.jobs.close(), c.executions.close()]).catch(() => undefined),
      () => undefined,
    );
  });

  constructor(private readonly opts: CloudRunJobLauncherOptions) {}

  async launch(
    cred: CustomerCredential,
    job: RenderedJob,
  ): Promise<{ executionName: string; alreadyExisted: boolean }> {
    const executionId = `${job.jobId}-${job.executionToken}`;
    checkId(job.jobId, 'jobId');
    checkId(executionId, 'execution id ({jobId}-{executionToken})');
    const parent = `projects/${job.projectId}/locations/${job.region}`;
    const jobName = `${parent}/jobs/${job.jobId}`;
    const executionName = `${jobName}/executions/${executionId}`;
    const { jobs, executions } = await this.clientsFor(cred);
    try {
      // Not awaiting the operation: see the class comment.
      await jobs.createJob({ parent, jobId: job.jobId, job: toJobProto(job) });
      return { executionName, alreadyExisted: false };
    } catch (err) {
      if (googleStatusOf(err)?.status !== 'ALREADY_EXISTS') {
        throw translateCustomerCallError(err, `creating job ${jobName}`);
      }
    }
    // The job exists: a previous launch of this attempt created it, and with it the execution.
    try {
      await executions.getExecution({ name: executionName });
    } catch (err) {
      if (googleStatusOf(err)?.status === 'NOT_FOUND') {
        throw new LaunchRefusedError(
          'FAILED_PRECONDITION',
          `job ${jobName} already exists but its execution ${executionId} does not: the job was not created by this run attempt's launch (or its execution was deleted), so pushrun will not start another execution of it`,
          err,
        );
      }
      throw translateCustomerCallError(err, `reading execution ${executionName}`);
    }
    return { executionName, alreadyExisted: true };
  }

  async getExecution(cred: CustomerCredential, executionName: string): Promise<ExecutionStatus> {
    checkExecutionName(executionName);
    const { executions } = await this.clientsFor(cred);
    try {
      const [execution] = await executions.getExecution({ name: executionName });
      return toExecutionStatus(executionName, execution);
    } catch (err) {
      throw translateCustomerCallError(err, `execution ${executionName}`);
    }
  }

  async cancelExecution(cred: CustomerCredential, executionName: string): Promise<void> {
    checkExecutionName(executionName);
    const { executions } = await this.clientsFor(cred);
    try {
      // The operation is not awaited: the monitor sees CANCELLED through getExecution.
      await executions.cancelExecution({ name: executionName });
    } catch (err) {
      // Cloud Run answers FAILED_PRECONDITION for an execution that already finished.
      if (googleStatusOf(err)?.status === 'FAILED_PRECONDITION') return;
      throw translateCustomerCallError(err, `cancelling execution ${executionName}`);
    }
  }

  async deleteJob(cred: CustomerCredential, projectId: string, region: string, jobId: string): Promise<void> {
    checkId(jobId, 'jobId');
    const name = `projects/${projectId}/locations/${region}/jobs/${jobId}`;
    const { jobs } = await this.clientsFor(cred);
    try {
      await jobs.deleteJob({ name });
    } catch (err) {
      const google = googleStatusOf(err);
      if (google?.status === 'NOT_FOUND') return;
      if (google?.status === 'FAILED_PRECONDITION') {
        // An execution is still running: cleanup must not kill it, so it comes back later.
        throw new RetryableError(`job ${name} still has a running execution: ${google.message}`, {
          cause: err,
          retryAfterSeconds: DELETE_RUNNING_RETRY_AFTER_S,
        });
      }
      throw translateCustomerCallError(err, `deleting job ${name}`);
    }
  }

  /**
   * The SDK clients of a credential. `authClientFor` runs on every call: it is a cache
   * hit almost always, and for impersonation it is where an expiring token is renewed and
   * a revoked grant surfaces as a typed LaunchRefusedError.
   */
  private async clientsFor(cred: CustomerCredential): Promise<RunClients> {
    const authClient = await this.opts.auth.authClientFor(cred);
    const identity = credentialIdentity(cred);
    let clients = this.clients.get(identity);
    if (!clients) {
      clients = createRunClients({ authClient, endpoint: this.opts.endpoint });
      this.clients.set(identity, clients);
      clients.catch(() => this.clients.delete(identity));
    }
    return clients;
  }
}

function checkId(id: string, what: string): void {
  if (id.length > MAX_ID_LENGTH || !RESOURCE_ID.test(id)) {
    throw new LaunchRefusedError(
      'INVALID_ARGUMENT',
      `${what} '${id}' is not a valid Cloud Run id: at most ${MAX_ID_LENGTH} lowercase letters, digits and hyphens, starting with a letter`,
    );
  }
}

function checkExecutionName(name: string): void {
  if (!EXECUTION_NAME.test(name)) {
    throw new InvalidArgumentError(`'${name}' is not a Cloud Run execution name`, [
      { field: 'executionName', issue: 'expected projects/{p}/locations/{r}/jobs/{j}/executions/{e}' },
    ]);
  }
}

/** RenderedJob → google.cloud.run.v2.Job, carrying the execution token that starts it. */
export function toJobProto(job: RenderedJob): IJob {
  const limits: Record<string, string> = {};
  if (job.cpu) limits.cpu = job.cpu;
  if (job.memory) limits.memory = job.memory;
  const vpc = job.vpcAccess;
  return {
    labels: { ...job.labels },
    template: {
      // Executions carry the labels too, so they can be found and billed like the job.
      labels: { ...job.labels },
      taskCount: 1,
      template: {
        containers: [
          {
            image: job.image,
            command: [...job.command],
            args: [...job.args],
            env: Object.entries(job.env).map(([name, value]) => ({ name, value })),
            ...(Object.keys(limits).length > 0 ? { resources: { limits } } : {}),
          },
        ],
        timeout: { seconds: job.timeoutSeconds },
        maxRetries: job.maxRetries,
        ...(job.serviceAccount ? { serviceAccount: job.serviceAccount } : {}),
        ...(vpc
          ? {
              vpcAccess: {
                ...(vpc.connector ? { connector: vpc.connector } : {}),
                ...(vpc.egress ? { egress: VpcEgress[vpc.egress] } : {}),
                ...(vpc.networkInterfaces
                  ? {
                      networkInterfaces: vpc.networkInterfaces.map((n) => ({
                        ...(n.network ? { network: n.network } : {}),
                        ...(n.subnetwork ? { subnetwork: n.subnetwork } : {}),
                        ...(n.tags ? { tags: [...n.tags] } : {}),
                      })),
                    }
                  : {}),
              },
            }
          : {}),
      },
    },
    startExecutionToken: job.executionToken,
  };
}

/** Enums arrive as numbers over REST (`enum-encoding=int`); tolerate names (gRPC, JSON fixtures). */
function enumValue<E extends Record<string, string | number>>(e: E, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = e[v];
    return typeof n === 'number' ? n : 0;
  }
  return 0;
}

function isoTime(t: protos.google.protobuf.ITimestamp | null | undefined): string | undefined {
  if (!t || t.seconds === null || t.seconds === undefined) return undefined;
  const seconds = Number(String(t.seconds));
  if (!Number.isFinite(seconds)) return undefined;
  return new Date(seconds * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

/** Maps an Execution's status fields to the phase pushrun follows, with Cloud Run's own words on failure. */
export function toExecutionStatus(name: string, e: IExecution): ExecutionStatus {
  const conditions = e.conditions ?? [];
  const completed = conditions.find((c) => c.type === 'Completed');
  const state = enumValue(ConditionState, completed?.state);
  const reason = enumValue(ExecutionReason, completed?.executionReason);
  const completionTime = isoTime(e.completionTime);
  const startTime = isoTime(e.startTime);
  const terminal =
    completionTime !== undefined ||
    (!e.reconciling &&
      (state === ConditionState.CONDITION_SUCCEEDED || state === ConditionState.CONDITION_FAILED));

  let phase: ExecutionPhase;
  let message: string | undefined;
  if (terminal) {
    const taskCount = Number(e.taskCount ?? 1) || 1;
    if (
      state === ConditionState.CONDITION_SUCCEEDED ||
      (state !== ConditionState.CONDITION_FAILED && Number(e.succeededCount ?? 0) >= taskCount)
    ) {
      phase = 'SUCCEEDED';
    } else if (
      reason === ExecutionReason.CANCELLED ||
      (Number(e.cancelledCount ?? 0) > 0 && Number(e.failedCount ?? 0) === 0)
    ) {
      phase = 'CANCELLED';
      message = completed?.message || 'The execution was cancelled.';
    } else {
      phase = 'FAILED';
      message = failureMessage(completed, conditions, e);
    }
  } else if (Number(e.runningCount ?? 0) > 0 || startTime !== undefined) {
    // Includes CANCELLING: the process may still be running until Cloud Run stops it.
    phase = 'RUNNING';
  } else {
    phase = 'PENDING';
  }
  return {
    name,
    phase,
    ...(message ? { message } : {}),
    ...(startTime ? { startTime } : {}),
    ...(completionTime ? { completionTime } : {}),
  };
}

/** The Completed condition's message (exit code, timeout), plus any other failed condition's (image, resources). */
function failureMessage(completed: ICondition | undefined, conditions: ICondition[], e: IExecution): string {
  const parts: string[] = [];
  if (completed?.message) parts.push(completed.message);
  for (const c of conditions) {
    if (c === completed || !c.message || parts.includes(c.message)) continue;
    if (enumValue(ConditionState, c.state) === ConditionState.CONDITION_FAILED) {
      parts.push(`${c.type}: ${c.message}`);
    }
  }
  if (parts.length > 0) return parts.join('; ');
  return `The execution failed (${Number(e.failedCount ?? 0)} task(s) failed).`;
}
