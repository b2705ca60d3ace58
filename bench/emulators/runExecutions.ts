/**
 * Executions started (and finished) per second by the Cloud Run emulator, driven
 * through the unmodified JobsClient over the REST transport with a key-signed JWT,
 * as the dispatcher does. Prints figures only.
 * Run: npx tsx bench/emulators/runExecutions.ts [executions] [concurrency]
 */
import { JobsClient } from '@google-cloud/run';
import { JWT } from 'google-auth-library';
import { EmulatorControl } from '../../emulators/controlClient.js';
import { startEmulators } from '../../emulators/server.js';

const EXECUTIONS = Number(process.argv[2] ?? 300);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const PARENT = 'projects/bench-project/locations/us-central1';

async function main(): Promise<void> {
  const emulators = await startEmulators();
  const control = new EmulatorControl(emulators.endpoints.control);
  await control.createProject('bench-project');
  await control.setQuotas({ runRequestsPerMinute: 1_000_000, runningExecutionsPerRegion: 1_000_000 });
  const { email } = await control.createServiceAccount('bench-project', 'bench-launcher');
  await control.grant('bench-project', `serviceAccount:${email}`, { role: 'roles/run.developer' });
  const key = await control.createKey('bench-project', email);
  const [host, port] = emulators.endpoints.run.split(':');
  const jobs = new JobsClient({
    apiEndpoint: host!,
    port: Number(port),
    protocol: 'http',
    fallback: true,
    authClient: new JWT({
      email,
      key: key.private_key,
      keyId: key.private_key_id,
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    }),
  });
  const [op] = await jobs.createJob({
    parent: PARENT,
    jobId: 'bench',
    job: { template: { template: { maxRetries: 0, containers: [{ image: 'i', command: ['true'] }] } } },
  });
  const [job] = await op.promise();

  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < EXECUTIONS) {
      next += 1;
      await jobs.runJob({ name: job.name! });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const startedMs = performance.now() - t0;
  for (;;) {
    const all = await control.executions();
    if (all.every((e) => e.state === 'SUCCEEDED' || e.state === 'FAILED')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const finishedMs = performance.now() - t0;
  const failed = (await control.executions()).filter((e) => e.state !== 'SUCCEEDED').length;
  console.log(
    `${EXECUTIONS} executions (command: true), ${CONCURRENCY} concurrent RunJob callers:\n` +
      `  started (RunJob answered): ${(EXECUTIONS / (startedMs / 1000)).toFixed(0)}/s (${startedMs.toFixed(0)} ms)\n` +
      `  finished (process exited, execution terminal): ${(EXECUTIONS / (finishedMs / 1000)).toFixed(0)}/s (${finishedMs.toFixed(0)} ms)\n` +
      `  not succeeded: ${failed}`,
  );
  await jobs.close();
  await emulators.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
