import { ExecutionsClient, JobsClient, type protos } from '@google-cloud/run';
import { JWT } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorControl } from '../../../emulators/controlClient.js';
import { type StartedEmulators, startEmulators } from '../../../emulators/server.js';
import { liveGroupMembers } from './runProcesses.js';

type IJob = protos.google.cloud.run.v2.IJob;
type IExecution = protos.google.cloud.run.v2.IExecution;

const PROJECT = 'run-contract';
const PARENT = `projects/${PROJECT}/locations/us-central1`;
const CONDITION_SUCCEEDED = 4;
const CONDITION_FAILED = 3;

let emulators: StartedEmulators;
let control: EmulatorControl;
let jobs: JobsClient;
let executions: ExecutionsClient;

function clientOptions(authClient: JWT) {
  const [host, port] = emulators.endpoints.run.split(':');
  return { apiEndpoint: host!, port: Number(port), protocol: 'http', fallback: true as const, authClient };
}

function shellJob(
  script: string,
  extra: { maxRetries?: number; timeout?: string; env?: { name: string; value: string }[] } = {},
): IJob {
  return {
    template: {
      template: {
        maxRetries: extra.maxRetries ?? 0,
        ...(extra.timeout ? { timeout: { seconds: Number.parseInt(extra.timeout, 10) } } : {}),
        containers: [
          {
            image: 'us-docker.pkg.dev/acme/flows/etl:1.2.3',
            command: ['sh', '-c', script],
            env: extra.env ?? [],
          },
        ],
      },
    },
  };
}

async function createJob(jobId: string, job: IJob): Promise<IJob> {
  const [op] = await jobs.createJob({ parent: PARENT, jobId, job });
  const [created] = await op.promise();
  return created;
}

async function runToEnd(
  name: string,
  overrides?: protos.google.cloud.run.v2.RunJobRequest.IOverrides,
): Promise<IExecution> {
  const [op] = await jobs.runJob({ name, ...(overrides ? { overrides } : {}) });
  const [execution] = await op.promise();
  return execution;
}

function completed(e: IExecution) {
  return e.conditions?.find((c) => c.type === 'Completed');
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  emulators = await startEmulators();
  control = new EmulatorControl(emulators.endpoints.control);
  await control.createProject(PROJECT);
  const sa = await control.createServiceAccount(PROJECT, 'pushrun-launcher');
  await control.grant(PROJECT, `serviceAccount:${sa.email}`, { role: 'roles/run.developer' });
  const key = await control.createKey(PROJECT, sa.email);
  // What a production adapter does with a customer's key file.
  const authClient = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
  });
  jobs = new JobsClient(clientOptions(authClient));
  executions = new ExecutionsClient(clientOptions(authClient));
});

afterAll(async () => {
  await jobs?.close();
  await executions?.close();
  await emulators?.stop();
});

