import { generateKeyPairSync } from 'node:crypto';
import { JobsClient } from '@google-cloud/run';
import { JWT, OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomerAuth, credentialIdentity } from '../../../shared/adapters/gcp/customerAuth.js';
import { restClientOptions } from '../../../shared/adapters/gcp/googleClients.js';
import { LaunchRefusedError, RetryableError } from '../../../shared/domain/errors.js';
import type { CustomerCredential, ServiceAccountKey } from '../../../shared/ports/customerAccess.js';
import {
  type CustomerProject,
  callsSince,
  keyCredential,
  startCustomerProject,
} from './customerProjectFixture.js';

let p: CustomerProject;
const clients: JobsClient[] = [];

function jobsWith(authClient: JWT | OAuth2Client): JobsClient {
  const client = new JobsClient(restClientOptions(authClient, p.emulators.endpoints.run));
  clients.push(client);
  return client;
}

const parent = () => `projects/${p.projectId}/locations/${p.region}`;

async function refusal(call: Promise<unknown>): Promise<LaunchRefusedError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LaunchRefusedError);
  return err as LaunchRefusedError;
}

beforeAll(async () => {
  p = await startCustomerProject('acme-auth-test');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await p?.stop();
});

describe('createCustomerAuth', () => {
  it('a service-account key gives a JWT that signs calls locally, the same instance for the same key', async () => {
    const auth = createCustomerAuth({ platformAuth: p.platformAuth, iamEndpoint: p.emulators.endpoints.iam });
    const client = await auth.authClientFor(p.keyCredential);
    expect(client).toBeInstanceOf(JWT);
    expect(await auth.authClientFor(p.keyCredential)).toBe(client);
    // A copy of the same key JSON is the same credential.
    expect(await auth.authClientFor(keyCredential({ ...p.launcherKey }))).toBe(client);
    await expect(jobsWith(client as JWT).listJobs({ parent: parent() })).rejects.toMatchObject({ code: 7 });
    // The launcher role has no run.jobs.list; what it has works:
    const [op] = await jobsWith(client as JWT).createJob({
      parent: parent(),
      jobId: 'auth-smoke',
      job: { template: { template: { containers: [{ image: 'x', command: ['true'] }] } } },
    });
    expect(op.name).toMatch(/operations\//);
  });

  it('refuses a key that is not a service-account key without echoing any of it', async () => {
    const auth = createCustomerAuth({ platformAuth: p.platformAuth, iamEndpoint: p.emulators.endpoints.iam });
    const notAKey = {
      ...p.launcherKey,
      type: 'authorized_user',
      private_key: 'not a pem but a secret-looking value s3cr3t',
    } as unknown as ServiceAccountKey; // what a decrypted but hostile credential could hold
    const err = await refusal(auth.authClientFor({ kind: 'service_account_key', key: notAKey }));
    expect(err.reason).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('type');
    expect(err.message).toContain('private_key');
    expect(err.message).not.toContain('s3cr3t');
  });

  it('a forged key naming a real account and key id is another credential, never served the real one’s client', async () => {
    const auth = createCustomerAuth({ platformAuth: p.platformAuth, iamEndpoint: p.emulators.endpoints.iam });
    const real = await auth.authClientFor(p.keyCredential);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = keyCredential({
      ...p.launcherKey,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    expect(credentialIdentity(forged)).not.toBe(credentialIdentity(p.keyCredential));
    const forgedClient = await auth.authClientFor(forged);
    expect(forgedClient).not.toBe(real);
    await expect(
      jobsWith(forgedClient as JWT).getJob({ name: `${parent()}/jobs/auth-smoke` }),
    ).rejects.toMatchObject({ code: 16 });
  });

  it('impersonation mints one token through IAM Credentials for many calls, and it acts as the customer account', async () => {
    const { email } = await p.newLauncher('auth-keyless', { impersonable: true });
    const cred: CustomerCredential = { kind: 'impersonation', serviceAccountEmail: email };
    const auth = createCustomerAuth({ platformAuth: p.platformAuth, iamEndpoint: p.emulators.endpoints.iam });
    const before = await p.control.stats();
    const clientsSeen = await Promise.all([1, 2, 3, 4, 5].map(() => auth.authClientFor(cred)));
    expect(new Set(clientsSeen).size).toBe(1);
    const client = clientsSeen[0] as OAuth2Client;
    expect(client).toBeInstanceOf(OAuth2Client);
    const jobs = jobsWith(client);
    for (const jobId of ['keyless-a', 'keyless-b', 'keyless-c']) {
      await jobs.createJob({
        parent: parent(),
        jobId,
        job: { template: { template: { containers: [{ image: 'x', command: ['true'] }] } } },
      });
    }
    // pushrun's own account holds nothing in the customer project: these calls succeeded as the customer's.
    expect(await callsSince(p.control, before, 'iam', 'GenerateAccessToken')).toBe(1);
  });

  it('an impersonated token is renewed before it expires, inside SDK clients built on it', async () => {
    const { email } = await p.newLauncher('auth-refresh', { impersonable: true });
    const cred: CustomerCredential = { kind: 'impersonation', serviceAccountEmail: email };
    const auth = createCustomerAuth({
      platformAuth: p.platformAuth,
      iamEndpoint: p.emulators.endpoints.iam,
      tokenLifetimeSeconds: 3,
      refreshMarginSeconds: 1,
    });
    const before = await p.control.stats();
    const client = (await auth.authClientFor(cred)) as OAuth2Client;
    const first = client.credentials.access_token;
    const jobs = jobsWith(client);
    const create = (jobId: string) =>
      jobs.createJob({
        parent: parent(),
        jobId,
        job: { template: { template: { containers: [{ image: 'x', command: ['true'] }] } } },
      });
    await create('refresh-a');
    // Past the first token's expiry: the emulator would answer UNAUTHENTICATED to it.
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    await create('refresh-b');
    expect(client.credentials.access_token).not.toBe(first);
    expect(await callsSince(p.control, before, 'iam', 'GenerateAccessToken')).toBe(2);
  });

  it('impersonation without the grant is PERMISSION_DENIED, of an unknown account NOT_FOUND, each saying what to do', async () => {
    const auth = createCustomerAuth({ platformAuth: p.platformAuth, iamEndpoint: p.emulators.endpoints.iam });
    const { email } = await p.newLauncher('auth-not-granted');
    const denied = await refusal(auth.authClientFor({ kind: 'impersonation', serviceAccountEmail: email }));
    expect(denied.reason).toBe('PERMISSION_DENIED');
    expect(denied.message).toContain('roles/iam.serviceAccountTokenCreator');
    const missing = await refusal(
      auth.authClientFor({
        kind: 'impersonation',
        serviceAccountEmail: `ghost@${p.projectId}.iam.gserviceaccount.com`,
      }),
    );
    expect(missing.reason).toBe('NOT_FOUND');
    const malformed = await refusal(
      auth.authClientFor({ kind: 'impersonation', serviceAccountEmail: 'nope' }),
    );
    expect(malformed.reason).toBe('INVALID_ARGUMENT');
  });

  it('IAM Credentials unavailable is a RetryableError, and the next call mints', async () => {
    const { email } = await p.newLauncher('auth-transient', { impersonable: true });
    const cred: CustomerCredential = { kind: 'impersonation', serviceAccountEmail: email };
    const auth = createCustomerAuth({ platformAuth: p.platformAuth, iamEndpoint: p.emulators.endpoints.iam });
    await p.control.addFault({ service: 'iam', method: 'GenerateAccessToken', code: 14, count: 1 });
    await expect(auth.authClientFor(cred)).rejects.toBeInstanceOf(RetryableError);
    await expect(auth.authClientFor(cred)).resolves.toBeInstanceOf(OAuth2Client);
  });
});
