import { randomUUID } from 'node:crypto';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningTasksEmulator, startTasksEmulator } from '../../../emulators/tasks/tasksEmulator.js';
import { eventually, type Receiver, type Responder, sleep, startReceiver } from './support/receiver.js';
import { createTestContext, type TestContext } from './support/testContext.js';

const LOCATION = 'projects/pushrun-test/locations/europe-west1';
const SA = 'dispatcher-invoker@pushrun-test.iam.gserviceaccount.com';

let ctx: TestContext;
let emulator: RunningTasksEmulator;
let client: CloudTasksClient;
const receivers: Receiver[] = [];

function ts(ms: number) {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

async function codeOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

async function receiver(respond?: Responder): Promise<Receiver> {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

async function createQueue(
  overrides: {
    rateLimits?: { maxDispatchesPerSecond?: number; maxConcurrentDispatches?: number };
    retryConfig?: {
      maxAttempts?: number;
      minBackoff?: { seconds?: number; nanos?: number };
      maxBackoff?: { seconds?: number; nanos?: number };
      maxDoublings?: number;
    };
  } = {},
): Promise<string> {
  const name = `${LOCATION}/queues/q-${randomUUID().slice(0, 8)}`;
  await client.createQueue({ parent: LOCATION, queue: { name, ...overrides } });
  return name;
}

function httpTask(url: string, extra: Record<string, unknown> = {}) {
  return {
    httpRequest: {
      url,
      httpMethod: 'POST' as const,
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify({ runId: 'r1' })),
      oidcToken: { serviceAccountEmail: SA, audience: 'https://dispatcher.pushrun.test' },
    },
    ...extra,
  };
}

beforeAll(async () => {
  ctx = await createTestContext();
  // A short minimum deadline lets the deadline test run in well under a second.
  emulator = await startTasksEmulator(ctx, { minDispatchDeadlineMs: 100 });
  const [host, port] = emulator.address.split(':');
  client = new CloudTasksClient({
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  });
});

afterEach(() => {
  ctx.faults.clear();
});

afterAll(async () => {
  await client?.close();
  await emulator?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await ctx?.close();
});

describe('Cloud Tasks emulator: queues', () => {
  it('creates, gets, lists, updates, pauses, resumes and deletes a queue with its retry and rate settings', async () => {
    const name = await createQueue({
      rateLimits: { maxDispatchesPerSecond: 20, maxConcurrentDispatches: 7 },
      retryConfig: {
        maxAttempts: 5,
        minBackoff: { seconds: 1 },
        maxBackoff: { seconds: 60 },
        maxDoublings: 3,
      },
    });
    const [queue] = await client.getQueue({ name });
    expect(queue.state).toBe('RUNNING');
    expect(queue.rateLimits).toMatchObject({
      maxDispatchesPerSecond: 20,
      maxConcurrentDispatches: 7,
      maxBurstSize: 20,
    });
    expect(queue.retryConfig).toMatchObject({ maxAttempts: 5, maxDoublings: 3 });
    expect(Number(queue.retryConfig?.minBackoff?.seconds)).toBe(1);

    const [queues] = await client.listQueues({ parent: LOCATION });
    expect(queues.map((q) => q.name)).toContain(name);

    const [updated] = await client.updateQueue({
      queue: { name, rateLimits: { maxConcurrentDispatches: 3 } },
      updateMask: { paths: ['rate_limits.max_concurrent_dispatches'] },
    });
    expect(updated.rateLimits).toMatchObject({ maxDispatchesPerSecond: 20, maxConcurrentDispatches: 3 });

    expect((await client.pauseQueue({ name }))[0].state).toBe('PAUSED');
    expect((await client.resumeQueue({ name }))[0].state).toBe('RUNNING');

    expect(await codeOf(client.createQueue({ parent: LOCATION, queue: { name } }))).toBe(6);
    await client.deleteQueue({ name });
    expect(await codeOf(client.getQueue({ name }))).toBe(5);
  });

  it('refuses limits beyond the real maximums', async () => {
    const name = `${LOCATION}/queues/too-fast-${randomUUID().slice(0, 8)}`;
    const call = client.createQueue({
      parent: LOCATION,
      queue: { name, rateLimits: { maxDispatchesPerSecond: 501 } },
    });
    expect(await codeOf(call)).toBe(3);
  });
});

describe('Cloud Tasks emulator: delivery', () => {
  it('delivers a task at its schedule time with a verifiable OIDC token and the X-CloudTasks headers', async () => {
    const target = await receiver();
    const queue = await createQueue();
    const scheduleMs = Date.now() + 1200;
    const [task] = await client.createTask({
      parent: queue,
      task: {
        name: `${queue}/tasks/run-abc-1`,
        ...httpTask(`${target.url}/dispatch?x=1`),
        scheduleTime: ts(scheduleMs),
      },
    });
    expect(task.name).toBe(`${queue}/tasks/run-abc-1`);
    expect(task.dispatchCount ?? 0).toBe(0);

    await sleep(600);
    expect(target.requests).toHaveLength(0);
    const [request] = await target.waitForRequests(1);
    if (!request) throw new Error('no request');
    expect(request.receivedAtMs).toBeGreaterThanOrEqual(scheduleMs - 5);
    expect(request.receivedAtMs - scheduleMs).toBeLessThan(5000);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/dispatch?x=1');
    expect(JSON.parse(request.body.toString())).toEqual({ runId: 'r1' });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('Google-Cloud-Tasks');
    expect(request.headers['x-cloudtasks-queuename']).toBe(queue.split('/').pop());
    expect(request.headers['x-cloudtasks-taskname']).toBe('run-abc-1');
    expect(request.headers['x-cloudtasks-taskretrycount']).toBe('0');
    expect(request.headers['x-cloudtasks-taskexecutioncount']).toBe('0');
    expect(Number(request.headers['x-cloudtasks-tasketa'])).toBeCloseTo(scheduleMs / 1000, 2);

    const authorization = request.headers.authorization ?? '';
    expect(authorization).toMatch(/^Bearer /);
    const jwks = createRemoteJWKSet(new URL(ctx.oidc.jwksUri));
    const { payload } = await jwtVerify(authorization.slice(7), jwks, {
      issuer: ctx.oidc.issuer,
      audience: 'https://dispatcher.pushrun.test',
    });
    expect(payload.email).toBe(SA);
    expect(payload.sub).toBe(SA);

    // A task answered with 2xx is done and gone.
    await eventually(async () =>
      (await codeOf(client.getTask({ name: task.name ?? '' }))) === 5 ? true : undefined,
    );
    expect(emulator.tasksDelivered()).toBeGreaterThanOrEqual(1);
  });

  it('uses the target URL as the token audience when none is configured', async () => {
    const target = await receiver();
    const queue = await createQueue();
    const url = `${target.url}/monitor`;
    await client.createTask({
      parent: queue,
      task: { httpRequest: { url, oidcToken: { serviceAccountEmail: SA } } },
    });
    const [request] = await target.waitForRequests(1);
    const jwks = createRemoteJWKSet(new URL(ctx.oidc.jwksUri));
    const token = (request?.headers.authorization ?? '').slice(7);
    await expect(jwtVerify(token, jwks, { issuer: ctx.oidc.issuer, audience: url })).resolves.toBeTruthy();
  });

  it('retries a 503 with exponential backoff, then completes on 2xx, keeping the attempt fields', async () => {
    const statuses = [500, 503, 503, 200];
    const target = await receiver((_request, index) => statuses[index] ?? 200);
    const queue = await createQueue({
      retryConfig: {
        maxAttempts: 10,
        minBackoff: { nanos: 200e6 },
        maxBackoff: { seconds: 10 },
        maxDoublings: 5,
      },
    });
    const name = `${queue}/tasks/retry-me`;
    await client.createTask({ parent: queue, task: { name, ...httpTask(target.url) } });

    await target.waitForRequests(1);
    const [afterFirst] = await eventually(async () => {
      const result = await client.getTask({ name, responseView: 'FULL' });
      return result[0].responseCount === 1 ? result : undefined;
    });
    expect(afterFirst.dispatchCount).toBe(1);
    expect(afterFirst.lastAttempt?.responseStatus?.code).toBe(13);
    expect(afterFirst.firstAttempt?.dispatchTime).toBeTruthy();
    expect(Buffer.from(afterFirst.httpRequest?.body ?? '').toString()).toContain('runId');

    const requests = await target.waitForRequests(4);
    expect(requests.map((r) => r.headers['x-cloudtasks-taskretrycount'])).toEqual(['0', '1', '2', '3']);
    // 503 answers are not executions; the 500 is.
    expect(requests.map((r) => r.headers['x-cloudtasks-taskexecutioncount'])).toEqual(['0', '1', '1', '1']);
    expect(requests[1]?.headers['x-cloudtasks-taskpreviousresponse']).toBe('500');
    const gaps = requests.slice(1).map((r, i) => r.receivedAtMs - (requests[i]?.receivedAtMs ?? 0));
    // Backoff 200, 400, 800 ms: each retry waits at least (most of) its backoff.
    expect(gaps[0]).toBeGreaterThanOrEqual(160);
    expect(gaps[1]).toBeGreaterThanOrEqual(320);
    expect(gaps[2]).toBeGreaterThanOrEqual(640);
    await eventually(async () => ((await codeOf(client.getTask({ name }))) === 5 ? true : undefined));
  });

  it('gives up after max_attempts and removes the task', async () => {
    const target = await receiver(() => 500);
    const queue = await createQueue({ retryConfig: { maxAttempts: 2, minBackoff: { nanos: 100e6 } } });
    const name = `${queue}/tasks/doomed`;
    await client.createTask({ parent: queue, task: { name, ...httpTask(target.url) } });
    await target.waitForRequests(2);
    await eventually(async () => ((await codeOf(client.getTask({ name }))) === 5 ? true : undefined));
    await sleep(400);
    expect(target.requests).toHaveLength(2);
  });

  it('treats an answer slower than dispatch_deadline as a failure and retries', async () => {
    const target = await receiver(async (_request, index) => {
      if (index === 0) await sleep(600);
      return 200;
    });
    const queue = await createQueue({ retryConfig: { minBackoff: { nanos: 100e6 } } });
    const name = `${queue}/tasks/slow`;
    await client.createTask({
      parent: queue,
      task: { name, ...httpTask(target.url), dispatchDeadline: { nanos: 200e6 } },
    });
    const requests = await target.waitForRequests(2);
    expect(requests[1]?.headers['x-cloudtasks-taskretrycount']).toBe('1');
    // The first attempt never got an answer in time: it is not an execution.
    expect(requests[1]?.headers['x-cloudtasks-taskexecutioncount']).toBe('0');
    // Deadline (200 ms) + backoff (100 ms), less timer slack on a loaded machine: the retry
    // cannot come before the deadline has passed, which is what this checks.
    expect((requests[1]?.receivedAtMs ?? 0) - (requests[0]?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(250);
  });

  it('refuses a dispatch_deadline outside the allowed range', async () => {
    const queue = await createQueue();
    const call = client.createTask({
      parent: queue,
      task: { ...httpTask('http://127.0.0.1:9/x'), dispatchDeadline: { seconds: 31 * 60 } },
    });
    expect(await codeOf(call)).toBe(3);
  });

  it('does not dispatch from a paused queue until it is resumed', async () => {
    const target = await receiver();
    const queue = await createQueue();
    await client.pauseQueue({ name: queue });
    await client.createTask({ parent: queue, task: httpTask(target.url) });
    await sleep(300);
    expect(target.requests).toHaveLength(0);
    await client.resumeQueue({ name: queue });
    await target.waitForRequests(1);
  });
});

describe('Cloud Tasks emulator: names and validation', () => {
  it('de-duplicates a task name while it waits, after it was delivered, and after it was deleted', async () => {
    const target = await receiver();
    const queue = await createQueue();
    const name = `${queue}/tasks/run-42-attempt-1`;
    await client.createTask({
      parent: queue,
      task: { name, ...httpTask(target.url), scheduleTime: ts(Date.now() + 300) },
    });
    expect(await codeOf(client.createTask({ parent: queue, task: { name, ...httpTask(target.url) } }))).toBe(
      6,
    );

    await target.waitForRequests(1);
    await eventually(async () => ((await codeOf(client.getTask({ name }))) === 5 ? true : undefined));
    expect(await codeOf(client.createTask({ parent: queue, task: { name, ...httpTask(target.url) } }))).toBe(
      6,
    );

    const deleted = `${queue}/tasks/deleted-one`;
    await client.createTask({
      parent: queue,
      task: { name: deleted, ...httpTask(target.url), scheduleTime: ts(Date.now() + 60_000) },
    });
    await client.deleteTask({ name: deleted });
    expect(await codeOf(client.getTask({ name: deleted }))).toBe(5);
    expect(
      await codeOf(client.createTask({ parent: queue, task: { name: deleted, ...httpTask(target.url) } })),
    ).toBe(6);
    await sleep(200);
    expect(target.requests).toHaveLength(1);
  });

  it('answers NOT_FOUND for unknown tasks and queues', async () => {
    const queue = await createQueue();
    expect(await codeOf(client.getTask({ name: `${queue}/tasks/nope` }))).toBe(5);
    expect(await codeOf(client.deleteTask({ name: `${queue}/tasks/nope` }))).toBe(5);
    const missing = `${LOCATION}/queues/missing-queue`;
    expect(await codeOf(client.createTask({ parent: missing, task: httpTask('http://127.0.0.1:9/') }))).toBe(
      5,
    );
  });

  it('refuses a schedule_time more than 30 days ahead', async () => {
    const queue = await createQueue();
    const tooFar = client.createTask({
      parent: queue,
      task: { ...httpTask('http://127.0.0.1:9/'), scheduleTime: ts(Date.now() + 31 * 86_400_000) },
    });
    expect(await codeOf(tooFar)).toBe(3);
    const [ok] = await client.createTask({
      parent: queue,
      task: { ...httpTask('http://127.0.0.1:9/'), scheduleTime: ts(Date.now() + 29 * 86_400_000) },
    });
    expect(ok.name).toMatch(new RegExp(`^${queue}/tasks/\\d+$`));
    const [tasks] = await client.listTasks({ parent: queue });
    expect(tasks.map((t) => t.name)).toEqual([ok.name]);
    // BASIC view leaves the body out.
    expect(Buffer.from(tasks[0]?.httpRequest?.body ?? '').length).toBe(0);
  });

  it('refuses malformed task ids and targets', async () => {
    const queue = await createQueue();
    const badId = client.createTask({
      parent: queue,
      task: { name: `${queue}/tasks/has space`, ...httpTask('http://x/') },
    });
    expect(await codeOf(badId)).toBe(3);
    const badUrl = client.createTask({ parent: queue, task: httpTask('ftp://example.com/') });
    expect(await codeOf(badUrl)).toBe(3);
  });
});

describe('Cloud Tasks emulator: limits and faults', () => {
  it('holds max_concurrent_dispatches', async () => {
    const target = await receiver(async () => {
      await sleep(150);
      return 200;
    });
    const queue = await createQueue({ rateLimits: { maxConcurrentDispatches: 2 } });
    await Promise.all(
      Array.from({ length: 6 }, () => client.createTask({ parent: queue, task: httpTask(target.url) })),
    );
    await target.waitForRequests(6);
    expect(target.maxConcurrent()).toBe(2);
  });

  it('holds max_dispatches_per_second after the initial burst', async () => {
    const target = await receiver();
    const queue = await createQueue({ rateLimits: { maxDispatchesPerSecond: 5 } });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 10 }, () => client.createTask({ parent: queue, task: httpTask(target.url) })),
    );
    const requests = await target.waitForRequests(10);
    // A burst of 5, then one every 200 ms.
    expect((requests[9]?.receivedAtMs ?? 0) - started).toBeGreaterThanOrEqual(900);
  });

  it('delivers a task twice, concurrently, under the duplicateDelivery fault', async () => {
    const target = await receiver(async () => {
      await sleep(200);
      return 200;
    });
    const queue = await createQueue();
    ctx.faults.add({ service: 'tasks', method: 'CreateTask', duplicateDelivery: true, count: 1 });
    await client.createTask({
      parent: queue,
      task: { name: `${queue}/tasks/twice`, ...httpTask(target.url) },
    });
    const [first, second] = await target.waitForRequests(2);
    expect(first?.headers['x-cloudtasks-taskname']).toBe('twice');
    expect(second?.headers['x-cloudtasks-taskname']).toBe('twice');
    // The second copy arrived while the first was still being handled.
    expect(second?.receivedAtMs ?? 0).toBeLessThan((first?.receivedAtMs ?? 0) + 200);
    await sleep(400);
    expect(target.requests).toHaveLength(2);
  });

  it('applies an injected error before the work, and a dropped response after it', async () => {
    const queue = await createQueue();
    ctx.faults.add({ service: 'tasks', method: 'CreateTask', code: 14, count: 1 });
    const name = `${queue}/tasks/faulty`;
    const task = { name, ...httpTask('http://127.0.0.1:9/'), scheduleTime: ts(Date.now() + 60_000) };
    expect(await codeOf(client.createTask({ parent: queue, task }))).toBe(14);
    expect(await codeOf(client.getTask({ name }))).toBe(5);

    ctx.faults.add({ service: 'tasks', method: 'CreateTask', dropResponse: true, count: 1 });
    expect(await codeOf(client.createTask({ parent: queue, task }))).toBe(14);
    // The call took effect: the task exists, and a retry of the create meets ALREADY_EXISTS.
    expect((await client.getTask({ name }))[0].name).toBe(name);
    expect(await codeOf(client.createTask({ parent: queue, task }))).toBe(6);
    expect(ctx.stats.snapshot().tasks?.CreateTask).toBeGreaterThanOrEqual(3);
  });
});

describe('Cloud Tasks emulator: lifecycle', () => {
  it('stops promptly with an attempt in flight and a task scheduled weeks ahead', async () => {
    const own = await startTasksEmulator(ctx);
    const [host, port] = own.address.split(':');
    const ownClient = new CloudTasksClient({
      apiEndpoint: host,
      port: Number(port),
      sslCreds: grpc.credentials.createInsecure(),
      universeDomain: 'googleapis.com',
    });
    const target = await receiver(() => sleep(5_000).then(() => 200));
    const name = `${LOCATION}/queues/lifecycle`;
    await ownClient.createQueue({ parent: LOCATION, queue: { name } });
    await ownClient.createTask({ parent: name, task: httpTask(target.url) });
    await ownClient.createTask({
      parent: name,
      task: { ...httpTask(target.url), scheduleTime: ts(Date.now() + 20 * 86_400_000) },
    });
    await target.waitForRequests(1);
    await ownClient.close();
    // A stop that waited for the 20-day task would hang past the test's timeout.
    await own.stop();
  });
});
