import { ApiError, invalidArgument } from '../core/errors.js';
import { asInt, parseDuration } from '../core/protoJson.js';

/** Proto3 JSON of the google.cloud.run.v2 messages, as far as the emulator reads them. */
export interface EnvVarJson {
  name?: string;
  value?: string;
  valueSource?: unknown;
}
export interface ContainerJson {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVarJson[];
  workingDir?: string;
  [field: string]: unknown;
}
export interface TaskTemplateJson {
  containers?: ContainerJson[];
  maxRetries?: number;
  timeout?: string;
  serviceAccount?: string;
  [field: string]: unknown;
}
export interface ExecutionTemplateJson {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  parallelism?: number;
  taskCount?: number;
  template?: TaskTemplateJson;
}
export interface JobJson {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  client?: string;
  clientVersion?: string;
  launchStage?: string | number;
  binaryAuthorization?: unknown;
  template?: ExecutionTemplateJson;
  startExecutionToken?: string;
  runExecutionToken?: string;
  etag?: string;
  [field: string]: unknown;
}
export interface OverridesJson {
  containerOverrides?: { name?: string; args?: string[]; env?: EnvVarJson[]; clearArgs?: boolean }[];
  taskCount?: number;
  timeout?: string;
}

/** Namespaces Cloud Run v2 rejects in labels and annotations. */
export const RESERVED_NAMESPACES = [
  'run.googleapis.com',
  'cloud.googleapis.com',
  'serving.knative.dev',
  'autoscaling.knative.dev',
  'client.knative.dev',
  'features.knative.dev',
  'networking.knative.dev',
  'internal.knative.dev',
];

/** Set by Cloud Run itself; a job may not define them. */
export const RESERVED_ENV = new Set([
  'CLOUD_RUN_JOB',
  'CLOUD_RUN_EXECUTION',
  'CLOUD_RUN_TASK_INDEX',
  'CLOUD_RUN_TASK_ATTEMPT',
  'CLOUD_RUN_TASK_COUNT',
  'PORT',
  'K_SERVICE',
  'K_REVISION',
  'K_CONFIGURATION',
]);

export const JOB_ID_RE = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ENV_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const LABEL_KEY_RE = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE_RE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const MAX_TIMEOUT_S = 168 * 3600;
export const DEFAULT_TIMEOUT_S = 600;
export const DEFAULT_MAX_RETRIES = 3;

export function validateJobId(jobId: string): void {
  if (!jobId) throw invalidArgument('job_id is required.', 'job_id');
  if (!JOB_ID_RE.test(jobId)) {
    throw invalidArgument(
      `Invalid job_id '${jobId}': must start with a lowercase letter, contain only lowercase letters, digits and hyphens, not end with a hyphen, and be at most 63 characters.`,
      'job_id',
    );
  }
}

function checkMetadata(map: unknown, field: string, kind: 'label' | 'annotation'): void {
  if (map === undefined || map === null) return;
  if (typeof map !== 'object') throw invalidArgument(`${field} must be a map.`, field);
  for (const [key, value] of Object.entries(map as Record<string, unknown>)) {
    const slash = key.indexOf('/');
    const namespace = slash >= 0 ? key.slice(0, slash) : '';
    if (RESERVED_NAMESPACES.some((ns) => namespace === ns || namespace.endsWith(`.${ns}`))) {
      throw invalidArgument(
        `${kind === 'label' ? 'Label' : 'Annotation'} '${key}' uses the reserved namespace '${namespace}', which Cloud Run API v2 does not accept.`,
        `${field}[${key}]`,
      );
    }
    if (kind === 'label') {
      if (!LABEL_KEY_RE.test(key)) throw invalidArgument(`Invalid label key '${key}'.`, `${field}[${key}]`);
      if (typeof value !== 'string' || !LABEL_VALUE_RE.test(value)) {
        throw invalidArgument(`Invalid value for label '${key}'.`, `${field}[${key}]`);
      }
    } else if (typeof value !== 'string') {
      throw invalidArgument(`Annotation '${key}' must have a string value.`, `${field}[${key}]`);
    }
  }
}

export function validateEnv(env: unknown, field: string): void {
  if (env === undefined) return;
  if (!Array.isArray(env)) throw invalidArgument(`${field} must be a list.`, field);
  const seen = new Set<string>();
  env.forEach((e: EnvVarJson, i) => {
    const name = e?.name ?? '';
    if (!ENV_NAME_RE.test(name)) {
      throw invalidArgument(
        `Invalid environment variable name '${name}': must consist of letters, digits, '_', '-' or '.', and must not start with a digit.`,
        `${field}[${i}].name`,
      );
    }
    if (RESERVED_ENV.has(name)) {
      throw invalidArgument(
        `The following reserved env names were provided: ${name}. These values are automatically set by the system.`,
        `${field}[${i}].name`,
      );
    }
    if (seen.has(name))
      throw invalidArgument(`Duplicate environment variable name '${name}'.`, `${field}[${i}].name`);
    seen.add(name);
    if (e.value !== undefined && typeof e.value !== 'string') {
      throw invalidArgument(
        `Environment variable '${name}' must have a string value.`,
        `${field}[${i}].value`,
      );
    }
  });
}

