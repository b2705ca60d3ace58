/**
 * Auth clients that act in a customer's project: from the customer's service-account
 * key, or keyless, by pushrun's own identity impersonating the customer's service account.
 */
import { createHash } from 'node:crypto';
import type { IAMCredentialsClient } from '@google-cloud/iam-credentials';
import { type AuthClient, JWT, OAuth2Client } from 'google-auth-library';
import { z } from 'zod';
import { LaunchRefusedError, PushrunError } from '../../domain/errors.js';
import { type CustomerCredential, ServiceAccountKey } from '../../ports/customerAccess.js';
import { createIamCredentialsClient } from './googleClients.js';
import { googleStatusOf, translateCustomerCallError } from './googleErrors.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Lifetime asked of IAM Credentials for an impersonated token. */
const DEFAULT_TOKEN_LIFETIME_S = 900;
/** A cached impersonated token is replaced this long before it expires. */
const DEFAULT_REFRESH_MARGIN_S = 120;
/** Distinct credentials whose auth clients are kept; beyond this the least recently used goes. */
const MAX_CACHED_CREDENTIALS = 256;

/** Builds the auth client a customer-project call runs with. */
export interface CustomerAuth {
  /**
   * The auth client for `cred`: the same instance for the same credential while it stays
   * cached, so callers may cache SDK clients per `credentialIdentity(cred)`.
   * For impersonation, resolves only once a token is in hand (minted or cached).
   * Throws LaunchRefusedError: INVALID_ARGUMENT for a malformed key or e-mail,
   * PERMISSION_DENIED when pushrun may not impersonate the account, NOT_FOUND when it does
   * not exist; RetryableError when IAM Credentials is unreachable.
   */
  authClientFor(cred: CustomerCredential): Promise<AuthClient>;
}

export interface CustomerAuthOptions {
  /** `host:port` of the IAM emulator; Google's IAM Credentials endpoint when absent. */
  iamEndpoint?: string | undefined;
  /**
   * pushrun's own identity, which mints impersonated tokens: in production
   * `await new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }).getClient()` (ADC, the
   * function's service account); locally a JWT of a platform key made in the emulator.
   */
  /**
   * pushrun's own identity, used only to impersonate; a function resolves it on first
   * use, so a process without Application Default Credentials still starts.
   */
  platformAuth: AuthClient | (() => Promise<AuthClient>);
  /** Lifetime of impersonated tokens (1–3600 s); default 900. */
  tokenLifetimeSeconds?: number;
  /** Refresh an impersonated token this long before its expiry; default 120. */
  refreshMarginSeconds?: number;
}

/**
 * A stable, non-secret key for everything cached per credential. For a key it hashes the
 * private key too: keyed by e-mail and key id alone, a forged key JSON naming another
 * tenant's account and key id would be handed the cached client signed with the real key.
 */
export function credentialIdentity(cred: CustomerCredential): string {
  if (cred.kind === 'impersonation') return `impersonation:${cred.serviceAccountEmail.toLowerCase()}`;
  const k = cred.key;
  const digest = createHash('sha256')
    .update(`${k.client_email}\0${k.private_key_id}\0${k.private_key}`)
    .digest('base64url');
  return `key:${k.client_email}:${digest}`;
}

