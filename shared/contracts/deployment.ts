import { z } from 'zod';
import { AccessList } from '../domain/access.js';
import { Slug } from '../domain/ids.js';
import { EnvMap, Timestamp } from './common.js';
import { JobVariables } from './jobVariables.js';
import { CatchupPolicy, MAX_CATCHUP_CAP, Schedule, Schedules } from './schedule.js';
import { SecretEnv } from './secret.js';

export const RetryPolicy = z.strictObject({
  maxRetries: z.int().min(0).max(100).default(0),
  delaySeconds: z.int().min(0).max(86_400).default(10),
  /** Delay grows by this factor per attempt (1 = constant). */
  backoffFactor: z.number().min(1).max(10).default(2),
  /** Up to this fraction of the delay is added at random, so retries of many runs spread out. */
  jitter: z.number().min(0).max(1).default(0.2),
  maxDelaySeconds: z
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(3600),
  retryCrashed: z.boolean().default(true),
});
export type RetryPolicy = z.infer<typeof RetryPolicy>;

export const CollisionStrategy = z.enum(['enqueue', 'cancel_new']);
export type CollisionStrategy = z.infer<typeof CollisionStrategy>;

/** A JSON Schema (draft 2020-12) object describing a deployment's parameters. */
export const ParameterSchema = z.record(z.string(), z.unknown());

const Command = z.array(z.string().max(4096)).max(100);
const Tag = z.string().min(1).max(100);

const deploymentFields = {
  description: z.string().max(2000).optional(),
  image: z.string().min(1).max(1000).optional(),
  command: Command.optional(),
  args: Command.optional(),
  env: EnvMap.optional(),
  jobVariables: JobVariables.optional(),
  parameterSchema: ParameterSchema.optional(),
  /** Default parameter values, merged under the run's own. */
  parameters: z.record(z.string(), z.unknown()).optional(),
  concurrencyLimit: z.int().min(0).max(100_000).nullable().optional(),
  collisionStrategy: CollisionStrategy.optional(),
  retryPolicy: RetryPolicy.optional(),
  priority: z.int().min(-1000).max(1000).optional(),
  tags: z.array(Tag).max(50).optional(),
  paused: z.boolean().optional(),
  /** Who may see/run/manage it; null or absent = everyone the role allows. */
  access: AccessList.nullable().optional(),
  /** Cron, interval or RRULE schedules; ids are derived from the definition when left out. */
  schedules: Schedules.optional(),
  /** What to do with times missed while paused or while the scheduler was down (default skip). */
  catchup: CatchupPolicy.optional(),
  /** With catch-up `all`, at most this many missed times per schedule run (the most recent). */
  catchupCap: z.int().min(1).max(MAX_CATCHUP_CAP).optional(),
  /**
   * Env name → secret name. Values never enter the job spec: the container
   * fetches them from the API with its run token (GET …/runs/{run}/secrets).
   */
  secretEnv: SecretEnv.optional(),
};

export const CreateDeploymentRequest = z.strictObject({ name: Slug, workPool: Slug, ...deploymentFields });
export type CreateDeploymentRequest = z.infer<typeof CreateDeploymentRequest>;

export const UpdateDeploymentRequest = z.strictObject({ workPool: Slug.optional(), ...deploymentFields });
export type UpdateDeploymentRequest = z.infer<typeof UpdateDeploymentRequest>;

export const Deployment = z.object({
  name: Slug,
  workPool: Slug,
  description: z.string().optional(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()),
  jobVariables: JobVariables,
  parameterSchema: ParameterSchema.optional(),
  parameters: z.record(z.string(), z.unknown()),
  concurrencyLimit: z.int().nullable(),
  collisionStrategy: CollisionStrategy,
  retryPolicy: RetryPolicy,
  priority: z.int(),
  tags: z.array(z.string()),
  paused: z.boolean(),
  access: AccessList.nullable().optional(),
  schedules: z.array(Schedule).default([]),
  catchup: CatchupPolicy.default('skip'),
  catchupCap: z.int().default(10),
  /** Env name → secret name, readable by the deployment's runs only (see deploymentFields). */
  secretEnv: z.record(z.string(), z.string()).optional(),
  /**
   * Scheduler bookkeeping (read-only in the API, documented in shared/services/scheduler.ts).
   * Bumped by every edit that drops the deployment's future scheduled runs.
   */
  scheduleVersion: z.int().default(0),
  /** Every schedule time up to here has been materialised (or skipped by the catch-up policy). */
  scheduledThrough: Timestamp.optional(),
  /** When the scheduler must next look at this deployment; absent = never (paused, no active schedule). */
  nextMaterializeAt: Timestamp.optional(),
  /** Times from here on are on time, not missed (set by create, edit and resume). */
  onTimeFrom: Timestamp.optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Deployment = z.infer<typeof Deployment>;
