import type { CloudTasksClient } from '@google-cloud/tasks';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorControl } from '../../../emulators/controlClient.js';
import { type StartedEmulators, startEmulators } from '../../../emulators/server.js';
import { CloudTasksQueue, ensureQueues, toTaskId } from '../../../shared/adapters/gcp/cloudTasksQueue.js';
import { createCloudTasksClient } from '../../../shared/adapters/gcp/tasksClient.js';
import { QUEUE_SETTINGS } from '../../../shared/config/queues.js';
import { InvalidArgumentError, PushrunError, RetryableError } from '../../../shared/domain/errors.js';
import { type Receiver, sleep, startReceiver } from '../emulators/support/receiver.js';

const PROJECT = 'pushrun-platform';
const LOCATION = 'europe-west1';
const SA = 'tasks-invoker@pushrun-platform.iam.gserviceaccount.com';

let emulators: StartedEmulators;
let control: EmulatorControl;
let client: CloudTasksClient;
let receiver: Receiver;
let queue: CloudTasksQueue;
let queueIds: { dispatch: string; monitor: string };

beforeAll(async () => {
  emulators = await startEmulators();
  control = new EmulatorControl(emulators.endpoints.control);
  client = await createCloudTasksClient({ endpoint: emulators.endpoints.tasks });
  receiver = await startReceiver();
  queueIds = await ensureQueues(client, { projectId: PROJECT, location: LOCATION });
  queue = new CloudTasksQueue({
    client,
    projectId: PROJECT,
    location: LOCATION,
    queues: queueIds,
    targets: { dispatch: `${receiver.url}/dispatch`, monitor: `${receiver.url}/monitor` },
    serviceAccountEmail: SA,
    audience: { monitor: 'https://monitor.pushrun.test' },
  });
});

afterEach(async () => {
  await control.clearFaults();
});

afterAll(async () => {
  await client?.close();
  await receiver?.close();
  await emulators?.stop();
});

/** Requests received for one task name (the receiver is shared by the file's tests). */
function deliveriesOf(name: string) {
  return receiver.requests.filter((r) => r.headers['x-cloudtasks-taskname'] === toTaskId(name));
}

