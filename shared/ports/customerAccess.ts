import { z } from 'zod';

/**
 * A customer service-account key as Google issues it. Only these fields are
 * used to build an auth client; anything else in the JSON is ignored, and a key
 * whose `type` is not `service_account` is refused (google-auth-library would
 * otherwise accept other credential types from user-supplied JSON).
 */
export const ServiceAccountKey = z.object({
  type: z.literal('service_account', { message: 'type must be "service_account"' }),
  project_id: z.string().min(1),
  private_key_id: z.string().regex(/^[0-9a-f]{8,64}$/, 'not a key id'),
  private_key: z
    .string()
    .regex(
      /^-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----\s*$/,
      'not a PEM private key',
    ),
  client_email: z.email(),
  client_id: z.string().optional(),
});
export type ServiceAccountKey = z.infer<typeof ServiceAccountKey>;

/** How pushrun acts in a customer project: with their key, or by impersonating their service account (keyless). */
export type CustomerCredential =
  | { kind: 'service_account_key'; key: ServiceAccountKey }
  | { kind: 'impersonation'; serviceAccountEmail: string };

/**
 * Checks what a credential may do in a customer project (Resource Manager
 * `projects.testIamPermissions`, and IAM `testIamPermissions` on a service account).
 * Returns the granted subset of `permissions`. Throws PermissionDeniedError when
 * the credential cannot authenticate at all (disabled key, impersonation not
 * granted), RetryableError when Google is unreachable.
 */
export interface PermissionChecker {
  grantedOnProject(
    cred: CustomerCredential,
    projectId: string,
    permissions: readonly string[],
  ): Promise<string[]>;
  grantedOnServiceAccount(
    cred: CustomerCredential,
    serviceAccountEmail: string,
    permissions: readonly string[],
  ): Promise<string[]>;
  /**
   * Reads a service account as the credential (IAM admin `projects.serviceAccounts.get`),
   * which needs `iam.serviceAccounts.get` on the account. Returns its e-mail and
   * description ('' when it has none), or undefined when the credential may not read it or
   * it does not exist (Google does not tell the two apart for a caller without access).
   * Throws like the other methods: PermissionDeniedError when the credential cannot
   * authenticate at all, RetryableError when Google is unreachable.
   */
  readServiceAccount(
    cred: CustomerCredential,
    serviceAccountEmail: string,
  ): Promise<ServiceAccountInfo | undefined>;
}

/** What pushrun reads of a customer's service account. */
export interface ServiceAccountInfo {
  email: string;
  description: string;
}