describe('Cloud Run Admin v2 emulator, driven by the unmodified JobsClient and ExecutionsClient', () => {
  it('creates a job with a customer key, runs it, and the process output and a succeeded execution are visible', async () => {
    const job = await createJob(
      'hello-flow',
      shellJob(
        'echo "hello from $CLOUD_RUN_JOB/$CLOUD_RUN_EXECUTION task $CLOUD_RUN_TASK_INDEX of $CLOUD_RUN_TASK_COUNT: $GREETING"',
        {
          env: [
            { name: 'GREETING', value: 'hi' },
            { name: 'PUSHRUN_RUN_TOKEN', value: 'super-secret-token' },
          ],
        },
      ),
    );
    expect(job.name).toBe(`${PARENT}/jobs/hello-flow`);
    expect(Number(job.generation)).toBe(1);
    expect(job.template?.taskCount).toBe(1);

    const [op] = await jobs.runJob({ name: job.name! });
    // The operation's metadata is the Execution: its name is known before it finishes.
    const pendingName = (op.metadata as IExecution).name!;
    expect(pendingName).toMatch(new RegExp(`^${PARENT}/jobs/hello-flow/executions/hello-flow-[a-z0-9]{5}$`));
    const [finished] = await op.promise();
    expect(finished.name).toBe(pendingName);
    expect(finished.succeededCount).toBe(1);
    expect(finished.failedCount).toBe(0);
    expect(finished.reconciling).toBe(false);
    expect(finished.completionTime).toBeTruthy();
    expect(finished.startTime).toBeTruthy();
    expect(completed(finished)?.state).toBe(CONDITION_SUCCEEDED);

    const [got] = await executions.getExecution({ name: pendingName });
    expect(got.succeededCount).toBe(1);
    const id = pendingName.split('/').pop();
    const view = await control.execution(pendingName);
    expect(view.output).toBe(`hello from hello-flow/${id} task 0 of 1: hi\n`);
    expect(view.env).toEqual({ GREETING: 'hi', PUSHRUN_RUN_TOKEN: '[REDACTED]' });
    const all = await control.executions();
    expect(JSON.stringify(all)).not.toContain('super-secret-token');

    const [[listed]] = await executions.listExecutions({ parent: job.name! });
    expect(listed?.name).toBe(pendingName);
    const [jobAfter] = await jobs.getJob({ name: job.name! });
    expect(jobAfter.executionCount).toBe(1);
    expect(jobAfter.latestCreatedExecution?.name).toBe(pendingName);
  });

  it('a failing command gives a failed execution, after max_retries retries', async () => {
    const job = await createJob(
      'fails',
      shellJob('echo "attempt $CLOUD_RUN_TASK_ATTEMPT"; exit 3', { maxRetries: 1 }),
    );
    const execution = await runToEnd(job.name!);
    expect(execution.failedCount).toBe(1);
    expect(execution.succeededCount).toBe(0);
    expect(execution.retriedCount).toBe(1);
    const condition = completed(execution);
    expect(condition?.state).toBe(CONDITION_FAILED);
    expect(condition?.message).toContain('exit code of 3');
    const view = await control.execution(execution.name!);
    expect(view.output).toBe('attempt 0\nattempt 1\n');
  });

  it('runs every task with its index, with overrides of args, env and task count', async () => {
    const job = await createJob('fan-out', {
      template: {
        parallelism: 2,
        template: {
          maxRetries: 0,
          containers: [
            {
              image: 'img',
              command: ['sh', '-c'],
              args: ['echo default'],
              env: [{ name: 'MODE', value: 'job' }],
            },
          ],
        },
      },
    });
    const execution = await runToEnd(job.name!, {
      taskCount: 3,
      containerOverrides: [
        {
          args: ['echo "$CLOUD_RUN_TASK_INDEX/$CLOUD_RUN_TASK_COUNT $MODE"'],
          env: [{ name: 'MODE', value: 'override' }],
        },
      ],
    });
    expect(execution.taskCount).toBe(3);
    expect(execution.succeededCount).toBe(3);
    const view = await control.execution(execution.name!);
    expect(view.tasks.map((t) => t.output).sort()).toEqual([
      '0/3 override\n',
      '1/3 override\n',
      '2/3 override\n',
    ]);
  });

  it('cancel kills the running process group and the execution ends cancelled', async () => {
    const job = await createJob('long-one', shellJob('echo started; sleep 30 & wait'));
    const [op] = await jobs.runJob({ name: job.name! });
    const name = (op.metadata as IExecution).name!;
    const pids = await waitFor(async () => {
      const view = await control.execution(name);
      return view.pids.length > 0 && view.output?.includes('started') ? view.pids : undefined;
    });
    expect(alive(pids[0]!)).toBe(true);
    const [cancelOp] = await executions.cancelExecution({ name });
    const [cancelled] = await cancelOp.promise();
    expect(cancelled.cancelledCount).toBe(1);
    expect(cancelled.runningCount).toBe(0);
    expect(completed(cancelled)?.state).toBe(CONDITION_FAILED);
    expect(completed(cancelled)?.executionReason).toBe(3); // CANCELLED
    expect(alive(pids[0]!)).toBe(false);
    // The whole group went, not only the shell: no `sleep 30` is left.
    expect(liveGroupMembers(pids[0]!)).toEqual([]);
    await expect(executions.cancelExecution({ name })).rejects.toMatchObject({ code: 9 });
  });

  it('a task past its timeout is killed and the execution fails', async () => {
    const job = await createJob('too-slow', shellJob('sleep 30', { timeout: '1s' }));
    const started = Date.now();
    const execution = await runToEnd(job.name!);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(execution.failedCount).toBe(1);
    expect(completed(execution)?.message).toContain('timeout');
  });

  it('refuses a duplicate job id with ALREADY_EXISTS', async () => {
    await createJob('dup', shellJob('true'));
    await expect(
      jobs.createJob({ parent: PARENT, jobId: 'dup', job: shellJob('true') }),
    ).rejects.toMatchObject({ code: 6 });
  });

  it.each([
    ['Bad_Id', shellJob('true'), 'job_id'],
    ['-starts-with-hyphen', shellJob('true'), 'job_id'],
    ['a'.repeat(64), shellJob('true'), 'job_id'],
    ['no-image', { template: { template: { containers: [{ command: ['true'] }] } } }, 'image'],
    [
      'bad-env',
      { template: { template: { containers: [{ image: 'i', env: [{ name: '1BAD', value: 'x' }] }] } } },
      '1BAD',
    ],
    [
      'reserved-env',
      {
        template: {
          template: { containers: [{ image: 'i', env: [{ name: 'CLOUD_RUN_JOB', value: 'x' }] }] },
        },
      },
      'reserved',
    ],
    [
      'reserved-label',
      { labels: { 'run.googleapis.com/owner': 'me' }, ...shellJob('true') },
      'run.googleapis.com',
    ],
    [
      'reserved-annotation',
      { annotations: { 'serving.knative.dev/x': 'y' }, ...shellJob('true') },
      'serving.knative.dev',
    ],
  ] as [string, IJob, string][])('refuses job %s with INVALID_ARGUMENT', async (jobId, job, mention) => {
    const err = await jobs.createJob({ parent: PARENT, jobId, job }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 3 });
    expect((err as Error).message).toContain(mention);
  });

  it('answers NOT_FOUND for a missing job and FAILED_PRECONDITION when deleting a job with a running execution', async () => {
    await expect(jobs.getJob({ name: `${PARENT}/jobs/nope` })).rejects.toMatchObject({ code: 5 });
    const job = await createJob('busy', shellJob('sleep 30'));
    const [op] = await jobs.runJob({ name: job.name! });
    const name = (op.metadata as IExecution).name!;
    await expect(jobs.deleteJob({ name: job.name! })).rejects.toMatchObject({ code: 9 });
    const [cancelOp] = await executions.cancelExecution({ name });
    await cancelOp.promise();
    const [deleteOp] = await jobs.deleteJob({ name: job.name! });
    const [deleted] = await deleteOp.promise();
    expect(deleted.name).toBe(job.name);
    await expect(jobs.getJob({ name: job.name! })).rejects.toMatchObject({ code: 5 });
    await expect(executions.getExecution({ name })).rejects.toMatchObject({ code: 5 });
  });

  it('updates a job to a new generation and lists jobs', async () => {
    const job = await createJob('evolving', shellJob('echo v1'));
    const [op] = await jobs.updateJob({ job: { ...shellJob('echo v2'), name: job.name! } });
    const [updated] = await op.promise();
    expect(Number(updated.generation)).toBe(2);
    const execution = await runToEnd(job.name!);
    expect((await control.execution(execution.name!)).output).toBe('v2\n');
    const [list] = await jobs.listJobs({ parent: PARENT });
    expect(list.map((j) => j.name)).toContain(job.name);
  });

  it('an operation can be read back through GetOperation', async () => {
    const job = await createJob('op-read', shellJob('true'));
    const [op] = await jobs.runJob({ name: job.name! });
    const [finished] = await op.promise();
    const read = await jobs.checkRunJobProgress(op.name!);
    expect(read.done).toBe(true);
    expect((read.result as IExecution).name).toBe(finished.name);
  });

  it('enforces the jobs-per-region and run-requests-per-minute quotas with RESOURCE_EXHAUSTED', async () => {
    await control.setQuotas({ jobsPerRegion: 0 });
    await expect(
      jobs.createJob({ parent: PARENT, jobId: 'over-quota', job: shellJob('true') }),
    ).rejects.toMatchObject({
      code: 8,
    });
    await control.setQuotas({ jobsPerRegion: 1000 });
    const job = await createJob('rate-limited', shellJob('true'));
    await control.setQuotas({ runRequestsPerMinute: 0 });
    await expect(jobs.runJob({ name: job.name! })).rejects.toMatchObject({ code: 8 });
    await control.setQuotas({ runRequestsPerMinute: 1000 });
  });

  it('injected faults fail a call, and a dropped response still takes effect', async () => {
    const job = await createJob('faulty', shellJob('true'));
    await control.addFault({ service: 'run', method: 'GetJob', code: 14, count: 1 });
    await expect(jobs.getJob({ name: job.name! }, { retry: null } as never)).rejects.toMatchObject({
      code: 14,
    });
    await expect(jobs.getJob({ name: job.name! })).resolves.toBeTruthy();

    const before = (await control.executions()).filter((e) => e.job === job.name).length;
    await control.addFault({ service: 'run', method: 'RunJob', dropResponse: true, count: 1 });
    await expect(jobs.runJob({ name: job.name! })).rejects.toMatchObject({ code: 14 });
    const after = (await control.executions()).filter((e) => e.job === job.name).length;
    expect(after).toBe(before + 1);
    const stats = await control.stats();
    expect(stats.run?.RunJob).toBeGreaterThan(0);
  });
});
