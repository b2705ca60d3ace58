import { z } from 'zod';
import { AccessList } from '../domain/access.js';
import { Slug } from '../domain/ids.js';
import { EnvName, Timestamp } from './common.js';

/** Values are UTF-8 text of at most 64 KiB (measured in bytes, as stored). */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;

/**
 * A secret's value on the way in. The messages are fixed strings: zod never
 * echoes the input, and neither may we.
 */
export const SecretValue = z
  .string()
  .min(1, 'must not be empty')
  .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_SECRET_VALUE_BYTES, 'at most 64 KiB (UTF-8)');

export const CreateSecretRequest = z.strictObject({
  name: Slug,
  value: SecretValue,
  description: z.string().max(1000).optional(),
  /** Who may see (view), use in a deployment (run) or change (manage) it; absent = everyone with the role. */
  access: AccessList.nullable().optional(),
});
export type CreateSecretRequest = z.infer<typeof CreateSecretRequest>;

/** A new `value` rotates the secret (new sealed blob, version + 1); the rest is metadata. */
export const UpdateSecretRequest = z.strictObject({
  description: z.string().max(1000).optional(),
  value: SecretValue.optional(),
  access: AccessList.nullable().optional(),
});
export type UpdateSecretRequest = z.infer<typeof UpdateSecretRequest>;

/** What the API shows of a secret: metadata only, never the value. */
export const Secret = z.object({
  name: Slug,
  description: z.string().optional(),
  /** 1 at creation, + 1 per value rotation: a run can tell which value it was given. */
  version: z.int().min(1),
  access: AccessList.nullable().optional(),
  /** When the current value was set. */
  valueUpdatedAt: Timestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Secret = z.infer<typeof Secret>;

/** How a deployment hands secrets to its runs: env name → secret name (never values). */
export const SecretEnv = z
  .record(EnvName, Slug)
  .refine((m) => Object.keys(m).length <= 100, { message: 'at most 100 secrets per deployment' });
export type SecretEnv = z.infer<typeof SecretEnv>;

/** The answer of the run-secrets route to a run token: the values its deployment declares, by env name. */
export const RunSecrets = z.object({
  values: z.record(z.string(), z.string()),
  /** The version of each secret that was read, by env name. */
  versions: z.record(z.string(), z.int()),
});
export type RunSecrets = z.infer<typeof RunSecrets>;
