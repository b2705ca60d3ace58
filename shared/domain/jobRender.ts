import type { Deployment } from '../contracts/deployment.js';
import type { JobVariables } from '../contracts/jobVariables.js';
import { MAX_TIMEOUT_SECONDS } from '../contracts/jobVariables.js';
import type { Run } from '../contracts/run.js';
import type { WorkPool } from '../contracts/workPool.js';
import type { RenderedJob } from '../ports/jobLauncher.js';
import { type FieldViolation, LaunchRefusedError } from './errors.js';

/** Defaults when neither pool, deployment nor run says otherwise. */
export const JOB_DEFAULTS = {
  timeoutSeconds: 3600,
  // pushrun retries whole runs by the deployment's policy; Cloud Run retrying the
  // container inside one execution would double-run work behind our back.
  maxRetries: 0,
} as const;

export interface RenderInput {
  pool: WorkPool;
  deployment: Deployment;
  run: Run;
  workspace: string;
  apiUrl: string;
  runToken: string;
}

const JOB_ID = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const RESERVED_ENV = /^(CLOUD_RUN_|K_)|^PORT$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const RESERVED_LABEL_NS =
  /^(run\.googleapis\.com|cloud\.googleapis\.com|serving\.knative\.dev|[a-z.]*knative\.dev)\//;

/** The Cloud Run job id for one run attempt: deterministic, so a relaunch finds the same job. */
export function jobIdFor(runId: string, attempt: number): string {
  return `pr-${runId}-a${attempt}`.toLowerCase();
}

/** The execution token: with a job per attempt one constant suffices; the execution is `{jobId}-{token}`. */
export const EXECUTION_TOKEN = 'x';

/** Later layers win field by field; env merges key by key. */
function layer(...layers: (JobVariables | undefined)[]): JobVariables {
  const out: JobVariables = {};
  for (const l of layers) {
    if (!l) continue;
    for (const [k, v] of Object.entries(l)) {
      if (v === undefined) continue;
      if (k === 'env' || k === 'labels') {
        (out as Record<string, unknown>)[k] = { ...(out[k] ?? {}), ...(v as Record<string, string>) };
      } else {
        (out as Record<string, unknown>)[k] = v;
      }
    }
  }
  return out;
}

/** The job variables in force for a run: pool, then deployment, then run, each overriding the one before. */
function jobVariablesFor(pool: WorkPool, deployment: Deployment, run: Run): JobVariables {
  return layer(
    pool.baseJobTemplate,
    deployment.jobVariables,
    { ...(deployment.image === undefined ? {} : { image: deployment.image }), env: deployment.env },
    run.jobVariables,
  );
}

function timeoutOf(vars: JobVariables): number {
  return vars.timeoutSeconds ?? JOB_DEFAULTS.timeoutSeconds;
}

/** The task timeout a run's job will get (a run token must outlive it). */
export function jobTimeoutSeconds(pool: WorkPool, deployment: Deployment, run: Run): number {
  return timeoutOf(jobVariablesFor(pool, deployment, run));
}

/**
 * Renders the Cloud Run job for one run attempt from the work pool's base
 * template, the deployment and the run (each overriding the one before), plus
 * the platform's own env. Pure. Checks the result against Cloud Run's field
 * rules so a bad spec fails here with a message naming the field, before any
 * call to the customer project. Throws LaunchRefusedError(INVALID_ARGUMENT).
 */
export function renderJob(input: RenderInput): RenderedJob {
  const { pool, deployment, run } = input;
  const vars = jobVariablesFor(pool, deployment, run);
  const problems: FieldViolation[] = [];
  if (pool.projectId === undefined || pool.region === undefined) {
    problems.push({ field: 'workPool', issue: 'a cloud-run work pool needs projectId and region' });
  }
  const image = vars.image;
  if (image === undefined || image.trim() === '')
    problems.push({ field: 'image', issue: 'no image in run, deployment or work pool' });
  if (vars.serviceAccount === undefined && vars.useDefaultComputeServiceAccount !== true) {
    problems.push({
      field: 'serviceAccount',
      issue: 'no runtime service account (set one, or choose the default compute account explicitly)',
    });
  }
  const platformEnv: Record<string, string> = {
    PUSHRUN_API_URL: input.apiUrl,
    PUSHRUN_WORKSPACE: input.workspace,
    PUSHRUN_RUN_ID: run.id,
    PUSHRUN_RUN_ATTEMPT: String(run.attempt),
    PUSHRUN_RUN_TOKEN: input.runToken,
    PUSHRUN_PARAMETERS: JSON.stringify(run.parameters),
  };
  // Names only: the values are fetched from the API with the run token, so no
  // secret ever sits in the job spec the customer project (and its audit logs) keep.
  const secretNames = Object.keys(deployment.secretEnv ?? {}).sort();
  if (secretNames.length > 0) platformEnv.PUSHRUN_SECRET_NAMES = secretNames.join(',');
  const env = { ...(vars.env ?? {}), ...platformEnv };
  for (const name of Object.keys(vars.env ?? {})) {
    if (!ENV_NAME.test(name))
      problems.push({ field: `env.${name}`, issue: 'not a valid environment variable name' });
    else if (RESERVED_ENV.test(name) || name.startsWith('PUSHRUN_')) {
      problems.push({ field: `env.${name}`, issue: 'reserved by Cloud Run or pushrun' });
    }
  }
  const labels: Record<string, string> = {
    ...(vars.labels ?? {}),
    'pushrun-workspace': input.workspace.slice(0, 63),
    'pushrun-deployment': deployment.name.slice(0, 63),
    'pushrun-run': run.id.toLowerCase().slice(0, 63),
  };
  for (const [k, v] of Object.entries(labels)) {
    if (RESERVED_LABEL_NS.test(k) || !LABEL_KEY.test(k))
      problems.push({ field: `labels.${k}`, issue: 'invalid or reserved label key' });
    if (!LABEL_VALUE.test(v)) problems.push({ field: `labels.${k}`, issue: 'invalid label value' });
  }
  const timeoutSeconds = timeoutOf(vars);
  if (timeoutSeconds > MAX_TIMEOUT_SECONDS)
    problems.push({ field: 'timeoutSeconds', issue: 'at most 168 hours' });
  const jobId = jobIdFor(run.id, run.attempt);
  if (!JOB_ID.test(jobId))
    problems.push({ field: 'jobId', issue: `run id ${run.id} does not make a valid Cloud Run job id` });
  if (problems.length > 0) {
    throw new LaunchRefusedError(
      'INVALID_ARGUMENT',
      `the job spec is invalid: ${problems.map((p) => `${p.field}: ${p.issue}`).join('; ')}`,
    );
  }
  return {
    projectId: pool.projectId as string,
    region: pool.region as string,
    jobId,
    executionToken: EXECUTION_TOKEN,
    image: image as string,
    command: deployment.command ?? [],
    args: deployment.args ?? [],
    env,
    cpu: vars.cpu,
    memory: vars.memory,
    timeoutSeconds,
    maxRetries: vars.maxRetries ?? JOB_DEFAULTS.maxRetries,
    serviceAccount: vars.serviceAccount,
    vpcAccess: vars.vpcAccess,
    labels,
  };
}
