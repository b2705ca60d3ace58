import { z } from 'zod';
import { EnvMap, LabelKey, LabelValue } from './common.js';

/** Cloud Run's maximum task timeout: 168 hours. */
export const MAX_TIMEOUT_SECONDS = 168 * 3600;

export const VpcAccess = z.strictObject({
  connector: z.string().min(1).max(300).optional(),
  egress: z.enum(['ALL_TRAFFIC', 'PRIVATE_RANGES_ONLY']).optional(),
  networkInterfaces: z
    .array(
      z.strictObject({
        network: z.string().min(1).max(300).optional(),
        subnetwork: z.string().min(1).max(300).optional(),
        tags: z.array(z.string().max(63)).max(64).optional(),
      }),
    )
    .max(1)
    .optional(),
});
export type VpcAccess = z.infer<typeof VpcAccess>;

/**
 * The knobs of a Cloud Run job that a work pool defaults, a deployment overrides
 * and a run may override again. Every field optional: absent means "inherit".
 */
export const JobVariables = z.strictObject({
  image: z.string().min(1).max(1000).optional(),
  cpu: z
    .string()
    .regex(/^(\d+(\.\d+)?|\d+m)$/, 'cpu like "1", "2", "0.5" or "1000m"')
    .optional(),
  memory: z
    .string()
    .regex(/^\d+(Mi|Gi)$/, 'memory like "512Mi" or "2Gi"')
    .optional(),
  timeoutSeconds: z.int().min(1).max(MAX_TIMEOUT_SECONDS).optional(),
  maxRetries: z.int().min(0).max(10).optional(),
  /** The identity the job runs as in the customer project. */
  serviceAccount: z.email().optional(),
  /** Must be set explicitly to run as the project's default compute account. */
  useDefaultComputeServiceAccount: z.boolean().optional(),
  vpcAccess: VpcAccess.optional(),
  labels: z.record(LabelKey, LabelValue).optional(),
  env: EnvMap.optional(),
});
export type JobVariables = z.infer<typeof JobVariables>;
