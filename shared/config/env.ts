import { z } from 'zod';

const endpoint = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d+$/, 'expected host:port')
  .describe('host:port of an API endpoint; set only to point a client at an emulator');

const secret = z.string().min(32, 'must be at least 32 characters');

/**
 * Every setting the functions read. Production values come from the function's
 * environment (Terraform sets them, secrets come from Secret Manager); locally
 * `npm start` and the tests set them. Endpoint overrides are absent in production.
 */
export const Env = z.object({
  GOOGLE_CLOUD_PROJECT: z.string().min(1).describe("pushrun's own project (Firestore, KMS, Tasks)"),
  PUSHRUN_REGION: z.string().min(1).default('europe-west1'),
  PUSHRUN_API_URL: z.url().describe('public base URL of the api function, given to run containers'),
  PUSHRUN_PLATFORM_ADMIN_KEY: secret.describe('bearer key that may create workspaces'),
  PUSHRUN_RUN_TOKEN_SECRET: secret.describe('HMAC key that signs run tokens'),
  PUSHRUN_KMS_KEY_RING: z.string().default('pushrun-workspaces'),
  PUSHRUN_KMS_LOCATION: z.string().default('global'),
  PUSHRUN_SCHEDULER_URL: z
    .url()
    .optional()
    .describe('URL Cloud Scheduler calls; the audience the scheduler accepts'),
  PUSHRUN_PLATFORM_CREDENTIALS_FILE: z
    .string()
    .optional()
    .describe(
      "local only: a key file for pushrun's own service account; production uses the runtime identity",
    ),
  PUSHRUN_MONITOR_INITIAL_POLL_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
  PUSHRUN_MONITOR_MAX_POLL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  PUSHRUN_SLOT_LEASE_SECONDS: z.coerce
    .number()
    .int()
    .min(5)
    .max(86_400)
    .default(600)
    .describe(
      'lease of a concurrency slot; renewed by every monitor poll, so keep it well above the max poll',
    ),
  PUSHRUN_DISPATCH_QUEUE: z.string().default('pushrun-dispatch'),
  PUSHRUN_MONITOR_QUEUE: z.string().default('pushrun-monitor'),
  PUSHRUN_DISPATCHER_URL: z.url().describe('URL Cloud Tasks calls for dispatch tasks'),
  PUSHRUN_MONITOR_URL: z.url().describe('URL Cloud Tasks calls for monitor tasks'),
  PUSHRUN_TASKS_SERVICE_ACCOUNT: z
    .email()
    .describe(
      'identity Cloud Tasks and Cloud Scheduler sign OIDC tokens as; the internal functions accept only it',
    ),
  PUSHRUN_OIDC_ISSUER: z.url().default('https://accounts.google.com'),
  PUSHRUN_OIDC_JWKS_URI: z.url().default('https://www.googleapis.com/oauth2/v3/certs'),
  PUSHRUN_SSO_AUDIENCE: z.string().optional(),
  FIRESTORE_EMULATOR_HOST: endpoint.optional(),
  PUSHRUN_RUN_ENDPOINT: endpoint.optional(),
  PUSHRUN_TASKS_ENDPOINT: endpoint.optional(),
  PUSHRUN_KMS_ENDPOINT: endpoint.optional(),
  PUSHRUN_IAM_ENDPOINT: endpoint.optional(),
  PUSHRUN_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});
export type Env = z.infer<typeof Env>;

/** Parses the environment once; throws a ZodError listing every bad variable (never their values). */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = Env.safeParse(source);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid environment: ${fields}`);
  }
  return parsed.data;
}
