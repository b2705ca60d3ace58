/**
 * Tasks delivered per second by the Cloud Tasks emulator to a loopback receiver.
 * Prints figures only. Run: npx tsx bench/emulators/tasksThroughput.ts [tasksPerScenario]
 *
 * Tasks are created through the unmodified CloudTasksClient with one common
 * schedule_time after all creates finish, so the delivery figure measures dispatch
 * alone (OIDC token, headers, HTTP round trip, bookkeeping); the create rate is
 * printed separately. One queue is bound by the real 500/s rate ceiling; several
 * queues show what the emulator itself sustains.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { MemoryFaultInjector } from '../../emulators/core/faults.js';
import { LocalOidcSigner } from '../../emulators/core/oidc.js';
import { MemoryCallStats } from '../../emulators/core/stats.js';
import { startTasksEmulator } from '../../emulators/tasks/tasksEmulator.js';

const TASKS = Number(process.argv[2] ?? 3000);
const LOCATION = 'projects/bench/locations/local';
const CREATE_CONCURRENCY = 64;

async function main(): Promise<void> {
  let received = 0;
  let lastAtMs = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      lastAtMs = performance.now();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/dispatch`;

  const ctx = {
    host: '127.0.0.1',
    faults: new MemoryFaultInjector(),
    stats: new MemoryCallStats(),
    oidc: await LocalOidcSigner.create('http://127.0.0.1:1'),
  };
  const emulator = await startTasksEmulator(ctx);
  const [host, port] = emulator.address.split(':');
  const client = new CloudTasksClient({
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  });

  const scenario = async (label: string, queueCount: number): Promise<void> => {
    const queues: string[] = [];
    for (let i = 0; i < queueCount; i++) {
      const name = `${LOCATION}/queues/${label}-${i}`;
      // The real maximums: 500 dispatches/s and 5000 concurrent per queue.
      await client.createQueue({
        parent: LOCATION,
        queue: { name, rateLimits: { maxDispatchesPerSecond: 500, maxConcurrentDispatches: 5000 } },
      });
      queues.push(name);
    }
    // Leave room for every create, then release all tasks at once.
    const releaseAtMs = Date.now() + 1500 + TASKS * 2;
    const scheduleTime = { seconds: Math.floor(releaseAtMs / 1000), nanos: (releaseAtMs % 1000) * 1e6 };
    const body = Buffer.from(JSON.stringify({ runId: 'bench', attempt: 1 }));
    const createStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (next < TASKS) {
          const i = next++;
          await client.createTask({
            parent: queues[i % queues.length] ?? '',
            task: {
              scheduleTime,
              httpRequest: {
                url,
                body,
                headers: { 'Content-Type': 'application/json' },
                oidcToken: { serviceAccountEmail: 'bench@bench.iam.gserviceaccount.com', audience: url },
              },
            },
          });
        }
      }),
    );
    const createMs = performance.now() - createStart;
    if (Date.now() >= releaseAtMs)
      console.warn(`${label}: creates overran the release time; figures are mixed`);

    received = 0;
    const deliveredBefore = emulator.tasksDelivered();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, releaseAtMs - Date.now())));
    const releasePerf = performance.now();
    while (emulator.tasksDelivered() - deliveredBefore < TASKS)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const deliverMs = lastAtMs - releasePerf;
    console.log(
      `${label.padEnd(10)} queues=${queueCount} tasks=${TASKS}  create: ${Math.round((TASKS / createMs) * 1000)} tasks/s` +
        `  deliver: ${Math.round((TASKS / deliverMs) * 1000)} tasks/s (${Math.round(deliverMs)} ms, receiver saw ${received})`,
    );
  };

  try {
    console.log(`Cloud Tasks emulator throughput, Node ${process.version}, loopback receiver answering 204`);
    await scenario('one-queue', 1);
    await scenario('8-queues', 8);
  } finally {
    await client.close();
    await emulator.stop();
    receiver.closeAllConnections();
    receiver.close();
  }
}

await main();
