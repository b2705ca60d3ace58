import { readFileSync } from 'node:fs';
import { type AuthClient, GoogleAuth, JWT } from 'google-auth-library';
import { ServiceAccountKey } from '../../ports/customerAccess.js';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * pushrun's own identity, used to impersonate customer service accounts
 * (keyless onboarding). In production: the function's runtime service account
 * through Application Default Credentials. Locally: a key file of a service
 * account created in the emulator, validated like any customer key.
 */
export function createPlatformAuth(opts: { keyFile?: string | undefined }): () => Promise<AuthClient> {
  let client: Promise<AuthClient> | undefined;
  // Resolved on first use (only impersonation needs it), so a missing identity
  // fails that call with a clear error instead of every function at start.
  return () => {
    client ??= (async (): Promise<AuthClient> => {
      if (opts.keyFile) {
        const key = ServiceAccountKey.parse(JSON.parse(readFileSync(opts.keyFile, 'utf8')));
        return new JWT({
          email: key.client_email,
          key: key.private_key,
          keyId: key.private_key_id,
          scopes: [CLOUD_PLATFORM],
        });
      }
      return (await new GoogleAuth({ scopes: [CLOUD_PLATFORM] }).getClient()) as AuthClient;
    })().catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    return client;
  };
}