async function waitForDeliveries(name: string, count: number, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (deliveriesOf(name).length < count) {
    if (Date.now() > deadline)
      throw new Error(`${name}: ${deliveriesOf(name).length} of ${count} deliveries`);
    await sleep(10);
  }
  return deliveriesOf(name);
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('CloudTasksQueue', () => {
  it('ensureQueues creates both queues with QUEUE_SETTINGS and is idempotent', async () => {
    expect(await ensureQueues(client, { projectId: PROJECT, location: LOCATION })).toEqual({
      dispatch: 'pushrun-dispatch',
      monitor: 'pushrun-monitor',
    });
    const [q] = await client.getQueue({ name: client.queuePath(PROJECT, LOCATION, queueIds.dispatch) });
    expect(q.rateLimits?.maxDispatchesPerSecond).toBe(
      QUEUE_SETTINGS.dispatch.rateLimits.maxDispatchesPerSecond,
    );
    expect(q.retryConfig?.maxAttempts).toBe(QUEUE_SETTINGS.dispatch.retry.maxAttempts);
  });

  it('delivers the JSON payload with an OIDC token for the service account and the target URL as audience; the same name again is "exists" and delivers nothing more', async () => {
    const payload = { runId: 'run-1', attempt: 1, nested: { ok: true, text: 'é ✓' } };
    expect(await queue.enqueue({ queue: 'dispatch', payload }, { name: 'run-1-a1' })).toBe('created');
    expect(await queue.enqueue({ queue: 'dispatch', payload }, { name: 'run-1-a1' })).toBe('exists');
    const [delivery] = await waitForDeliveries('run-1-a1', 1);
    expect(delivery?.path).toBe('/dispatch');
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(delivery?.body.toString('utf8') ?? '')).toEqual(payload);
    const token = (delivery?.headers.authorization ?? '').replace(/^Bearer /, '');
    const { payload: claims } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(emulators.endpoints.jwksUri)),
      {
        issuer: emulators.endpoints.oidcIssuer,
        audience: `${receiver.url}/dispatch`,
      },
    );
    expect(claims.email).toBe(SA);
    // After completion the name stays reserved, as on Cloud Tasks.
    expect(await queue.enqueue({ queue: 'dispatch', payload }, { name: 'run-1-a1' })).toBe('exists');
    await sleep(200);
    expect(deliveriesOf('run-1-a1')).toHaveLength(1);
  });

  it('uses the configured audience for a queue that has one', async () => {
    await queue.enqueue({ queue: 'monitor', payload: { runId: 'run-2' } }, { name: 'monitor-run-2' });
    const [delivery] = await waitForDeliveries('monitor-run-2', 1);
    const token = (delivery?.headers.authorization ?? '').replace(/^Bearer /, '');
    await expect(
      jwtVerify(token, createRemoteJWKSet(new URL(emulators.endpoints.jwksUri)), {
        audience: 'https://monitor.pushrun.test',
      }),
    ).resolves.toBeTruthy();
  });

  it('prefixes names with their hash and maps names Cloud Tasks refuses to a deterministic valid id, so both still de-duplicate', async () => {
    const long = `run/${'x'.repeat(600)}:attempt#1`;
    expect(toTaskId(long)).toMatch(/^[A-Za-z0-9_-]{1,500}$/);
    // A hash first spreads time-sortable run ids, as Cloud Tasks advises; the name stays readable.
    expect(toTaskId('run-1-a1')).toMatch(/^[0-9a-f]{8}-run-1-a1$/);
    expect(toTaskId(long)).toBe(toTaskId(long));
    expect(toTaskId('a/b')).not.toBe(toTaskId('a_b'));
    expect(await queue.enqueue({ queue: 'dispatch', payload: {} }, { name: long })).toBe('created');
    expect(await queue.enqueue({ queue: 'dispatch', payload: {} }, { name: long })).toBe('exists');
    await waitForDeliveries(long, 1);
    expect(await failure(queue.enqueue({ queue: 'dispatch', payload: {} }, { name: '' }))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('honours notBefore, and refuses a time more than 30 days ahead without calling Cloud Tasks', async () => {
    const notBefore = new Date(Date.now() + 600);
    await queue.enqueue({ queue: 'dispatch', payload: {} }, { name: 'later', notBefore });
    const [delivery] = await waitForDeliveries('later', 1);
    expect(delivery?.receivedAtMs).toBeGreaterThanOrEqual(notBefore.getTime());

    const before = (await control.stats()).tasks?.CreateTask ?? 0;
    const tooLate = new Date(Date.now() + 31 * 24 * 3600 * 1000);
    expect(
      await failure(
        queue.enqueue({ queue: 'dispatch', payload: {} }, { name: 'too-late', notBefore: tooLate }),
      ),
    ).toBeInstanceOf(InvalidArgumentError);
    expect((await control.stats()).tasks?.CreateTask ?? 0).toBe(before);
  });

  it('delete removes a pending task before it runs, and deleting again or a name never made resolves', async () => {
    const notBefore = new Date(Date.now() + 800);
    await queue.enqueue({ queue: 'monitor', payload: {} }, { name: 'to-delete', notBefore });
    await queue.delete('monitor', 'to-delete');
    await queue.delete('monitor', 'to-delete');
    await queue.delete('dispatch', 'never-made');
    await sleep(1200);
    expect(deliveriesOf('to-delete')).toHaveLength(0);
    // The deleted name stays reserved, as on Cloud Tasks: re-enqueueing it creates nothing.
    expect(await queue.enqueue({ queue: 'monitor', payload: {} }, { name: 'to-delete' })).toBe('exists');
  });

  it('absorbs one UNAVAILABLE by its own bounded retry; a lasting outage is a RetryableError after 3 attempts', async () => {
    await control.addFault({ service: 'tasks', method: 'CreateTask', code: 14, count: 1 });
    expect(await queue.enqueue({ queue: 'dispatch', payload: {} }, { name: 'blip' })).toBe('created');
    await waitForDeliveries('blip', 1);

    await control.addFault({ service: 'tasks', method: 'CreateTask', code: 14 });
    const before = (await control.stats()).tasks?.CreateTask ?? 0;
    const err = await failure(queue.enqueue({ queue: 'dispatch', payload: {} }, { name: 'outage' }));
    expect(err).toBeInstanceOf(RetryableError);
    expect((await control.stats()).tasks?.CreateTask).toBe(before + 3);
  });

  it('a create whose answer was lost is retried and resolves "exists", with exactly one delivery', async () => {
    await control.addFault({
      service: 'tasks',
      method: 'CreateTask',
      code: 14,
      dropResponse: true,
      count: 1,
    });
    expect(await queue.enqueue({ queue: 'dispatch', payload: {} }, { name: 'lost-answer' })).toBe('exists');
    await waitForDeliveries('lost-answer', 1);
    await sleep(200);
    expect(deliveriesOf('lost-answer')).toHaveLength(1);
  });

  it('a missing queue is a non-retryable internal error', async () => {
    const broken = new CloudTasksQueue({
      client,
      projectId: PROJECT,
      location: LOCATION,
      queues: { dispatch: 'absent', monitor: 'absent' },
      targets: { dispatch: receiver.url, monitor: receiver.url },
      serviceAccountEmail: SA,
    });
    const err = await failure(broken.enqueue({ queue: 'dispatch', payload: {} }, { name: 'x' }));
    expect(err).toBeInstanceOf(PushrunError);
    expect(err).not.toBeInstanceOf(RetryableError);
    expect((err as PushrunError).status).toBe('INTERNAL');
  });
});
