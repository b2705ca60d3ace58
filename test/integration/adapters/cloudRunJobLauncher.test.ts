import { JobsClient } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudRunJobLauncher } from '../../../shared/adapters/gcp/cloudRunJobLauncher.js';
import { createCustomerAuth } from '../../../shared/adapters/gcp/customerAuth.js';
import { restClientOptions } from '../../../shared/adapters/gcp/googleClients.js';
import { LaunchRefusedError, NotFoundError, RetryableError } from '../../../shared/domain/errors.js';
import type { CustomerCredential } from '../../../shared/ports/customerAccess.js';
import type { ExecutionStatus, RenderedJob } from '../../../shared/ports/jobLauncher.js';
import { type CustomerProject, callsSince, startCustomerProject, waitFor } from './customerProjectFixture.js';

let p: CustomerProject;
let launcher: CloudRunJobLauncher;
let seq = 0;

function renderedJob(overrides: Partial<RenderedJob> = {}): RenderedJob {
  seq += 1;
  return {
    projectId: p.projectId,
    region: p.region,
    jobId: `run-${seq}-a1`,
    executionToken: 'x7k2',
    image: 'europe-docker.pkg.dev/acme/flows/etl:1.4',
    command: ['sh', '-c'],
    args: ['echo "hello $GREETING"'],
    env: { GREETING: 'world', PUSHRUN_RUN_ID: `run-${seq}` },
    cpu: '1',
    memory: '512Mi',
    timeoutSeconds: 60,
    maxRetries: 0,
    serviceAccount: p.runtimeEmail,
    labels: { 'pushrun-run': `run-${seq}` },
    ...overrides,
  };
}

const isTerminal = (s: ExecutionStatus) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s.phase);

function untilTerminal(cred: CustomerCredential, name: string): Promise<ExecutionStatus> {
  return waitFor(() => launcher.getExecution(cred, name), isTerminal);
}

async function executionsOfJob(jobId: string) {
  return (await p.control.executions()).filter((e) => e.job.endsWith(`/jobs/${jobId}`));
}

async function refusal(call: Promise<unknown>): Promise<LaunchRefusedError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LaunchRefusedError);
  return err as LaunchRefusedError;
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

beforeAll(async () => {
  p = await startCustomerProject('acme-launcher-test');
  const auth = createCustomerAuth({ iamEndpoint: p.emulators.endpoints.iam, platformAuth: p.platformAuth });
  launcher = new CloudRunJobLauncher({ auth, endpoint: p.emulators.endpoints.run });
});

afterAll(async () => {
  await p?.stop();
});