/** A small LRU map; `onEvict` releases what an evicted entry holds. */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  constructor(
    private readonly max: number,
    private readonly onEvict: (value: V) => void = () => {},
  ) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Re-insert: Map iteration order is insertion order, so the first entry is the least recently used.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.max) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, V];
      this.entries.delete(oldestKey);
      this.onEvict(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

const Email = z.email();

/**
 * Creates the CustomerAuth of one process.
 *
 * Keys: the JSON is checked against `ServiceAccountKey` and only its validated fields
 * reach google-auth-library (never `fromJSON`/`credentials`, which accept other
 * credential types from user-supplied JSON). The JWT signs a self-signed token locally
 * per call (no token exchange).
 *
 * Impersonation: pushrun's identity calls IAM Credentials `generateAccessToken` for the
 * customer's account (lifetime 15 min by default) and the token is kept per account in an
 * OAuth2Client until 2 minutes before it expires. Why cache: without it every launch and
 * every monitor poll would add an IAM Credentials round trip and count against its
 * per-minute quota; one mint serves ~13 minutes of calls. Why the 2-minute margin: a token
 * handed to a call must outlive it (Cloud Run calls may take up to their 60 s deadline)
 * and survive clock skew between us and Google. Why 15 and not 60 minutes: tokens live only
 * in memory, but a shorter life bounds what a leaked one could do. The client's
 * `refreshHandler` mints again when the token nears expiry, so SDK clients built on it
 * keep working however long they are cached.
 */
export function createCustomerAuth(opts: CustomerAuthOptions): CustomerAuth {
  const lifetimeS = opts.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_S;
  const marginS = opts.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_S;
  if (!Number.isInteger(lifetimeS) || lifetimeS < 1 || lifetimeS > 3600) {
    throw new Error(`tokenLifetimeSeconds must be an integer in 1..3600, got ${lifetimeS}`);
  }
  if (marginS < 0 || marginS >= lifetimeS) {
    throw new Error('refreshMarginSeconds must be below tokenLifetimeSeconds');
  }
  const clients = new BoundedCache<AuthClient>(MAX_CACHED_CREDENTIALS);
  let iamCredentials: Promise<IAMCredentialsClient> | undefined;

  const iam = (): Promise<IAMCredentialsClient> => {
    const platform = opts.platformAuth;
    iamCredentials ??= (typeof platform === 'function' ? platform() : Promise.resolve(platform))
      .then((authClient) => createIamCredentialsClient({ authClient, endpoint: opts.iamEndpoint }))
      .catch((err: unknown) => {
        iamCredentials = undefined;
        throw err;
      });
    return iamCredentials;
  };

  const mint = async (email: string): Promise<{ access_token: string; expiry_date: number }> => {
    const client = await iam();
    const requestedAt = Date.now();
    try {
      const [res] = await client.generateAccessToken({
        name: `projects/-/serviceAccounts/${email}`,
        scope: [CLOUD_PLATFORM_SCOPE],
        lifetime: { seconds: lifetimeS },
      });
      if (!res.accessToken) throw new PushrunError('INTERNAL', 'IAM Credentials returned no access token');
      const expireSeconds = Number(String(res.expireTime?.seconds ?? Number.NaN));
      return {
        access_token: res.accessToken,
        // Measured from before the call, so a slow answer can only make us refresh early.
        expiry_date: Number.isFinite(expireSeconds)
          ? Math.min(expireSeconds * 1000, requestedAt + lifetimeS * 1000)
          : requestedAt + lifetimeS * 1000,
      };
    } catch (err) {
      throw translateImpersonationError(err, email);
    }
  };

  const impersonationClient = (email: string): OAuth2Client => {
    const client = new OAuth2Client({ eagerRefreshThresholdMillis: marginS * 1000 });
    // One mint at a time per account: concurrent calls on an expiring token share it.
    let inFlight: Promise<{ access_token: string; expiry_date: number }> | undefined;
    client.refreshHandler = () => {
      inFlight ??= mint(email).finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    };
    return client;
  };

  return {
    async authClientFor(cred) {
      const identity = credentialIdentity(cred);
      if (cred.kind === 'service_account_key') {
        const cached = clients.get(identity);
        if (cached) return cached;
        const jwt = jwtFromKey(cred.key);
        clients.set(identity, jwt);
        return jwt;
      }
      const email = cred.serviceAccountEmail;
      if (!Email.safeParse(email).success) {
        throw new LaunchRefusedError('INVALID_ARGUMENT', 'serviceAccountEmail is not an e-mail address');
      }
      let client = clients.get(identity) as OAuth2Client | undefined;
      if (!client) {
        client = impersonationClient(email);
        clients.set(identity, client);
      }
      // Resolves from the cache unless the token is missing or within the margin of expiry;
      // minting here (not inside an SDK call) keeps the refusal a typed LaunchRefusedError.
      await client.getAccessToken();
      return client;
    },
  };
}

function jwtFromKey(input: unknown): JWT {
  const parsed = ServiceAccountKey.safeParse(input);
  if (!parsed.success) {
    // Paths and our own messages only: never a value, which could be key material.
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'key'}: ${i.message}`);
    throw new LaunchRefusedError(
      'INVALID_ARGUMENT',
      `the service account key is not valid (${issues.join('; ')})`,
    );
  }
  const key = parsed.data;
  const jwt = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: [CLOUD_PLATFORM_SCOPE],
  });
  // Self-signed JWT with the scope, never a token exchange at oauth2.googleapis.com: the
  // Google clients set this on their auth client too, but a bare `request()` would not.
  jwt.useJWTAccessWithScope = true;
  return jwt;
}

function translateImpersonationError(err: unknown, email: string): Error {
  if (err instanceof PushrunError) return err;
  const what = `impersonating ${email}`;
  switch (googleStatusOf(err)?.status) {
    case 'PERMISSION_DENIED':
      return new LaunchRefusedError(
        'PERMISSION_DENIED',
        `pushrun may not impersonate ${email}: grant pushrun's service account roles/iam.serviceAccountTokenCreator on it (${googleStatusOf(err)?.message})`,
        err,
      );
    case 'NOT_FOUND':
      return new LaunchRefusedError(
        'NOT_FOUND',
        `the service account ${email} does not exist (${googleStatusOf(err)?.message})`,
        err,
      );
    case 'UNAUTHENTICATED':
      // pushrun's own identity was refused: nothing the customer can fix, and not transient.
      return new PushrunError(
        'INTERNAL',
        `${what}: pushrun's own credential was refused by IAM Credentials`,
        {
          cause: err,
        },
      );
    default:
      return translateCustomerCallError(err, what);
  }
}
