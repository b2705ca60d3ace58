import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../shared/contracts/deployment.js';
import { RetryPolicy } from '../../../shared/contracts/deployment.js';
import type { Run } from '../../../shared/contracts/run.js';
import type { WorkPool } from '../../../shared/contracts/workPool.js';
import { LaunchRefusedError } from '../../../shared/domain/errors.js';
import { JOB_DEFAULTS, jobIdFor, renderJob } from '../../../shared/domain/jobRender.js';

const T = '2026-06-01T00:00:00.000Z';
const pool: WorkPool = {
  name: 'cr',
  kind: 'cloud-run',
  credential: 'gcp',
  projectId: 'cust-proj',
  region: 'europe-west1',
  baseJobTemplate: {
    image: 'pool/image:1',
    cpu: '1',
    memory: '512Mi',
    timeoutSeconds: 600,
    serviceAccount: 'runtime@cust-proj.iam.gserviceaccount.com',
    labels: { team: 'data' },
    env: { A: 'pool', B: 'pool' },
  },
  concurrencyLimit: null,
  paused: false,
  createdAt: T,
  updatedAt: T,
};
const deployment: Deployment = {
  name: 'etl',
  workPool: 'cr',
  image: 'dep/image:2',
  command: ['python'],
  args: ['flow.py'],
  env: { B: 'dep', C: 'dep' },
  jobVariables: { memory: '1Gi' },
  parameters: {},
  concurrencyLimit: null,
  collisionStrategy: 'enqueue',
  retryPolicy: RetryPolicy.parse({}),
  priority: 0,
  tags: [],
  paused: false,
  schedules: [],
  catchup: 'skip',
  catchupCap: 10,
  scheduleVersion: 0,
  createdAt: T,
  updatedAt: T,
};
const run: Run = {
  id: '01hzzzzzzzzzzzzzzzzzzzzzzz',
  deployment: 'etl',
  workPool: 'cr',
  parameters: { n: 1 },
  jobVariables: { env: { C: 'run' }, cpu: '2' },
  tags: [],
  state: { type: 'PENDING', name: 'Pending', timestamp: T },
  attempt: 2,
  scheduledTime: T,
  createdAt: T,
  updatedAt: T,
};
const base = {
  pool,
  deployment,
  run,
  workspace: 'acme',
  apiUrl: 'https://api.example',
  runToken: 'token-of-this-run',
};

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof LaunchRefusedError) return err.message;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('job rendering: each layer overrides the one before', () => {
  const job = renderJob(base);
  it.each([
    ['image', job.image, 'dep/image:2'],
    ['cpu (run)', job.cpu, '2'],
    ['memory (deployment)', job.memory, '1Gi'],
    ['timeout (pool)', job.timeoutSeconds, 600],
    ['maxRetries (default)', job.maxRetries, JOB_DEFAULTS.maxRetries],
    ['service account (pool)', job.serviceAccount, 'runtime@cust-proj.iam.gserviceaccount.com'],
    ['env A (pool)', job.env.A, 'pool'],
    ['env B (deployment over pool)', job.env.B, 'dep'],
    ['env C (run over deployment)', job.env.C, 'run'],
    ['project', job.projectId, 'cust-proj'],
    ['job id', job.jobId, 'pr-01hzzzzzzzzzzzzzzzzzzzzzzz-a2'],
    ['label from pool', job.labels.team, 'data'],
    ['run label', job.labels['pushrun-run'], run.id],
  ])('%s', (_what, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('gives the container its run id, attempt, API URL and its own token only', () => {
    expect(job.env).toMatchObject({
      PUSHRUN_RUN_ID: run.id,
      PUSHRUN_RUN_ATTEMPT: '2',
      PUSHRUN_API_URL: 'https://api.example',
      PUSHRUN_RUN_TOKEN: 'token-of-this-run',
      PUSHRUN_PARAMETERS: '{"n":1}',
    });
  });

  it('a deployment declaring secrets gives the container their env names only, never a value', () => {
    expect(job.env.PUSHRUN_SECRET_NAMES).toBeUndefined();
    const withSecrets = renderJob({
      ...base,
      deployment: { ...deployment, secretEnv: { WAREHOUSE_DSN: 'dsn', API_TOKEN: 'upstream' } },
    });
    expect(withSecrets.env.PUSHRUN_SECRET_NAMES).toBe('API_TOKEN,WAREHOUSE_DSN');
    expect(Object.keys(withSecrets.env)).not.toContain('WAREHOUSE_DSN');
    expect(JSON.stringify(withSecrets)).not.toContain('upstream');
  });

  it('job ids are deterministic per attempt', () => {
    expect(jobIdFor(run.id, 1)).not.toBe(jobIdFor(run.id, 2));
    expect(renderJob(base).jobId).toBe(job.jobId);
  });
});

describe('job rendering: Cloud Run field rules are checked before any call', () => {
  it.each([
    [
      'no image anywhere',
      {
        pool: { ...pool, baseJobTemplate: { ...pool.baseJobTemplate, image: undefined } },
        deployment: { ...deployment, image: undefined },
      },
      'image',
    ],
    [
      'no runtime service account and no explicit choice',
      { pool: { ...pool, baseJobTemplate: { ...pool.baseJobTemplate, serviceAccount: undefined } } },
      'serviceAccount',
    ],
    ['a bad env name', { deployment: { ...deployment, env: { '1BAD': 'x' } } }, 'env.1BAD'],
    [
      'a reserved env name',
      { deployment: { ...deployment, env: { CLOUD_RUN_JOB: 'x' } } },
      'env.CLOUD_RUN_JOB',
    ],
    [
      'pushrun env cannot be overridden',
      { run: { ...run, jobVariables: { env: { PUSHRUN_RUN_TOKEN: 'x' } } } },
      'env.PUSHRUN_RUN_TOKEN',
    ],
    [
      'a bad label value',
      { run: { ...run, jobVariables: { labels: { team: 'Data Team' } } } },
      'labels.team',
    ],
    ['a pool without project', { pool: { ...pool, projectId: undefined } }, 'workPool'],
  ] as const)('%s', (_what, override, field) => {
    expect(refused(() => renderJob({ ...base, ...override } as typeof base))).toContain(field);
  });

  it('the default compute account only by explicit choice', () => {
    const explicit = renderJob({
      ...base,
      pool: {
        ...pool,
        baseJobTemplate: {
          ...pool.baseJobTemplate,
          serviceAccount: undefined,
          useDefaultComputeServiceAccount: true,
        },
      },
    });
    expect(explicit.serviceAccount).toBeUndefined();
  });
});