describe('CloudRunJobLauncher against the Cloud Run emulator', () => {
  it('launch creates the job and starts its execution in one call; the command runs and the execution succeeds', async () => {
    const before = await p.control.stats();
    const job = renderedJob();
    const { executionName, alreadyExisted } = await launcher.launch(p.keyCredential, job);
    expect(alreadyExisted).toBe(false);
    expect(executionName).toBe(
      `projects/${p.projectId}/locations/${p.region}/jobs/${job.jobId}/executions/${job.jobId}-${job.executionToken}`,
    );
    expect(await callsSince(p.control, before, 'run', 'CreateJob')).toBe(1);
    expect(await callsSince(p.control, before, 'run', 'RunJob')).toBe(0);
    expect(await callsSince(p.control, before, 'run', 'GetOperation')).toBe(0);

    const status = await untilTerminal(p.keyCredential, executionName);
    expect(status).toMatchObject({ name: executionName, phase: 'SUCCEEDED' });
    expect(status.message).toBeUndefined();
    expect(Date.parse(status.completionTime ?? '')).toBeGreaterThanOrEqual(
      Date.parse(status.startTime ?? ''),
    );
    const view = await p.control.execution(executionName);
    expect(view.output).toContain('hello world');
    expect(view).toMatchObject({ image: job.image, command: ['sh', '-c'], args: job.args, succeeded: 1 });
  });

  it('a second launch of the same attempt starts nothing and answers alreadyExisted with the same execution', async () => {
    const job = renderedJob();
    const first = await launcher.launch(p.keyCredential, job);
    const second = await launcher.launch(p.keyCredential, job);
    expect(second).toEqual({ executionName: first.executionName, alreadyExisted: true });
    expect(await executionsOfJob(job.jobId)).toHaveLength(1);
  });

  it('a CreateJob response lost after it took effect: RetryableError, and the retry finds the same single execution', async () => {
    const job = renderedJob();
    await p.control.addFault({ service: 'run', method: 'CreateJob', dropResponse: true, count: 1 });
    await expect(launcher.launch(p.keyCredential, job)).rejects.toBeInstanceOf(RetryableError);
    const retried = await launcher.launch(p.keyCredential, job);
    expect(retried.alreadyExisted).toBe(true);
    const executions = await executionsOfJob(job.jobId);
    expect(executions.map((e) => e.name)).toEqual([retried.executionName]);
  });

  it('concurrent launches of one attempt (a task delivered twice at once) make exactly one execution', async () => {
    const job = renderedJob();
    const results = await Promise.all([1, 2, 3].map(() => launcher.launch(p.keyCredential, job)));
    expect(new Set(results.map((r) => r.executionName)).size).toBe(1);
    expect(results.filter((r) => !r.alreadyExisted)).toHaveLength(1);
    expect(await executionsOfJob(job.jobId)).toHaveLength(1);
  });

  it('a failing command ends FAILED with Cloud Run’s own message naming the exit code', async () => {
    const { executionName } = await launcher.launch(p.keyCredential, renderedJob({ args: ['exit 3'] }));
    const status = await untilTerminal(p.keyCredential, executionName);
    expect(status.phase).toBe('FAILED');
    expect(status.message).toMatch(/exit code of 3/);
  });

  it('a run past its timeout ends FAILED with a message about the timeout', async () => {
    const { executionName } = await launcher.launch(
      p.keyCredential,
      renderedJob({ args: ['sleep 30'], timeoutSeconds: 1 }),
    );
    const status = await untilTerminal(p.keyCredential, executionName);
    expect(status.phase).toBe('FAILED');
    expect(status.message).toMatch(/timeout/i);
  });

  it('cancel: the execution ends CANCELLED and its process is gone; cancelling again resolves', async () => {
    const { executionName } = await launcher.launch(p.keyCredential, renderedJob({ args: ['sleep 30'] }));
    const running = await waitFor(
      () => p.control.execution(executionName),
      (v) => v.pids.length > 0,
    );
    expect((await launcher.getExecution(p.keyCredential, executionName)).phase).toBe('RUNNING');
    await launcher.cancelExecution(p.keyCredential, executionName);
    const status = await untilTerminal(p.keyCredential, executionName);
    expect(status.phase).toBe('CANCELLED');
    await waitFor(
      async () => running.pids.every(processGone),
      (gone) => gone,
      { timeoutMs: 5_000 },
    );
    await expect(launcher.cancelExecution(p.keyCredential, executionName)).resolves.toBeUndefined();
  });

  it('deleteJob refuses to kill a running execution (RetryableError), then deletes once it finished, idempotently', async () => {
    const job = renderedJob({ args: ['sleep 30'] });
    const { executionName } = await launcher.launch(p.keyCredential, job);
    await expect(
      launcher.deleteJob(p.keyCredential, p.projectId, p.region, job.jobId),
    ).rejects.toBeInstanceOf(RetryableError);
    await launcher.cancelExecution(p.keyCredential, executionName);
    await untilTerminal(p.keyCredential, executionName);
    await launcher.deleteJob(p.keyCredential, p.projectId, p.region, job.jobId);
    await launcher.deleteJob(p.keyCredential, p.projectId, p.region, job.jobId);
    await expect(launcher.getExecution(p.keyCredential, executionName)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('deleteJob after a completed execution removes job and execution', async () => {
    const job = renderedJob();
    const { executionName } = await launcher.launch(p.keyCredential, job);
    await untilTerminal(p.keyCredential, executionName);
    await launcher.deleteJob(p.keyCredential, p.projectId, p.region, job.jobId);
    expect(await executionsOfJob(job.jobId)).toHaveLength(0);
  });

  it('a credential without the launcher role is refused, naming the permission as Google words it', async () => {
    const { credential } = await p.newLauncher('no-grants-launcher', { grants: false });
    const err = await refusal(launcher.launch(credential, renderedJob()));
    expect(err.reason).toBe('PERMISSION_DENIED');
    expect(err.message).toContain("Permission 'run.jobs.create' denied");
  });

  it('a runtime service account pushrun may not act as is refused, naming actAs', async () => {
    const { email: other } = await p.control.createServiceAccount(p.projectId, 'default-like-sa');
    const err = await refusal(launcher.launch(p.keyCredential, renderedJob({ serviceAccount: other })));
    expect(err.reason).toBe('PERMISSION_DENIED');
    expect(err.message).toContain('iam.serviceAccounts.actAs');
    expect(err.message).toContain(other);
  });

  it('an invalid spec is refused INVALID_ARGUMENT naming the field', async () => {
    const err = await refusal(launcher.launch(p.keyCredential, renderedJob({ image: '' })));
    expect(err.reason).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('containers[0].image');
    const reserved = await refusal(launcher.launch(p.keyCredential, renderedJob({ env: { PORT: '8080' } })));
    expect(reserved.reason).toBe('INVALID_ARGUMENT');
    expect(reserved.message).toContain('PORT');
  });

  it('an execution id over 63 characters is refused before any call', async () => {
    const before = await p.control.stats();
    const err = await refusal(
      launcher.launch(
        p.keyCredential,
        renderedJob({ jobId: `j${'x'.repeat(55)}`, executionToken: 'abcdefgh' }),
      ),
    );
    expect(err.reason).toBe('INVALID_ARGUMENT');
    expect(await callsSince(p.control, before, 'run', 'CreateJob')).toBe(0);
  });

  it('a disabled key is refused UNAUTHENTICATED', async () => {
    const { email, key, credential } = await p.newLauncher('disabled-key-launcher');
    await p.control.setKeyEnabled(p.projectId, email, key.private_key_id, false);
    const err = await refusal(launcher.launch(credential, renderedJob()));
    expect(err.reason).toBe('UNAUTHENTICATED');
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('a transient UNAVAILABLE is a RetryableError and launches nothing; the retry launches once', async () => {
    const job = renderedJob();
    await p.control.addFault({ service: 'run', method: 'CreateJob', code: 14, count: 1 });
    await expect(launcher.launch(p.keyCredential, job)).rejects.toBeInstanceOf(RetryableError);
    expect(await executionsOfJob(job.jobId)).toHaveLength(0);
    const { alreadyExisted, executionName } = await launcher.launch(p.keyCredential, job);
    expect(alreadyExisted).toBe(false);
    await p.control.addFault({ service: 'run', method: 'GetExecution', code: 14, count: 1 });
    await expect(launcher.getExecution(p.keyCredential, executionName)).rejects.toBeInstanceOf(
      RetryableError,
    );
    await p.control.addFault({ service: 'run', method: 'GetExecution', code: 8, count: 1 });
    const quota = await launcher.getExecution(p.keyCredential, executionName).catch((e: unknown) => e);
    expect(quota).toBeInstanceOf(RetryableError);
    expect((quota as RetryableError).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('a job that exists without this attempt’s execution is an anomaly: FAILED_PRECONDITION, nothing started', async () => {
    const job = renderedJob();
    // Someone created the job without the token (another tool, a bug): no execution exists.
    const jobs = new JobsClient(restClientOptions(p.platformAuth, p.emulators.endpoints.run));
    await p.control.grant(p.projectId, `serviceAccount:${p.platformEmail}`, { role: 'roles/run.admin' });
    await jobs.createJob({
      parent: `projects/${p.projectId}/locations/${p.region}`,
      jobId: job.jobId,
      job: { template: { template: { containers: [{ image: 'x', command: ['true'] }] } } },
    });
    await jobs.close();
    const err = await refusal(launcher.launch(p.keyCredential, job));
    expect(err.reason).toBe('FAILED_PRECONDITION');
    expect(err.message).toContain('already exists but its execution');
    expect(await executionsOfJob(job.jobId)).toHaveLength(0);
  });

  it('impersonation: with token creator granted, pushrun launches with no customer key, minting one token for many calls', async () => {
    const { email } = await p.newLauncher('keyless-launcher', { impersonable: true });
    const cred: CustomerCredential = { kind: 'impersonation', serviceAccountEmail: email };
    const before = await p.control.stats();
    const { executionName } = await launcher.launch(cred, renderedJob());
    const status = await untilTerminal(cred, executionName);
    expect(status.phase).toBe('SUCCEEDED');
    expect(await callsSince(p.control, before, 'iam', 'GenerateAccessToken')).toBe(1);
  });

  it('impersonation without the token creator grant is refused PERMISSION_DENIED, saying what to grant', async () => {
    const { email } = await p.newLauncher('not-impersonable');
    const cred: CustomerCredential = { kind: 'impersonation', serviceAccountEmail: email };
    const err = await refusal(launcher.launch(cred, renderedJob()));
    expect(err.reason).toBe('PERMISSION_DENIED');
    expect(err.message).toContain('roles/iam.serviceAccountTokenCreator');
    expect(err.message).toContain('iam.serviceAccounts.getAccessToken');
  });

  it('getExecution of an execution that does not exist is NotFoundError', async () => {
    await expect(
      launcher.getExecution(
        p.keyCredential,
        `projects/${p.projectId}/locations/${p.region}/jobs/nope/executions/nope-x`,
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
