import { KeyManagementServiceClient } from '@google-cloud/kms';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedEmulators, startEmulators } from '../../../emulators/server.js';
import { type Receiver, startReceiver } from './support/receiver.js';

/**
 * The Tasks and KMS emulators as `npm run emulators` runs them: started by the
 * launcher with the shared issuer, faults and stats, driven through the endpoints
 * and the control API only.
 */
let emulators: StartedEmulators;
let tasks: CloudTasksClient;
let kms: KeyManagementServiceClient;
let target: Receiver;

function options(address: string) {
  const [host, port] = address.split(':');
  return {
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  };
}

beforeAll(async () => {
  emulators = await startEmulators();
  tasks = new CloudTasksClient(options(emulators.endpoints.tasks));
  kms = new KeyManagementServiceClient(options(emulators.endpoints.kms));
  target = await startReceiver();
});

afterAll(async () => {
  await tasks?.close();
  await kms?.close();
  await target?.close();
  await emulators?.stop();
});

describe('Tasks and KMS emulators behind the launcher', () => {
  it('delivers twice under a duplicateDelivery fault set through the control API, with tokens that verify against jwksUri', async () => {
    const location = 'projects/pushrun-platform/locations/europe-west1';
    const queue = `${location}/queues/dispatch`;
    await tasks.createQueue({ parent: location, queue: { name: queue } });
    const fault = await fetch(`${emulators.endpoints.control}/v1/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'tasks', method: 'CreateTask', duplicateDelivery: true, count: 1 }),
    });
    expect(fault.ok).toBe(true);

    const audience = 'https://dispatcher.pushrun.test';
    await tasks.createTask({
      parent: queue,
      task: {
        name: `${queue}/tasks/run-1-attempt-1`,
        httpRequest: {
          url: `${target.url}/dispatch`,
          body: Buffer.from('{}'),
          oidcToken: {
            serviceAccountEmail: 'tasks-invoker@pushrun-platform.iam.gserviceaccount.com',
            audience,
          },
        },
      },
    });
    const requests = await target.waitForRequests(2);
    const jwks = createRemoteJWKSet(new URL(emulators.endpoints.jwksUri));
    for (const request of requests) {
      expect(request.headers['x-cloudtasks-taskname']).toBe('run-1-attempt-1');
      const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
      const { payload } = await jwtVerify(token, jwks, { issuer: emulators.endpoints.oidcIssuer, audience });
      expect(payload.email).toBe('tasks-invoker@pushrun-platform.iam.gserviceaccount.com');
    }
    const stats = (await (await fetch(`${emulators.endpoints.control}/v1/stats`)).json()) as Record<
      string,
      Record<string, number>
    >;
    expect(stats.tasks?.CreateTask).toBe(1);
  });

  it('round-trips through KMS at the kms endpoint', async () => {
    const location = 'projects/pushrun-platform/locations/europe-west1';
    const [ring] = await kms.createKeyRing({ parent: location, keyRingId: 'workspaces', keyRing: {} });
    const [key] = await kms.createCryptoKey({
      parent: ring.name ?? '',
      cryptoKeyId: 'ws-1',
      cryptoKey: { purpose: 'ENCRYPT_DECRYPT' },
    });
    const aad = Buffer.from('workspaces/ws-1/secrets/s1');
    const [encrypted] = await kms.encrypt({
      name: key.name ?? '',
      plaintext: Buffer.from('v'),
      additionalAuthenticatedData: aad,
    });
    const [decrypted] = await kms.decrypt({
      name: key.name ?? '',
      ciphertext: encrypted.ciphertext ?? '',
      additionalAuthenticatedData: aad,
    });
    expect(Buffer.from(decrypted.plaintext ?? '').toString()).toBe('v');
  });
});
