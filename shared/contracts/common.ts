import { z } from 'zod';

export const ErrorBody = z.object({
  error: z.object({
    code: z.int(),
    status: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), issue: z.string() })),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const PageQuery = z.strictObject({
  page_size: z.coerce.number().int().min(1).max(500).default(50),
  page_token: z.string().max(500).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

export const Timestamp = z.iso.datetime({ offset: true });

/** Label keys and values as Cloud Run accepts them (and not in Google's reserved namespaces). */
export const LabelKey = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}$/,
    'label keys are lowercase letters, digits, _ or -, start with a letter, ≤ 63',
  );
export const LabelValue = z
  .string()
  .regex(/^[a-z0-9_-]{0,63}$/, 'label values are lowercase letters, digits, _ or -, ≤ 63');

/** Environment variable names as Cloud Run accepts them; PUSHRUN_ and CLOUD_RUN_ are reserved for the platform. */
export const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/, 'env names are letters, digits and _, not starting with a digit')
  .refine(
    (n) =>
      !/^(PUSHRUN_|CLOUD_RUN_)/.test(n) &&
      !['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'].includes(n),
    {
      message: 'reserved env name',
    },
  );

export const EnvMap = z.record(EnvName, z.string().max(32_768)).refine((m) => Object.keys(m).length <= 1000, {
  message: 'at most 1000 env entries',
});
