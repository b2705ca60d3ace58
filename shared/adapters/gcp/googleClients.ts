/**
 * Factories for the Google API clients the adapters take, one function per
 * client. `endpoint` ('host:port') points a client at the project's emulators
 * (emulators/README.md); without it the client uses Google's defaults and
 * Application Default Credentials.
 *
 * Cold start: every factory imports its SDK dynamically (~270 ms each), and the
 * Tasks and KMS factories live in modules of their own (tasksClient.ts,
 * kmsClient.ts): a module imported with import() cannot be tree-shaken, so one
 * module per client is what keeps the scheduler's bundle free of KMS and Run.
 */
import type { IAMCredentialsClient } from '@google-cloud/iam-credentials';
import type { ProjectsClient } from '@google-cloud/resource-manager';
import type { ExecutionsClient, JobsClient } from '@google-cloud/run';
import type { AuthClient } from 'google-auth-library';
import { loadSdk } from './loadSdk.js';

// ---------------------------------------------------------------------------
// Customer-project clients: Cloud Run Admin v2, Resource Manager v3, IAM Credentials v1.
// These take an `authClient` (a customer's key, or a token minted by impersonation) and
// always use google-gax's REST transport (`fallback: true`), against Google as against the
// emulators: REST is what sends the Authorization header to a plain-HTTP emulator
// (emulators/README.md), and one transport everywhere means one error shape and numeric
// enums in both places. Their SDKs are imported lazily: only the functions that talk to
// customer projects pay their ~250 ms each of load time.
// ---------------------------------------------------------------------------

/** Constructor options of a REST-transport client, at Google's endpoint or an emulator's `host:port`. */
// A type alias, not an interface: google-gax's ClientOptions has an index signature that only aliases satisfy.
export type RestClientOptions = {
  fallback: true;
  authClient: AuthClient;
  apiEndpoint?: string;
  port?: number;
  protocol?: 'http';
};

export function restClientOptions(authClient: AuthClient, endpoint?: string): RestClientOptions {
  if (!endpoint) return { fallback: true, authClient };
  const at = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, at);
  const port = Number(endpoint.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`emulator endpoint must be host:port, got '${endpoint}'`);
  }
  // Plain HTTP only ever to a local emulator; Google's endpoints are HTTPS by default.
  return { fallback: true, authClient, apiEndpoint: host, port, protocol: 'http' };
}

export async function createRunClients(opts: {
  authClient: AuthClient;
  endpoint?: string | undefined;
}): Promise<{ jobs: JobsClient; executions: ExecutionsClient }> {
  const { JobsClient, ExecutionsClient } = await loadSdk(() => import('@google-cloud/run'));
  const options = restClientOptions(opts.authClient, opts.endpoint);
  return { jobs: new JobsClient(options), executions: new ExecutionsClient(options) };
}

export async function createProjectsClient(opts: {
  authClient: AuthClient;
  endpoint?: string | undefined;
}): Promise<ProjectsClient> {
  const { ProjectsClient } = await loadSdk(() => import('@google-cloud/resource-manager'));
  // Cast: this SDK is typed against its own google-auth-library 10; a version-11 client works at run time.
  return new ProjectsClient(restClientOptions(opts.authClient, opts.endpoint) as never);
}

export async function createIamCredentialsClient(opts: {
  authClient: AuthClient;
  endpoint?: string | undefined;
}): Promise<IAMCredentialsClient> {
  const { IAMCredentialsClient } = await loadSdk(() => import('@google-cloud/iam-credentials'));
  // Cast: typed against google-auth-library 10, as above.
  return new IAMCredentialsClient(restClientOptions(opts.authClient, opts.endpoint) as never);
}
