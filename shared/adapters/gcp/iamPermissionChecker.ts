import type { ProjectsClient } from '@google-cloud/resource-manager';
import type { AuthClient } from 'google-auth-library';
import { z } from 'zod';
import {
  InvalidArgumentError,
  LaunchRefusedError,
  PermissionDeniedError,
  PushrunError,
} from '../../domain/errors.js';
import type {
  CustomerCredential,
  PermissionChecker,
  ServiceAccountInfo,
} from '../../ports/customerAccess.js';
import { BoundedCache, credentialIdentity } from './customerAuth.js';
import { createProjectsClient } from './googleClients.js';
import { googleStatusOf, translateCustomerCallError } from './googleErrors.js';

const IAM_ADMIN_ENDPOINT = 'https://iam.googleapis.com';
const MAX_CACHED_CLIENTS = 64;
/** A verification is interactive (an API request waits on it): fail fast rather than hang. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The fields of an IAM admin `ServiceAccount` pushrun reads; proto3 JSON omits an empty description. */
const ServiceAccountResource = z.object({
  email: z.string().min(3),
  description: z.string().optional(),
});

export interface IamPermissionCheckerOptions {
  /** Builds the auth client of a customer credential (createCustomerAuth). */
  auth: { authClientFor(cred: CustomerCredential): Promise<AuthClient> };
  /**
   * `host:port` of the IAM emulator, which serves both Resource Manager and the IAM admin
   * API; Google's endpoints (cloudresourcemanager / iam.googleapis.com) when absent.
   */
  endpoint?: string | undefined;
}

/**
 * PermissionChecker on Google's `testIamPermissions`: Resource Manager v3
 * `projects.testIamPermissions` for the project, IAM admin v1
 * `projects.serviceAccounts.testIamPermissions` for a service account, and IAM admin v1
 * `projects.serviceAccounts.get` to read an account (no Node client exists for the IAM
 * admin API, so those are REST calls through the auth client).
 *
 * Returns the granted subset of the permissions asked, in the order asked. A project or
 * account the credential cannot see grants nothing (an empty subset, not an error), so a
 * verification lists every permission as missing. Throws PermissionDeniedError when the
 * credential cannot authenticate at all (disabled or deleted key, impersonation not
 * granted), InvalidArgumentError for a malformed credential or permission name,
 * RetryableError when Google is unreachable or overloaded.
 */
export class IamPermissionChecker implements PermissionChecker {
  private readonly projects = new BoundedCache<Promise<ProjectsClient>>(MAX_CACHED_CLIENTS, (evicted) => {
    evicted.then(
      (c) => c.close().catch(() => undefined),
      () => undefined,
    );
  });
  private readonly iamAdminBase: string;

  constructor(private readonly opts: IamPermissionCheckerOptions) {
    this.iamAdminBase = opts.endpoint ? `http://${opts.endpoint}` : IAM_ADMIN_ENDPOINT;
  }

  async grantedOnProject(
    cred: CustomerCredential,
    projectId: string,
    permissions: readonly string[],
  ): Promise<string[]> {
    if (permissions.length === 0) return [];
    const resource = `projects/${projectId}`;
    try {
      const authClient = await this.opts.auth.authClientFor(cred);
      const client = await this.projectsClient(cred, authClient);
      const [answer] = await client.testIamPermissions({ resource, permissions: [...permissions] });
      return inOrder(permissions, answer.permissions ?? []);
    } catch (err) {
      return this.refusal(err, `testing permissions on ${resource}`);
    }
  }

  async grantedOnServiceAccount(
    cred: CustomerCredential,
    serviceAccountEmail: string,
    permissions: readonly string[],
  ): Promise<string[]> {
    if (permissions.length === 0) return [];
    try {
      const authClient = await this.opts.auth.authClientFor(cred);
      const res = await authClient.request<{ permissions?: string[] }>({
        url: `${this.iamAdminBase}/v1/projects/-/serviceAccounts/${encodeURIComponent(serviceAccountEmail)}:testIamPermissions`,
        method: 'POST',
        data: { permissions: [...permissions] },
        timeout: REQUEST_TIMEOUT_MS,
      });
      // proto3 JSON omits an empty list: no `permissions` means none granted.
      return inOrder(permissions, res.data?.permissions ?? []);
    } catch (err) {
      return this.refusal(err, `testing permissions on service account ${serviceAccountEmail}`);
    }
  }

  async readServiceAccount(
    cred: CustomerCredential,
    serviceAccountEmail: string,
  ): Promise<ServiceAccountInfo | undefined> {
    let data: unknown;
    try {
      const authClient = await this.opts.auth.authClientFor(cred);
      const res = await authClient.request<unknown>({
        url: `${this.iamAdminBase}/v1/projects/-/serviceAccounts/${encodeURIComponent(serviceAccountEmail)}`,
        method: 'GET',
        timeout: REQUEST_TIMEOUT_MS,
      });
      data = res.data;
    } catch (err) {
      this.inaccessibleOrThrow(err, `reading service account ${serviceAccountEmail}`);
      return undefined;
    }
    const parsed = ServiceAccountResource.safeParse(data);
    // Google answering a shape we cannot read is not the customer's doing: a bug or an API change.
    if (!parsed.success)
      throw new Error(`IAM returned an unreadable service account for ${serviceAccountEmail}`);
    return { email: parsed.data.email, description: parsed.data.description ?? '' };
  }

  private projectsClient(cred: CustomerCredential, authClient: AuthClient): Promise<ProjectsClient> {
    const identity = credentialIdentity(cred);
    let client = this.projects.get(identity);
    if (!client) {
      client = createProjectsClient({ authClient, endpoint: this.opts.endpoint });
      this.projects.set(identity, client);
      client.catch(() => this.projects.delete(identity));
    }
    return client;
  }

  /** Maps a failed check to what PermissionChecker promises; an inaccessible resource grants nothing. */
  private refusal(err: unknown, what: string): string[] {
    this.inaccessibleOrThrow(err, what);
    return [];
  }

  /**
   * Returns when the call failed because the resource is inaccessible to (or unknown to) the
   * credential; throws what PermissionChecker promises otherwise.
   */
  private inaccessibleOrThrow(err: unknown, what: string): void {
    const status = err instanceof PushrunError ? undefined : googleStatusOf(err)?.status;
    // Google may answer 403/404 instead of an empty subset for a resource the caller cannot see.
    if (status === 'PERMISSION_DENIED' || status === 'NOT_FOUND') return;
    const translated = translateCustomerCallError(err, what);
    if (translated instanceof LaunchRefusedError) {
      if (translated.reason === 'INVALID_ARGUMENT') {
        throw new InvalidArgumentError(translated.message, [], err);
      }
      // UNAUTHENTICATED, or an impersonation pushrun may not perform: the credential cannot act at all.
      const denied = new PermissionDeniedError(translated.message);
      Object.defineProperty(denied, 'cause', { value: err, enumerable: false, configurable: true });
      throw denied;
    }
    // RetryableError for an outage; anything else is a bug of ours and stays as it is.
    throw translated;
  }
}

/** The granted subset in the order asked (and only names that were asked). */
function inOrder(asked: readonly string[], granted: readonly string[]): string[] {
  const set = new Set(granted);
  return asked.filter((p) => set.has(p));
}