export function checkTimeout(value: unknown, field: string): number | undefined {
  const s = parseDuration(value, field);
  if (s === undefined) return undefined;
  if (s <= 0 || s > MAX_TIMEOUT_S) {
    throw invalidArgument(`${field} must be greater than 0s and at most ${MAX_TIMEOUT_S}s.`, field);
  }
  return s;
}

/** INVALID_ARGUMENT for any spec the real API refuses; returns nothing, the job is stored as given plus defaults. */
export function validateJob(job: JobJson | undefined, jobName: string): asserts job is JobJson {
  if (!job || typeof job !== 'object') throw invalidArgument('job is required.', 'job');
  checkMetadata(job.labels, 'job.labels', 'label');
  checkMetadata(job.annotations, 'job.annotations', 'annotation');
  const et = job.template;
  if (!et) throw invalidArgument('job.template is required.', 'job.template');
  checkMetadata(et.labels, 'job.template.labels', 'label');
  checkMetadata(et.annotations, 'job.template.annotations', 'annotation');
  const taskCount = asInt(et.taskCount, 'job.template.task_count');
  if (taskCount !== undefined && (taskCount < 0 || taskCount > 10_000)) {
    throw invalidArgument('task_count must be between 1 and 10000.', 'job.template.task_count');
  }
  const parallelism = asInt(et.parallelism, 'job.template.parallelism');
  if (parallelism !== undefined && parallelism < 0) {
    throw invalidArgument('parallelism must not be negative.', 'job.template.parallelism');
  }
  const tt = et.template;
  if (!tt) throw invalidArgument('job.template.template is required.', 'job.template.template');
  const containers = tt.containers ?? [];
  if (containers.length === 0) {
    throw invalidArgument('At least one container is required.', 'job.template.template.containers');
  }
  if (containers.length > 10) {
    throw invalidArgument('At most 10 containers are allowed.', 'job.template.template.containers');
  }
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const field = `job.template.template.containers[${i}]`;
    if (!c.image || typeof c.image !== 'string')
      throw invalidArgument(`${field}.image is required.`, `${field}.image`);
    if (c.name) {
      if (names.has(c.name)) throw invalidArgument(`Duplicate container name '${c.name}'.`, `${field}.name`);
      names.add(c.name);
    }
    validateEnv(c.env, `${field}.env`);
  });
  const maxRetries = asInt(tt.maxRetries, 'job.template.template.max_retries');
  if (maxRetries !== undefined && (maxRetries < 0 || maxRetries > 10)) {
    throw invalidArgument('max_retries must be between 0 and 10.', 'job.template.template.max_retries');
  }
  checkTimeout(tt.timeout, 'job.template.template.timeout');
  const token = job.startExecutionToken ?? job.runExecutionToken;
  if (token !== undefined) {
    const jobId = jobName.split('/').pop() ?? '';
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(token) || jobId.length + token.length + 1 > 63) {
      throw invalidArgument(
        'The execution token must be lowercase letters, digits and hyphens, and the sum of job name and token length must be fewer than 63 characters.',
        job.startExecutionToken !== undefined ? 'job.start_execution_token' : 'job.run_execution_token',
      );
    }
  }
}

export function validateOverrides(overrides: OverridesJson | undefined, containers: ContainerJson[]): void {
  if (!overrides) return;
  (overrides.containerOverrides ?? []).forEach((o, i) => {
    const field = `overrides.container_overrides[${i}]`;
    if (o.name && !containers.some((c) => c.name === o.name)) {
      throw invalidArgument(`Container '${o.name}' does not exist in the job.`, `${field}.name`);
    }
    if (o.clearArgs && o.args && o.args.length > 0) {
      throw invalidArgument('clear_args cannot be set together with args.', `${field}.clear_args`);
    }
    validateEnv(o.env, `${field}.env`);
  });
  const taskCount = asInt(overrides.taskCount, 'overrides.task_count');
  if (taskCount !== undefined && (taskCount < 0 || taskCount > 10_000)) {
    throw invalidArgument('task_count must be between 1 and 10000.', 'overrides.task_count');
  }
  checkTimeout(overrides.timeout, 'overrides.timeout');
}

export function hasOverrides(o: OverridesJson | undefined): boolean {
  if (!o) return false;
  return (
    (o.containerOverrides?.length ?? 0) > 0 || !!asInt(o.taskCount, 'overrides.task_count') || !!o.timeout
  );
}

export function notFound(kind: string, name: string): ApiError {
  return new ApiError(
    5,
    `Resource '${name}' of kind '${kind}' in region '${name.split('/')[3] ?? ''}' in project '${name.split('/')[1] ?? ''}' does not exist.`,
  );
}
